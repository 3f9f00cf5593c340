"""`make bench` runs its sections one after another in one process: each must leave the container as it found it.

A smoke run, not a timing: figures and targets live in the bench's own output, never in a test.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

PROJECT_DIR = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_the_warm_and_answers_sections_run_one_after_another() -> None:
    # The answers section stands in its own resolution service for the app's; it once left a plain function in place
    # of the cached builder, and the next warm section's wiring.reset() failed ("no attribute cache_clear").
    result = subprocess.run(
        [sys.executable, "bench/bench.py", "--quick", "--warm", "--answers"],
        cwd=PROJECT_DIR, capture_output=True, text=True, timeout=1200, check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "## 1b stubbed." in result.stdout and "bench/results.json left as it was" in result.stdout

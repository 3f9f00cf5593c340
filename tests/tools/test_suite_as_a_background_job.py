"""The suite gives the same answers when a shell starts it as a background job (`make test &`, a CI runner's `cmd &`).

Was: a shell starts a background job with SIGINT ignored; every process the suite started inherited that, so the CLI
ignored the tests' Ctrl-C (its hung reads then timed out: status 1, not 130). Found by fresh-clone runs started so.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from devstack.stack import PROJECT_DIR

pytestmark = pytest.mark.slow


def test_the_ctrl_c_tests_pass_when_the_suite_runs_as_a_background_job() -> None:
    inner = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "tests/e2e/test_support_cli_failures.py", "-k", "ctrl_c"]
    # `cmd & wait` in a non-interactive shell: the job starts with SIGINT ignored, as a runner's background job does.
    result = subprocess.run(
        ["bash", "-c", '"$@" & wait $!', "bash", *inner], cwd=PROJECT_DIR, capture_output=True, text=True, timeout=240, check=False
    )
    assert result.returncode == 0, result.stdout[-3000:]
    assert "2 passed" in result.stdout, result.stdout[-3000:]

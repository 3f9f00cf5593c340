"""The README's "Try it" commands, run in order against the local stack, do what they say (every call succeeds)."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.e2e.conftest import Stack

PROJECT_DIR = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.e2e


def try_it_block() -> str:
    readme = (PROJECT_DIR / "README.md").read_text()
    section = readme[readme.index("## Try it") :]
    block = re.search(r"```sh\n(.*?)```", section, re.DOTALL)
    assert block is not None, "the README's Try it section has no sh block"
    return block.group(1)


def test_the_readme_try_it_commands_succeed_in_order(stack: Stack, tmp_path: Path) -> None:
    script = try_it_block()
    assert script.count("curl ") >= 3 and "make -s token" in script
    script = re.sub(r"^API=\S+", f"API={stack.api}", script, flags=re.MULTILINE)
    # Every call must succeed: curl fails on an HTTP error and the script stops at the first failure.
    wrapped = "set -euo pipefail\ncurl() { command curl --fail-with-body --show-error \"$@\"; echo; }\n" + script
    (tmp_path / "try_it.sh").write_text(wrapped)
    env = {**os.environ, "MAKEFLAGS": ""}
    result = subprocess.run(
        ["bash", str(tmp_path / "try_it.sh")], cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=180, check=False
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    outputs = [line for line in result.stdout.splitlines() if line.startswith("{")]
    assert len(outputs) == script.count("curl ")
    assert '"channel":"chat"' in outputs[0].replace(" ", "")  # 1. demo-chat's chat is offered
    assert '"enabled":false' in outputs[1].replace(" ", "")  # 2. the seller switched chat off
    assert '"payment":"support_only"' in outputs[-1].replace(" ", "")  # 3. the admin's change is in force

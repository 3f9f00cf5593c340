"""Operations review (review3): `make run`'s port variables and its children under a hung (SIGSTOPped) child."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from devstack.stack import PROJECT_DIR, free_port, port_in_use

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize(
    ("variable", "value"),
    [("MOTO_PORT", "abc"), ("MOTO_PORT", "70000"), ("API_PORT", "-1"), ("API_PORT", "0"), ("MOTO_PORT", "5000x"), ("API_PORT", "same")],
)
def test_a_port_that_is_not_a_port_is_one_clear_line_and_status_2(variable: str, value: str, tmp_path: Path) -> None:
    moto_port, api_port = free_port(), free_port()
    env = {**os.environ, "MOTO_PORT": str(moto_port), "API_PORT": str(api_port)}
    env[variable] = str(moto_port) if value == "same" else value  # "same": both variables name one port
    log = tmp_path / "run.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "devstack", "run"], cwd=PROJECT_DIR, env=env,
            stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
    try:
        code = process.wait(timeout=15)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    lines = log.read_text().strip().splitlines()
    assert code == 2 and len(lines) == 1, lines
    assert lines[0].startswith("error: ") and variable in lines[0] and "Traceback" not in lines[0], lines
    assert not port_in_use(moto_port) and not port_in_use(api_port)

"""Operations review (review3): `make run`'s port variables and its children under a hung (SIGSTOPped) child."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from devstack.stack import PROJECT_DIR, STOP_GRACE_SECONDS, free_port, port_in_use
from tests.e2e.test_lifecycle import Started, cleanup, cmdline, launch, running, seconds_until_all_gone, wait_until_serving

pytestmark = pytest.mark.e2e
__all__ = ["cleanup"]  # a fixture of test_lifecycle.py, used here too


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


def _stopped(pid: int) -> bool:
    stat = Path(f"/proc/{pid}/stat").read_text()
    return stat.rsplit(")", 1)[1].split()[0] in {"T", "t"}


def _hang_moto(started: Started) -> int:
    """SIGSTOP the stack's moto server, as a hung AWS endpoint (it keeps its port and answers nothing)."""
    moto = next(pid for pid in started.children() if "moto.server" in cmdline(pid) and running(pid))
    os.kill(moto, signal.SIGSTOP)
    deadline = time.monotonic() + 5
    while not _stopped(moto) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _stopped(moto)
    return moto


def test_a_hung_moto_dies_with_a_sigkilled_supervisor(tmp_path: Path, cleanup: list[Started]) -> None:
    started = launch("python", tmp_path)
    cleanup.append(started)
    pids = wait_until_serving(started)
    moto = _hang_moto(started)
    started.process.kill()  # no handler runs; a stopped moto would keep a parent-death SIGTERM pending for ever
    try:
        took = seconds_until_all_gone(started, pids, 5.0)
    finally:
        if running(moto):
            os.kill(moto, signal.SIGCONT)
    print(f"\nSIGKILL to the supervisor with moto SIGSTOPped: everything gone after {took:.2f} s")


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=lambda s: s.name)
def test_a_stop_signal_with_moto_hung_still_stops_everything_within_the_usual_second(
    signum: signal.Signals, tmp_path: Path, cleanup: list[Started]
) -> None:
    started = launch("make", tmp_path)
    cleanup.append(started)
    pids = wait_until_serving(started)
    _hang_moto(started)
    os.killpg(started.process.pid, signum)
    took = seconds_until_all_gone(started, pids, 5.0)
    print(f"\n{signum.name} to make run's group with moto SIGSTOPped: everything stopped after {took:.2f} s")
    # the README's "under 1 s"; the defect was a stopped moto waiting out the SIGKILL grace: the bound is that
    # grace (a loaded machine may be slower than 1 s or 2 s, but never waits the grace without the defect)
    assert took < STOP_GRACE_SECONDS

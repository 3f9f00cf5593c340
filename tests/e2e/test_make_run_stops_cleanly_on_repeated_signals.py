"""`make run` stops the same way however many stop signals arrive and whenever they arrive.

Was: a second SIGTERM (GNU make passes a SIGTERM sent to `make run`'s group on to the supervisor, which the group's
signal has reached already) raised StopRequested again inside the clean-up: a double traceback and exit status 1.
Each test waits for an observable moment (a handler installed, a child started, the stop under way), never a
fixed time, so a loaded machine only makes it slower.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.e2e.test_lifecycle import (
    STOP_BUDGET_SECONDS,
    Started,
    cleanup,
    cmdline,
    launch,
    running,
    seconds_until_all_gone,
    stacks_of_the_supervisor,
    wait_until_serving,
)

pytestmark = pytest.mark.e2e
__all__ = ["cleanup"]  # a fixture of test_lifecycle.py, used here too
STOPPED_LINE = "stopped moto server, chalice local, the local poller"  # (and the relay SMTP server, when it ran)


def wait_for(condition: Callable[[], bool], what: str, started: Started, timeout: float = 60.0, poll: float = 0.005) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() >= deadline:
            stacks_of_the_supervisor(started)  # its threads' stacks into the log, for the message below
        assert time.monotonic() < deadline, f"{what}: not within {timeout} s\n{started.output()}"
        assert started.process.poll() is None, f"{what}: the supervisor exited with {started.process.returncode}\n{started.output()}"
        time.sleep(poll)


def catches(pid: int, signum: int) -> bool:
    """Has `pid` installed a handler for `signum` (the SigCgt mask of /proc/<pid>/status)?"""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    mask = next(int(line.split()[1], 16) for line in status.splitlines() if line.startswith("SigCgt:"))
    return bool(mask >> (signum - 1) & 1)


def assert_no_supervisor_traceback(output: str) -> None:
    """No traceback of the supervisor (or of our poller). The log also holds chalice local's own output, which on a
    loaded machine may show a request's BrokenPipeError: that is its HTTP server's, not how the stack stops."""
    for sign in ("StopRequested", "KeyboardInterrupt", "SystemExit", "devstack/", "Error 1"):
        assert sign not in output, output


def assert_clean_stop(started: Started, pids: set[int]) -> None:
    """Status 0, no traceback, one "stopping" line at most, nothing left running and both ports free."""
    seconds_until_all_gone(started, pids | started.children(), STOP_BUDGET_SECONDS)
    assert started.process.wait(timeout=30) == 0, started.output()
    output = started.output()
    assert_no_supervisor_traceback(output)
    assert output.count(": stopping") <= 1, output


def test_a_burst_of_sigterms_stops_the_stack_once(tmp_path: Path, cleanup: list[Started]) -> None:
    started = launch("python", tmp_path)
    cleanup.append(started)
    pids = wait_until_serving(started)
    for _ in range(10):
        started.process.send_signal(signal.SIGTERM)
    assert_clean_stop(started, pids)
    assert started.output().count("SIGTERM: stopping") == 1 and STOPPED_LINE in started.output()


@pytest.mark.parametrize("second", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP], ids=lambda s: s.name)
def test_a_second_signal_during_the_shutdown_interrupts_nothing(
    second: signal.Signals, tmp_path: Path, cleanup: list[Started]
) -> None:
    started = launch("python", tmp_path)
    cleanup.append(started)
    pids = wait_until_serving(started)
    started.process.send_signal(signal.SIGTERM)
    wait_for(lambda: "SIGTERM: stopping" in started.output(), "the stop began", started)
    for _ in range(3):  # the children are being stopped now
        if started.process.poll() is None:
            started.process.send_signal(second)
    assert_clean_stop(started, pids)
    assert STOPPED_LINE in started.output()


def test_sigterm_to_make_runs_group_twice_stops_the_supervisor_cleanly(tmp_path: Path, cleanup: list[Started]) -> None:
    """The group's signal reaches the supervisor, and make passes its own on: at least two SIGTERMs each time."""
    started = launch("make", tmp_path)
    cleanup.append(started)
    pids = wait_until_serving(started)
    supervisor = next(pid for pid in started.children() if "devstack run" in cmdline(pid))
    os.killpg(started.process.pid, signal.SIGTERM)
    os.killpg(started.process.pid, signal.SIGTERM)
    seconds_until_all_gone(started, pids, STOP_BUDGET_SECONDS)
    # GNU make waits for the supervisor's clean stop, then ends by the signal it received (a shell shows 143)
    assert started.process.wait(timeout=30) == -signal.SIGTERM
    output = started.output()
    assert not running(supervisor)
    assert_no_supervisor_traceback(output)
    assert STOPPED_LINE in output


def test_sigterm_while_the_supervisor_is_still_importing_is_a_clean_stop(tmp_path: Path, cleanup: list[Started]) -> None:
    started = launch("python", tmp_path)
    cleanup.append(started)
    wait_for(lambda: catches(started.process.pid, signal.SIGTERM), "the supervisor handles SIGTERM", started)
    started.process.send_signal(signal.SIGTERM)
    assert_clean_stop(started, set())


def test_sigterm_while_moto_is_starting_stops_what_was_started(tmp_path: Path, cleanup: list[Started]) -> None:
    started = launch("python", tmp_path)
    cleanup.append(started)
    wait_for(lambda: any("moto_server" in cmdline(pid) for pid in started.children()), "moto was started", started)
    pids = started.children()
    started.process.send_signal(signal.SIGTERM)
    started.process.send_signal(signal.SIGTERM)
    assert_clean_stop(started, pids)
    assert not any("chalice" in cmdline(pid) or "devstack.poller" in cmdline(pid) for pid in started.children())

"""`make run`'s supervisor stops on the first stop signal, wherever in its own code or a library's the signal lands.

Was: a SIGTERM that arrived while the banner imported PyJWT raised StopRequested inside that import, where it was
lost; the supervisor then ignored every later signal (found by the lifecycle tests on a loaded machine, ~1 run in 3).
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator

import pytest

from devstack.stack import STOP_SIGNALS, Child, StopRequested, StopSignals, supervise


@pytest.fixture
def stop() -> Iterator[StopSignals]:
    previous = {signum: signal.getsignal(signum) for signum in STOP_SIGNALS}
    handler = StopSignals()
    handler.install()
    try:
        yield handler
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)


def signal_ourselves(signum: signal.Signals) -> None:
    os.kill(os.getpid(), signum)
    time.sleep(1)  # the handler runs at the next bytecode; the sleep is interrupted long before this second ends


def test_a_stop_signal_is_not_caught_by_a_librarys_except_exception(stop: StopSignals) -> None:
    with pytest.raises(StopRequested, match="SIGTERM"):
        try:
            signal_ourselves(signal.SIGTERM)
        except Exception:  # noqa: BLE001 - what a library may do around an optional import
            pytest.fail("StopRequested was caught as an Exception")


def test_a_stop_signal_swallowed_during_start_up_still_stops_the_supervisor(stop: StopSignals) -> None:
    try:
        signal_ourselves(signal.SIGHUP)
    except BaseException:  # noqa: BLE001 - the worst a library can do: swallow everything
        pass
    # A child that ends in 5 s bounds the test: without the stop, supervise returns 1 then (it cannot restart it).
    child = Child("sleeper", lambda: subprocess.Popen(["sleep", "5"]), restartable=False)
    child.process = child.start()
    try:
        with pytest.raises(StopRequested, match="SIGHUP"):
            supervise([child], stop, poll_seconds=0.05)
    finally:
        child.process.kill()
        child.process.wait()

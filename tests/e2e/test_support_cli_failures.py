"""The contact-support CLI against an unreachable, hung or incomplete AWS: one line and a status."""

from __future__ import annotations

import os
import selectors
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from devstack.stack import LOCAL_AWS_ENV, PROJECT_DIR, free_port
from tests.e2e.conftest import Stack

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
SHARDS_WAITING = 2  # requests at the hung endpoint before Ctrl-C: several shard reads are in flight
READ_TIMEOUT_SECONDS = 3.0  # the CLI's botocore read timeout, one attempt (chalicelib/shared/aws.py, _PATIENT_CONFIG)


CLI = str(Path(sys.executable).parent / "contact-support")


def run_cli(endpoint: str, *argv: str, stdout: int = subprocess.PIPE) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **LOCAL_AWS_ENV, "AWS_ENDPOINT_URL": endpoint}
    return subprocess.run([CLI, *argv], cwd=PROJECT_DIR, env=env, stdout=stdout, stderr=subprocess.PIPE, text=True, timeout=60)


def assert_one_error_line(result: subprocess.CompletedProcess[str], *expected: str) -> None:
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 1, result.stderr
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in result.stderr, result.stderr
    for text in expected:
        assert text in lines[0], lines[0]


TRICKLE_EVERY_SECONDS = 0.5  # well inside the CLI's read timeout, even for a server thread starved on a loaded machine


class HungEndpoint:
    """A port that accepts connections and reads requests but never answers: a hung AWS endpoint.

    It counts the requests it has received, so a test can wait for the client to be waiting on it (under load a
    fixed sleep may end before the client has even finished importing). With `trickle`, it starts an answer and
    then sends one byte of a header line every half second, for ever: a client never reaches its read timeout, so
    it is still waiting whenever a test interrupts it (a silent endpoint let a loaded machine's CLI time out and fail
    with status 1 before the test's Ctrl-C arrived).
    """

    def __init__(self, trickle: bool = False) -> None:
        self._trickle = trickle
        self._answering: list[socket.socket] = []
        self._server = socket.socket()
        self._server.bind(("127.0.0.1", 0))
        self._server.listen(64)
        self._server.setblocking(False)
        self.url = f"http://127.0.0.1:{self._server.getsockname()[1]}"
        self._requests = 0
        self._received = threading.Condition()
        self._stopping = threading.Event()
        self._connections: list[socket.socket] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        with selectors.DefaultSelector() as selector:
            selector.register(self._server, selectors.EVENT_READ)
            trickled = time.monotonic()
            while not self._stopping.is_set():
                if self._trickle and time.monotonic() - trickled >= TRICKLE_EVERY_SECONDS:
                    trickled = time.monotonic()
                    for connection in self._answering:
                        try:
                            connection.send(b"a")
                        except OSError:
                            continue  # the client went away
                for key, _events in selector.select(timeout=0.05):
                    sock = key.fileobj
                    assert isinstance(sock, socket.socket)
                    if sock is self._server:
                        connection, _address = self._server.accept()
                        connection.setblocking(False)
                        self._connections.append(connection)  # kept open and unanswered
                        selector.register(connection, selectors.EVENT_READ, data=bytearray())
                        continue
                    try:
                        chunk = sock.recv(65536)
                    except OSError:
                        chunk = b""
                    if not chunk:  # the client gave up on this connection (its timeout) or exited
                        selector.unregister(sock)
                        continue
                    buffer = key.data
                    buffer += chunk
                    if b"\r\n\r\n" in buffer:  # a request's headers are in: the client now waits for an answer
                        buffer.clear()
                        if self._trickle:
                            try:
                                sock.send(b"HTTP/1.1 200 OK\r\nX-Slow: ")
                                self._answering.append(sock)
                            except OSError:
                                pass  # the client went away
                        with self._received:
                            self._requests += 1
                            self._received.notify_all()

    def wait_for_requests(self, count: int, timeout: float = 60.0) -> None:
        """Until `count` requests have arrived (the client is running and waiting); fails after `timeout` seconds."""
        with self._received:
            arrived = self._received.wait_for(lambda: self._requests >= count, timeout=timeout)
            assert arrived, f"only {self._requests} of {count} request(s) reached the hung endpoint in {timeout} s"

    def close(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=5)
        for connection in self._connections:
            connection.close()
        self._server.close()


@pytest.fixture
def hung() -> Iterator[HungEndpoint]:
    endpoint = HungEndpoint()
    try:
        yield endpoint
    finally:
        endpoint.close()


@pytest.fixture
def trickling() -> Iterator[HungEndpoint]:
    endpoint = HungEndpoint(trickle=True)
    try:
        yield endpoint
    finally:
        endpoint.close()


@pytest.fixture
def hung_endpoint(hung: HungEndpoint) -> str:
    return hung.url


@pytest.mark.parametrize("argv", [["recent"], ["history", "--policy"], ["dlq"]], ids=lambda a: a[0])
def test_an_unreachable_endpoint_is_one_line_and_status_1(argv: list[str]) -> None:
    result = run_cli(f"http://127.0.0.1:{free_port()}", *argv)
    assert_one_error_line(result, "Could not connect", "make run")


def test_a_hung_endpoint_times_out_with_one_line_and_status_1(hung_endpoint: str) -> None:
    began = time.monotonic()
    result = run_cli(hung_endpoint, "history", "--policy")
    took = time.monotonic() - began
    assert_one_error_line(result, "did not answer in time")
    assert took < 30, took  # three attempts of 2 s connect / 3 s read, with back-off
    print(f"\ncontact-support history --policy against a hung endpoint: one-line error after {took:.1f} s")


def test_a_missing_table_or_queue_is_one_line_and_status_1(stack: Stack) -> None:
    assert_one_error_line(run_cli(stack.env["AWS_ENDPOINT_URL"], "--table", "no-such-table", "history", "--policy"),
                          "ResourceNotFoundException", "--table")
    assert_one_error_line(run_cli(stack.env["AWS_ENDPOINT_URL"], "dlq", "--dlq-url", stack.env["SUPPORT_DLQ_URL"] + "-gone"),
                          "NonExistentQueue")


def test_a_reader_that_goes_away_is_no_stack_trace(stack: Stack) -> None:
    """`contact-support recent | head -1`: stdout closed before the CLI writes."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        result = run_cli(stack.env["AWS_ENDPOINT_URL"], "recent", stdout=write_end)
    finally:
        os.close(write_end)
    assert result.returncode == 141, result.stderr
    assert "Traceback" not in result.stderr and "Exception ignored" not in result.stderr, result.stderr


@pytest.mark.parametrize("argv", [["recent"], ["stats", "--days", "2"]], ids=lambda a: a[0])
def test_ctrl_c_against_a_hung_endpoint_exits_at_once(trickling: HungEndpoint, argv: list[str]) -> None:
    """Was: "interrupted" was printed at once, but the process exited 7-11 s later: the interpreter's exit waited for
    the shard reads still hanging on AWS (review8).

    Ctrl-C comes once the shard reads are waiting on the endpoint, whenever that is (was: a fixed 1.5 s, which on a
    loaded machine fell inside the CLI's imports: a KeyboardInterrupt traceback and status 1). The endpoint trickles
    (it never lets a read time out), so the reads are still waiting when Ctrl-C comes, however late that is. "At once"
    is measured against what the defect cost: the CLI must not wait out even one read timeout of the hung requests.
    """
    env = {**os.environ, **LOCAL_AWS_ENV, "AWS_ENDPOINT_URL": trickling.url}
    cli = subprocess.Popen([CLI, *argv], cwd=PROJECT_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        trickling.wait_for_requests(SHARDS_WAITING)  # the shard reads are waiting on the endpoint
    except AssertionError:
        cli.kill()
        raise AssertionError(f"{cli.communicate()[1]}") from None
    interrupted = time.monotonic()
    cli.send_signal(signal.SIGINT)
    _out, err = cli.communicate(timeout=30)
    took = time.monotonic() - interrupted
    assert cli.returncode == 130 and "interrupted" in err and "Traceback" not in err, err
    assert took < READ_TIMEOUT_SECONDS, took

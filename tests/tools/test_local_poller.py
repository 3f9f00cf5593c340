"""The local poller keeps going through SQS errors and timeouts, backing off (issue 10, item 13)."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError

from chalicelib.shared.aws import client
from devstack.poller import MAX_BACKOFF_SECONDS, Backoff, LocalPoller, poll_forever
from tests.calls import stored
from tests.conftest import BUYER


def test_poller_backs_off_on_sqs_errors_and_timeouts_then_ingests(api: Any, aws: dict[str, str]) -> None:
    import app

    assert api.http.get("/v1/sellers/demo-chat/contact-options", headers=BUYER).status_code == 200
    sqs = client("sqs")
    failures: list[Exception] = [
        EndpointConnectionError(endpoint_url="http://127.0.0.1:1"),
        ReadTimeoutError(endpoint_url="http://127.0.0.1:1"),
        ClientError({"Error": {"Code": "ServiceUnavailable", "Message": "down"}}, "ReceiveMessage"),
    ]
    real_receive = sqs.receive_message

    def flaky_receive(**kwargs: Any) -> Any:
        if failures:
            raise failures.pop(0)
        return real_receive(**kwargs)

    sqs.receive_message = flaky_receive  # type: ignore[method-assign]
    slept: list[float] = []
    rounds = iter(range(20))
    try:
        poll_forever(  # the handler's own calls are attributed to support_ingest; the poller's are Lambda's event source
            lambda: LocalPoller(sqs, aws["queue_url"], app.support_ingest, wait_seconds=0),
            stopping=lambda: bool(stored("demo-chat")) or next(rounds) >= 19,
            sleep=slept.append,
            backoff=Backoff(first=0.25, jitter=lambda delay: delay),
        )
    finally:
        sqs.receive_message = real_receive  # type: ignore[method-assign]
    assert slept == [0.25, 0.5, 1.0]  # three failures, growing waits, and then it kept going
    assert len(stored("demo-chat")) == 1


def test_backoff_is_capped_and_resets_after_a_success() -> None:
    backoff = Backoff(first=1, jitter=lambda delay: delay)
    delays = [backoff.next_delay() for _ in range(8)]
    assert delays[:4] == [1, 2, 4, 8] and max(delays) == MAX_BACKOFF_SECONDS
    backoff.reset()
    assert backoff.next_delay() == 1


def test_a_handler_that_raises_does_not_stop_the_poller(aws: dict[str, str]) -> None:
    sqs = client("sqs")
    sqs.send_message(QueueUrl=aws["queue_url"], MessageBody="{}")
    calls: list[int] = []

    def broken_handler(event: dict[str, Any], context: Any) -> Any:
        calls.append(len(event["Records"]))
        raise RuntimeError("boom")

    slept: list[float] = []
    poll_forever(
        lambda: LocalPoller(sqs, aws["queue_url"], broken_handler, wait_seconds=0),
        stopping=lambda: len(calls) >= 1 and len(slept) >= 1,
        sleep=slept.append,
    )
    assert calls == [1] and len(slept) == 1  # it failed the batch, waited, and would have polled again

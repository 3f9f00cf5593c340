"""Local stand-in for Lambda's SQS event source: `chalice local` never runs `on_sqs_message` handlers.

Long-polls the local support queue, hands each batch to the very same `support_ingest` handler as an
SQS Lambda event, and deletes only the records the handler accepted. Failed records become visible again
after the queue's visibility timeout and reach the DLQ after `maxReceiveCount` receives, as on AWS.

    python -m devstack.poller      (started by `make run`; needs AWS_ENDPOINT_URL, SUPPORT_QUEUE_URL)
"""

from __future__ import annotations

import logging
import os
import random
import signal
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.shared.logs import log

MAX_BACKOFF_SECONDS = 10.0


def lambda_record(message: dict[str, Any], queue_arn: str, region: str) -> dict[str, Any]:
    """One SQS message shaped as Lambda delivers it."""
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": message.get("Attributes", {}),
        "messageAttributes": {
            name: {
                "stringValue": value.get("StringValue"),
                "dataType": value["DataType"],
                "stringListValues": [],
                "binaryListValues": [],
            }
            for name, value in message.get("MessageAttributes", {}).items()
        },
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }


class LocalPoller:
    def __init__(self, sqs: Any, queue_url: str, handler: Any, wait_seconds: int = 1) -> None:
        self._sqs = sqs
        self._queue_url = queue_url
        self._handler = handler
        self._wait = wait_seconds
        self._queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        self._region = sqs.meta.region_name

    def poll_once(self) -> tuple[int, int]:
        """Receive up to 10 messages, run the handler, delete the accepted. Returns (accepted, failed)."""
        messages = self._sqs.receive_message(
            QueueUrl=self._queue_url,
            MaxNumberOfMessages=10,
            WaitTimeSeconds=self._wait,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not messages:
            return 0, 0
        event = {"Records": [lambda_record(m, self._queue_arn, self._region) for m in messages]}
        result = self._handler(event, None) or {}
        failed = {failure["itemIdentifier"] for failure in result.get("batchItemFailures", [])}
        accepted = [m for m in messages if m["MessageId"] not in failed]
        if accepted:
            self._sqs.delete_message_batch(
                QueueUrl=self._queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(accepted)],
            )
        return len(accepted), len(failed)


class Backoff:
    """Exponential back-off with full jitter: 0.25 s, 0.5 s, 1 s ... up to MAX_BACKOFF_SECONDS; reset on success."""

    def __init__(self, first: float = 0.25, cap: float = MAX_BACKOFF_SECONDS, jitter: Callable[[float], float] = lambda d: random.uniform(d / 2, d)) -> None:
        self._first, self._cap, self._jitter = first, cap, jitter
        self.failures = 0

    def next_delay(self) -> float:
        self.failures += 1
        return self._jitter(min(self._cap, self._first * 2 ** (self.failures - 1)))

    def reset(self) -> None:
        self.failures = 0


def poll_forever(
    connect: Callable[[], LocalPoller],
    stopping: Callable[[], bool],
    sleep: Callable[[float], None] = time.sleep,
    backoff: Backoff | None = None,
) -> None:
    """Poll until `stopping()`; an SQS error or timeout (or a handler that raises) waits and tries again.

    Like Lambda's event source: messages of a failed poll are not deleted, so they come back after the
    visibility timeout and reach the DLQ after maxReceiveCount receives.
    """
    backoff = backoff or Backoff()
    poller: LocalPoller | None = None
    while not stopping():
        try:
            poller = poller or connect()
            accepted, failed = poller.poll_once()
        # Lambda's event source too goes on after a failed poll or a handler that raised (the batch is retried)
        except Exception as exc:  # noqa: BLE001
            if stopping():  # moto went down with us: nothing to retry
                break
            delay = backoff.next_delay()
            aws_error = isinstance(exc, BotoCoreError | ClientError)
            log(
                logging.WARNING if aws_error else logging.ERROR,
                "local_poller_sqs_error" if aws_error else "local_poller_handler_failed",
                error=type(exc).__name__, failures=backoff.failures, retry_in_s=round(delay, 2),
            )
            sleep(delay)
            continue
        backoff.reset()
        if accepted or failed:
            log(logging.INFO, "local_poller_batch", accepted=accepted, failed=failed)


def sweep_forever(stopping: Callable[[], bool], sleep: Callable[[float], None]) -> None:
    """The scheduled `conversation_sweep` on a laptop: every CONVERSATION_SWEEP_SECONDS (default 60; 5 minutes on AWS)."""
    from chalicelib import wiring

    interval = float(os.environ.get("CONVERSATION_SWEEP_SECONDS", "") or 60)
    while not stopping():
        sleep(interval)
        if stopping():
            return
        try:
            wiring.conversation_service().sweep()
        except Exception as exc:  # noqa: BLE001 - as the scheduled Lambda: the next run tries again
            log(logging.WARNING, "local_sweep_failed", error=type(exc).__name__)


def main() -> int:
    import app
    from chalicelib.shared.aws import client

    stopping: list[int] = []
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, lambda signum, _frame: stopping.append(signum))

    def sleep(seconds: float) -> None:  # wakes up for a stop signal
        deadline = time.monotonic() + seconds
        while not stopping and time.monotonic() < deadline:
            time.sleep(min(0.1, seconds))

    print("local poller: feeding support-contact-requests to support_ingest", flush=True)
    threading.Thread(target=sweep_forever, args=(lambda: bool(stopping), sleep), daemon=True).start()
    poll_forever(lambda: LocalPoller(client("sqs"), os.environ["SUPPORT_QUEUE_URL"], app.support_ingest), lambda: bool(stopping), sleep)
    return 0


if __name__ == "__main__":
    sys.exit(main())

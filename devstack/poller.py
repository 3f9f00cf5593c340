"""Local stand-in for Lambda's SQS event source: `chalice local` never runs `on_sqs_message` handlers.

Long-polls the local support queue, hands each batch to the very same `support_ingest` handler as an
SQS Lambda event, and deletes only the records the handler accepted. Failed records become visible again
after the queue's visibility timeout and reach the DLQ after `maxReceiveCount` receives, as on AWS.

    python -m devstack.poller      (started by `make run`; needs AWS_ENDPOINT_URL, SUPPORT_QUEUE_URL)
"""

from __future__ import annotations

import os
import signal
import sys
from typing import Any

from chalicelib.logs import get_logger


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


def main() -> int:
    import app
    from chalicelib.aws import client

    logger = get_logger()
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    poller = LocalPoller(client("sqs"), os.environ["SUPPORT_QUEUE_URL"], app.support_ingest)
    print("local poller: feeding support-contact-requests to support_ingest", flush=True)
    try:
        while not stopping:
            accepted, failed = poller.poll_once()
            if accepted or failed:
                logger.info("local poller: %d accepted, %d failed (retried after the visibility timeout)", accepted, failed)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())

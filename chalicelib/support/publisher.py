"""SQS publisher for support events. An event SQS refuses is logged whole, never dropped."""

from __future__ import annotations

import contextvars
import json
import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.models.events import AnyEvent, ContactOutcomeEvent, ContactRequestEvent
from chalicelib.shared.logs import log

SEND_BATCH_LIMIT = 10  # SQS SendMessageBatch maximum
FAILED_ENTRY_RETRIES = 2
PARALLEL_SENDS = 10  # a 100-seller batch sends its 10 SendMessageBatch calls at once, not one after another

Event = AnyEvent


def message_body(event: Event) -> str:
    return event.model_dump_json()


def message_attributes(event: Event) -> dict[str, Any]:
    """Attributes support can filter on without parsing the body."""
    attributes = {
        "schema_version": {"DataType": "Number", "StringValue": str(event.schema_version)},
        "type": {"DataType": "String", "StringValue": event.type},
    }
    if isinstance(event, ContactRequestEvent):
        attributes["topic"] = {"DataType": "String", "StringValue": event.topic.value}
        attributes["primary_channel"] = {"DataType": "String", "StringValue": event.primary_channel.value}
    if isinstance(event, ContactOutcomeEvent):
        attributes["topic"] = {"DataType": "String", "StringValue": event.topic.value}
        attributes["outcome"] = {"DataType": "String", "StringValue": event.outcome}
    return attributes


class SqsEventPublisher:
    def __init__(self, sqs: Any, queue_url: str) -> None:
        self._sqs = sqs
        self._queue_url = queue_url

    def publish(self, events: Sequence[Event]) -> int:
        """Send `events`; returns how many reached the queue. The rest are logged as undelivered."""
        if len(events) == 1:
            return self._send_one(events[0])
        chunks = [events[start : start + SEND_BATCH_LIMIT] for start in range(0, len(events), SEND_BATCH_LIMIT)]
        if len(chunks) == 1:
            return self._send_batch(chunks[0])
        # boto3 clients are thread-safe; each worker runs in a copy of our context (contextvars go along).
        futures = [_sender_pool().submit(contextvars.copy_context().run, self._send_batch, chunk) for chunk in chunks]
        return sum(future.result() for future in futures)

    def _send_one(self, event: Event) -> int:
        try:
            self._sqs.send_message(
                QueueUrl=self._queue_url, MessageBody=message_body(event), MessageAttributes=message_attributes(event)
            )
        except (ClientError, BotoCoreError) as exc:
            log_undelivered(event, type(exc).__name__)
            return 0
        return 1

    def _send_batch(self, events: Sequence[Event]) -> int:
        pending = {str(index): event for index, event in enumerate(events)}
        error = "unknown"
        for _attempt in range(FAILED_ENTRY_RETRIES + 1):
            entries = [
                {"Id": entry_id, "MessageBody": message_body(event), "MessageAttributes": message_attributes(event)}
                for entry_id, event in pending.items()
            ]
            try:
                response = self._sqs.send_message_batch(QueueUrl=self._queue_url, Entries=entries)
            except (ClientError, BotoCoreError) as exc:
                error = type(exc).__name__
                break  # botocore already retried the call with backoff; more would only delay the answer
            failed = response.get("Failed", [])
            pending = {entry["Id"]: pending[entry["Id"]] for entry in failed}
            if not pending:
                break
            error = failed[0].get("Code", "unknown")
            if not any(entry.get("SenderFault") is False for entry in failed):
                break  # a sender fault fails again the same way
        for event in pending.values():
            log_undelivered(event, error)
        return len(events) - len(pending)


@cache
def _sender_pool() -> ThreadPoolExecutor:
    """Created on the first multi-chunk batch and kept for the container's life."""
    return ThreadPoolExecutor(max_workers=PARALLEL_SENDS, thread_name_prefix="sqs-send")


def log_undelivered(event: Event, error: str) -> None:
    """The whole event as one JSON log line: support can replay it from CloudWatch Logs."""
    log(logging.ERROR, "support_event_undelivered", error=error, event=json.loads(message_body(event)))

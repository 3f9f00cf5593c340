"""Support ingest: validate queue records, skip other schema versions, store each event once (support/store.py).

A record that fails fails alone: the batch reports it, and SQS retries only it (then dead-letters it).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any, Protocol

from pydantic import TypeAdapter, ValidationError

from chalicelib.models.events import AnyEvent, SupportEvent
from chalicelib.shared.logs import log


class EventStore(Protocol):
    def ingest(self, event: AnyEvent) -> bool:
        """Store `event` once; False if it was already stored (SQS delivers at least once)."""
        ...


_event_adapter: TypeAdapter[AnyEvent] = TypeAdapter(SupportEvent)


def parse_event(body: str) -> AnyEvent:
    """Raises ValidationError for malformed JSON, an unknown schema_version/type or a missing field."""
    return _event_adapter.validate_json(body)


# The schema version this consumer reads. A message whose `schema_version` attribute names another was sent for
# other consumers (a v2 copy next to each v1 one while both are read, docs/events.md): skipped, not dead-lettered.
READ_SCHEMA_VERSION = 1


@dataclass(frozen=True)
class Record:
    message_id: str
    body: str
    schema_version: str | None = None  # the message attribute, if the producer set it


_WHOLE_NUMBER = re.compile(r"\s*0*([0-9]+)(?:\.0*)?\s*", re.ASCII)
MAX_NUMBER_ATTRIBUTE_CHARS = 40  # an SQS Number attribute: up to 38 digits, a sign and a decimal point


def other_schema_version(attribute: str | None) -> bool:
    """Does the message attribute name a version other than ours? It is a Number: "1", "1.0" and "01" are all 1.
    Absent, or no whole number (a version never is): the body decides (a v2 body fails validation and is
    dead-lettered, never misread)."""
    if attribute is None or len(attribute) > MAX_NUMBER_ATTRIBUTE_CHARS:  # what SQS allows a Number; a String may be
        return False  # any length, and a long one must not cost the batch quadratic time or int()'s digit limit
    whole = _WHOLE_NUMBER.fullmatch(attribute)
    return whole is not None and int(whole.group(1)) != READ_SCHEMA_VERSION


def record_from_sqs(record: dict[str, Any]) -> Record:
    """A Lambda SQS record (as Chalice's SQSRecord.to_dict() gives it)."""
    attribute = record.get("messageAttributes", {}).get("schema_version") or {}
    return Record(message_id=record["messageId"], body=record["body"], schema_version=attribute.get("stringValue"))


def ingest_batch(records: list[Record], store: EventStore) -> dict[str, list[dict[str, str]]]:
    """Store each record on its own; report the ones that failed so SQS retries only those."""
    failures = []
    for record in records:
        if other_schema_version(record.schema_version):  # WARNING: prod logs it, and a skipped event is not stored
            log(logging.WARNING, "support_event_other_version_skipped", message_id=record.message_id, schema_version=str(record.schema_version)[:20])
            continue
        try:
            event = parse_event(record.body)
        except ValidationError as exc:
            log(logging.ERROR, "support_event_invalid", message_id=record.message_id, errors=exc.errors(include_input=False, include_url=False)[:5])
            failures.append(record.message_id)
            continue
        except RecursionError:  # nested deeper than the parser goes: invalid, and this record's alone
            log(logging.ERROR, "support_event_invalid", message_id=record.message_id, errors=["nested too deeply"])
            failures.append(record.message_id)
            continue
        try:
            stored = store.ingest(event)
        except Exception as exc:  # noqa: BLE001 - any error fails this record only, never its neighbours in the batch
            # e.g. ClientError; ValueError/ArithmeticError: an added field DynamoDB cannot hold (a number over 38
            # digits); RecursionError: an added field nested deeper than the serializer goes
            log(logging.ERROR, "support_event_store_failed", message_id=record.message_id, event_id=event.event_id, error=type(exc).__name__)
            failures.append(record.message_id)
            continue
        log(logging.INFO, "support_event_stored" if stored else "support_event_duplicate", event_id=event.event_id, seller_id=getattr(event, "seller_id", None))
    return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id in failures]}

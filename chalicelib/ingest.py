"""Support ingest: validate queue records, de-duplicate by event_id, store them and count them.

One DynamoDB transaction per event (marker + record + counters), so a retried record is either
counted once or not at all. The table layout and its write shards: chalicelib/support_keys.py.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from pydantic import TypeAdapter, ValidationError

from chalicelib import support_keys as keys
from chalicelib.attributes import to_attributes
from chalicelib.logs import log
from chalicelib.models import Channel, ContactRequestEvent, SettingsChangedEvent, SupportEvent

REQUEST_TTL = timedelta(days=90)
COUNTER_TTL = timedelta(days=400)
_event_adapter: TypeAdapter[ContactRequestEvent | SettingsChangedEvent] = TypeAdapter(SupportEvent)


def parse_event(body: str) -> ContactRequestEvent | SettingsChangedEvent:
    """Raises ValidationError for malformed JSON, an unknown schema_version/type or a missing field."""
    return _event_adapter.validate_json(body)


def offered_no_channel(event: ContactRequestEvent) -> bool:
    """The seller left the buyer nothing but support (and not because DynamoDB was down)."""
    return not event.degraded and event.offered == [Channel.SUPPORT]


@dataclass(frozen=True)
class Record:
    message_id: str
    body: str


class SupportRequestStore:
    def __init__(self, dynamodb: Any, table_name: str) -> None:
        self._db = dynamodb
        self._table = table_name

    def ingest(self, event: ContactRequestEvent | SettingsChangedEvent) -> bool:
        """Store `event` once; False if it was already stored (SQS delivers at least once)."""
        try:
            self._db.transact_write_items(TransactItems=self.transaction_items(event))
        except ClientError as exc:
            reasons = exc.response.get("CancellationReasons") or []
            if reasons and reasons[0].get("Code") == "ConditionalCheckFailed":
                return False
            raise
        return True

    def transaction_items(self, event: ContactRequestEvent | SettingsChangedEvent) -> list[dict[str, Any]]:
        """The de-duplication marker first (its condition fails a redelivery), then the event's own writes."""
        expires_at = _expiry(event.occurred_at, REQUEST_TTL)
        marker = {
            "Put": {
                "TableName": self._table,
                "Item": to_attributes({"pk": f"EVENT#{event.event_id}", "sk": "EVENT", "expires_at": expires_at}),
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        }
        return [marker, *self._writes(event, expires_at)]

    def _writes(self, event: ContactRequestEvent | SettingsChangedEvent, expires_at: int) -> list[dict[str, Any]]:
        """The event itself under its seller (every field, so additive v1 fields are kept too), and counters."""
        stamp = f"{event.occurred_at.isoformat()}#{event.event_id}"
        record = {**event.model_dump(mode="json"), "expires_at": expires_at}
        if isinstance(event, SettingsChangedEvent):
            record.update(pk=keys.seller_changes_key(event.seller_id), sk=f"CHG#{stamp}")
            return [{"Put": {"TableName": self._table, "Item": to_attributes(record)}}]

        day = event.occurred_at.date().isoformat()
        record.update(
            pk=keys.seller_requests_key(event.seller_id, event.event_id),
            sk=f"REQ#{stamp}",
            gsi1pk=keys.day_index_key(day, event.event_id),
            gsi1sk=stamp,
        )
        stats_pk, stats_sk = keys.stats_key(day, event.seller_id, event.event_id)
        counters = {
            "requests": 1,
            f"topic_{event.topic.value}": 1,
            f"primary_{event.primary_channel.value}": 1,
            "degraded": int(event.degraded),
        }
        if offered_no_channel(event):
            counters["no_channel"] = 1
            counters[f"no_channel_{event.topic.value}"] = 1
        counter_update = {
            "Update": {
                "TableName": self._table,
                "Key": to_attributes({"pk": stats_pk, "sk": stats_sk}),
                "UpdateExpression": "ADD " + ", ".join(f"#c{i} :c{i}" for i in range(len(counters)))
                + " SET seller_id = :seller, expires_at = if_not_exists(expires_at, :expires)",
                "ExpressionAttributeNames": {f"#c{i}": name for i, name in enumerate(counters)},
                "ExpressionAttributeValues": to_attributes(
                    {
                        **{f":c{i}": value for i, value in enumerate(counters.values())},
                        ":seller": event.seller_id,
                        ":expires": _expiry(event.occurred_at, COUNTER_TTL),
                    }
                ),
            }
        }
        return [{"Put": {"TableName": self._table, "Item": to_attributes(record)}}, counter_update]


def _expiry(occurred_at: datetime, ttl: timedelta) -> int:
    """Epoch seconds for DynamoDB's TTL attribute."""
    return int((occurred_at + ttl).timestamp())


def ingest_batch(records: list[Record], store: SupportRequestStore) -> dict[str, list[dict[str, str]]]:
    """Store each record on its own; report the ones that failed so SQS retries only those."""
    failures = []
    for record in records:
        try:
            event = parse_event(record.body)
        except ValidationError as exc:
            log(logging.ERROR, "support_event_invalid", message_id=record.message_id, errors=exc.errors(include_input=False, include_url=False)[:5])
            failures.append(record.message_id)
            continue
        try:
            stored = store.ingest(event)
        except (ClientError, BotoCoreError) as exc:
            log(logging.ERROR, "support_event_store_failed", message_id=record.message_id, event_id=event.event_id, error=type(exc).__name__)
            failures.append(record.message_id)
            continue
        log(logging.INFO, "support_event_stored" if stored else "support_event_duplicate", event_id=event.event_id, seller_id=event.seller_id)
    return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id in failures]}

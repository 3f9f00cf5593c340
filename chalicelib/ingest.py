"""Support ingest: validate queue records, de-duplicate by event_id, store them and count them.

One DynamoDB transaction per event (marker + record + counters, and a contact request's copy by buyer), so a retried record is either
counted once or not at all. A buyer's reveal is added to their tally after it, on every delivery (ADD on a
string set counts a seller once): a tally that cannot grow never costs support the record.
The table layout and its write shards: chalicelib/support_keys.py.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError
from pydantic import TypeAdapter, ValidationError

from chalicelib import support_keys as keys
from chalicelib.attributes import to_attributes
from chalicelib.limits import tally_key, utc_day, window_reset
from chalicelib.logs import log
from chalicelib.models import (
    MAX_REVEALS_PER_DAY,
    AnyEvent,
    Channel,
    ContactOutcomeEvent,
    ContactRequestEvent,
    PolicyChangedEvent,
    Reason,
    Role,
    SellerRestrictionChangedEvent,
    SettingsChangedEvent,
    SupportEvent,
)

REQUEST_TTL = timedelta(days=90)
COUNTER_TTL = timedelta(days=400)
TALLY_GRACE_SECONDS = 24 * 3600  # kept a day past its UTC day (late events, support lookups), then expired
_event_adapter: TypeAdapter[AnyEvent] = TypeAdapter(SupportEvent)


def parse_event(body: str) -> AnyEvent:
    """Raises ValidationError for malformed JSON, an unknown schema_version/type or a missing field."""
    return _event_adapter.validate_json(body)


def from_support(event: ContactRequestEvent) -> bool:
    """A support agent's own lookup, not buyer demand (older events without a role count as buyers)."""
    return event.caller_role is Role.SUPPORT


def offered_no_channel(event: ContactRequestEvent) -> bool:
    """A seller with stored settings enabled no channel, so the buyer had support alone: not because DynamoDB was
    down, nor because the platform left the seller's channels out (a restriction, a support-only topic, a channel
    switched off); events sent before `support_reason` existed cannot tell the platform's part apart."""
    if event.support_reason not in (None, Reason.SELLER_HAS_NO_CHANNELS):
        return False
    return event.seller_exists is True and not event.degraded and event.offered == [Channel.SUPPORT]


def unknown_seller(event: ContactRequestEvent) -> bool:
    """The seller id has no stored settings: made up, mistyped, or a seller who never set anything up."""
    return event.seller_exists is False


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


class SupportRequestStore:
    def __init__(self, dynamodb: Any, table_name: str) -> None:
        self._db = dynamodb
        self._table = table_name

    def ingest(self, event: AnyEvent) -> bool:
        """Store `event` once; False if it was already stored (SQS delivers at least once)."""
        stored = True
        try:
            self._db.transact_write_items(TransactItems=self.transaction_items(event))
        except ClientError as exc:
            reasons = exc.response.get("CancellationReasons") or []
            if not (reasons and reasons[0].get("Code") == "ConditionalCheckFailed"):
                raise
            stored = False
        # Also for a redelivery: the delivery that stored the event may have failed before counting it.
        if isinstance(event, ContactRequestEvent) and (update := self.tally_update(event)) is not None:
            self._count_reveal(update, event)
        return stored

    def _count_reveal(self, update: dict[str, Any], event: ContactRequestEvent) -> None:
        try:
            self._db.update_item(**update)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
            # The tally is full: this buyer has been shown more sellers today than any limit allows.
            log(logging.WARNING, "reveal_tally_full", buyer_id=event.buyer_id, event_id=event.event_id)

    def transaction_items(self, event: AnyEvent) -> list[dict[str, Any]]:
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

    def _writes(self, event: AnyEvent, expires_at: int) -> list[dict[str, Any]]:
        """The event itself under its seller (every field, so additive v1 fields are kept too), and counters."""
        stamp = f"{event.occurred_at.isoformat()}#{event.event_id}"
        # Every field, including ones added within v1 after this code (floats as Decimal, as DynamoDB needs);
        # our keys last, so an event field can never overwrite them.
        fields = json.loads(event.model_dump_json(), parse_float=Decimal)
        if isinstance(event, PolicyChangedEvent):  # the platform's audit trail: no expiry (a few items a year)
            record = {**fields, "pk": keys.POLICY_CHANGES, "sk": f"CHG#{stamp}"}
            return [{"Put": {"TableName": self._table, "Item": to_attributes(record)}}]
        record = {**fields, "pk": keys.seller_changes_key(event.seller_id), "expires_at": expires_at}
        if isinstance(event, SettingsChangedEvent | SellerRestrictionChangedEvent):
            record["sk"] = f"CHG#{stamp}"
            return [{"Put": {"TableName": self._table, "Item": to_attributes(record)}}]
        if isinstance(event, ContactOutcomeEvent):  # as many as requests at most: sharded like them
            record.update(pk=keys.seller_requests_key(event.seller_id, event.event_id), sk=f"OUT#{stamp}")
            return [{"Put": {"TableName": self._table, "Item": to_attributes(record)}}, *self._outcome_counters(event)]

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
        if from_support(event):
            counters["support_lookups"] = 1
        else:
            counters["buyer_requests"] = 1
            if offered_no_channel(event):
                counters["no_channel"] = 1
                counters[f"no_channel_{event.topic.value}"] = 1
        if unknown_seller(event):
            counters["unknown_seller"] = 1
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
        return [{"Put": {"TableName": self._table, "Item": to_attributes(record)}}, counter_update, self._buyer_copy(record, event)]

    def _buyer_copy(self, record: dict[str, Any], event: ContactRequestEvent) -> dict[str, Any]:
        """The request again under its buyer (`contact-support recent --buyer`): one more item of the same transaction,
        without the by-day index keys (the day's readers must see each request once)."""
        copy = {key: value for key, value in record.items() if key not in ("gsi1pk", "gsi1sk")}
        copy.update(pk=keys.buyer_requests_key(event.buyer_id, event.event_id), sk=record["sk"])
        return {"Put": {"TableName": self._table, "Item": to_attributes(copy)}}

    def tally_update(self, event: AnyEvent) -> dict[str, Any] | None:
        """The UpdateItem adding the seller to the buyer's reveals of that UTC day; None when nothing is counted.

        Only buyers are limited, so support lookups are not counted. At MAX_REVEALS_PER_DAY sellers the tally
        stops growing (its condition fails), which keeps it far from DynamoDB's item size limit.
        """
        if not isinstance(event, ContactRequestEvent) or not event.revealed or from_support(event):
            return None
        return {
            "TableName": self._table,
            "Key": to_attributes(tally_key(event.buyer_id, utc_day(event.occurred_at))),
            "UpdateExpression": "ADD sellers :seller SET expires_at = if_not_exists(expires_at, :expires)",
            "ConditionExpression": "attribute_not_exists(sellers) OR size(sellers) < :most",
            "ExpressionAttributeValues": to_attributes(
                {
                    ":seller": {event.seller_id},
                    ":expires": int(window_reset(event.occurred_at).timestamp()) + TALLY_GRACE_SECONDS,
                    ":most": MAX_REVEALS_PER_DAY,
                }
            ),
        }

    def _outcome_counters(self, event: ContactOutcomeEvent) -> list[dict[str, Any]]:
        """Per topic and day: how each resolution ended; per answer and day: answered / not answered (and why)."""
        pk = keys.outcome_counters_key(event.occurred_at.date().isoformat(), event.event_id)
        updates = [self._count(pk, f"TOPIC#{event.topic.value}", {event.outcome: 1}, event, topic=event.topic.value)]
        if event.answer_id and event.outcome != "channel_chosen":
            counters = {event.outcome: 1, **({f"reason_{event.reason}": 1} if event.reason else {})}
            updates.append(self._count(pk, f"ANSWER#{event.answer_id}", counters, event, answer_id=event.answer_id))
        return updates

    def _count(self, pk: str, sk: str, counters: dict[str, int], event: ContactOutcomeEvent, **labels: str) -> dict[str, Any]:
        sets = ", ".join(f"#l{i} = :l{i}" for i in range(len(labels)))
        return {
            "Update": {
                "TableName": self._table,
                "Key": to_attributes({"pk": pk, "sk": sk}),
                "UpdateExpression": "ADD " + ", ".join(f"#c{i} :c{i}" for i in range(len(counters)))
                + f" SET {sets}, expires_at = if_not_exists(expires_at, :expires)",
                "ExpressionAttributeNames": {
                    **{f"#c{i}": name for i, name in enumerate(counters)},
                    **{f"#l{i}": name for i, name in enumerate(labels)},
                },
                "ExpressionAttributeValues": to_attributes(
                    {
                        **{f":c{i}": value for i, value in enumerate(counters.values())},
                        **{f":l{i}": value for i, value in enumerate(labels.values())},
                        ":expires": _expiry(event.occurred_at, COUNTER_TTL),
                    }
                ),
            }
        }


def _expiry(occurred_at: datetime, ttl: timedelta) -> int:
    """Epoch seconds for DynamoDB's TTL attribute."""
    return int((occurred_at + ttl).timestamp())


def ingest_batch(records: list[Record], store: SupportRequestStore) -> dict[str, list[dict[str, str]]]:
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

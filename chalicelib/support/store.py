"""The support-requests table: each event stored once (marker + record + counters in one transaction), and counted.

One DynamoDB transaction per event (and a contact request's copy by buyer), so a retried record is either counted once or not at all. A buyer's reveal is
added to their tally after it, on every delivery (ADD on a string set counts a seller once): a tally that cannot
grow never costs support the record. The table layout and its write shards: chalicelib/support/keys.py.
"""

from __future__ import annotations

import json
import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.contacts.limits import tally_key, utc_day, window_reset
from chalicelib.models.common import Channel, Reason, Role
from chalicelib.models.events import (
    AnyEvent,
    ContactOutcomeEvent,
    ContactRequestEvent,
    ConversationEscalatedEvent,
    ConversationStartedEvent,
    ConversationViewedEvent,
    PolicyChangedEvent,
    ReplyOverdueEvent,
    SellerRestrictionChangedEvent,
    SettingsChangedEvent,
)
from chalicelib.models.policy import MAX_REVEALS_PER_DAY
from chalicelib.shared.dynamo import from_attributes, to_attributes, unavailable_as
from chalicelib.shared.logs import log
from chalicelib.support import keys

REQUEST_TTL = timedelta(days=90)
COUNTER_TTL = timedelta(days=400)
TALLY_GRACE_SECONDS = 24 * 3600  # kept a day past its UTC day (late events, support lookups), then expired


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


RECENT_READERS = 16  # parallel queries over a day's shards of the by-day index


class SupportRequestStore:
    def __init__(self, dynamodb: Any, table_name: str) -> None:
        self._db = dynamodb
        self._table = table_name

    def recent_contact_requests(self, since: datetime, limit: int) -> list[dict[str, Any]]:
        """Contact request records newer than `since` (UTC), newest first, at most `limit`.

        Each shard of the by-day index is read newest first up to its share of `limit` (events are hashed evenly
        over the shards, with headroom for unevenness), in parallel: a bounded sample, not an exact top `limit`.
        """
        until = datetime.now(UTC)
        days = [(since + timedelta(days=n)).date().isoformat() for n in range((until.date() - since.date()).days + 1)]
        partitions = [partition for day in days for partition in keys.day_index_keys(day)]
        per_shard = 2 * limit // keys.DAY_SHARDS + 10

        def shard(partition: str) -> list[dict[str, Any]]:
            response = self._db.query(
                TableName=self._table,
                IndexName="by-day",
                KeyConditionExpression="gsi1pk = :partition AND gsi1sk >= :since",
                ExpressionAttributeValues=to_attributes({":partition": partition, ":since": since.isoformat()}),
                ScanIndexForward=False,
                Limit=per_shard,
            )
            return [from_attributes(item) for item in response.get("Items", [])]

        with unavailable_as(), ThreadPoolExecutor(max_workers=RECENT_READERS) as pool:
            found = [item for items in pool.map(shard, partitions) for item in items]
        requests = [item for item in found if str(item.get("sk", "")).startswith("REQ#")]
        return sorted(requests, key=lambda item: str(item.get("gsi1sk", "")), reverse=True)[:limit]

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
        if isinstance(event, ConversationStartedEvent | ConversationEscalatedEvent | ReplyOverdueEvent | ConversationViewedEvent):
            # Support's queue of conversations and the audit of transcript reads: under the seller, as the changes.
            record["sk"] = f"CONV#{stamp}"
            return [{"Put": {"TableName": self._table, "Item": to_attributes(record)}}]
        if isinstance(event, ContactOutcomeEvent):  # as many as requests at most: sharded like them
            record.update(pk=keys.seller_requests_key(event.seller_id, event.event_id), sk=f"OUT#{stamp}")
            return [
                {"Put": {"TableName": self._table, "Item": to_attributes(record)}}, *self._outcome_counters(event), *self._rollup(event),
                self._request_outcome(event, expires_at),
            ]

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
        return [
            {"Put": {"TableName": self._table, "Item": to_attributes(record)}}, counter_update, self._buyer_copy(record, event),
            *self._rollup(event),
        ]

    def _rollup(self, event: ContactRequestEvent | ContactOutcomeEvent) -> list[dict[str, Any]]:
        """The day's roll-up (keys.rollup_*): in the event's own transaction, so it is counted exactly when stored."""
        day = event.occurred_at.date().isoformat()
        expires = _expiry(event.occurred_at, COUNTER_TTL)
        if isinstance(event, ContactOutcomeEvent):
            updates = [_add(self._table, keys.rollup_totals_key(day, event.event_id), outcome_rollup(event), expires)]
            if (per_answer := answer_rollup(event)) is not None:
                updates.append(_add(self._table, keys.rollup_answer_key(day, event.answer_id or "", event.event_id), per_answer, expires,
                                    answer_id=event.answer_id or ""))
            return updates
        return [_add(self._table, keys.rollup_totals_key(day, event.event_id), request_rollup(event), expires)]

    def _request_outcome(self, event: ContactOutcomeEvent, expires_at: int) -> dict[str, Any]:
        """The outcome beside its request, one attribute per kind (a request may end `not_answered`, then
        `channel_chosen`): whatever order SQS delivers them in, the reader shows the latest by `at`. Stored whether or
        not the request is yet, so an outcome that arrives first is kept; the marker makes a redelivery write nothing."""
        detail = {"at": event.occurred_at.isoformat(), "answer_id": event.answer_id, "channel": event.channel.value if event.channel else None}
        return {
            "Update": {
                "TableName": self._table,
                "Key": to_attributes(keys.request_outcome_key(event.request_id, event.seller_id)),
                "UpdateExpression": "SET #kind = :detail, expires_at = :expires",
                "ExpressionAttributeNames": {"#kind": event.outcome},
                "ExpressionAttributeValues": to_attributes(
                    {":detail": {name: value for name, value in detail.items() if value is not None}, ":expires": expires_at}
                ),
            }
        }

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


def request_rollup(event: ContactRequestEvent) -> dict[str, int]:
    """What one contact request adds to its day's roll-up (every seller together)."""
    counters = {
        "requests": 1,
        keys.topic_counter("requests", event.topic.value): 1,
        f"primary_{event.primary_channel.value}": 1,
    }
    if event.degraded:
        counters["degraded"] = 1
    if from_support(event):
        counters["support_lookups"] = 1
    else:
        counters["buyer_requests"] = 1
        if offered_no_channel(event):
            counters["no_channel"] = 1
        if event.revealed:
            counters["reveals"] = 1
        if event.withheld:  # the daily reveal limit kept the seller's e-mail or phone back
            counters["reveals_withheld"] = 1
    if unknown_seller(event):
        counters["unknown_seller"] = 1
    return counters


def outcome_rollup(event: ContactOutcomeEvent) -> dict[str, int]:
    return {keys.topic_counter(event.outcome, event.topic.value): 1}


def answer_rollup(event: ContactOutcomeEvent) -> dict[str, int] | None:
    """An answer's outcome (answered or not, and why); None when the outcome names no answer or a channel."""
    if not event.answer_id or event.outcome == "channel_chosen":
        return None
    return {event.outcome: 1, **({f"reason_{event.reason}": 1} if event.reason else {})}


def _add(table: str, key: dict[str, str], counters: dict[str, int], expires_at: int, **labels: str) -> dict[str, Any]:
    """A transaction's Update adding `counters` to the item at `key` (created on first use), setting `labels`."""
    sets = "".join(f", #l{i} = :l{i}" for i in range(len(labels)))
    return {
        "Update": {
            "TableName": table,
            "Key": to_attributes(key),
            "UpdateExpression": "ADD " + ", ".join(f"#c{i} :c{i}" for i in range(len(counters)))
            + f" SET expires_at = if_not_exists(expires_at, :expires){sets}",
            "ExpressionAttributeNames": {**{f"#c{i}": name for i, name in enumerate(counters)}, **{f"#l{i}": name for i, name in enumerate(labels)}},
            "ExpressionAttributeValues": to_attributes(
                {
                    **{f":c{i}": value for i, value in enumerate(counters.values())},
                    **{f":l{i}": value for i, value in enumerate(labels.values())},
                    ":expires": expires_at,
                }
            ),
        }
    }


def _expiry(occurred_at: datetime, ttl: timedelta) -> int:
    """Epoch seconds for DynamoDB's TTL attribute."""
    return int((occurred_at + ttl).timestamp())

"""DynamoDB adapter of the conversations table (one table, `pk`/`sk`; docs/conversations.md lists the items).

  conversation#<id> / conversation                  the conversation (GSIs by_buyer, by_seller; by_due, by_escalated: sparse)
  conversation#<id> / message#<created_at µs>#<id>  its messages
  relay#<local part> / relay                        a relay address: its conversation and whom it stands for
  idempotency#<sub>#<key> / idempotency             a message-creating POST's first answer (24 h)
  rate#<id>#<side>#<hour>, rate#buyer#<id>#<day> / rate   limit counters
  stats#<seller_id> / day#<date> | summary          the seller's reply counts
  outbox#pending / <created_at>#<id>                mail SES did not take, retried by the sweep
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import time
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.conversations.records import (
    CONVERSATION_SK,
    ConversationsUnavailable,
    Counter,
    Idempotent,
    InvalidCursor,
    Reads,
    StatsUpdate,
    StoredConversation,
    WriteRefused,
    conversation_pk,
    iso,
    parse_time,
)
from chalicelib.conversations.rules import (
    DUE_SHARDS,
    ROLLUP_SHARDS,
    ExpiredConversation,
    ReplyClock,
    ReplyStats,
    RollupAdd,
    due_shard,
    escalated_partition,
    escalated_shard,
    expires_at,
    stats_from_item,
)
from chalicelib.models.conversations import Conversation, ConversationStatus, Message
from chalicelib.relay.addresses import Side
from chalicelib.shared.dynamo import error_code, from_attributes, to_attributes, unavailable_as

MESSAGE_PREFIX = "message#"
OUTBOX_PK = "outbox#pending"
MAX_CURSOR_CHARS = 1024


def to_item(stored: StoredConversation) -> dict[str, Any]:
    conversation = stored.conversation
    plain: dict[str, Any] = {
        "pk": conversation_pk(conversation.conversation_id),
        "sk": CONVERSATION_SK,
        "conversation_id": conversation.conversation_id,
        "buyer_id": conversation.buyer_id,
        "seller_id": conversation.seller_id,
        "status": conversation.status.value,
        "created_at": iso(conversation.created_at),
        "last_message_at": iso(conversation.last_message_at),
        "topic": conversation.topic.value,
        "order_id": conversation.order_id,
        "relay_address": conversation.relay_address,
        "buyer_mask": stored.buyer_mask,
        "buyer_email": stored.buyer_email if conversation.relay_address else None,
        "order_ids": list(stored.order_ids) or None,
        "version": stored.version,
        "expires_at": expires_at(conversation.last_message_at),
    }
    if conversation.seller_reply_due_at is not None and conversation.status is ConversationStatus.WAITING_SELLER:
        # by_due is sparse: only conversations waiting for the seller are in it.
        plain["seller_reply_due_at"] = iso(conversation.seller_reply_due_at)
        plain["due_shard"] = due_shard(conversation.conversation_id)
    if stored.clock.waiting_since is not None:
        plain["waiting_since"] = iso(stored.clock.waiting_since)
    if conversation.escalated_at is not None and conversation.status is ConversationStatus.ESCALATED:
        # by_escalated is sparse too: only escalated conversations, oldest escalation first in each shard.
        plain["escalated_at"] = iso(conversation.escalated_at)
        plain["escalated_shard"] = escalated_shard(conversation.conversation_id)
    return to_attributes(plain)


def from_item(item: dict[str, Any]) -> StoredConversation:
    plain = from_attributes(item)
    due = plain.get("seller_reply_due_at")
    waiting = plain.get("waiting_since")
    conversation = Conversation(
        conversation_id=plain["conversation_id"],
        buyer_id=plain["buyer_id"],
        seller_id=plain["seller_id"],
        status=plain["status"],
        created_at=parse_time(plain["created_at"]),
        last_message_at=parse_time(plain["last_message_at"]),
        seller_reply_due_at=parse_time(due) if due else None,
        relay_address=plain.get("relay_address"),
        topic=plain["topic"],
        order_id=plain.get("order_id"),
        escalated_at=parse_time(plain["escalated_at"]) if plain.get("escalated_at") else None,
    )
    return StoredConversation(
        conversation,
        ReplyClock(parse_time(waiting) if waiting else None, parse_time(due) if due else None),
        int(plain.get("version", 0)),
        plain.get("buyer_email"),
        plain.get("buyer_mask"),
        tuple(plain.get("order_ids") or ()),
    )


def message_item(conversation_id: str, message: Message) -> dict[str, Any]:
    """A message has no TTL of its own: it goes with its conversation, 180 days after the conversation's last message
    (`delete_expired`, run by the TTL removal of the conversation item)."""
    plain = {
        "pk": conversation_pk(conversation_id),
        "sk": f"{MESSAGE_PREFIX}{iso(message.created_at)}#{message.message_id}",
        **json.loads(message.model_dump_json()),
    }
    plain["redacted"] = plain["redacted"] or None  # an empty list is left out
    return to_attributes(plain)


def message_from_item(item: dict[str, Any]) -> Message:
    plain = from_attributes(item)
    plain["redacted"] = plain.get("redacted") or []
    return Message.model_validate({name: plain.get(name) for name in Message.model_fields})


def encode_cursor(key: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(key, separators=(",", ":"), sort_keys=True).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, allowed_keys: frozenset[str]) -> dict[str, Any]:
    """A cursor back into DynamoDB's ExclusiveStartKey: only string attributes of the keys this query uses."""
    if len(cursor) > MAX_CURSOR_CHARS:
        raise InvalidCursor
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise InvalidCursor from None
    if not isinstance(key, dict) or set(key) != allowed_keys:
        raise InvalidCursor
    if not all(isinstance(v, dict) and set(v) == {"S"} and isinstance(v["S"], str) and len(v["S"]) <= 300 for v in key.values()):
        raise InvalidCursor
    return key


# status -> its sparse index, the index's hash and range attributes, and its shards (conversations/rules.py).
STATE_INDEXES: dict[ConversationStatus, tuple[str, str, str, tuple[str, ...]]] = {
    ConversationStatus.ESCALATED: (
        "by_escalated", "escalated_shard", "escalated_at", tuple(escalated_partition(n) for n in range(ROLLUP_SHARDS)),
    ),
    ConversationStatus.WAITING_SELLER: ("by_due", "due_shard", "seller_reply_due_at", tuple(f"due#{n}" for n in range(DUE_SHARDS))),
}
_STATE_CURSOR = re.compile(r"([0-9TZ:.+-]{10,40})\|([a-z2-7]{26})")


def encode_state_cursor(at: str, conversation_id: str) -> str:
    return base64.urlsafe_b64encode(f"{at}|{conversation_id}".encode()).decode().rstrip("=")


def decode_state_cursor(cursor: str) -> tuple[str, str]:
    """(the index's range value, the conversation id) of the last one listed; InvalidCursor for anything else."""
    try:
        match = _STATE_CURSOR.fullmatch(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii"))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise InvalidCursor from None
    if match is None:
        raise InvalidCursor
    return match.group(1), match.group(2)


INDEX_KEYS = {
    "by_buyer": frozenset({"pk", "sk", "buyer_id", "last_message_at"}),
    "by_seller": frozenset({"pk", "sk", "seller_id", "last_message_at"}),
}


class DynamoConversationStore:
    def __init__(self, dynamodb: Any, table_name: str) -> None:
        self._db = dynamodb
        self._table = table_name

    # ------------------------------------------------------------ reads

    def read(self, conversation_id: str, idempotency_pk: str | None = None, counters: Sequence[str] = ()) -> Reads:
        """The conversation, the caller's idempotency record and limit counters: one BatchGetItem (GetItem alone)."""
        keys = [{"pk": conversation_pk(conversation_id), "sk": CONVERSATION_SK}]
        if idempotency_pk:
            keys.append({"pk": idempotency_pk, "sk": "idempotency"})
        keys += [{"pk": pk, "sk": "rate"} for pk in counters]
        reads = Reads()
        with unavailable_as(ConversationsUnavailable):
            if len(keys) == 1:
                found = [item] if (item := self._db.get_item(TableName=self._table, Key=to_attributes(keys[0]), ConsistentRead=True).get("Item")) else []
            else:
                found = self._batch_get(keys)
        for item in found:
            pk = item["pk"]["S"]
            if pk.startswith("conversation#"):
                reads.stored = from_item(item)
            elif pk.startswith("idempotency#"):
                plain = from_attributes(item)
                reads.idempotent = Idempotent(pk, plain["request_hash"], int(plain["status"]), plain["body"], int(plain["expires_at"]))
            elif pk.startswith("rate#"):
                reads.counters[pk] = int(from_attributes(item).get("n", 0))
        return reads

    def _batch_get(self, keys: list[dict[str, str]]) -> list[dict[str, Any]]:
        request = {self._table: {"Keys": [to_attributes(key) for key in keys], "ConsistentRead": True}}
        items: list[dict[str, Any]] = []
        for _ in range(4):
            response = self._db.batch_get_item(RequestItems=request)
            items += response.get("Responses", {}).get(self._table, [])
            request = response.get("UnprocessedKeys") or {}
            if not request:
                return items
        raise ConversationsUnavailable("unprocessed keys")

    def get(self, conversation_id: str) -> StoredConversation | None:
        return self.read(conversation_id).stored

    def list_conversations(
        self, index: str, owner: str, status: ConversationStatus | None, cursor: str | None, limit: int
    ) -> tuple[list[Conversation], str | None]:
        """Conversations by buyer or seller, the latest message first; `status` filters the page."""
        hash_name = "buyer_id" if index == "by_buyer" else "seller_id"
        query: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": index,
            "KeyConditionExpression": "#h = :h",
            "ExpressionAttributeNames": {"#h": hash_name},
            "ExpressionAttributeValues": {":h": {"S": owner}},
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if status is not None:
            query["FilterExpression"] = "#s = :s"
            query["ExpressionAttributeNames"]["#s"] = "status"
            query["ExpressionAttributeValues"][":s"] = {"S": status.value}
        if cursor:
            query["ExclusiveStartKey"] = decode_cursor(cursor, INDEX_KEYS[index])
        with unavailable_as(ConversationsUnavailable):
            response = self._db.query(**query)
        conversations = [from_item(item).conversation for item in response.get("Items", [])]
        last = response.get("LastEvaluatedKey")
        return conversations, encode_cursor(last) if last else None

    def list_by_state(self, status: ConversationStatus, cursor: str | None, limit: int) -> tuple[list[Conversation], str | None]:
        """Every conversation in `status` (escalated: the oldest escalation first; waiting_seller: the earliest reply due
        first), across the sparse index's shards: a Query of at most `limit` + 1 items per shard, merged."""
        index, hash_name, range_name, shards = STATE_INDEXES[status]
        after = decode_state_cursor(cursor) if cursor else None
        found: list[tuple[str, str, dict[str, Any]]] = []
        more = False
        for shard in shards:
            query: dict[str, Any] = {
                "TableName": self._table,
                "IndexName": index,
                "KeyConditionExpression": "#h = :h" + (" AND #r >= :after" if after else ""),
                "ExpressionAttributeNames": {"#h": hash_name, **({"#r": range_name} if after else {})},
                "ExpressionAttributeValues": {":h": {"S": shard}, **({":after": {"S": after[0]}} if after else {})},
                "ScanIndexForward": True,
                "Limit": limit + 1,
            }
            with unavailable_as(ConversationsUnavailable):
                response = self._db.query(**query)
            items = response.get("Items", [])
            more = more or len(items) > limit or bool(response.get("LastEvaluatedKey"))
            found += [(item[range_name]["S"], item["conversation_id"]["S"], item) for item in items]
        ordered = sorted((entry for entry in found if after is None or entry[:2] > after), key=lambda entry: entry[:2])
        page = ordered[:limit]
        more = more or len(ordered) > limit
        next_cursor = encode_state_cursor(page[-1][0], page[-1][1]) if more and page else None
        return [from_item(item).conversation for _, _, item in page], next_cursor

    def messages(
        self, conversation_id: str, cursor: str | None, limit: int, since: datetime | None = None
    ) -> tuple[list[Message], str | None]:
        """The latest `limit` messages before `cursor` (none before `since`: the conversation's creation, so the
        messages of an expired one of the same pair that retention has not deleted yet never show), oldest first,
        and the cursor to older ones."""
        first = f"{MESSAGE_PREFIX}{iso(since)}" if since is not None else MESSAGE_PREFIX
        query: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND sk BETWEEN :first AND :last",
            "ExpressionAttributeValues": {
                ":pk": {"S": conversation_pk(conversation_id)}, ":first": {"S": first}, ":last": {"S": f"{MESSAGE_PREFIX}~"},
            },
            "ScanIndexForward": False,
            "Limit": limit,
            "ConsistentRead": True,
        }
        if cursor:
            start = decode_cursor(cursor, frozenset({"pk", "sk"}))
            if start["pk"]["S"] != conversation_pk(conversation_id):
                raise InvalidCursor
            query["ExclusiveStartKey"] = start
        with unavailable_as(ConversationsUnavailable):
            response = self._db.query(**query)
        messages = [message_from_item(item) for item in response.get("Items", [])]
        last = response.get("LastEvaluatedKey")
        return list(reversed(messages)), encode_cursor(last) if last else None

    def overdue(self, now: datetime, shard: str, limit: int = 100) -> list[StoredConversation]:
        """Conversations of one by_due shard whose reply was due by `now`."""
        with unavailable_as(ConversationsUnavailable):
            response = self._db.query(
                TableName=self._table,
                IndexName="by_due",
                KeyConditionExpression="due_shard = :s AND seller_reply_due_at <= :now",
                ExpressionAttributeValues={":s": {"S": shard}, ":now": {"S": iso(now)}},
                Limit=limit,
            )
        return [from_item(item) for item in response.get("Items", [])]

    def relay(self, local_part: str) -> tuple[str, Side] | None:
        with unavailable_as(ConversationsUnavailable):
            item = self._db.get_item(TableName=self._table, Key=to_attributes({"pk": f"relay#{local_part}", "sk": "relay"}), ConsistentRead=True).get("Item")
        if not item:
            return None
        plain = from_attributes(item)
        return plain["conversation_id"], Side(plain["stands_for"])

    def seller_stats(self, seller_id: str) -> ReplyStats:
        with unavailable_as(ConversationsUnavailable):
            item = self._db.get_item(TableName=self._table, Key=to_attributes(stats_key(seller_id))).get("Item")
        return stats_from_item(from_attributes(item)) if item else ReplyStats()

    # ------------------------------------------------------------ writes

    def save(
        self,
        stored: StoredConversation,
        *,
        expected_version: int,
        message: Message | None = None,
        relay: Sequence[tuple[str, Side]] = (),
        counters: Sequence[Counter] = (),
        idempotent: Idempotent | None = None,
        stats: StatsUpdate | None = None,
        rollups: Sequence[RollupAdd] = (),
    ) -> None:
        """One transaction: the conversation (created when `expected_version` is 0, else only at that version), its
        new message, relay addresses, limit counters, the idempotency record, the seller's counts and the roll-up."""
        conversation = stored.conversation
        labelled: list[tuple[str, dict[str, Any]]] = []
        item = to_item(stored)
        if expected_version == 0:
            put = {"Item": item, "ConditionExpression": "attribute_not_exists(pk)"}
            labelled.append(("conversation_exists", {"Put": {"TableName": self._table, **put}}))
        else:
            put = {
                "Item": item,
                "ConditionExpression": "version = :v",
                "ExpressionAttributeValues": {":v": {"N": str(expected_version)}},
            }
            labelled.append(("concurrent_change", {"Put": {"TableName": self._table, **put}}))
        if message is not None:
            labelled.append(("message", {"Put": {"TableName": self._table, "Item": message_item(conversation.conversation_id, message)}}))
        for local_part, side in relay:
            relay_item = {"pk": f"relay#{local_part}", "sk": "relay", "conversation_id": conversation.conversation_id, "stands_for": side.value}
            labelled.append(("relay_taken", {"Put": {"TableName": self._table, "Item": to_attributes(relay_item), "ConditionExpression": "attribute_not_exists(pk)"}}))
        for counter in counters:
            labelled.append((counter.which, {"Update": {
                "TableName": self._table,
                "Key": to_attributes({"pk": counter.pk, "sk": "rate"}),
                "UpdateExpression": "ADD n :one SET expires_at = :e",
                "ConditionExpression": "attribute_not_exists(n) OR n < :limit",
                "ExpressionAttributeValues": to_attributes({":one": 1, ":limit": counter.limit, ":e": counter.expires_at}),
            }}))
        if idempotent is not None:
            record = {"pk": idempotent.pk, "sk": "idempotency", "request_hash": idempotent.request_hash, "status": idempotent.status,
                      "body": idempotent.body, "expires_at": idempotent.expires_at}
            labelled.append(("idempotency_key_taken", {"Put": {"TableName": self._table, "Item": to_attributes(record), "ConditionExpression": "attribute_not_exists(pk)"}}))
        if stats is not None:
            for key in ({"pk": f"stats#{stats.seller_id}", "sk": f"day#{stats.day}"}, stats_key(stats.seller_id)):
                names = {f"#c{i}": name for i, name in enumerate(stats.counts)}
                values = {f":c{i}": value for i, value in enumerate(stats.counts.values())}
                labelled.append(("stats", {"Update": {
                    "TableName": self._table,
                    "Key": to_attributes(key),
                    "UpdateExpression": "ADD " + ", ".join(f"#c{i} :c{i}" for i in range(len(names))) + (" SET expires_at = :e" if key["sk"] != "summary" else ""),
                    "ExpressionAttributeNames": names,
                    "ExpressionAttributeValues": to_attributes({**values, **({":e": stats.expires_at} if key["sk"] != "summary" else {})}),
                }}))
        for rollup in rollups:
            labelled.append(("rollup", {"Update": rollup_update(self._table, rollup)}))
        self._transact(labelled)

    def add_rollups(self, rollups: Sequence[RollupAdd]) -> None:
        """Roll-up updates on their own (a purged conversation leaves its state's gauge)."""
        with unavailable_as(ConversationsUnavailable):
            for rollup in rollups:
                self._db.update_item(**rollup_update(self._table, rollup))

    def _transact(self, labelled: list[tuple[str, dict[str, Any]]]) -> None:
        try:
            self._db.transact_write_items(TransactItems=[item for _, item in labelled])
        except ClientError as exc:
            reasons = exc.response.get("CancellationReasons") or []
            for (label, _), reason in zip(labelled, reasons, strict=False):
                if reason.get("Code") == "ConditionalCheckFailed":
                    raise WriteRefused(label) from None
            raise ConversationsUnavailable(error_code(exc)) from exc
        except BotoCoreError as exc:
            raise ConversationsUnavailable(str(exc)) from exc

    def purge(self, conversation_id: str) -> int:
        """Delete every item of a conversation (its messages, its relay addresses, the conversation last)."""
        stored = self.get(conversation_id)
        keys: list[dict[str, str]] = []
        for page in self._partition_keys(conversation_pk(conversation_id)):
            keys += [key for key in page if key["sk"] != CONVERSATION_SK]
        if stored is not None:
            for address in (stored.conversation.relay_address, stored.buyer_mask):
                if address:
                    keys.append({"pk": f"relay#{address.partition('@')[0]}", "sk": "relay"})
        keys.append({"pk": conversation_pk(conversation_id), "sk": CONVERSATION_SK})
        return self._delete_keys(keys)

    def delete_expired(self, expired: ExpiredConversation) -> int:
        """Delete what TTL left of an expired conversation: its messages up to its last one and its relay addresses.

        Idempotent (deleting what is gone is a no-op), and safe when the pair has started again since TTL removed the
        conversation item: that conversation's messages are later than `last_message_at` and its relay addresses are
        new ones, so neither is touched. ConversationsUnavailable when DynamoDB does not take every delete."""
        pk = conversation_pk(expired.conversation_id)
        upto = f"{MESSAGE_PREFIX}{iso(expired.last_message_at)}#~"  # "~" sorts after every message id (hex)
        deleted = 0
        for page in self._partition_keys(pk, (MESSAGE_PREFIX, upto)):
            deleted += self._delete_keys(page)
        return deleted + self._delete_keys([{"pk": f"relay#{part}", "sk": "relay"} for part in expired.relay_local_parts])

    def _delete_keys(self, keys: Sequence[dict[str, str]], attempts: int = 6) -> int:
        """BatchWriteItem deletes, 25 a call; what DynamoDB leaves unprocessed is sent again with a growing pause,
        and what is still left raises ConversationsUnavailable (the caller's retry runs the whole, idempotent, again)."""
        for start in range(0, len(keys), 25):
            request = {self._table: [{"DeleteRequest": {"Key": to_attributes(key)}} for key in keys[start : start + 25]]}
            for attempt in range(attempts):
                if attempt:
                    time.sleep(min(1.0, 0.05 * 2**attempt))
                with unavailable_as(ConversationsUnavailable):
                    response = self._db.batch_write_item(RequestItems=request)
                request = response.get("UnprocessedItems") or {}
                if not request:
                    break
            else:
                raise ConversationsUnavailable("unprocessed deletes")
        return len(keys)

    def _partition_keys(self, pk: str, between: tuple[str, str] | None = None) -> Iterator[list[dict[str, str]]]:
        """The keys of a partition, a page at a time (only sort keys in `between`, both ends included, if given)."""
        query: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": pk}},
            "ProjectionExpression": "pk, sk",
        }
        if between is not None:
            query["KeyConditionExpression"] += " AND sk BETWEEN :first AND :last"
            query["ExpressionAttributeValues"].update({":first": {"S": between[0]}, ":last": {"S": between[1]}})
        while True:
            with unavailable_as(ConversationsUnavailable):
                response = self._db.query(**query)
            yield [{"pk": item["pk"]["S"], "sk": item["sk"]["S"]} for item in response.get("Items", [])]
            if not response.get("LastEvaluatedKey"):
                return
            query["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    # ------------------------------------------------------------ the outbox

    def queue_mail(self, raw: bytes, created_at: datetime, mail_id: str) -> None:
        item = {"pk": OUTBOX_PK, "sk": f"{iso(created_at)}#{mail_id}", "raw": raw, "attempts": 0,
                "expires_at": int(created_at.timestamp()) + 14 * 86400}
        with unavailable_as(ConversationsUnavailable):
            self._db.put_item(TableName=self._table, Item=to_attributes(item))

    def queued_mail(self, limit: int = 25) -> list[tuple[str, bytes]]:
        with unavailable_as(ConversationsUnavailable):
            response = self._db.query(
                TableName=self._table, KeyConditionExpression="pk = :pk",
                ExpressionAttributeValues={":pk": {"S": OUTBOX_PK}}, Limit=limit, ConsistentRead=True,
            )
        return [(item["sk"]["S"], bytes(item["raw"]["B"])) for item in response.get("Items", [])]

    def mail_sent(self, sort_key: str) -> None:
        with unavailable_as(ConversationsUnavailable):
            self._db.delete_item(TableName=self._table, Key=to_attributes({"pk": OUTBOX_PK, "sk": sort_key}))


def rollup_update(table: str, rollup: RollupAdd) -> dict[str, Any]:
    names = {f"#c{i}": name for i, name in enumerate(rollup.counts)}
    values: dict[str, Any] = {f":c{i}": value for i, value in enumerate(rollup.counts.values())}
    expression = "ADD " + ", ".join(f"#c{i} :c{i}" for i in range(len(names)))
    if rollup.expires_at is not None:
        expression += " SET expires_at = if_not_exists(expires_at, :e)"
        values[":e"] = rollup.expires_at
    return {
        "TableName": table,
        "Key": to_attributes({"pk": rollup.pk, "sk": rollup.sk}),
        "UpdateExpression": expression,
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": to_attributes(values),
    }


def stats_key(seller_id: str) -> dict[str, str]:
    """The seller's rolling reply summary: the resolution reads it in its BatchGetItem (contacts/tally.py)."""
    return {"pk": f"stats#{seller_id}", "sk": "summary"}

"""The `conversation_retention` Lambda's work: DynamoDB's TTL removed an expired conversation item (180 days after its
last message); delete its messages and relay addresses (docs/conversations.md, "Retention").

The event source mapping passes on only TTL removals of conversation items (FilterCriteria, infra/resources.json);
the same test is made here, so any other record (a local invocation, a filter edited by hand) is skipped. The first
record whose deletes fail is reported by its sequence number (ReportBatchItemFailures): the event source retries
from it (every record is idempotent), then hands the batch's place in the stream to its on-failure queue, alarmed.
Logs carry ids and counts only.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, Protocol

from chalicelib.conversations.records import CONVERSATION_SK, parse_time
from chalicelib.conversations.rules import ExpiredConversation
from chalicelib.shared.dynamo import from_attributes
from chalicelib.shared.logs import log

TTL_PRINCIPAL = "dynamodb.amazonaws.com"
PK_PREFIX = "conversation#"


class ExpiredDeleter(Protocol):
    def delete_expired(self, expired: ExpiredConversation) -> int:
        """Delete the expired conversation's messages and relay addresses; how many keys were deleted."""
        ...


class NotAnImage(ValueError):
    """A TTL removal without the old image (the stream's view type must include it): nothing says what to delete."""


def is_ttl_removal(record: dict[str, Any]) -> bool:
    """DynamoDB's TTL process deleted the item (not a person or a program: their deletes carry no userIdentity)."""
    identity = record.get("userIdentity") or {}
    return record.get("eventName") == "REMOVE" and identity.get("type") == "Service" and identity.get("principalId") == TTL_PRINCIPAL


def expired_conversation(record: dict[str, Any]) -> ExpiredConversation | None:
    """The conversation a stream record says TTL removed; None for any other record."""
    if not is_ttl_removal(record):
        return None
    stream = record.get("dynamodb") or {}
    keys = stream.get("Keys") or {}
    pk, sk = keys.get("pk", {}).get("S", ""), keys.get("sk", {}).get("S", "")
    if sk != CONVERSATION_SK or not pk.startswith(PK_PREFIX):
        return None
    image = from_attributes(stream.get("OldImage") or {})
    if "last_message_at" not in image:
        raise NotAnImage(pk.removeprefix(PK_PREFIX))
    addresses = (image.get("relay_address"), image.get("buyer_mask"))
    return ExpiredConversation(
        conversation_id=pk.removeprefix(PK_PREFIX),
        last_message_at=parse_time(image["last_message_at"]),
        relay_local_parts=tuple(address.partition("@")[0] for address in addresses if address),
    )


def delete_expired_conversations(records: Sequence[dict[str, Any]], store: ExpiredDeleter) -> dict[str, list[dict[str, str]]]:
    """One batch of stream records, in order; `batchItemFailures` names the first that failed (the rest follow it)."""
    for record in records:
        expired: ExpiredConversation | None = None
        try:
            expired = expired_conversation(record)
            if expired is None:
                continue
            deleted = store.delete_expired(expired)
        except Exception as exc:  # noqa: BLE001 - whatever failed, the record is retried, then kept on the failure queue
            log(logging.ERROR, "conversation_retention_failed", error=type(exc).__name__,
                conversation_id=expired.conversation_id if expired else None)
            return {"batchItemFailures": [{"itemIdentifier": record["dynamodb"]["SequenceNumber"]}]}
        log(logging.INFO, "conversation_expired", conversation_id=expired.conversation_id, deleted=deleted)
    return {"batchItemFailures": []}

"""What the conversations store reads and writes, as plain values: the use cases and the store share them. Pure."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from chalicelib.conversations.rules import ReplyClock
from chalicelib.models.conversations import Conversation
from chalicelib.shared.errors import StoreUnavailable


class ConversationsUnavailable(StoreUnavailable):
    code = "conversations_unavailable"
    public_message = "Conversations are unavailable right now; retry shortly."


class InvalidCursor(ValueError):
    """A cursor this store did not write."""


class WriteRefused(Exception):
    """A transaction's condition failed: `which` names the item (conversation_exists, concurrent_change,
    conversations_limit, messages_limit, idempotency_key_taken)."""

    def __init__(self, which: str) -> None:
        super().__init__(which)
        self.which = which


def iso(moment: datetime) -> str:
    """Fixed-width UTC with microseconds: sorts as time does (keys and the GSIs' range keys)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def conversation_pk(conversation_id: str) -> str:
    return f"conversation#{conversation_id}"


CONVERSATION_SK = "conversation"  # the conversation item's sort key (its messages share its partition)


@dataclass(frozen=True)
class StoredConversation:
    conversation: Conversation
    clock: ReplyClock = field(default_factory=ReplyClock)
    version: int = 0  # 0: not stored yet
    buyer_email: str | None = None  # the buyer's verified address, only while the relay is used
    buyer_mask: str | None = None  # the relay address that stands for the buyer (the seller writes to it)
    order_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class Idempotent:
    """A message-creating POST's first answer, kept 24 h under the caller's key."""

    pk: str
    request_hash: str
    status: int = 0
    body: str = ""
    expires_at: int = 0


@dataclass(frozen=True)
class Counter:
    """A limit counter to add one to, only while under `limit`."""

    pk: str
    limit: int
    expires_at: int
    which: str  # conversations_limit | messages_limit


@dataclass(frozen=True)
class StatsUpdate:
    seller_id: str
    day: str
    counts: dict[str, int]
    expires_at: int


@dataclass
class Reads:
    """What one BatchGetItem brought back."""

    stored: StoredConversation | None = None
    idempotent: Idempotent | None = None
    counters: dict[str, int] = field(default_factory=dict)

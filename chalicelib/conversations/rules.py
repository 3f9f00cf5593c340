"""The conversation's rules: its id, who may read and post, status transitions, the seller's reply clock, the
reply-time histogram and the limit windows. Pure: no I/O, no clock (`now` is passed in)."""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Final

from chalicelib.models.common import Caller, Role, Topic
from chalicelib.models.conversations import AuthorRole, Conversation, ConversationStatus

RETENTION: Final = timedelta(days=180)
MESSAGES_PER_HOUR_PER_SIDE: Final = 30
DUE_SHARDS: Final = 10
MAX_ORDER_IDS: Final = 50  # the conversation's own order numbers kept for the redactor (never phones)
MEASURED_AFTER_REPLIES: Final = 5
# Upper bounds (hours) of the reply-time histogram buckets; the last one is open.
REPLY_BUCKETS_HOURS: Final = (1, 2, 4, 8, 12, 24, 48, 72, 168)


class Access(StrEnum):
    BUYER = "buyer"
    SELLER = "seller"
    SUPPORT = "support"
    ADMIN = "admin"


class RuleViolation(Exception):
    """A request the conversation's state does not allow (409 with `code`)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def conversation_id(key: str, buyer_id: str, seller_id: str) -> str:
    """One id per buyer and seller: 26 base32 characters (130 bits) of a keyed hash of the pair, unguessable without
    the key (so an id names no one)."""
    digest = hmac.new(key.encode(), f"{buyer_id}\x00{seller_id}".encode(), hashlib.sha256).digest()
    return base64.b32encode(digest).decode("ascii")[:26].lower()


def access(caller: Caller, conversation: Conversation) -> Access | None:
    """How `caller` reaches `conversation`: as a party, as support or admin; None for anyone else (a 404)."""
    if caller.role is Role.BUYER and caller.sub == conversation.buyer_id:
        return Access.BUYER
    if caller.role is Role.SELLER and caller.seller_id == conversation.seller_id:
        return Access.SELLER
    if caller.role is Role.SUPPORT:
        return Access.SUPPORT
    if caller.role is Role.ADMIN:
        return Access.ADMIN
    return None


def author_role(reached_as: Access) -> AuthorRole:
    """Who posts: the parties and support; an admin reads only (RuleViolation `wrong_role`)."""
    if reached_as is Access.ADMIN:
        raise RuleViolation("wrong_role", "Admins read conversations; the parties and support post.")
    return AuthorRole(reached_as.value)


def escalated_shard(conversation_id_: str) -> str:
    """The by_escalated index's partition (its roll-up shard): the console reads each one's oldest escalation."""
    return escalated_partition(rollup_shard(conversation_id_))


def escalated_partition(shard: int) -> str:
    return f"escalated#{shard}"


def due_shard(conversation_id_: str) -> str:
    """The by_due index's partition: ten shards, so no partition is hot; the sweep queries each one."""
    return f"due#{int(hashlib.sha256(conversation_id_.encode()).hexdigest(), 16) % DUE_SHARDS}"


@dataclass(frozen=True)
class ReplyClock:
    """When the buyer's unanswered message arrived (`waiting_since`) and when the seller's reply is due."""

    waiting_since: datetime | None = None
    due_at: datetime | None = None


@dataclass(frozen=True)
class Posted:
    """What a message does to the conversation."""

    conversation: Conversation
    clock: ReplyClock
    reopened: bool = False
    reply_seconds: float | None = None  # a seller's answer to a waiting buyer: how long the buyer waited
    on_time: bool | None = None
    escalated: bool = False  # this message handed the conversation to support (the seller is restricted)


def post(
    conversation: Conversation, clock: ReplyClock, author: AuthorRole, now: datetime, reply_hours: int,
    topic: Topic | None = None, order_id: str | None = None, seller_restricted: bool = False,
) -> Posted:
    """The conversation after a message by `author` at `now`.

    A buyer's message waits for the seller (a closed conversation reopens) and starts the reply clock unless it is
    already running; the seller's answer stops it (and is timed). Support answers an escalated conversation, which
    stays with support until it is closed; nobody but the buyer writes to a closed one.

    While the platform restricts the seller (`seller_restricted`), the seller may not post (RuleViolation
    `seller_restricted`) and a buyer's message escalates the conversation to support instead of waiting for them."""
    status = conversation.status
    update: dict[str, object] = {"last_message_at": now}
    if author is AuthorRole.BUYER:
        update.update(topic=topic or conversation.topic, order_id=order_id if order_id is not None else conversation.order_id)
        if status is ConversationStatus.ESCALATED:
            return Posted(conversation.model_copy(update=update), clock)
        if seller_restricted:  # the seller cannot answer: support does, and no reply clock runs against the seller
            update.update(status=ConversationStatus.ESCALATED, seller_reply_due_at=None, escalated_at=now)
            return Posted(conversation.model_copy(update=update), ReplyClock(), reopened=status is ConversationStatus.CLOSED, escalated=True)
        if clock.waiting_since is None or status is not ConversationStatus.WAITING_SELLER:
            clock = ReplyClock(now, now + timedelta(hours=reply_hours))
        update.update(status=ConversationStatus.WAITING_SELLER, seller_reply_due_at=clock.due_at)
        return Posted(conversation.model_copy(update=update), clock, reopened=status is ConversationStatus.CLOSED)
    if status is ConversationStatus.CLOSED:
        raise RuleViolation("conversation_closed", "The conversation is closed; the buyer can reopen it.")
    if author is AuthorRole.SELLER and seller_restricted:
        raise RuleViolation("seller_restricted", "The platform restricts this seller: support answers their conversations for now.")
    if author is AuthorRole.SELLER:
        if status is ConversationStatus.ESCALATED:
            return Posted(conversation.model_copy(update=update), clock)
        reply_seconds = on_time = None
        if status is ConversationStatus.WAITING_SELLER and clock.waiting_since is not None:
            reply_seconds = max(0.0, (now - clock.waiting_since).total_seconds())
            on_time = clock.due_at is None or now <= clock.due_at
        update.update(status=ConversationStatus.WAITING_BUYER, seller_reply_due_at=None)
        return Posted(conversation.model_copy(update=update), ReplyClock(), reply_seconds=reply_seconds, on_time=on_time)
    # support: takes over (an escalated conversation stays escalated; otherwise it now waits for the buyer)
    if status is not ConversationStatus.ESCALATED:
        update.update(status=ConversationStatus.WAITING_BUYER, seller_reply_due_at=None)
        return Posted(conversation.model_copy(update=update), ReplyClock())
    return Posted(conversation.model_copy(update=update), clock)


def escalate(conversation: Conversation, now: datetime) -> Conversation:
    """To support at `now` (kept while it stays escalated: the console's oldest escalated age counts from it)."""
    if conversation.status is ConversationStatus.CLOSED:
        raise RuleViolation("conversation_closed", "A closed conversation cannot be escalated; write in it to reopen it.")
    if conversation.status is ConversationStatus.ESCALATED:
        return conversation
    return conversation.model_copy(update={"status": ConversationStatus.ESCALATED, "seller_reply_due_at": None, "escalated_at": now})


def close(conversation: Conversation) -> Conversation:
    return conversation.model_copy(update={"status": ConversationStatus.CLOSED, "seller_reply_due_at": None, "escalated_at": None})


def reopen(conversation: Conversation, topic: Topic, order_id: str | None) -> Conversation:
    """A closed conversation started again without a message: waits for the buyer (no reply clock).

    `last_message_at` stays the last message's time: retention counts 180 days from it, and a reopening is no message
    (a reopening with `text` posts one, which moves it as any message does)."""
    return replace_fields(conversation, status=ConversationStatus.WAITING_BUYER, topic=topic, order_id=order_id)


def replace_fields(conversation: Conversation, **fields: object) -> Conversation:
    return conversation.model_copy(update=fields)


def overdue(conversation: Conversation, now: datetime) -> bool:
    due = conversation.seller_reply_due_at
    return conversation.status is ConversationStatus.WAITING_SELLER and due is not None and due <= now


def expires_at(last_message_at: datetime) -> int:
    """Epoch seconds when the conversation expires: 180 days after its last message (the conversation item's TTL,
    rewritten by every message's transaction; its messages follow it, docs/conversations.md "Retention")."""
    return int((last_message_at + RETENTION).timestamp())


def expired(last_message_at: datetime, now: datetime) -> bool:
    """Past its retention: gone for every reader from this moment, whenever TTL gets to the item."""
    return expires_at(last_message_at) <= now.timestamp()


@dataclass(frozen=True)
class ExpiredConversation:
    """What deleting an expired conversation's messages needs: its id, the last message it had (messages after it
    belong to a conversation of the same pair started since) and its relay addresses' local parts."""

    conversation_id: str
    last_message_at: datetime
    relay_local_parts: tuple[str, ...] = ()


def hour_window(now: datetime) -> str:
    return now.astimezone(UTC).strftime("%Y-%m-%dT%H")


def day_window(now: datetime) -> str:
    return now.astimezone(UTC).strftime("%Y-%m-%d")


def seconds_to_next_hour(now: datetime) -> int:
    utc = now.astimezone(UTC)
    return max(1, int((utc.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1) - utc).total_seconds() + 0.999))


def seconds_to_next_day(now: datetime) -> int:
    utc = now.astimezone(UTC)
    return max(1, int((utc.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1) - utc).total_seconds() + 0.999))


def rate_limit_headers(policy_name: str, limit: int, used: int, window_seconds: int, reset_seconds: int) -> dict[str, str]:
    """RateLimit-Policy and RateLimit (IETF httpapi draft), as the reveal limit sends them (contacts/limits.py)."""
    return {
        "RateLimit-Policy": f'"{policy_name}";q={limit};w={window_seconds}',
        "RateLimit": f'"{policy_name}";r={max(0, limit - used)};t={reset_seconds}',
    }


def reply_bucket(seconds: float) -> str:
    """The histogram bucket of a reply time: `le_<h>h`, or `gt_168h`."""
    for hours in REPLY_BUCKETS_HOURS:
        if seconds <= hours * 3600:
            return f"le_{hours}h"
    return f"gt_{REPLY_BUCKETS_HOURS[-1]}h"


@dataclass(frozen=True)
class ReplyStats:
    """A seller's reply counts (the `summary` item): replies, replies on time, redactions and the histogram."""

    replies: int = 0
    replies_on_time: int = 0
    redactions: int = 0
    buckets: tuple[tuple[str, int], ...] = ()

    def median_hours(self) -> int | None:
        """The histogram's median as its bucket's upper bound (hours); None below MEASURED_AFTER_REPLIES replies."""
        total = sum(count for _, count in self.buckets)
        if self.replies < MEASURED_AFTER_REPLIES or total == 0:
            return None
        counts = dict(self.buckets)
        seen = 0
        for hours in REPLY_BUCKETS_HOURS:
            seen += counts.get(f"le_{hours}h", 0)
            if seen * 2 >= total:
                return hours
        return REPLY_BUCKETS_HOURS[-1]


def stats_from_item(item: dict[str, object]) -> ReplyStats:
    """ReplyStats from a plain (deserialised) summary item; unknown or malformed counts read as 0."""

    def count(name: str) -> int:
        value = item.get(name, 0)
        return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0

    names = [f"le_{hours}h" for hours in REPLY_BUCKETS_HOURS] + [f"gt_{REPLY_BUCKETS_HOURS[-1]}h"]
    return ReplyStats(
        replies=count("replies"), replies_on_time=count("replies_on_time"), redactions=count("redactions"),
        buckets=tuple((name, count(f"bucket_{name}")) for name in names),
    )



# ---------------------------------------------------------------- the daily roll-up (the console's figures)
#
#   rollup#day#<date>#<nn> / totals     what happened that UTC day: started, reopened, escalated, reply_overdue, closed,
#                                       messages, messages_redacted, removed_<kind> (nn: the conversation's shard)
#   rollup#gauges#<nn> / gauges         how many conversations are in each open state now: state_<status>
#   rollup#hours#<date>#<nn> / hours    conversations waiting for the seller now, by the hour their reply is due
#                                       (due_h<HH>) and the hour the buyer began waiting (waiting_h<HH>)
#
# Each is an ADD in the transaction that changes the conversation, so a figure moves exactly when the conversation
# does; readers fetch known keys (BatchGetItem), never a scan. By conversation, 8 shards keep every item cool.
ROLLUP_SHARDS: Final = 8
COUNTED_STATES: Final = frozenset({ConversationStatus.WAITING_SELLER, ConversationStatus.WAITING_BUYER, ConversationStatus.ESCALATED})
ROLLUP_DAYS_KEPT: Final = 400
HOURS_DAYS_KEPT: Final = 30


@dataclass(frozen=True)
class RollupAdd:
    """Counters to add (negative: take away) to one roll-up item; `expires_at` None: kept (the gauges)."""

    pk: str
    sk: str
    counts: dict[str, int]
    expires_at: int | None


def rollup_shard(conversation_id_: str) -> int:
    return int(hashlib.sha256(conversation_id_.encode()).hexdigest(), 16) % ROLLUP_SHARDS


def day_totals_key(day: str, shard: int) -> tuple[str, str]:
    return f"rollup#day#{day}#{shard:02d}", "totals"


def gauges_key(shard: int) -> tuple[str, str]:
    return f"rollup#gauges#{shard:02d}", "gauges"


def hours_key(day: str, shard: int) -> tuple[str, str]:
    return f"rollup#hours#{day}#{shard:02d}", "hours"


def _marks(conversation: Conversation | None, clock: ReplyClock | None) -> dict[tuple[str, str, str], int]:
    """What one conversation contributes to the gauges and the hour buckets: (kind, day, counter) -> 1."""
    if conversation is None or conversation.status not in COUNTED_STATES:
        return {}
    marks = {("gauge", "", f"state_{conversation.status.value}"): 1}
    if conversation.status is ConversationStatus.WAITING_SELLER:
        if conversation.seller_reply_due_at is not None:
            due = conversation.seller_reply_due_at.astimezone(UTC)
            marks[("hours", due.strftime("%Y-%m-%d"), f"due_h{due:%H}")] = 1
        if clock is not None and clock.waiting_since is not None:
            since = clock.waiting_since.astimezone(UTC)
            marks[("hours", since.strftime("%Y-%m-%d"), f"waiting_h{since:%H}")] = 1
    return marks


def rollup_changes(
    conversation_id_: str,
    before: tuple[Conversation, ReplyClock] | None,
    after: tuple[Conversation, ReplyClock],
    now: datetime,
    day_counts: dict[str, int],
) -> list[RollupAdd]:
    """The roll-up updates of one change of a conversation: the state it left and entered, and `day_counts`."""
    shard = rollup_shard(conversation_id_)
    delta: dict[tuple[str, str, str], int] = dict(_marks(*after))
    for mark, count in _marks(*(before or (None, None))).items():
        delta[mark] = delta.get(mark, 0) - count
    grouped: dict[tuple[str, str], RollupAdd] = {}

    def add(key: tuple[str, str], counter: str, count: int, expires: int | None) -> None:
        item = grouped.setdefault(key, RollupAdd(key[0], key[1], {}, expires))
        item.counts[counter] = item.counts.get(counter, 0) + count

    for (kind, day, counter), count in delta.items():
        if count == 0:
            continue
        if kind == "gauge":
            add(gauges_key(shard), counter, count, None)
        else:
            add(hours_key(day, shard), counter, count, int((datetime.fromisoformat(day).replace(tzinfo=UTC) + timedelta(days=HOURS_DAYS_KEPT)).timestamp()))
    today = now.astimezone(UTC).strftime("%Y-%m-%d")
    for counter, count in day_counts.items():
        if count:
            add(day_totals_key(today, shard), counter, count, int((now + timedelta(days=ROLLUP_DAYS_KEPT)).timestamp()))
    return list(grouped.values())


def message_day_counts(removed_kinds: list[str]) -> dict[str, int]:
    """A stored message's part of its day: counted, and what the contact filter removed from it."""
    counts = {"messages": 1}
    if removed_kinds:
        counts["messages_redacted"] = 1
        for kind in removed_kinds:
            counts[f"removed_{kind}"] = 1
    return counts

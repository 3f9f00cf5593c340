"""The console's read side: stored requests, the daily figures, deflection, a seller's history and replies, queues.

Support and admin only (each method checks the caller again); the clock is passed in (`clock`). Every
figure is summed from daily roll-up items that the ingest (support/store.py) and the conversation code
(conversations/rules.py) write with each change.
"""

from __future__ import annotations

import base64
import binascii
import logging
import re
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol

from pydantic import ValidationError

from chalicelib.conversations.rules import MEASURED_AFTER_REPLIES, ReplyStats, stats_from_item
from chalicelib.models.common import MAX_OPS_DAYS, Caller, Channel, Topic
from chalicelib.models.conversations import RedactedKind
from chalicelib.models.operations import (
    ConversationDay,
    ConversationsNow,
    DayTotals,
    DeflectionResponse,
    QueueDepth,
    QueuesResponse,
    ReplyShare,
    RequestOutcome,
    RequestPage,
    RequestRow,
    SellerReplies,
    SettingsChange,
    SettingsHistoryPage,
    StatsResponse,
    TopicDay,
    WeakAnswer,
)
from chalicelib.shared.auth import OPS_READERS, QUEUE_READERS, require_role
from chalicelib.shared.errors import BadRequest, StoreUnavailable
from chalicelib.shared.logs import log
from chalicelib.support.keys import topic_counter

REQUEST_DAYS_KEPT = 90  # support/store.py REQUEST_TTL: older requests are gone
AT_RISK_HOURS = 4
# A buyer waits for the seller at most the longest reply time a seller may promise (then the sweep escalates):
# the hour buckets of these days hold every conversation waiting now.
WAITING_DAYS = 8
KNOWN_TOPICS = tuple(topic.value for topic in Topic)
KNOWN_CHANNELS = tuple(channel.value for channel in Channel)
OUTCOMES = ("answered", "not_answered", "channel_chosen")
REQUEST_FIGURES = ("requests", "buyer_requests", "support_lookups", "degraded", "no_channel", "unknown_seller", "reveals", "reveals_withheld")
CONVERSATION_FIGURES = ("started", "reopened", "escalated", "reply_overdue", "closed", "messages", "messages_redacted")
DLQ_COMMANDS = ["contact-support dlq", "contact-support dlq --redrive", "contact-support dlq --discard"]
_CURSOR = re.compile(r"(|[0-9]{4}-[0-9]{2}-[0-9]{2})\|([0-9A-Za-z:.+#_-]{0,160})")


class SupportFigures(Protocol):
    def requests_of_day(self, start: Any, topic: str | None, limit: int) -> Any: ...
    def requests_of_seller(self, seller_id: str, day: date | None, before: str | None, topic: str | None, limit: int) -> Any: ...
    def day_totals(self, days: list[date]) -> dict[date, list[dict[str, Any]]]: ...
    def answer_totals(self, days: list[date]) -> list[dict[str, Any]]: ...
    def changes_of_seller(self, seller_id: str, before: str | None, limit: int) -> tuple[list[dict[str, Any]], str | None]: ...
    def outcomes_of(self, requests: list[tuple[str, str]]) -> dict[tuple[str, str], dict[str, Any]]: ...


class ConversationFigures(Protocol):
    def day_totals(self, days: list[date]) -> dict[date, list[dict[str, Any]]]: ...
    def gauges(self) -> list[dict[str, Any]]: ...
    def hours(self, days: list[date]) -> dict[date, list[dict[str, Any]]]: ...
    def seller_days(self, seller_id: str, days: list[date]) -> list[dict[str, Any]]: ...
    def oldest_escalated(self, now: datetime) -> datetime | None: ...


class Queues(Protocol):
    def depths(self) -> tuple[dict[str, Any], dict[str, Any]]: ...


class QueueAges(Protocol):
    def oldest_ages(self, queue_names: list[str]) -> dict[str, tuple[int, datetime]]: ...


class PositionValue:
    """A page's end: the day and the sort key of its last item (the store's Position, built here from a cursor)."""

    def __init__(self, day: date | None, before: str | None) -> None:
        self.day = day
        self.before = before


def encode_cursor(day: date | None, before: str | None) -> str:
    text = f"{day.isoformat() if day else ''}|{before or ''}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> PositionValue:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
        match = _CURSOR.fullmatch(text)
        if match is None:
            raise ValueError(text)
        day = date.fromisoformat(match.group(1)) if match.group(1) else None
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise invalid_cursor() from None
    return PositionValue(day, match.group(2) or None)


def invalid_cursor() -> BadRequest:
    return BadRequest("cursor must be the next_cursor of the page before.", {"field": "cursor"}, code="invalid_cursor")


def sum_counters(items: Iterable[dict[str, Any]]) -> Counter[str]:
    """Roll-up shards added up: numbers only (keys, labels and expires_at left out)."""
    total: Counter[str] = Counter()
    for item in items:
        for name, value in item.items():
            if name != "expires_at" and isinstance(value, int) and not isinstance(value, bool):
                total[name] += value
    return total


def window(today: date, days: int) -> list[date]:
    """Today and the days before it, newest first."""
    if not 1 <= days <= MAX_OPS_DAYS:
        raise BadRequest(f"days must be from 1 to {MAX_OPS_DAYS}.", {"field": "days"}, code="invalid_days")
    return [today - timedelta(days=n) for n in range(days)]


class OperationsService:
    def __init__(
        self, support: SupportFigures, conversations: ConversationFigures, queues: Queues, clock: Callable[[], datetime],
        queue_ages: QueueAges | None = None,
    ) -> None:
        self._support = support
        self._conversations = conversations
        self._queues = queues
        self._clock = clock
        self._queue_ages = queue_ages

    def requests(
        self, caller: Caller, *, seller_id: str | None = None, topic: str | None = None,
        day: date | None = None, cursor: str | None = None, limit: int = 50,
    ) -> RequestPage:
        """Newest first: one UTC day per page (or a seller's requests of every day kept), with a cursor to older ones."""
        require_role(caller, OPS_READERS)
        today = self._clock().astimezone(UTC).date()
        oldest = today - timedelta(days=REQUEST_DAYS_KEPT)
        if day is not None and not oldest <= day <= today:
            raise BadRequest(
                f"day must be within the {REQUEST_DAYS_KEPT} days requests are kept, up to today (UTC).",
                {"field": "day", "oldest": oldest.isoformat()}, code="invalid_day",
            )
        start = decode_cursor(cursor) if cursor else PositionValue(day, None)
        if seller_id is not None:
            found = self._support.requests_of_seller(seller_id, day, start.before, topic, limit)
        else:
            start = PositionValue(start.day or day or today, start.before)
            if start.day is None or not oldest <= start.day <= today or (day is not None and start.day != day):
                raise invalid_cursor()
            found = self._support.requests_of_day(start, topic, limit)
            if day is not None and found.next is not None and found.next.day != day:
                found.next = None  # filtered by day: the page ends with the day
            elif found.next is not None and found.next.day is not None and found.next.day < oldest:
                found.next = None
        next_cursor = encode_cursor(found.next.day, found.next.before) if found.next is not None else None
        pairs = [(str(item["request_id"]), str(item["seller_id"])) for item in found.items if item.get("request_id") and item.get("seller_id")]
        outcomes = self._support.outcomes_of(pairs) if pairs else {}
        rows = [_row(item, outcomes.get((str(item.get("request_id")), str(item.get("seller_id"))))) for item in found.items]
        return RequestPage(items=rows, day=found.day, next_cursor=next_cursor)

    def stats(self, caller: Caller, days: int) -> StatsResponse:
        require_role(caller, OPS_READERS)
        now = self._clock()
        dates = window(now.astimezone(UTC).date(), days)
        per_day = {day: sum_counters(items) for day, items in self._support.day_totals(dates).items()}
        conversation_days = {day: sum_counters(items) for day, items in self._conversations.day_totals(dates).items()}
        return StatsResponse(
            days=days,
            totals=_day_totals(dates[-1], sum(per_day.values(), Counter())),
            per_day=[_day_totals(day, per_day.get(day, Counter())) for day in dates],
            conversations=self._conversations_now(now),
            conversation_totals=_conversation_day(dates[-1], sum(conversation_days.values(), Counter())),
            conversations_per_day=[_conversation_day(day, conversation_days.get(day, Counter())) for day in dates],
        )

    def _conversations_now(self, now: datetime) -> ConversationsNow:
        gauges = sum_counters(self._conversations.gauges())
        now = now.astimezone(UTC)
        hour = now.replace(minute=0, second=0, microsecond=0)
        days = [now.date() + timedelta(days=1) - timedelta(days=n) for n in range(WAITING_DAYS + 2)]
        at_risk = past_due = 0
        oldest: datetime | None = None
        for day, items in self._conversations.hours(days).items():
            for name, count in sum_counters(items).items():
                if count <= 0:
                    continue
                kind, _, hh = name.rpartition("_h")
                moment = datetime(day.year, day.month, day.day, int(hh), tzinfo=UTC) if hh.isdigit() else None
                if moment is None:
                    continue
                if kind == "due" and moment < hour:
                    past_due += count
                elif kind == "due" and moment <= hour + timedelta(hours=AT_RISK_HOURS):
                    at_risk += count
                elif kind == "waiting" and (oldest is None or moment < oldest):
                    oldest = moment
        return ConversationsNow(
            waiting_seller=max(0, gauges.get("state_waiting_seller", 0)), waiting_buyer=max(0, gauges.get("state_waiting_buyer", 0)),
            escalated=max(0, gauges.get("state_escalated", 0)), oldest_waiting_seller_since=oldest,
            oldest_escalated_since=self._conversations.oldest_escalated(now),
            replies_at_risk=at_risk, replies_past_due=past_due, at_risk_hours=AT_RISK_HOURS,
        )

    def deflection(self, caller: Caller, days: int, top: int = 10) -> DeflectionResponse:
        require_role(caller, OPS_READERS)
        dates = window(self._clock().astimezone(UTC).date(), days)
        per_day = {day: sum_counters(items) for day, items in self._support.day_totals(dates).items()}
        per_topic_day = [_topic_day(day, topic, per_day.get(day, Counter())) for day in dates for topic in KNOWN_TOPICS]
        summed = sum(per_day.values(), Counter())
        per_topic = [_topic_day(dates[-1], topic, summed) for topic in KNOWN_TOPICS]
        answers: dict[str, Counter[str]] = {}
        for item in self._support.answer_totals(dates):
            answers.setdefault(str(item["sk"]).split("#ANSWER#", 1)[-1], Counter()).update(sum_counters([item]))
        ranked = sorted(answers.items(), key=lambda kv: (-kv[1].get("not_answered", 0), kv[0]))
        weak = [
            WeakAnswer(
                answer_id=answer_id, not_answered=counts.get("not_answered", 0), answered=counts.get("answered", 0),
                not_related=counts.get("reason_not_related", 0),
                related_but_not_answered=counts.get("reason_related_but_not_answered", 0),
            )
            for answer_id, counts in ranked
            if counts.get("not_answered", 0)
        ][:top]
        return DeflectionResponse(days=days, per_topic_day=per_topic_day, per_topic=per_topic, weak_answers=weak)

    def settings_history(self, caller: Caller, seller_id: str, cursor: str | None, limit: int) -> SettingsHistoryPage:
        require_role(caller, OPS_READERS)
        before = None
        if cursor is not None:
            before = decode_cursor(cursor).before
            if before is None or not before.startswith("CHG#"):
                raise invalid_cursor()
        items, last = self._support.changes_of_seller(seller_id, before, limit)
        changes = []
        for item in items:
            try:
                changes.append(SettingsChange.model_validate({**item, "type": item.get("type", "unknown")}))
            except ValidationError:  # an item no model reads any more: shown by its type and time alone
                changes.append(SettingsChange(occurred_at=item["occurred_at"], event_id=str(item.get("event_id", "")), type="unreadable"))
        return SettingsHistoryPage(seller_id=seller_id, items=changes, next_cursor=encode_cursor(None, last) if last else None)

    def seller_replies(self, caller: Caller, seller_id: str) -> SellerReplies:
        require_role(caller, OPS_READERS)
        dates = window(self._clock().astimezone(UTC).date(), 30)
        by_day = {str(item["sk"]).removeprefix("day#"): item for item in self._conversations.seller_days(seller_id, dates)}
        last_7 = {day.isoformat() for day in dates[:7]}
        week = sum_counters(item for day, item in by_day.items() if day in last_7)
        month = sum_counters(by_day.values())
        return SellerReplies(
            seller_id=seller_id, last_7_days=_reply_share(7, week), last_30_days=_reply_share(30, month),
            redactions_30_days=month.get("redactions", 0),
        )

    def queues(self, caller: Caller) -> QueuesResponse:
        require_role(caller, QUEUE_READERS)
        queue, dlq = self._with_age(*(_depth(attributes) for attributes in self._queues.depths()))
        return QueuesResponse(queue=queue, dlq=dlq, commands=DLQ_COMMANDS)

    def _with_age(self, *depths: QueueDepth) -> list[QueueDepth]:
        """The depths with their oldest message's age from CloudWatch; a failed read leaves the depths as they are."""
        try:
            ages = self._queue_ages.oldest_ages([depth.name for depth in depths]) if self._queue_ages is not None else None
        except StoreUnavailable as exc:  # the adapter's OperationsUnavailable: the depth still shows
            log(logging.WARNING, "queue_age_unavailable", error=str(exc))
            ages = None
        return [
            depth.model_copy(update={"oldest_age_seconds": ages[depth.name][0], "oldest_age_measured_at": ages[depth.name][1]})
            if ages is not None and depth.name in ages
            else depth.model_copy(update={"oldest_age_missing": "cloudwatch_unavailable" if ages is None else "no_datapoint"})
            for depth in depths
        ]


def _reply_share(days: int, counts: Counter[str]) -> ReplyShare:
    stats: ReplyStats = stats_from_item(dict(counts))
    return ReplyShare(
        days=days, replies=stats.replies, replies_on_time=stats.replies_on_time,
        on_time_share=round(stats.replies_on_time / stats.replies, 3) if stats.replies else None,
        median_reply_hours=stats.median_hours() if stats.replies >= MEASURED_AFTER_REPLIES else None,
    )


def _rate(answered: int, channel_chosen: int) -> float | None:
    concluded = answered + channel_chosen
    return round(answered / concluded, 3) if concluded else None


def _topic_day(day: date, topic: str, counts: Counter[str]) -> TopicDay:
    answered, chosen = counts.get(topic_counter("answered", topic), 0), counts.get(topic_counter("channel_chosen", topic), 0)
    return TopicDay(
        day=day, topic=topic, requests=counts.get(topic_counter("requests", topic), 0), answered=answered,
        not_answered=counts.get(topic_counter("not_answered", topic), 0), channel_chosen=chosen,
        deflection_rate=_rate(answered, chosen),
    )


def _day_totals(day: date, counts: Counter[str]) -> DayTotals:
    def outcome(measure: str) -> int:
        return sum(counts.get(topic_counter(measure, topic), 0) for topic in KNOWN_TOPICS)

    answered, chosen = outcome("answered"), outcome("channel_chosen")
    return DayTotals(
        day=day,
        **{name: counts.get(name, 0) for name in REQUEST_FIGURES},
        per_primary_channel={channel: counts.get(f"primary_{channel}", 0) for channel in KNOWN_CHANNELS},
        answered=answered, not_answered=outcome("not_answered"), channel_chosen=chosen, deflection_rate=_rate(answered, chosen),
    )


def _conversation_day(day: date, counts: Counter[str]) -> ConversationDay:
    return ConversationDay(
        day=day, **{name: counts.get(name, 0) for name in CONVERSATION_FIGURES},
        removed={kind.value: counts.get(f"removed_{kind.value}", 0) for kind in RedactedKind},
    )


def _row(item: dict[str, Any], outcome_item: dict[str, Any] | None = None) -> RequestRow:
    fields = {name: item.get(name) for name in RequestRow.model_fields if name != "outcome"}  # ours, not a stored field
    fields = {name: value for name, value in fields.items() if value is not None}
    return RequestRow.model_validate(
        {**fields, "event_id": str(item.get("event_id", "")), "topic": str(item.get("topic", "other")), "outcome": latest_outcome(outcome_item)}
    )


def latest_outcome(item: dict[str, Any] | None) -> RequestOutcome | None:
    """The latest of a request's outcomes (one stored per kind), by when the buyer reported it."""
    reported = [
        RequestOutcome(kind=kind, answer_id=detail.get("answer_id"), channel=detail.get("channel"), at=detail["at"])
        for kind in OUTCOMES if isinstance(detail := (item or {}).get(kind), dict) and detail.get("at")
    ]
    return max(reported, key=lambda outcome: outcome.at, default=None)


def _depth(attributes: dict[str, Any]) -> QueueDepth:
    return QueueDepth(
        name=str(attributes.get("url", "")).rsplit("/", 1)[-1],
        visible=int(attributes.get("ApproximateNumberOfMessages", 0)),
        in_flight=int(attributes.get("ApproximateNumberOfMessagesNotVisible", 0)),
        delayed=int(attributes.get("ApproximateNumberOfMessagesDelayed", 0)),
    )

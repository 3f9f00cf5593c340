"""What the support and admin console reads: recent requests, daily figures, deflection, settings history, a seller's
replies, queues.

Every model here is sent, never parsed from a client: stored items are read leniently (a field a newer producer
added, or one an older event lacks, never fails a page), so most fields are plain strings and optional.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import Field

from chalicelib.models.common import Outgoing


class RequestOutcome(Outgoing):
    """How the buyer said the request ended (POST /v1/contact-requests/{request_id}/outcome); the latest if several."""

    kind: str = Field(description="answered, not_answered or channel_chosen.")
    answer_id: str | None = Field(default=None, description="The answer that helped, or did not.")
    channel: str | None = Field(default=None, description="The channel the buyer went on to (channel_chosen).")
    at: datetime


class RequestRow(Outgoing):
    """One contact request as the ingest stored it (ContactRequestEventV1)."""

    occurred_at: datetime
    event_id: str
    request_id: str | None = None
    buyer_id: str | None = None
    seller_id: str
    topic: str
    primary_channel: str | None = None
    offered: list[str] = Field(default_factory=list)
    revealed: list[str] | None = Field(default=None, description="Seller channels whose contact value the buyer got.")
    withheld: list[str] | None = Field(default=None, description="Seller channels the daily reveal limit held back.")
    support_reason: str | None = None
    degraded: bool = False
    caller_role: str | None = Field(default=None, description="buyer, or support for an agent's own lookup.")
    outcome: RequestOutcome | None = Field(default=None, description="How it ended, as the buyer reported; null: not reported.")


class RequestPage(Outgoing):
    """Newest first. A page reads one UTC day; `next_cursor` continues within it, then with the day before."""

    items: list[RequestRow]
    day: date | None = Field(description="The UTC day this page read; null when filtered by seller (every day kept).")
    next_cursor: str | None = Field(default=None, description="Pass as `cursor` for older requests; null: none older.")


class TopicDay(Outgoing):
    """One topic on one UTC day, from the daily roll-up."""

    day: date
    topic: str
    requests: int = 0
    answered: int = Field(default=0, description="Outcomes: an answer helped the buyer.")
    not_answered: int = Field(default=0, description="Outcomes: the buyer said no answer helped.")
    channel_chosen: int = Field(default=0, description="Outcomes: the buyer went on to a channel.")
    deflection_rate: float | None = Field(
        default=None, description="answered / (answered + channel_chosen); null while no outcome was reported."
    )


class DayTotals(Outgoing):
    """All topics on one UTC day, from the daily roll-up."""

    day: date
    requests: int = 0
    buyer_requests: int = 0
    support_lookups: int = 0
    degraded: int = 0
    no_channel: int = Field(default=0, description="Buyers sent to support because the seller offers no channel.")
    unknown_seller: int = 0
    reveals: int = Field(default=0, description="Requests that revealed a seller's e-mail or phone.")
    reveals_withheld: int = Field(default=0, description="Buyer requests whose e-mail or phone the daily reveal limit held back.")
    per_primary_channel: dict[str, int] = Field(default_factory=dict)
    answered: int = 0
    not_answered: int = 0
    channel_chosen: int = 0
    deflection_rate: float | None = None


class ConversationDay(Outgoing):
    """What happened to conversations on one UTC day, from the conversations' daily roll-up."""

    day: date
    started: int = 0
    reopened: int = 0
    escalated: int = Field(default=0, description="By a party, or by the sweep when the seller's reply was overdue.")
    reply_overdue: int = Field(default=0, description="Escalated by the sweep: the seller did not reply in time.")
    closed: int = 0
    messages: int = 0
    messages_redacted: int = Field(default=0, description="Messages the contact filter took something out of.")
    removed: dict[str, int] = Field(default_factory=dict, description="What the filter removed, per kind (email, phone, ...).")


class ConversationsNow(Outgoing):
    """Open conversations now, from the conversations' state gauges (updated with each change)."""

    waiting_seller: int = 0
    waiting_buyer: int = 0
    escalated: int = 0
    oldest_waiting_seller_since: datetime | None = Field(
        default=None, description="When the longest-waiting buyer began waiting (to the hour); null: nobody waits."
    )
    oldest_escalated_since: datetime | None = Field(
        default=None,
        description="When the longest-escalated conversation went to support (the by_escalated index); null: none escalated, "
        "or only ones escalated before the time was recorded.",
    )
    replies_at_risk: int = Field(default=0, description="Waiting for the seller, the reply due within AT_RISK_HOURS.")
    replies_past_due: int = Field(default=0, description="Waiting for the seller past the due hour (the sweep escalates them).")
    at_risk_hours: int = 4


class StatsResponse(Outgoing):
    """Today and the `days - 1` UTC days before it, newest first."""

    days: int
    totals: DayTotals = Field(description="The whole window; `day` is its first day.")
    per_day: list[DayTotals]
    conversations: ConversationsNow
    conversation_totals: ConversationDay = Field(description="Conversations over the whole window; `day` is its first day.")
    conversations_per_day: list[ConversationDay]


class WeakAnswer(Outgoing):
    answer_id: str
    not_answered: int
    answered: int
    not_related: int = 0
    related_but_not_answered: int = 0


class DeflectionResponse(Outgoing):
    """Per topic and day: answered vs went on to a channel; and the answers most often marked not answering."""

    days: int
    per_topic_day: list[TopicDay]
    per_topic: list[TopicDay] = Field(description="The whole window per topic; `day` is its first day.")
    weak_answers: list[WeakAnswer]


class SettingsChange(Outgoing):
    """A settings or restriction change of a seller, as stored by the ingest."""

    occurred_at: datetime
    event_id: str
    type: str
    changed_by: str | None = None
    old_version: int | None = None
    new_version: int | None = None
    changed_channels: list[str] | None = None
    enabled_channels: list[str] | None = None
    old_mode: str | None = None
    new_mode: str | None = None
    note: str | None = None


class SettingsHistoryPage(Outgoing):
    seller_id: str
    items: list[SettingsChange] = Field(description="Newest first.")
    next_cursor: str | None = None


class ReplyShare(Outgoing):
    """A seller's replies to waiting buyers over the last `days` UTC days (today included)."""

    days: int
    replies: int
    replies_on_time: int
    on_time_share: float | None = Field(description="replies_on_time / replies; null without replies.")
    median_reply_hours: int | None = Field(
        description="The reply-time histogram's median bucket (hours); null below the measured minimum of replies."
    )


class SellerReplies(Outgoing):
    seller_id: str
    last_7_days: ReplyShare
    last_30_days: ReplyShare
    redactions_30_days: int = Field(description="The seller's messages the contact filter took something out of.")


class QueueDepth(Outgoing):
    name: str
    visible: int = Field(description="ApproximateNumberOfMessages")
    in_flight: int = Field(description="ApproximateNumberOfMessagesNotVisible")
    delayed: int = Field(description="ApproximateNumberOfMessagesDelayed")
    oldest_age_seconds: int | None = Field(
        default=None, description="CloudWatch's ApproximateAgeOfOldestMessage (the newest datapoint); null: see oldest_age_missing."
    )
    oldest_age_measured_at: datetime | None = Field(default=None, description="The datapoint's time (CloudWatch, 1-minute period).")
    oldest_age_missing: Literal["no_datapoint", "cloudwatch_unavailable"] | None = Field(
        default=None,
        description="Why oldest_age_seconds is null: no_datapoint (no CloudWatch datapoint in the last 15 minutes: SQS publishes "
        "the metric on AWS only, never on the local stack), cloudwatch_unavailable (the read failed; the depth still shows).",
    )


class QueuesResponse(Outgoing):
    queue: QueueDepth
    dlq: QueueDepth
    commands: list[str] = Field(description="What an operator runs, with their own credentials, to act on the DLQ.")

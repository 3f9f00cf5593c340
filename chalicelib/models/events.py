"""Support events on the SQS queue. Schema v1: additive changes only (docs/events.md)."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field

from chalicelib.models.common import Channel, Reason, Role, SellerId, Topic


def new_event_id() -> str:
    return str(uuid.uuid4())


# A full RFC 3339 timestamp with its offset: a date alone, a naive time or epoch seconds would put the event
# into the wrong day bucket.
_TIMESTAMP = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,9})?)?([Zz]|[+-][0-9]{2}:[0-9]{2})")


def _timestamp_with_offset(value: Any) -> Any:
    if isinstance(value, str) and not _TIMESTAMP.fullmatch(value):
        raise ValueError("expected an RFC 3339 timestamp with offset, e.g. 2026-11-26T13:01:20Z")
    if not isinstance(value, str | datetime):
        raise ValueError("expected an RFC 3339 timestamp string")
    return value


# Stored and bucketed in UTC, whatever offset the producer wrote.
Timestamp = Annotated[AwareDatetime, BeforeValidator(_timestamp_with_offset)]


def _in_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


def _the_integer(value: object) -> object:
    """schema_version is the number 1, as the schema says (JSON Schema counts 1.0 as that integer too): not true,
    which Literal[1] would take as 1."""
    if isinstance(value, bool):
        raise ValueError("schema_version must be the integer 1, not a boolean")
    return value


class EventBase(BaseModel):
    """What every support event carries. Schema v1: additive changes only (docs/events.md)."""

    # extra="allow": a field added within v1 by a newer producer is kept (and stored by the ingest), not dropped.
    model_config = ConfigDict(extra="allow", json_schema_serialization_defaults_required=True, defer_build=True)

    schema_version: Annotated[Literal[1], BeforeValidator(_the_integer)] = 1
    event_id: str = Field(default_factory=new_event_id, description="De-duplication key: SQS delivers at least once.")
    occurred_at: Annotated[Timestamp, AfterValidator(_in_utc)]
    request_id: str


class EventV1(EventBase):
    """An event about one seller."""

    seller_id: SellerId


class ContactRequestEvent(EventV1):
    """One buyer asked how to reach one seller."""

    model_config = ConfigDict(title="ContactRequestEventV1")

    type: Literal["contact_request"] = "contact_request"
    buyer_id: str
    topic: Topic
    primary_channel: Channel
    offered: list[Channel]
    degraded: bool
    caller_role: Role | None = Field(
        default=None, description="Who asked: buyer demand or a support lookup. Added within v1; absent in older events."
    )
    seller_exists: bool | None = Field(
        default=None,
        description="Whether the seller has stored settings; null when degraded (unknown). Added within v1.",
    )
    policy_version: int | None = Field(default=None, description="Added in v1: the platform policy version applied.")
    revealed: list[Channel] | None = Field(
        default=None, description="Added in v1: the seller channels (email, phone) whose contact value the buyer got."
    )
    withheld: list[Channel] | None = Field(
        default=None,
        description="Added in v1: the seller channels (email, phone) listed without their contact value because the "
        "buyer's daily reveal limit was spent.",
    )
    support_reason: Reason | None = Field(
        default=None,
        description="Added in v1: why support is offered (the support option's reason), e.g. seller_has_no_channels, "
        "seller_restricted, topic_support_only, last_resort.",
    )


class SettingsChangedEvent(EventV1):
    """A seller changed which channels they offer: explains later support-only answers."""

    model_config = ConfigDict(title="SettingsChangedEventV1")

    type: Literal["settings_changed"] = "settings_changed"
    changed_by: str
    old_version: int
    new_version: int
    changed_channels: list[Channel]
    enabled_channels: list[Channel]


class ContactOutcomeEvent(EventV1):
    """What a buyer did after a resolution: an answer helped, none did, or they chose a channel.

    `event_id` is derived from the feedback token and the outcome, so the same outcome sent twice is one event.
    """

    model_config = ConfigDict(title="ContactOutcomeEventV1")

    type: Literal["contact_outcome"] = "contact_outcome"
    buyer_id: str
    topic: Topic
    outcome: Literal["answered", "not_answered", "channel_chosen"]
    answer_id: str | None = None
    channel: Channel | None = None
    reason: Literal["not_related", "related_but_not_answered"] | None = None


class PolicyChangedEvent(EventBase):
    """An admin replaced the platform contact policy."""

    model_config = ConfigDict(title="PolicyChangedEventV1")

    type: Literal["policy_changed"] = "policy_changed"
    changed_by: str
    old_version: int
    new_version: int
    changed: list[str] = Field(description="Dotted paths that differ, e.g. channels.chat.enabled, topics.delivery.")


class SellerRestrictionChangedEvent(EventV1):
    """An admin restricted a seller, changed the restriction, or lifted it."""

    model_config = ConfigDict(title="SellerRestrictionChangedEventV1")

    type: Literal["seller_restriction_changed"] = "seller_restriction_changed"
    changed_by: str
    old_mode: str | None = Field(description="The mode before; null: not restricted.")
    new_mode: str | None = Field(description="The mode now; null: lifted.")
    note: str


class ConversationEventBase(EventV1):
    """An event about one conversation: ids and flags, never a message's text."""

    conversation_id: str
    buyer_id: str


class ConversationStartedEvent(ConversationEventBase):
    """A buyer started a conversation with a seller (or reopened a closed one)."""

    model_config = ConfigDict(title="ConversationStartedEventV1")

    type: Literal["conversation_started"] = "conversation_started"
    topic: Topic
    has_order: bool
    reopened: bool
    relay: bool = Field(description="E-mail goes through the relay for this conversation.")


class ConversationEscalatedEvent(ConversationEventBase):
    """A party asked support to take the conversation over."""

    model_config = ConfigDict(title="ConversationEscalatedEventV1")

    type: Literal["conversation_escalated"] = "conversation_escalated"
    escalated_by: Literal["buyer", "seller"]
    reason: Literal["requested", "seller_restricted"] = Field(
        default="requested",
        description="requested: the party asked (POST .../escalate); seller_restricted: a buyer wrote while the platform "
        "restricts the seller, so support answers instead of the seller (escalated_by is then the buyer).",
    )


class ReplyOverdueEvent(ConversationEventBase):
    """The seller did not answer in time: the sweep escalated the conversation to support."""

    model_config = ConfigDict(title="ReplyOverdueEventV1")

    type: Literal["reply_overdue"] = "reply_overdue"
    reason: Literal["reply_overdue"] = "reply_overdue"
    seller_reply_due_at: Annotated[Timestamp, AfterValidator(_in_utc)]


class ConversationViewedEvent(ConversationEventBase):
    """Audit: support or an admin read a conversation's transcript."""

    model_config = ConfigDict(title="ConversationViewedEventV1")

    type: Literal["conversation_viewed"] = "conversation_viewed"
    viewed_by: str
    viewer_role: Role


ConversationEvent = ConversationStartedEvent | ConversationEscalatedEvent | ReplyOverdueEvent | ConversationViewedEvent
AnyEvent = (
    ContactRequestEvent | SettingsChangedEvent | ContactOutcomeEvent | PolicyChangedEvent | SellerRestrictionChangedEvent
    | ConversationStartedEvent | ConversationEscalatedEvent | ReplyOverdueEvent | ConversationViewedEvent
)
SupportEvent = Annotated[AnyEvent, Field(discriminator="type")]

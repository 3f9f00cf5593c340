"""Support events on the SQS queue. Schema v1: additive changes only (docs/events.md)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.models.common import Channel, SellerId, Topic


def new_event_id() -> str:
    return str(uuid.uuid4())


class EventV1(BaseModel):
    """What every support event carries. Schema v1: additive changes only (docs/events.md)."""

    model_config = ConfigDict(extra="ignore", json_schema_serialization_defaults_required=True, defer_build=True)

    schema_version: Literal[1] = 1
    event_id: str = Field(default_factory=new_event_id, description="De-duplication key: SQS delivers at least once.")
    occurred_at: datetime
    request_id: str
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


SupportEvent = Annotated[ContactRequestEvent | SettingsChangedEvent | ContactOutcomeEvent, Field(discriminator="type")]

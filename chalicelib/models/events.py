"""Support events on the SQS queue. Schema v1: additive changes only (docs/events.md)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.models.common import Channel, SellerId, Topic


def new_event_id() -> str:
    return str(uuid.uuid4())


class EventBase(BaseModel):
    """What every support event carries. Schema v1: additive changes only (docs/events.md)."""

    model_config = ConfigDict(extra="ignore", json_schema_serialization_defaults_required=True, defer_build=True)

    schema_version: Literal[1] = 1
    event_id: str = Field(default_factory=new_event_id, description="De-duplication key: SQS delivers at least once.")
    occurred_at: datetime
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
    policy_version: int | None = Field(default=None, description="Added in v1: the platform policy version applied.")
    revealed: list[Channel] | None = Field(
        default=None, description="Added in v1: the seller channels (email, phone) whose contact value the buyer got."
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


AnyEvent = ContactRequestEvent | SettingsChangedEvent | PolicyChangedEvent | SellerRestrictionChangedEvent
SupportEvent = Annotated[AnyEvent, Field(discriminator="type")]

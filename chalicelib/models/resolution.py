"""What a resolution answers: ranked contact options for one seller or a batch."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field, field_validator

from chalicelib.models.common import MAX_BATCH_SELLERS, Channel, Outgoing, Owner, Reason, SellerId, Strict, Topic


class ContactOption(Outgoing):
    channel: Channel
    owner: Owner
    available_now: bool
    next_available_at: datetime | None = None
    reason: Reason
    contact: str | None = Field(
        description="E-mail address, E.164 number, or app deep link; null when the daily reveal limit withholds it."
    )
    available_again_at: datetime | None = Field(
        default=None, description="With contact_limit_reached: when the buyer's daily allowance resets (UTC)."
    )


class ExcludedChannel(Outgoing):
    channel: Channel
    reason: Reason


class ContactOptions(Outgoing):
    """The result of one resolution: what the app shows for one seller."""

    seller_id: SellerId
    topic: Topic
    options: list[ContactOption]
    excluded: list[ExcludedChannel]
    primary: ContactOption
    degraded: bool
    policy_version: int = Field(description="The platform policy version applied; 0 is the built-in default.")
    request_id: str
    resolved_at: datetime


class BatchRequest(Strict):
    seller_ids: Annotated[
        list[SellerId], Field(min_length=1, max_length=MAX_BATCH_SELLERS, json_schema_extra={"uniqueItems": True})
    ]
    topic: Topic = Topic.OTHER

    @field_validator("seller_ids")
    @classmethod
    def _unique(cls, seller_ids: list[str]) -> list[str]:
        if len(set(seller_ids)) != len(seller_ids):
            raise ValueError("seller_ids must be unique")
        return seller_ids


class BatchResponse(Outgoing):
    topic: Topic
    results: list[ContactOptions]
    request_id: str
    resolved_at: datetime

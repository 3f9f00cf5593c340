"""What a resolution answers: ranked contact options for one seller or a batch."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, StringConstraints, field_validator

from chalicelib.models.answers import MAX_QUESTION_CHARS, MAX_SUGGESTED_ANSWERS, SuggestedAnswer
from chalicelib.models.common import MAX_BATCH_SELLERS, Channel, Outgoing, Owner, Reason, SellerId, Strict, Topic, each_once


class ExpectedReply(Outgoing):
    """How soon a written message is usually answered."""

    model_config = ConfigDict(frozen=True)  # one instance per (hours, source, language) serves every resolution

    hours: int
    text: str = Field(description="Localized, e.g. \"Usually replies within 4 hours\".")
    source: Literal["seller_declared", "platform_target", "measured"]


class StartLink(Outgoing):
    """How the app starts (or reopens) the platform-carried conversation this option stands for."""

    model_config = ConfigDict(frozen=True)

    method: Literal["POST"] = "POST"
    href: str = Field(description="/v1/conversations under the prefix the client called.")


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
    label: str = Field(default="", description="Localized button text, e.g. \"Message the seller\".")
    hint: str | None = Field(default=None, description="Localized note, e.g. when a closed phone opens (its local time).")
    expected_reply: ExpectedReply | None = None
    masked: bool = Field(default=False, description="E-mail through the platform's relay: the seller's address is never shown.")
    start: StartLink | None = Field(default=None, description="chat, and masked e-mail: start the conversation with this request.")


class ExcludedChannel(Outgoing):
    channel: Channel
    reason: Reason
    message: str = Field(default="", description="Localized: why the channel is not offered.")


class ContactOptions(Outgoing):
    """The result of one resolution: what the app shows for one seller."""

    seller_id: SellerId
    topic: Topic
    answers: list[SuggestedAnswer] = Field(
        default=[], max_length=MAX_SUGGESTED_ANSWERS, description="Shown before the channels: up to 3 answers."
    )
    options: list[ContactOption]
    excluded: list[ExcludedChannel]
    primary: ContactOption
    degraded: bool
    policy_version: int = Field(description="The platform policy version applied; 0 is the built-in default.")
    request_id: str
    resolved_at: datetime
    feedback_token: str | None = Field(
        default=None, description="Send back with POST /v1/contact-requests/{request_id}/outcome; null if not configured."
    )


class BatchRequest(Strict):
    seller_ids: Annotated[
        list[SellerId], Field(min_length=1, max_length=MAX_BATCH_SELLERS, json_schema_extra={"uniqueItems": True})
    ]
    topic: Topic = Topic.OTHER
    question: Annotated[str, StringConstraints(max_length=MAX_QUESTION_CHARS)] | None = Field(
        default=None, description="The buyer's own question: ranks the answers."
    )

    @field_validator("seller_ids")
    @classmethod
    def _unique(cls, seller_ids: list[str]) -> list[str]:
        return each_once(seller_ids, "seller_ids")


class BatchResponse(Outgoing):
    topic: Topic
    results: list[ContactOptions]
    request_id: str
    resolved_at: datetime

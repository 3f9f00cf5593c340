"""The platform's contact policy (one versioned document) and the restriction it can put on one seller."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from functools import cache
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from chalicelib.models.common import MAX_SUB_CHARS, Channel, Outgoing, SellerId, Strict, built_when_used
from chalicelib.models.resolution import ContactOptions, ExcludedChannel
from chalicelib.models.settings import ExpectedVersion

MAX_ALLOW_SELLERS = 1000


class TopicMode(StrEnum):
    SELLER_FIRST = "seller_first"  # the seller's channels, support last
    SUPPORT_FIRST = "support_first"  # support first, the seller's channels after it
    SUPPORT_ONLY = "support_only"  # support alone: the seller's channels are not offered


# Validation context of a stored policy document (policy_store): see StoredForwardCompatible.
STORED = {"stored": True}


class StoredForwardCompatible(Strict):
    """A part of the policy document: an unknown field in a request is a mistake (400), but one in the stored
    document is a newer release's field read by this one after a rollback, and is ignored there. Refusing it would
    make the whole policy unreadable: every kill switch lost on a cold start, and the admin locked out."""

    @model_validator(mode="before")
    @classmethod
    def _known_fields_when_stored(cls, data: object, info: ValidationInfo) -> object:
        if isinstance(data, dict) and isinstance(info.context, dict) and info.context.get("stored"):
            return {key: value for key, value in data.items() if key in cls.model_fields}
        return data


class ChannelPolicy(StoredForwardCompatible):
    """`enabled: false` switches the channel off for every seller, except the pilot sellers and the rollout share."""

    enabled: bool = True
    allow_sellers: Annotated[
        list[SellerId],
        Field(max_length=MAX_ALLOW_SELLERS, description="Sellers for whom a disabled channel stays on (a pilot); a set."),
        AfterValidator(lambda sellers: list(dict.fromkeys(sellers))),  # a set: repeats are dropped, the order is kept
    ] = Field(default_factory=list)
    rollout_percent: Annotated[
        float,
        Field(ge=0, le=100, description="Share of buyers (deterministic per buyer) for whom a disabled channel is on."),
    ] = 0


class EmailChannelPolicy(ChannelPolicy):
    form: Literal["direct", "relay"] = Field(
        default="direct", description="relay: every seller's e-mail goes through the platform's relay (masked)."
    )


class ChannelPolicies(StoredForwardCompatible):
    chat: ChannelPolicy = built_when_used(ChannelPolicy)
    email: EmailChannelPolicy = built_when_used(EmailChannelPolicy)
    phone: ChannelPolicy = built_when_used(ChannelPolicy)

    def of(self, channel: Channel) -> ChannelPolicy:
        policy: ChannelPolicy = getattr(self, channel.value)
        return policy


class TopicPolicies(StoredForwardCompatible):
    """One mode per topic (every Topic is a field); the defaults are the rules before the policy existed."""

    product_question: TopicMode = TopicMode.SELLER_FIRST
    order_status: TopicMode = TopicMode.SELLER_FIRST
    other: TopicMode = TopicMode.SELLER_FIRST
    delivery: TopicMode = TopicMode.SUPPORT_FIRST
    return_refund: TopicMode = TopicMode.SUPPORT_FIRST
    payment: TopicMode = TopicMode.SUPPORT_FIRST


# The most sellers the ingest keeps in one buyer's tally of a day (1,000 seller ids of up to 64 characters stay well
# inside DynamoDB's 400 KB item size), so the most a limit may be set to.
MAX_REVEALS_PER_DAY = 1000
# What a release before that bound accepted and may have stored: still read, acting as MAX_REVEALS_PER_DAY.
MAX_STORED_REVEALS_PER_DAY = 100_000


def _in_force(reveals: int) -> int:
    """A full tally holds MAX_REVEALS_PER_DAY sellers, so no more can be counted: a larger value an older release
    stored reads as that maximum, in resolutions and in the admin's GET (whose body can be sent back as it is)."""
    return min(reveals, MAX_REVEALS_PER_DAY)


class Limits(StoredForwardCompatible):
    contact_reveals_per_buyer_per_day: Annotated[int, AfterValidator(_in_force)] = Field(
        default=30,
        ge=0,
        le=MAX_STORED_REVEALS_PER_DAY,
        description="Distinct sellers whose e-mail/phone a buyer is shown per UTC day; 0: no limit. A value over "
        f"{MAX_REVEALS_PER_DAY} (stored before that maximum) reads as {MAX_REVEALS_PER_DAY}.",
    )


    conversations_per_buyer_per_day: int = Field(
        default=20, ge=0, le=1000, description="Conversations a buyer may start or reopen per UTC day; 0: no limit."
    )


class LimitsUpdate(Limits):
    contact_reveals_per_buyer_per_day: int = Field(
        default=30,
        ge=0,
        le=MAX_REVEALS_PER_DAY,
        description="Distinct sellers whose e-mail/phone a buyer is shown per UTC day; 0: no limit.",
    )


class ConversationsPolicy(StoredForwardCompatible):
    seller_reply_hours: int = Field(
        default=24, ge=1, le=168, description="Hours a seller has to answer a buyer's message before support takes over."
    )


class PolicyDocument(Strict):
    """What an admin sets: channel switches with their pilot exceptions, topic routing, limits, conversations."""

    channels: ChannelPolicies = built_when_used(ChannelPolicies)
    topics: TopicPolicies = built_when_used(TopicPolicies)
    limits: Limits = built_when_used(Limits)
    conversations: ConversationsPolicy = built_when_used(ConversationsPolicy)


class PolicyUpdate(PolicyDocument):
    """PUT body: the whole document, every field at every depth (else 400 incomplete_policy with details.missing;
    change a few fields with PATCH). `updated_at`/`updated_by` are accepted (a GET's body can be sent back) and ignored."""

    limits: LimitsUpdate = built_when_used(LimitsUpdate)
    version: ExpectedVersion = None
    updated_at: datetime | None = None
    updated_by: str | None = Field(default=None, max_length=MAX_SUB_CHARS)  # ignored; any caller's sub fits


class PolicyPatch(BaseModel):
    """PATCH and preview body: a JSON merge patch (RFC 7386) on the policy in force; objects merge, null removes a
    field (it takes its default). The result must be a valid full document."""

    model_config = ConfigDict(extra="allow", frozen=True, defer_build=True, json_schema_extra={"additionalProperties": True})

    channels: dict[str, Any] | None = Field(default=None, description="e.g. {\"chat\": {\"enabled\": false}}")
    topics: dict[str, Any] | None = Field(default=None, description="e.g. {\"payment\": \"support_only\"}")
    limits: dict[str, Any] | None = Field(default=None, description="e.g. {\"contact_reveals_per_buyer_per_day\": 10}")
    version: ExpectedVersion = None

    def patch(self) -> dict[str, Any]:
        """The merge patch as sent (`version` is a precondition, not part of it)."""
        return {key: value for key, value in self.model_dump(exclude_unset=True).items() if key != "version"}


class ChannelChange(Outgoing):
    buyers_gain: int = Field(description="Distinct buyers offered the channel with the change and not without it.")
    buyers_lose: int
    sellers_gain: int
    sellers_lose: int


class PolicyPreview(Outgoing):
    """What a policy change would have done to the last 24 hours' contact requests; nothing is written."""

    requests_considered: int = Field(description="Contact requests of the last 24 hours read (newest first, bounded).")
    sampled: int = Field(description="Distinct buyer, seller and topic of buyers' requests replayed under both policies.")
    channels: dict[Literal["chat", "email", "phone", "support"], ChannelChange]


class PlatformPolicy(PolicyDocument):
    """The stored policy (one DynamoDB item) and what GET answers. Version 0 is the built-in default."""

    model_config = ConfigDict(extra="ignore", json_schema_serialization_defaults_required=True)

    version: int = Field(ge=0)
    updated_at: datetime | None = None
    updated_by: str | None = None


@cache
def default_policy() -> PlatformPolicy:
    """The built-in policy (version 0), built on first use: a Lambda that never needs it (the authorizer, the ingest,
    a container whose policy is stored) does not build the policy's validator at import."""
    return PlatformPolicy(version=0)


def __getattr__(name: str) -> Any:
    """`DEFAULT_POLICY`, the name tests and tooling import: the same object as default_policy()."""
    if name == "DEFAULT_POLICY":
        return default_policy()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class PolicyLayer(StrEnum):
    """The layers in precedence order: the first that excludes a channel names its reason."""

    SELLER_RESTRICTION = "seller_restriction"
    TOPIC = "topic"
    PLATFORM_CHANNELS = "platform_channels"
    SELLER_SETTINGS = "seller_settings"
    OPENING_HOURS = "opening_hours"
    REVEAL_LIMIT = "reveal_limit"  # after the ranking: withholds e-mail/phone values, never a channel


class LayerVerdict(Outgoing):
    layer: PolicyLayer
    effect: Literal["none", "narrows", "decides"] = Field(
        description="none: lets everything through; narrows: removes some channels; decides: leaves support only."
    )
    detail: str
    excluded: list[ExcludedChannel] = Field(description="The channels this layer left out (higher layers first).")


class Explanation(Outgoing):
    policy_version: int
    buyer_id: str = Field(description="Whose rollout buckets were used.")
    layers: list[LayerVerdict]

    @field_validator("layers")
    @classmethod
    def _in_order(cls, layers: list[LayerVerdict]) -> list[LayerVerdict]:
        if [layer.layer for layer in layers] != list(PolicyLayer):
            raise ValueError("every layer, in precedence order")
        return layers


class ExplainedContactOptions(ContactOptions):
    """`?explain=true` (support only): the answer plus every layer's verdict."""

    explanation: Explanation

"""Pydantic models: the contract at every edge (HTTP, DynamoDB, SQS)."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, time
from enum import StrEnum
from functools import cache
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

SELLER_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"
SellerId = Annotated[str, StringConstraints(pattern=SELLER_ID_PATTERN)]
MAX_BATCH_SELLERS = 100


class Topic(StrEnum):
    PRODUCT_QUESTION = "product_question"
    ORDER_STATUS = "order_status"
    DELIVERY = "delivery"
    RETURN_REFUND = "return_refund"
    PAYMENT = "payment"
    OTHER = "other"


# Platform support answers these first: they concern money or logistics the platform owns.
PLATFORM_TOPICS = frozenset({Topic.DELIVERY, Topic.RETURN_REFUND, Topic.PAYMENT})


class Channel(StrEnum):
    CHAT = "chat"
    EMAIL = "email"
    PHONE = "phone"
    SUPPORT = "support"


SELLER_CHANNELS = (Channel.CHAT, Channel.EMAIL, Channel.PHONE)


class Owner(StrEnum):
    SELLER = "seller"
    PLATFORM = "platform"


class Reason(StrEnum):
    """Why a channel is offered where it is, or left out. Documented in README.md."""

    CHAT_ENABLED = "chat_enabled"
    CHAT_DISABLED = "chat_disabled"
    EMAIL_ENABLED = "email_enabled"
    EMAIL_DISABLED = "email_disabled"
    PHONE_WITHIN_HOURS = "phone_within_hours"
    PHONE_NO_HOURS_SET = "phone_no_hours_set"
    PHONE_OUTSIDE_HOURS = "phone_outside_hours"
    PHONE_DISABLED = "phone_disabled"
    PLATFORM_TOPIC = "platform_topic"
    LAST_RESORT = "last_resort"
    SELLER_HAS_NO_CHANNELS = "seller_has_no_channels"
    SELLER_SETTINGS_MISSING = "seller_settings_missing"
    SETTINGS_UNAVAILABLE = "settings_unavailable"


class Role(StrEnum):
    BUYER = "buyer"
    SELLER = "seller"
    SUPPORT = "support"


class Weekday(StrEnum):
    MON = "mon"
    TUE = "tue"
    WED = "wed"
    THU = "thu"
    FRI = "fri"
    SAT = "sat"
    SUN = "sun"


WEEKDAYS = tuple(Weekday)  # index == datetime.weekday()

_RANGE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]|24):([0-5]\d)$")


# defer_build: a model's validator is built on first use, so a cold start only pays for the models
# the request at hand needs (a resolution never touches the settings-input or batch models).
class Strict(BaseModel):
    """Base for input models: unknown fields are a client mistake worth reporting."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


# ---------------------------------------------------------------- seller settings


def _parse_range(value: str) -> str:
    match = _RANGE.match(value)
    if not match:
        raise ValueError("expected HH:MM-HH:MM, e.g. 09:00-18:00")
    start, end = (int(match[1]), int(match[2])), (int(match[3]), int(match[4]))
    if end > (24, 0):
        raise ValueError("a range ends at 24:00 at the latest")
    if start >= end:
        raise ValueError("a range must end after it starts (split ranges that cross midnight)")
    return value


TimeRange = Annotated[str, AfterValidator(_parse_range)]


@cache
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _check_timezone(value: str) -> str:
    try:
        zone(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("unknown IANA time zone, e.g. Europe/Moscow") from None
    return value


class OpeningHours(Strict):
    """Weekly phone hours in the seller's own time zone; a weekday left out is closed."""

    timezone: Annotated[str, AfterValidator(_check_timezone)]
    weekly: dict[Weekday, Annotated[list[TimeRange], Field(max_length=8)]]

    def ranges_on(self, day: Weekday) -> list[tuple[time, time | None]]:
        """(start, end) local times of `day`, sorted; end None means midnight (24:00)."""
        result = []
        for text in sorted(self.weekly.get(day, [])):
            start, end = text.split("-")
            result.append((time.fromisoformat(start), None if end == "24:00" else time.fromisoformat(end)))
        return result


class ChatSettings(Strict):
    enabled: bool = False


class EmailSettings(Strict):
    enabled: bool = False
    address: str | None = Field(default=None, max_length=320)

    @model_validator(mode="after")
    def _address_when_enabled(self) -> EmailSettings:
        if self.enabled and not self.address:
            raise ValueError("an enabled e-mail channel needs an address")
        return self


class PhoneSettings(Strict):
    enabled: bool = False
    number: str | None = Field(default=None, max_length=40)
    hours: OpeningHours | None = Field(default=None, description="No hours: reachable around the clock.")

    @model_validator(mode="after")
    def _number_when_enabled(self) -> PhoneSettings:
        if self.enabled and not self.number:
            raise ValueError("an enabled phone channel needs a number")
        return self


class ChannelSettings(Strict):
    """The channels as stored: structure and types are checked on every read.

    Address and number syntax is checked once, on write (ChannelSettingsInput): email-validator and
    phonenumbers cost ~25 ms to import, which the resolution path never pays.
    """

    chat: ChatSettings = ChatSettings()
    email: EmailSettings = EmailSettings()
    phone: PhoneSettings = PhoneSettings()


def _valid_email(value: str) -> str:
    from email_validator import EmailNotValidError, validate_email

    try:
        return validate_email(value, check_deliverability=False).normalized  # no DNS lookups
    except EmailNotValidError as exc:
        raise ValueError(f"not a valid e-mail address: {exc}") from None


def _to_e164(value: str) -> str:
    import phonenumbers

    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        raise ValueError("expected an international number starting with +, e.g. +49 30 1234567") from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError("not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


class EmailInput(EmailSettings):
    address: Annotated[str, StringConstraints(max_length=320), AfterValidator(_valid_email)] | None = None


class PhoneInput(PhoneSettings):
    number: Annotated[str, StringConstraints(max_length=40), AfterValidator(_to_e164)] | None = None


class ChannelSettingsInput(ChannelSettings):
    """What a seller sends (PUT body, or the result of a PATCH): address and number are checked and normalised."""

    email: EmailInput = EmailInput()
    phone: PhoneInput = PhoneInput()


# The version the client last read, as an alternative to the If-Match header (PUT and PATCH bodies).
ExpectedVersion = Annotated[int | None, Field(ge=0, description="Alternative to the If-Match header.")]


class ChannelSettingsUpdate(ChannelSettingsInput):
    version: ExpectedVersion = None


class ChannelSettingsPatch(Strict):
    """PATCH body: a JSON merge patch (RFC 7386) on the channel settings; objects merge, null removes.

    Only the envelope is checked here; the merged result is checked as ChannelSettingsInput.
    """

    chat: dict[str, Any] | None = None
    email: dict[str, Any] | None = None
    phone: dict[str, Any] | None = None
    version: ExpectedVersion = None


class SellerSettings(ChannelSettings):
    """One DynamoDB item: the channels plus bookkeeping."""

    model_config = ConfigDict(extra="ignore", json_schema_serialization_defaults_required=True)  # frozen, deferred: from Strict

    seller_id: SellerId
    version: int = Field(ge=1)
    updated_at: datetime
    updated_by: str


# ---------------------------------------------------------------- contact options


class Outgoing(BaseModel):
    """Base for what we send: every field is always present, so the schema lists them all as required."""

    model_config = ConfigDict(json_schema_serialization_defaults_required=True, defer_build=True)


class ContactOption(Outgoing):
    channel: Channel
    owner: Owner
    available_now: bool
    next_available_at: datetime | None = None
    reason: Reason
    contact: str = Field(description="E-mail address, E.164 number, or app deep link.")


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


# ---------------------------------------------------------------- support events (SQS)


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


SupportEvent = Annotated[ContactRequestEvent | SettingsChangedEvent, Field(discriminator="type")]


class Caller(BaseModel):
    """Who is calling, as the authorizer established it."""

    model_config = ConfigDict(frozen=True)

    sub: str
    role: Role
    seller_id: str | None = None

"""Names every model shares: ids, topics, channels, reasons, roles, and the input/output bases."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from enum import StrEnum
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

SELLER_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"
MAX_SUB_CHARS = 255  # a token's `sub` (the caller's id): what `updated_by` and a tally key may hold
SellerId = Annotated[str, StringConstraints(pattern=SELLER_ID_PATTERN)]
MAX_BATCH_SELLERS = 100
MAX_OPS_PAGE = 100  # rows per page of /v1/ops/requests and of a settings history
MAX_OPS_DAYS = 30  # the longest window a figure is asked for: within a second, from the daily roll-ups


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
    # The platform's layers (chalicelib/platform_policy/layers.py), highest precedence first.
    SELLER_RESTRICTED = "seller_restricted"
    TOPIC_SUPPORT_ONLY = "topic_support_only"
    CHAT_DISABLED_BY_PLATFORM = "chat_disabled_by_platform"
    EMAIL_DISABLED_BY_PLATFORM = "email_disabled_by_platform"
    PHONE_DISABLED_BY_PLATFORM = "phone_disabled_by_platform"
    NOT_IN_ROLLOUT = "not_in_rollout"
    # The per-buyer daily reveal limit (chalicelib/contacts/limits.py): e-mail/phone listed, value withheld.
    CONTACT_LIMIT_REACHED = "contact_limit_reached"


class Role(StrEnum):
    BUYER = "buyer"
    SELLER = "seller"
    SUPPORT = "support"
    ADMIN = "admin"  # platform operations: the contact policy and seller restrictions


class Weekday(StrEnum):
    MON = "mon"
    TUE = "tue"
    WED = "wed"
    THU = "thu"
    FRI = "fri"
    SAT = "sat"
    SUN = "sun"


WEEKDAYS = tuple(Weekday)  # index == datetime.weekday()


# defer_build: a model's validator is built on first use, so a cold start only pays for the models
# the request at hand needs (a resolution never touches the settings-input or batch models).
class Strict(BaseModel):
    """Base for input models: unknown fields are a client mistake worth reporting.

    Request bodies are parsed from JSON with strict=True (http.parse_body): "yes", 1 or "3" are not booleans or numbers.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)



class Outgoing(BaseModel):
    """Base for what we send: every field is always present, so the schema lists them all as required."""

    model_config = ConfigDict(json_schema_serialization_defaults_required=True, defer_build=True)



class Caller(BaseModel):
    """Who is calling, as the authorizer established it."""

    model_config = ConfigDict(frozen=True)

    sub: str
    role: Role
    seller_id: str | None = None
    email: str | None = None  # the token's `email` claim, only when `email_verified` is true


ItemsT = TypeVar("ItemsT", bound=Sequence[Hashable])


def each_once(items: ItemsT, field: str) -> ItemsT:
    """For a list that names things (sellers, topics): naming one twice is a mistake, not a request."""
    if len(set(items)) != len(items):
        raise ValueError(f"{field} must name each item once")
    return items


def built_when_used(model: type[BaseModel]) -> Any:
    """A field's default: a new `model()`, made when a value leaves the field out, not at import.

    `chat: ChatSettings = ChatSettings()` would build ChatSettings' validator when the module is imported, whether or
    not a request ever needs it (write-path models, the admin's). The schema still shows the default, as before.
    """

    def add_default(schema: dict[str, Any]) -> None:
        schema["default"] = model().model_dump(mode="json")

    return Field(default_factory=model, json_schema_extra=add_default)

"""Seller channel settings: what sellers store, as stored and as sent."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    StringConstraints,
    WithJsonSchema,
    model_validator,
)

from chalicelib.models.common import SellerId, Strict, Weekday, built_when_used
from chalicelib.models.restriction import SellerRestriction

# [0-9], not \d (which also matches other scripts' digits); fullmatch, so "09:00-18:00\n" is refused.
TIME_RANGE_PATTERN = r"^([01][0-9]|2[0-3]):([0-5][0-9])-(?:([01][0-9]|2[0-3]):([0-5][0-9])|(24):(00))$"
_RANGE = re.compile(TIME_RANGE_PATTERN)
MINUTES_PER_DAY = 24 * 60


@dataclass(frozen=True, order=True)
class ClockRange:
    """A wall-clock range of one day, parsed once: minutes after local midnight, end exclusive (1440 = 24:00)."""

    start: int
    end: int

    def __str__(self) -> str:
        return f"{self.start // 60:02d}:{self.start % 60:02d}-{self.end // 60:02d}:{self.end % 60:02d}"


def parse_range(value: Any) -> ClockRange:
    """"09:00-18:00" -> ClockRange(540, 1080); anything else is a ValueError (a 400 at the edge)."""
    if isinstance(value, ClockRange):
        return value
    match = _RANGE.fullmatch(value) if isinstance(value, str) else None
    if not match:
        raise ValueError("expected HH:MM-HH:MM, e.g. 09:00-18:00")
    start = int(match[1]) * 60 + int(match[2])
    end = int(match[3] or match[5]) * 60 + int(match[4] or match[6])
    if start >= end:
        raise ValueError("a range must end after it starts (split ranges that cross midnight)")
    return ClockRange(start, end)


TimeRange = Annotated[
    ClockRange,
    PlainValidator(parse_range),
    PlainSerializer(str, return_type=str),
    WithJsonSchema({"type": "string", "pattern": TIME_RANGE_PATTERN, "examples": ["09:00-18:00"]}),
]


@cache
def known_zones() -> frozenset[str]:
    """The IANA zones the bundled tzdata package lists: the one source of zone names (write path only).

    Reading its `zones` file costs ~3 ms once per container; zoneinfo.available_timezones() would also walk
    the host's /usr/share/zoneinfo and accept host files such as "localtime". "Factory" is a placeholder.
    """
    from importlib.resources import files

    return frozenset(files("tzdata").joinpath("zones").read_text(encoding="utf-8").split()) - {"Factory"}


def _known_zone(value: str) -> str:
    if value not in known_zones():
        raise ValueError("unknown IANA time zone, e.g. Europe/Moscow")
    return value


class OpeningHours(Strict):
    """Weekly phone hours in the seller's own time zone; a weekday left out is closed.

    The zone name is checked against tzdata on write (OpeningHoursInput); a stored one is trusted.
    """

    timezone: str = Field(max_length=64)
    weekly: dict[Weekday, Annotated[list[TimeRange], Field(max_length=8)]]

    def ranges_on(self, day: Weekday) -> list[ClockRange]:
        """The ranges of `day`, sorted by start."""
        return sorted(self.weekly.get(day, []))


class OpeningHoursInput(OpeningHours):
    timezone: Annotated[str, StringConstraints(max_length=64), AfterValidator(_known_zone)]


# How soon the seller usually answers a written message: shown to buyers as expected_reply.
ReplyWithinHours = Annotated[int | None, Field(ge=1, le=168, description="Usual reply time in hours (1-168).")]


class ChatSettings(Strict):
    enabled: bool = False
    reply_within_hours: ReplyWithinHours = None


class EmailSettings(Strict):
    enabled: bool = False
    address: str | None = Field(default=None, max_length=320)
    reply_within_hours: ReplyWithinHours = None
    masked: bool = Field(default=False, description="Buyers write through the platform's relay; the address is never shown.")

    @model_validator(mode="after")
    def _address_when_enabled(self) -> EmailSettings:
        if self.enabled and not self.address:
            raise ValueError("an enabled e-mail channel needs an address")
        return self


class PhoneSettings(Strict):
    enabled: bool = False
    number: str | None = Field(default=None, max_length=64, description="E.164, with ;ext=N (RFC 3966) if any.")
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

    chat: ChatSettings = built_when_used(ChatSettings)
    email: EmailSettings = built_when_used(EmailSettings)
    phone: PhoneSettings = built_when_used(PhoneSettings)


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
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if not number.extension:
        return e164
    # An extension is kept in RFC 3966's form (the app dials it as tel:<number>), never dropped. Its digits are
    # ASCII there: phonenumbers keeps them as typed (Arabic-Indic, fullwidth), which no dialler reads.
    return f"{e164};ext={phonenumbers.normalize_digits_only(number.extension)}"


class EmailInput(EmailSettings):
    address: Annotated[str, StringConstraints(max_length=320), AfterValidator(_valid_email)] | None = None


class PhoneInput(PhoneSettings):
    number: Annotated[str, StringConstraints(max_length=40), AfterValidator(_to_e164)] | None = None
    hours: OpeningHoursInput | None = Field(default=None, description="No hours: reachable around the clock.")


class ChannelSettingsInput(ChannelSettings):
    """What a seller sends (PUT body, or the result of a PATCH): address and number are checked and normalised."""

    email: EmailInput = built_when_used(EmailInput)
    phone: PhoneInput = built_when_used(PhoneInput)


# The version the client last read, as an alternative to the If-Match header (PUT and PATCH bodies).
ExpectedVersion = Annotated[int | None, Field(ge=0, description="Alternative to the If-Match header.")]


@dataclass(frozen=True)
class VersionPrecondition:
    """What a write expects of the stored version (If-Match or body `version`), compared strongly (RFC 9110).

    `versions`: the stored version must be one of them (0: no settings yet). `any_existing` (If-Match: *):
    settings must exist. A weak tag (W/"1") adds nothing, so it never matches.
    """

    versions: frozenset[int] = frozenset()
    any_existing: bool = False

    @classmethod
    def exactly(cls, version: int) -> VersionPrecondition:
        return cls(versions=frozenset({version}))

    def matches(self, current_version: int) -> bool:
        return current_version > 0 if self.any_existing else current_version in self.versions


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
    # Set by the platform (admin routes), kept by the seller's own writes, never sent on the channels routes.
    restriction: SellerRestriction | None = Field(default=None, exclude=True)

"""Seller channel settings: what sellers store, as stored and as sent."""

from __future__ import annotations

import re
from datetime import datetime, time
from functools import cache
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, ConfigDict, Field, StringConstraints, model_validator

from chalicelib.models.common import SellerId, Strict, Weekday
from chalicelib.models.restriction import SellerRestriction

_RANGE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]|24):([0-5]\d)$")


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
    # Set by the platform (admin routes), kept by the seller's own writes, never sent on the channels routes.
    restriction: SellerRestriction | None = Field(default=None, exclude=True)

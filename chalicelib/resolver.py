"""Seller settings + topic + now -> ranked contact options. Pure: no I/O, no clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

from chalicelib.hours import is_open, next_opening
from chalicelib.models import (
    PLATFORM_TOPICS,
    SELLER_CHANNELS,
    Channel,
    ContactOption,
    ExcludedChannel,
    Owner,
    Reason,
    SellerSettings,
    Topic,
)


@dataclass(frozen=True)
class Resolution:
    options: list[ContactOption]
    excluded: list[ExcludedChannel]


def resolve(
    seller_id: str,
    settings: SellerSettings | None,
    topic: Topic,
    now: datetime,
    *,
    settings_unavailable: bool = False,
) -> Resolution:
    """Rank the channels a buyer may use to reach `seller_id` about `topic` at `now` (aware)."""
    if settings_unavailable or settings is None:
        reason = Reason.SETTINGS_UNAVAILABLE if settings_unavailable else Reason.SELLER_SETTINGS_MISSING
        return Resolution(
            options=[_support(seller_id, topic, reason)],
            excluded=[ExcludedChannel(channel=channel, reason=reason) for channel in SELLER_CHANNELS],
        )

    # Chat -> e-mail -> phone. A phone outside its hours stays listed, last of the seller's channels.
    seller_options: list[ContactOption] = []
    excluded: list[ExcludedChannel] = []

    if settings.chat.enabled:
        seller_options.append(_seller_option(Channel.CHAT, Reason.CHAT_ENABLED, f"app://chat/seller/{seller_id}"))
    else:
        excluded.append(ExcludedChannel(channel=Channel.CHAT, reason=Reason.CHAT_DISABLED))

    if settings.email.enabled and settings.email.address:
        seller_options.append(_seller_option(Channel.EMAIL, Reason.EMAIL_ENABLED, settings.email.address))
    else:
        excluded.append(ExcludedChannel(channel=Channel.EMAIL, reason=Reason.EMAIL_DISABLED))

    phone = settings.phone
    if phone.enabled and phone.number:
        if phone.hours is None:
            seller_options.append(_seller_option(Channel.PHONE, Reason.PHONE_NO_HOURS_SET, phone.number))
        elif is_open(phone.hours, now):
            seller_options.append(_seller_option(Channel.PHONE, Reason.PHONE_WITHIN_HOURS, phone.number))
        else:
            seller_options.append(
                ContactOption(
                    channel=Channel.PHONE,
                    owner=Owner.SELLER,
                    available_now=False,
                    next_available_at=next_opening(phone.hours, now),
                    reason=Reason.PHONE_OUTSIDE_HOURS,
                    contact=phone.number,
                )
            )
    else:
        excluded.append(ExcludedChannel(channel=Channel.PHONE, reason=Reason.PHONE_DISABLED))

    if not seller_options:
        return Resolution(options=[_support(seller_id, topic, Reason.SELLER_HAS_NO_CHANNELS)], excluded=excluded)
    if topic in PLATFORM_TOPICS:
        return Resolution(options=[_support(seller_id, topic, Reason.PLATFORM_TOPIC), *seller_options], excluded=excluded)
    return Resolution(options=[*seller_options, _support(seller_id, topic, Reason.LAST_RESORT)], excluded=excluded)


def _seller_option(channel: Channel, reason: Reason, contact: str) -> ContactOption:
    return ContactOption(channel=channel, owner=Owner.SELLER, available_now=True, reason=reason, contact=contact)


def _support(seller_id: str, topic: Topic, reason: Reason) -> ContactOption:
    query = urlencode({"seller_id": seller_id, "topic": topic.value})
    return ContactOption(
        channel=Channel.SUPPORT,
        owner=Owner.PLATFORM,
        available_now=True,
        reason=reason,
        contact=f"app://support?{query}",
    )


def primary_option(options: list[ContactOption]) -> ContactOption:
    """The first option the buyer can use now: a closed phone is never primary while anything else is open."""
    return next((option for option in options if option.available_now), options[0])

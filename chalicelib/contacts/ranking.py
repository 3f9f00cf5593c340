"""Seller settings + the platform's verdict + topic + now -> ranked contact options. Pure: no I/O, no clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from urllib.parse import quote_plus

from chalicelib.contacts.hours import is_open, next_opening
from chalicelib.models.common import PLATFORM_TOPICS, SELLER_CHANNELS, Channel, Owner, Reason, Topic
from chalicelib.models.policy import LayerVerdict, PolicyLayer, TopicMode
from chalicelib.models.resolution import ContactOption, ExcludedChannel
from chalicelib.models.settings import SellerSettings
from chalicelib.platform_policy.layers import PlatformVerdict


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
    platform: PlatformVerdict | None = None,
) -> Resolution:
    """Rank the channels a buyer may use to reach `seller_id` about `topic` at `now` (aware).

    `platform` is what the platform's layers decided (chalicelib/platform_policy/layers.py); None: the built-in default.
    """
    if platform is None:
        platform = _default_verdict(topic)
    if settings_unavailable:
        reason = Reason.SETTINGS_UNAVAILABLE
        return Resolution(
            options=[_support(seller_id, topic, reason)],
            excluded=[ExcludedChannel(channel=channel, reason=reason) for channel in SELLER_CHANNELS],
        )
    seller_options, seller_excluded = _seller_offer(seller_id, settings, now)
    nothing_offered = Reason.SELLER_SETTINGS_MISSING if _never_stored(settings) else Reason.SELLER_HAS_NO_CHANNELS

    # The platform only narrows: a channel it blocks is left out, and its layer is named only where it removed
    # something the seller offered. A channel the seller never offered is the seller's own choice, whatever else.
    options = [option for option in seller_options if option.channel not in platform.blocked]
    excluded = [
        ExcludedChannel(channel=channel, reason=seller_excluded.get(channel) or platform.blocked[channel])
        for channel in SELLER_CHANNELS
        if channel in platform.blocked or channel in seller_excluded
    ]
    if platform.support_reason is not None:
        return Resolution(options=[_support(seller_id, topic, platform.support_reason)], excluded=excluded)
    if not seller_options:
        return Resolution(options=[_support(seller_id, topic, nothing_offered)], excluded=excluded)
    if not options:  # the platform left out everything the seller offers: support is not "first" or "last", it is all
        deciding = platform.blocked[seller_options[0].channel]
        return Resolution(options=[_support(seller_id, topic, deciding)], excluded=excluded)
    if platform.topic_mode is TopicMode.SUPPORT_FIRST:
        return Resolution(options=[_support(seller_id, topic, Reason.PLATFORM_TOPIC), *options], excluded=excluded)
    return Resolution(options=[*options, _support(seller_id, topic, Reason.LAST_RESORT)], excluded=excluded)


def _default_verdict(topic: Topic) -> PlatformVerdict:
    """The rules before the policy existed: nothing blocked, platform topics support first."""
    return PlatformVerdict(topic_mode=TopicMode.SUPPORT_FIRST if topic in PLATFORM_TOPICS else TopicMode.SELLER_FIRST)


def _never_stored(settings: SellerSettings | None) -> bool:
    """No settings item, or one holding only the platform's restriction (version 0)."""
    return settings is None or settings.version == 0


def _seller_offer(
    seller_id: str, settings: SellerSettings | None, now: datetime
) -> tuple[list[ContactOption], dict[Channel, Reason]]:
    """What the seller offers, and why each other channel is not offered (their choice, or no settings at all)."""
    if _never_stored(settings):
        return [], dict.fromkeys(SELLER_CHANNELS, Reason.SELLER_SETTINGS_MISSING)
    assert settings is not None  # nosec B101: _never_stored is False only for stored settings (for mypy)
    return _seller_channels(seller_id, settings, now)


def phone_open(settings: SellerSettings | None, now: datetime) -> bool | None:
    """Whether the seller's phone is open at `now` (aware); None when no phone with opening hours is offered. The one
    part of what a seller offers that moves with the clock."""
    phone = settings.phone if settings is not None and not _never_stored(settings) else None
    if phone is None or not (phone.enabled and phone.number) or phone.hours is None:
        return None
    return is_open(phone.hours, now)


def not_offered_by_seller(seller_id: str, settings: SellerSettings | None, now: datetime) -> dict[Channel, Reason]:
    """The seller channels the seller does not offer, with the seller's reason: no platform layer is named for them."""
    return _seller_offer(seller_id, settings, now)[1]


def _seller_channels(
    seller_id: str, settings: SellerSettings, now: datetime
) -> tuple[list[ContactOption], dict[Channel, Reason]]:
    """The seller's own layer and the phone's hours: chat -> e-mail -> phone; a closed phone stays listed, last."""
    seller_options: list[ContactOption] = []
    excluded: dict[Channel, Reason] = {}

    if settings.chat.enabled:
        seller_options.append(_seller_option(Channel.CHAT, Reason.CHAT_ENABLED, f"app://chat/seller/{seller_id}"))
    else:
        excluded[Channel.CHAT] = Reason.CHAT_DISABLED

    if settings.email.enabled and settings.email.address:
        seller_options.append(_seller_option(Channel.EMAIL, Reason.EMAIL_ENABLED, settings.email.address))
    else:
        excluded[Channel.EMAIL] = Reason.EMAIL_DISABLED

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
        excluded[Channel.PHONE] = Reason.PHONE_DISABLED
    return seller_options, excluded


def explain_seller_layers(
    seller_id: str, settings: SellerSettings | None, unavailable: bool, platform: PlatformVerdict, now: datetime
) -> list[LayerVerdict]:
    """The verdicts of the two lowest layers, the seller's settings and the phone's hours, for ?explain=true."""
    if unavailable or settings is None or settings.version == 0:  # version 0: only the platform's restriction
        reason = Reason.SETTINGS_UNAVAILABLE if unavailable else Reason.SELLER_SETTINGS_MISSING
        # Unreadable settings: the platform's layers keep the channels they block; missing ones: the seller's own.
        left = [ExcludedChannel(channel=c, reason=reason) for c in SELLER_CHANNELS if not (unavailable and c in platform.blocked)]
        detail = "DynamoDB could not answer" if unavailable else "the seller never stored settings"
        return [
            LayerVerdict(layer=PolicyLayer.SELLER_SETTINGS, effect="decides", detail=detail, excluded=left),
            LayerVerdict(layer=PolicyLayer.OPENING_HOURS, effect="none", detail="no phone to check", excluded=[]),
        ]
    options, seller_excluded = _seller_channels(seller_id, settings, now)
    left = [ExcludedChannel(channel=c, reason=r) for c, r in seller_excluded.items()]
    enabled = ", ".join(option.channel.value for option in options) or "none"
    effect: Literal["none", "narrows", "decides"] = "decides" if not options else "narrows" if left else "none"
    phone = next((option for option in options if option.channel is Channel.PHONE), None)
    if phone is None:
        hours = "no phone offered by the seller"
    elif Channel.PHONE in platform.blocked:
        hours = "phone left out by a higher layer"
    elif phone.available_now:
        hours = f"phone open now ({phone.reason.value})"
    else:
        hours = f"phone listed but closed now; next opening {phone.next_available_at}"
    return [
        LayerVerdict(layer=PolicyLayer.SELLER_SETTINGS, effect=effect, detail=f"the seller offers: {enabled}", excluded=left),
        LayerVerdict(layer=PolicyLayer.OPENING_HOURS, effect="none", detail=hours, excluded=[]),
    ]


def _seller_option(channel: Channel, reason: Reason, contact: str) -> ContactOption:
    return ContactOption(channel=channel, owner=Owner.SELLER, available_now=True, reason=reason, contact=contact)


def _support(seller_id: str, topic: Topic, reason: Reason) -> ContactOption:
    query = f"seller_id={quote_plus(seller_id)}&topic={topic.value}"  # what urlencode gives, without its overhead
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

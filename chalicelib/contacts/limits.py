"""The per-buyer daily reveal limit: how many distinct sellers' e-mail or phone a buyer is shown per UTC day. Pure.

The tally of sellers already revealed today is kept by the support ingest (from each contact event's
`revealed`), so it trails the queue by seconds; within one request the allowance is exact.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from chalicelib.models.common import Channel, Reason
from chalicelib.models.policy import LayerVerdict, PolicyLayer
from chalicelib.models.resolution import ContactOption

REVEALING_CHANNELS = frozenset({Channel.EMAIL, Channel.PHONE})  # chat deep links and support are never withheld
WINDOW_SECONDS = 24 * 3600


def tally_key(buyer_id: str, day: date) -> dict[str, str]:
    """Where the ingest keeps the sellers revealed to one buyer on one UTC day (support-requests table)."""
    return {"pk": f"REVEALS#{buyer_id}", "sk": f"DAY#{day.isoformat()}"}


def utc_day(now: datetime) -> date:
    return now.astimezone(UTC).date()


def window_reset(now: datetime) -> datetime:
    """The next UTC midnight: when every buyer's allowance starts again."""
    return datetime.combine(utc_day(now) + timedelta(days=1), time(0), tzinfo=UTC)


@dataclass
class Allowance:
    """One buyer's allowance for one UTC day, spent seller by seller within a request."""

    limit: int
    already: frozenset[str]  # sellers revealed to this buyer earlier today (the ingest's tally)
    revealed_now: set[str] = field(default_factory=set)
    tally_read: bool = True  # False: DynamoDB did not answer for the tally; `already` is empty, not the buyer's

    @classmethod
    def from_tally(cls, limit: int, already: frozenset[str] | None) -> Allowance:
        """An unreadable tally (None) counts as empty: our outage never blocks the buyer; one request stays capped."""
        return cls(limit, frozenset() if already is None else already, tally_read=already is not None)

    @property
    def remaining(self) -> int:
        return max(0, self.limit - len(self.already | self.revealed_now))

    def admit(self, seller_id: str) -> bool:
        """May `seller_id`'s e-mail/phone be shown? A seller already shown today never counts twice."""
        if seller_id in self.already or seller_id in self.revealed_now:
            return True
        if self.remaining == 0:
            return False
        self.revealed_now.add(seller_id)
        return True


def apply_limit(options: list[ContactOption], seller_id: str, allowance: Allowance, now: datetime) -> list[ContactOption]:
    """The options with e-mail/phone values withheld once the allowance is spent (still listed, reason says why).

    A withheld option cannot be used now (there is nothing to write to or dial), so it is never `primary`.
    """
    if not withholds(options, seller_id, allowance):
        return options
    reset = window_reset(now)
    withheld = {"contact": None, "available_now": False, "reason": Reason.CONTACT_LIMIT_REACHED, "available_again_at": reset}
    return [
        option.model_copy(update=withheld)
        if option.channel in REVEALING_CHANNELS and not option.masked
        else option
        for option in options
    ]


def withholds(options: list[ContactOption], seller_id: str, allowance: Allowance) -> bool:
    """Whether the allowance withholds these options' e-mail/phone values; else they count (admit) as one seller more."""
    # A masked e-mail (the relay) reveals nothing: never counted, never withheld.
    return any(option.channel in REVEALING_CHANNELS and not option.masked for option in options) and not allowance.admit(seller_id)


def revealed_channels(options: list[ContactOption]) -> list[Channel]:
    """The channels whose contact value the buyer got: what the contact event reports and the tally counts."""
    return [option.channel for option in options if option.channel in REVEALING_CHANNELS and option.contact is not None]


def rate_limit_headers(allowance: Allowance, now: datetime) -> dict[str, str]:
    """RateLimit-Policy and RateLimit after the IETF httpapi draft (structured fields, one policy named "reveals")."""
    reset_seconds = max(1, math.ceil((window_reset(now) - now).total_seconds()))  # waiting t never comes back early
    return {
        "RateLimit-Policy": f'"reveals";q={allowance.limit};w={WINDOW_SECONDS}',
        "RateLimit": f'"reveals";r={allowance.remaining};t={reset_seconds}',
    }


def explain_limit(allowance: Allowance | None, seller_id: str, options: list[ContactOption], now: datetime) -> LayerVerdict:
    """The reveal limit's verdict for ?explain=true: what the buyer's tally left of the day's allowance."""
    if allowance is None:
        detail = "no daily reveal limit for this caller (support, or the limit is 0)"
        return LayerVerdict(layer=PolicyLayer.REVEAL_LIMIT, effect="none", detail=detail, excluded=[])
    if not allowance.tally_read:
        used = f"the buyer's tally could not be read: counted as 0 of {allowance.limit} (our outage never blocks a buyer)"
    else:
        used = f"{len(allowance.already)} of {allowance.limit} reveals used today by the ingest's count"
    withheld = [option.channel.value for option in options if option.reason is Reason.CONTACT_LIMIT_REACHED]
    if withheld:
        reset = window_reset(now).isoformat().replace("+00:00", "Z")  # written as available_again_at is
        detail = f"{used}: {', '.join(withheld)} withheld until {reset}"
        return LayerVerdict(layer=PolicyLayer.REVEAL_LIMIT, effect="narrows", detail=detail, excluded=[])
    if seller_id in allowance.already:
        detail = f"{used}; this seller was already shown today and is shown again without counting"
    elif revealed_channels(options):
        detail = f"{used}; this seller's contacts are shown and count as one more"
    else:
        detail = f"{used}; no e-mail or phone to show, nothing counted"
    return LayerVerdict(layer=PolicyLayer.REVEAL_LIMIT, effect="none", detail=detail, excluded=[])

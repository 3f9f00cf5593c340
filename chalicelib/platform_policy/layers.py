"""The platform's precedence layers: policy, seller restriction, topic and buyer in; verdicts out. Pure.

Precedence (highest first): seller restriction > topic `support_only` > channel switch (with the pilot and
rollout exceptions) > the seller's own settings > opening hours. The first layer that leaves a channel out
names the reason; the platform only ever narrows what the seller offers.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from chalicelib.models.common import SELLER_CHANNELS, Channel, Reason, Topic
from chalicelib.models.policy import LayerVerdict, PolicyDocument, PolicyLayer, TopicMode
from chalicelib.models.resolution import ExcludedChannel
from chalicelib.models.restriction import SellerRestriction

ROLLOUT_BUCKETS = 10_000  # buckets of 0.01 %: a percentage with two decimals maps exactly
# A salt per channel: a buyer early in the chat rollout is not also early in the phone rollout.
ROLLOUT_SALTS = {Channel.CHAT: "chat-rollout-1", Channel.EMAIL: "email-rollout-1", Channel.PHONE: "phone-rollout-1"}
DISABLED_BY_PLATFORM = {
    Channel.CHAT: Reason.CHAT_DISABLED_BY_PLATFORM,
    Channel.EMAIL: Reason.EMAIL_DISABLED_BY_PLATFORM,
    Channel.PHONE: Reason.PHONE_DISABLED_BY_PLATFORM,
}


def rollout_bucket(channel: Channel, buyer_id: str) -> int:
    """The buyer's fixed bucket in [0, 10000) for `channel`: the same buyer always lands in the same bucket."""
    digest = hashlib.sha256(f"{channel.value}:{ROLLOUT_SALTS[channel]}:{buyer_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % ROLLOUT_BUCKETS


def in_rollout(channel: Channel, buyer_id: str, percent: float) -> bool:
    """Monotonic: a buyer in at p % is in at every q >= p (the bucket is fixed, only the threshold moves)."""
    return rollout_bucket(channel, buyer_id) < rollout_threshold(percent)


def rollout_threshold(percent: float) -> float:
    """The buyer is in if the bucket is below percent x 100 (0.005 % lets bucket 0 in). Rounded to 6 places only
    to drop float noise: 33.33 x 100 must be 3333, not 3333.0000000000005, which would let bucket 3333 in."""
    return round(percent * ROLLOUT_BUCKETS / 100, 6)


@dataclass(frozen=True)
class PlatformVerdict:
    """What the platform's layers decided for one seller, buyer and topic, before the seller's own settings."""

    topic_mode: TopicMode
    blocked: dict[Channel, Reason] = field(default_factory=dict)  # seller channels left out, with the deciding reason
    support_reason: Reason | None = None  # set when a layer leaves support alone (restriction, support_only)
    layers: tuple[LayerVerdict, ...] = ()  # the platform's three layers, for ?explain=true


def decide(
    policy: PolicyDocument,
    topic: Topic,
    seller_id: str,
    buyer_id: str,
    restriction: SellerRestriction | None,
    *,
    explain: bool = False,
) -> PlatformVerdict:
    """Apply the restriction, topic and channel layers in order; a channel left out by one is not seen by the next.

    `explain` also builds each layer's verdict (support's ?explain=true); the hot path skips that work.
    """
    blocked: dict[Channel, Reason] = {}
    layers: list[LayerVerdict] = []

    if restriction is not None:
        blocked = dict.fromkeys(SELLER_CHANNELS, Reason.SELLER_RESTRICTED)
    if explain:
        if restriction is not None:
            detail = f"{restriction.mode.value} since {restriction.set_at.isoformat()} by {restriction.set_by}: {restriction.note}"
            layers.append(_verdict(PolicyLayer.SELLER_RESTRICTION, "decides", detail, blocked))
        else:
            layers.append(_verdict(PolicyLayer.SELLER_RESTRICTION, "none", "the seller is not restricted", {}))

    mode = topic_mode(policy, topic)
    topic_blocked = {}
    if mode is TopicMode.SUPPORT_ONLY:
        topic_blocked = {channel: Reason.TOPIC_SUPPORT_ONLY for channel in SELLER_CHANNELS if channel not in blocked}
    if explain:
        effect = "decides" if topic_blocked else "none"
        layers.append(_verdict(PolicyLayer.TOPIC, effect, f"{topic.value}: {mode.value}", topic_blocked))
    blocked.update(topic_blocked)

    channel_blocked: dict[Channel, Reason] = {}
    details = []  # only built for explain: the hot path skips the string work
    switched_off = switched_off_for(policy, seller_id, buyer_id)
    for channel in SELLER_CHANNELS:
        rule = policy.channels.of(channel)
        if channel in switched_off and channel not in blocked:
            channel_blocked[channel] = Reason.NOT_IN_ROLLOUT if rule.rollout_percent > 0 else DISABLED_BY_PLATFORM[channel]
        if not explain:
            continue
        if rule.enabled:
            details.append(f"{channel.value}: on")
        elif seller_id in rule.allow_sellers:
            details.append(f"{channel.value}: off platform-wide, on for this seller (allow_sellers)")
        else:
            rollout = f"buyer bucket {rollout_bucket(channel, buyer_id) / 100:.2f} % vs rollout {rule.rollout_percent:g} %"
            who = "seller not in allow_sellers" if channel in switched_off else "on for this buyer"
            details.append(f"{channel.value}: off platform-wide, {who} ({rollout})")
    if explain:
        effect = "narrows" if channel_blocked else "none"
        layers.append(_verdict(PolicyLayer.PLATFORM_CHANNELS, effect, "; ".join(details), channel_blocked))
    blocked.update(channel_blocked)

    support_reason = support_alone_reason(mode, restriction)
    return PlatformVerdict(topic_mode=mode, blocked=blocked, support_reason=support_reason, layers=tuple(layers))


def switched_off_for(policy: PolicyDocument, seller_id: str, buyer_id: str) -> frozenset[Channel]:
    """The seller channels the platform's switches leave out for this buyer: off platform-wide, the seller not in
    `allow_sellers` and the buyer outside the rollout. All the channel layer takes from the buyer."""
    return frozenset(
        channel
        for channel in SELLER_CHANNELS
        if not (rule := policy.channels.of(channel)).enabled
        and seller_id not in rule.allow_sellers
        and not in_rollout(channel, buyer_id, rule.rollout_percent)
    )


def support_alone_reason(mode: TopicMode, restriction: SellerRestriction | None) -> Reason | None:
    """Why the platform leaves the buyer with support alone, whatever the seller offers; None: it does not."""
    if restriction is not None:
        return Reason.SELLER_RESTRICTED
    if mode is TopicMode.SUPPORT_ONLY:
        return Reason.TOPIC_SUPPORT_ONLY
    return None


def topic_mode(policy: PolicyDocument, topic: Topic) -> TopicMode:
    return TopicMode(getattr(policy.topics, topic.value))


def _verdict(layer: PolicyLayer, effect: str, detail: str, blocked: dict[Channel, Reason]) -> LayerVerdict:
    excluded = [ExcludedChannel(channel=channel, reason=reason) for channel, reason in blocked.items()]
    return LayerVerdict(layer=layer, effect=effect, detail=detail, excluded=excluded)  # type: ignore[arg-type]

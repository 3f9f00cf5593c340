"""The platform's precedence layers and rollout buckets: plain values and hypothesis properties."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from chalicelib.contacts.ranking import resolve
from chalicelib.models.common import SELLER_CHANNELS, Channel, Reason, Topic
from chalicelib.models.policy import DEFAULT_POLICY, PolicyDocument, PolicyLayer, PolicyUpdate, TopicMode, TopicPolicies
from chalicelib.models.restriction import RestrictionMode, SellerRestriction
from chalicelib.models.settings import ChannelSettings, SellerSettings
from chalicelib.platform_policy.layers import DISABLED_BY_PLATFORM, decide, in_rollout, rollout_bucket
from chalicelib.platform_policy.service import changed_paths
from chalicelib.sellers.store import DynamoSettingsStore
from chalicelib.shared.dynamo import to_attributes
from tests.fakes import OneItemTable

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


RESTRICTED = SellerRestriction(mode=RestrictionMode.SUPPORT_ONLY, note="fraud review", set_by="ops-1", set_at=NOW)


EVERYTHING = ChannelSettings.model_validate(
    {"chat": {"enabled": True}, "email": {"enabled": True, "address": "a@example.com"}, "phone": {"enabled": True, "number": "+4930123456"}}
)


def seller(channels: ChannelSettings = EVERYTHING, restriction: SellerRestriction | None = None) -> SellerSettings:
    return SellerSettings(
        seller_id="s1", **channels.model_dump(), version=1, updated_at=NOW, updated_by="t", restriction=restriction
    )


def policy(**channels: Any) -> PolicyDocument:
    return PolicyDocument.model_validate({"channels": channels})


def offered(result: Any) -> list[Channel]:
    return [option.channel for option in result.options]


def test_rollout_share_of_100000_buyers_is_within_half_a_point_of_10_percent() -> None:
    for channel in SELLER_CHANNELS:
        share = sum(in_rollout(channel, f"buyer-{i}", 10) for i in range(100_000)) / 100_000
        assert 0.095 <= share <= 0.105, (channel, share)


@given(st.text(min_size=1, max_size=40), st.sampled_from(SELLER_CHANNELS))
def test_rollout_bucket_is_deterministic(buyer_id: str, channel: Channel) -> None:
    assert rollout_bucket(channel, buyer_id) == rollout_bucket(channel, buyer_id)
    assert 0 <= rollout_bucket(channel, buyer_id) < 10_000


@given(
    st.text(min_size=1, max_size=40),
    st.sampled_from(SELLER_CHANNELS),
    st.floats(min_value=0, max_value=100),
    st.floats(min_value=0, max_value=100),
)
def test_rollout_is_monotonic_a_buyer_in_at_p_stays_in_at_every_larger_q(buyer_id: str, channel: Channel, p: float, q: float) -> None:
    low, high = sorted((p, q))
    if in_rollout(channel, buyer_id, low):
        assert in_rollout(channel, buyer_id, high)
    assert in_rollout(channel, buyer_id, 100) and not in_rollout(channel, buyer_id, 0)


def test_each_channel_has_its_own_salt() -> None:
    early_for_chat = {i for i in range(10_000) if in_rollout(Channel.CHAT, f"b{i}", 5)}
    early_for_phone = {i for i in range(10_000) if in_rollout(Channel.PHONE, f"b{i}", 5)}
    assert early_for_chat != early_for_phone


def test_topic_policies_name_every_topic_and_the_default_is_todays_rules() -> None:
    assert set(TopicPolicies.model_fields) == {topic.value for topic in Topic}
    support_first = {t for t in Topic if getattr(DEFAULT_POLICY.topics, t.value) is TopicMode.SUPPORT_FIRST}
    assert support_first == {Topic.DELIVERY, Topic.RETURN_REFUND, Topic.PAYMENT}
    assert all(DEFAULT_POLICY.channels.of(channel).enabled for channel in SELLER_CHANNELS)


@pytest.mark.parametrize(
    "document",
    [
        {"channels": {"fax": {"enabled": False}}},
        {"topics": {"refunds": "support_only"}},
        {"topics": {"delivery": "seller_only"}},
        {"channels": {"chat": {"rollout_percent": 100.5}}},
        {"channels": {"chat": {"rollout_percent": -1}}},
        {"channels": {"chat": {"allow_sellers": [f"s{i}" for i in range(1001)]}}},
        {"channels": {"chat": {"allow_sellers": ["not a seller id"]}}},
    ],
)
def test_invalid_documents_are_rejected(document: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        PolicyUpdate.model_validate(document)


def test_changed_paths_name_the_leaves_that_differ() -> None:
    new = PolicyDocument.model_validate({"channels": {"chat": {"enabled": False}}, "topics": {"delivery": "support_only"}})
    assert changed_paths(DEFAULT_POLICY, new) == ["channels.chat.enabled", "topics.delivery"]
    assert changed_paths(new, new) == []


def test_default_policy_reproduces_the_rules_before_the_policy() -> None:
    for topic in Topic:
        for settings_ in (seller(), seller(ChannelSettings()), None):
            before = resolve("s1", settings_, topic, NOW)
            now = resolve("s1", settings_, topic, NOW, platform=decide(DEFAULT_POLICY, topic, "s1", "b1", None))
            assert now == before


def test_chat_switched_off_platform_wide() -> None:
    result = resolve("s1", seller(), Topic.PRODUCT_QUESTION, NOW, platform=decide(policy(chat={"enabled": False}), Topic.PRODUCT_QUESTION, "s1", "b1", None))
    assert offered(result) == [Channel.EMAIL, Channel.PHONE, Channel.SUPPORT]
    assert (Channel.CHAT, Reason.CHAT_DISABLED_BY_PLATFORM) in [(e.channel, e.reason) for e in result.excluded]


def test_support_alone_says_the_platform_left_out_what_the_seller_offers_not_last_resort() -> None:
    chat_only = seller(ChannelSettings.model_validate({"chat": {"enabled": True}}))
    result = resolve("s1", chat_only, Topic.PRODUCT_QUESTION, NOW, platform=decide(policy(chat={"enabled": False}), Topic.PRODUCT_QUESTION, "s1", "b1", None))
    assert [(o.channel, o.reason) for o in result.options] == [(Channel.SUPPORT, Reason.CHAT_DISABLED_BY_PLATFORM)]
    rollout = policy(chat={"enabled": False, "rollout_percent": 10})
    outside = next(b for b in (f"b{i}" for i in range(100)) if not in_rollout(Channel.CHAT, b, 10))
    result = resolve("s1", chat_only, Topic.OTHER, NOW, platform=decide(rollout, Topic.OTHER, "s1", outside, None))
    assert [(o.channel, o.reason) for o in result.options] == [(Channel.SUPPORT, Reason.NOT_IN_ROLLOUT)]


def test_pilot_seller_keeps_the_channel_and_buyers_outside_the_rollout_are_told_so() -> None:
    rules = policy(chat={"enabled": False, "allow_sellers": ["pilot-shop"], "rollout_percent": 10})
    assert Channel.CHAT not in decide(rules, Topic.OTHER, "pilot-shop", "anyone", None).blocked
    buyers = [f"b{i}" for i in range(200)]
    inside = [b for b in buyers if in_rollout(Channel.CHAT, b, 10)]
    outside = [b for b in buyers if not in_rollout(Channel.CHAT, b, 10)]
    assert inside and outside
    assert all(Channel.CHAT not in decide(rules, Topic.OTHER, "other-shop", b, None).blocked for b in inside)
    assert {decide(rules, Topic.OTHER, "other-shop", b, None).blocked[Channel.CHAT] for b in outside} == {Reason.NOT_IN_ROLLOUT}


def test_restriction_beats_every_other_layer_and_explains_each() -> None:
    rules = PolicyDocument.model_validate({"channels": {"chat": {"enabled": False}}, "topics": {"other": "support_only"}})
    verdict = decide(rules, Topic.OTHER, "s1", "b1", RESTRICTED, explain=True)
    result = resolve("s1", seller(restriction=RESTRICTED), Topic.OTHER, NOW, platform=verdict)
    assert [(o.channel, o.reason) for o in result.options] == [(Channel.SUPPORT, Reason.SELLER_RESTRICTED)]
    assert {e.reason for e in result.excluded} == {Reason.SELLER_RESTRICTED}
    assert [layer.layer for layer in verdict.layers] == [PolicyLayer.SELLER_RESTRICTION, PolicyLayer.TOPIC, PolicyLayer.PLATFORM_CHANNELS]
    assert verdict.layers[0].effect == "decides" and "fraud review" in verdict.layers[0].detail


channel_rules = st.fixed_dictionaries(
    {
        "enabled": st.booleans(),
        "allow_sellers": st.lists(st.sampled_from(["s1", "s2"]), max_size=2, unique=True),
        "rollout_percent": st.sampled_from([0, 5, 50, 100]),
    }
)


documents = st.builds(
    lambda chat, email, phone, modes: PolicyDocument.model_validate(
        {"channels": {"chat": chat, "email": email, "phone": phone}, "topics": modes}
    ),
    channel_rules,
    channel_rules,
    channel_rules,
    st.fixed_dictionaries({t.value: st.sampled_from(list(TopicMode)) for t in Topic}),
)


seller_channels = st.builds(
    lambda chat, email, phone: ChannelSettings.model_validate(
        {
            "chat": {"enabled": chat},
            "email": {"enabled": email, "address": "a@example.com"},
            "phone": {"enabled": phone, "number": "+4930123456"},
        }
    ),
    st.booleans(),
    st.booleans(),
    st.booleans(),
)


@settings(max_examples=300)
@given(documents, seller_channels, st.booleans(), st.sampled_from(list(Topic)), st.sampled_from(["s1", "s2", "s3"]), st.text(min_size=1, max_size=12))
def test_precedence_properties(
    rules: PolicyDocument, channels: ChannelSettings, restricted: bool, topic: Topic, seller_id: str, buyer_id: str
) -> None:
    restriction = RESTRICTED if restricted else None
    settings_ = seller(channels, restriction)
    result = resolve(seller_id, settings_, topic, NOW, platform=decide(rules, topic, seller_id, buyer_id, restriction))
    seller_only = resolve(seller_id, settings_, topic, NOW)  # the seller's own layers alone
    offered_channels = offered(result)

    # Support exactly once, always; every seller channel is either offered or excluded, never both.
    assert offered_channels.count(Channel.SUPPORT) == 1
    excluded = {e.channel: e.reason for e in result.excluded}
    assert sorted([*[c for c in offered_channels if c is not Channel.SUPPORT], *excluded]) == sorted(SELLER_CHANNELS)
    # The platform only narrows: it never offers a channel the seller did not.
    assert set(offered_channels) <= set(offered(seller_only))

    mode = getattr(rules.topics, topic.value)
    # A channel the seller does not offer is the seller's own choice: no platform layer is blamed for it.
    seller_excluded = {e.channel: e.reason for e in seller_only.excluded}
    assert {channel: excluded[channel] for channel in seller_excluded} == seller_excluded
    seller_offers = [channel for channel in SELLER_CHANNELS if channel not in seller_excluded]
    if restricted:  # 1. the restriction decides everything
        assert [(o.channel, o.reason) for o in result.options] == [(Channel.SUPPORT, Reason.SELLER_RESTRICTED)]
        assert {excluded[channel] for channel in seller_offers} <= {Reason.SELLER_RESTRICTED}
        return
    if mode is TopicMode.SUPPORT_ONLY:  # 2. then the topic
        assert [(o.channel, o.reason) for o in result.options] == [(Channel.SUPPORT, Reason.TOPIC_SUPPORT_ONLY)]
        assert {excluded[channel] for channel in seller_offers} <= {Reason.TOPIC_SUPPORT_ONLY}
        return
    for channel in seller_offers:  # 3. then the channel switch with its pilot and rollout exceptions
        rule = rules.channels.of(channel)
        reopened = rule.enabled or seller_id in rule.allow_sellers or in_rollout(channel, buyer_id, rule.rollout_percent)
        if not reopened:
            expected = Reason.NOT_IN_ROLLOUT if rule.rollout_percent > 0 else DISABLED_BY_PLATFORM[channel]
            assert excluded[channel] is expected
        else:  # 4./5. the seller's own settings and hours decide, exactly as without a policy
            assert (channel in offered_channels) == (channel in offered(seller_only))
    # Support's own reason: "last resort" only behind a seller channel; the platform's when it left out all of them.
    support = next(o for o in result.options if o.channel is Channel.SUPPORT)
    seller_offered = [c for c in offered(seller_only) if c is not Channel.SUPPORT]
    if len(offered_channels) == 1 and seller_offered and mode is TopicMode.SELLER_FIRST:
        assert support.reason is excluded[seller_offered[0]]
    assert (support.reason is Reason.LAST_RESORT) == (len(offered_channels) > 1 and mode is TopicMode.SELLER_FIRST)
    # Topic routing: support first or last around whatever the seller still offers.
    if len(offered_channels) > 1:
        assert (offered_channels[0] is Channel.SUPPORT) == (mode is TopicMode.SUPPORT_FIRST)
        assert (offered_channels[-1] is Channel.SUPPORT) == (mode is TopicMode.SELLER_FIRST)


def test_an_item_with_only_a_restriction_reads_as_version_0_for_resolutions_and_as_nothing_for_the_seller() -> None:
    table = OneItemTable()
    restriction = SellerRestriction.model_validate({"mode": "support_only", "note": "n", "set_at": NOW, "set_by": "admin"})
    table.item = {"seller_id": {"S": "restricted-seller"}, **to_attributes({"restriction": restriction.model_dump(mode="json")})}
    assert DynamoSettingsStore(table, "seller-channels").get("restricted-seller") is None
    restricted = DynamoSettingsStore(table, "seller-channels", restricted_without_settings=True).get("restricted-seller")
    assert restricted is not None and restricted.version == 0 and restricted.restriction == restriction
    assert not (restricted.chat.enabled or restricted.email.enabled or restricted.phone.enabled)
    table.item = {"seller_id": {"S": "restricted-seller"}}  # lifted: nothing left of the item but its key
    assert DynamoSettingsStore(table, "seller-channels", restricted_without_settings=True).get("restricted-seller") is None


def first_buyer_in_bucket(channel: Channel, bucket: int) -> str:
    return next(f"buyer-{i}" for i in range(10**7) if rollout_bucket(channel, f"buyer-{i}") == bucket)


def test_a_buyer_is_in_the_rollout_if_the_bucket_is_below_percent_times_100_as_documented() -> None:
    """Was: the threshold was round(percent x 100): at 0.005 % nobody was in (the documented rule lets bucket 0 in),
    while every buyer was told not_in_rollout, "a rollout is running"."""
    assert in_rollout(Channel.CHAT, first_buyer_in_bucket(Channel.CHAT, 0), 0.005)
    assert not in_rollout(Channel.CHAT, first_buyer_in_bucket(Channel.CHAT, 1), 0.005)
    # 33.33 x 100 is 3333 exactly, float noise aside: bucket 3332 is in, 3333 is not.
    assert in_rollout(Channel.CHAT, first_buyer_in_bucket(Channel.CHAT, 3332), 33.33)
    assert not in_rollout(Channel.CHAT, first_buyer_in_bucket(Channel.CHAT, 3333), 33.33)

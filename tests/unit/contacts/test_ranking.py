"""The ranking rules, with plain values and with generated settings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from chalicelib.contacts.ranking import is_open, next_opening, resolve
from chalicelib.models.common import PLATFORM_TOPICS, SELLER_CHANNELS, Channel, Reason, Topic
from chalicelib.models.settings import ChannelSettings, SellerSettings

# Thursday 2026-11-26 12:00 UTC = 15:00 in Moscow (UTC+3, no DST).
THURSDAY_NOON = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


WEEKDAYS_9_TO_6 = {"timezone": "Europe/Moscow", "weekly": {d: ["09:00-18:00"] for d in ("mon", "tue", "wed", "thu", "fri")}}


def settings(**channels: Any) -> SellerSettings:
    return SellerSettings(
        seller_id="s1", **ChannelSettings.model_validate(channels).model_dump(), version=1,
        updated_at=THURSDAY_NOON, updated_by="test",
    )


CHAT_AND_EMAIL = settings(chat={"enabled": True}, email={"enabled": True, "address": "shop@example.com"})


PHONE_ONLY = settings(phone={"enabled": True, "number": "+74951234567", "hours": WEEKDAYS_9_TO_6})


def channels(result: Any) -> list[str]:
    return [option.channel.value for option in result.options]


def test_seller_topic_puts_chat_then_email_then_support_last() -> None:
    result = resolve("s1", CHAT_AND_EMAIL, Topic.PRODUCT_QUESTION, THURSDAY_NOON)
    assert channels(result) == ["chat", "email", "support"]
    assert [o.reason for o in result.options] == [Reason.CHAT_ENABLED, Reason.EMAIL_ENABLED, Reason.LAST_RESORT]
    assert result.options[0].contact == "app://chat/seller/s1"
    assert result.options[1].contact == "shop@example.com"
    assert [(e.channel, e.reason) for e in result.excluded] == [(Channel.PHONE, Reason.PHONE_DISABLED)]


def test_platform_topic_puts_support_first() -> None:
    for topic in (Topic.DELIVERY, Topic.RETURN_REFUND, Topic.PAYMENT):
        result = resolve("s1", CHAT_AND_EMAIL, topic, THURSDAY_NOON)
        assert channels(result) == ["support", "chat", "email"]
        assert result.options[0].reason is Reason.PLATFORM_TOPIC
        assert result.options[0].contact == f"app://support?seller_id=s1&topic={topic.value}"


def test_phone_within_hours_is_available() -> None:
    result = resolve("s1", PHONE_ONLY, Topic.ORDER_STATUS, THURSDAY_NOON)
    assert channels(result) == ["phone", "support"]
    assert result.options[0].available_now and result.options[0].reason is Reason.PHONE_WITHIN_HOURS
    assert result.options[0].contact == "+74951234567"


def test_phone_outside_hours_stays_listed_with_next_opening_after_email() -> None:
    saturday = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
    both = settings(email={"enabled": True, "address": "a@example.com"}, phone=PHONE_ONLY.phone.model_dump())
    result = resolve("s1", both, Topic.OTHER, saturday)
    assert channels(result) == ["email", "phone", "support"]
    phone = result.options[1]
    assert phone.available_now is False and phone.reason is Reason.PHONE_OUTSIDE_HOURS
    assert phone.next_available_at == datetime(2026, 11, 30, 6, 0, tzinfo=UTC)  # Monday 09:00 Moscow


def test_phone_after_closing_opens_next_morning() -> None:
    thursday_evening = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)  # 18:00 Moscow: closed (end exclusive)
    assert not is_open(PHONE_ONLY.phone.hours, thursday_evening)  # type: ignore[arg-type]
    assert next_opening(PHONE_ONLY.phone.hours, thursday_evening) == datetime(2026, 11, 27, 6, 0, tzinfo=UTC)  # type: ignore[arg-type]


def test_opening_in_a_dst_gap_moves_forward_and_uses_the_new_offset() -> None:
    hours = settings(phone={"enabled": True, "number": "+49301234567",
                            "hours": {"timezone": "Europe/Berlin", "weekly": {"sun": ["02:30-05:00"]}}}).phone.hours
    before = datetime(2026, 3, 29, 0, 0, tzinfo=UTC)  # Sunday 01:00 CET, clocks jump 02:00 -> 03:00
    opening = next_opening(hours, before)  # type: ignore[arg-type]
    assert opening is not None and opening > before
    assert opening == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)  # 02:30 does not exist; open as the clocks jump to 03:00


def test_phone_without_hours_is_always_available() -> None:
    result = resolve("s1", settings(phone={"enabled": True, "number": "+74951234567"}), Topic.OTHER, THURSDAY_NOON)
    assert result.options[0].reason is Reason.PHONE_NO_HOURS_SET and result.options[0].available_now


def test_phone_with_no_open_day_has_no_next_opening() -> None:
    closed = settings(phone={"enabled": True, "number": "+74951234567", "hours": {"timezone": "UTC", "weekly": {}}})
    phone = resolve("s1", closed, Topic.OTHER, THURSDAY_NOON).options[0]
    assert phone.available_now is False and phone.next_available_at is None


def test_missing_settings_give_support_only() -> None:
    result = resolve("s1", None, Topic.PRODUCT_QUESTION, THURSDAY_NOON)
    assert channels(result) == ["support"]
    assert result.options[0].reason is Reason.SELLER_SETTINGS_MISSING
    assert {e.reason for e in result.excluded} == {Reason.SELLER_SETTINGS_MISSING}
    assert [e.channel for e in result.excluded] == list(SELLER_CHANNELS)


def test_unavailable_settings_give_support_only_with_their_own_reason() -> None:
    result = resolve("s1", CHAT_AND_EMAIL, Topic.OTHER, THURSDAY_NOON, settings_unavailable=True)
    assert channels(result) == ["support"]
    assert result.options[0].reason is Reason.SETTINGS_UNAVAILABLE


def test_seller_with_nothing_enabled_gets_support_with_reason() -> None:
    result = resolve("s1", settings(), Topic.DELIVERY, THURSDAY_NOON)
    assert channels(result) == ["support"]
    assert result.options[0].reason is Reason.SELLER_HAS_NO_CHANNELS
    assert [e.reason for e in result.excluded] == [Reason.CHAT_DISABLED, Reason.EMAIL_DISABLED, Reason.PHONE_DISABLED]


ranges = st.tuples(st.integers(0, 23), st.integers(1, 24)).filter(lambda r: r[0] < r[1]).map(
    lambda r: f"{r[0]:02d}:00-{r[1]:02d}:00"
)


hours = st.fixed_dictionaries(
    {
        "timezone": st.sampled_from(["UTC", "Europe/Moscow", "Europe/Berlin", "America/New_York", "Asia/Kolkata"]),
        "weekly": st.dictionaries(st.sampled_from(["mon", "tue", "wed", "thu", "fri", "sat", "sun"]), st.lists(ranges, max_size=2)),
    }
)


generated_settings = st.builds(
    lambda chat, email, phone, phone_hours: settings(
        chat={"enabled": chat},
        email={"enabled": email, "address": "shop@example.com"},
        phone={"enabled": phone, "number": "+74951234567", "hours": phone_hours},
    ),
    st.booleans(), st.booleans(), st.booleans(), st.none() | hours,
)


moments = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1), timezones=st.just(UTC))


@given(st.none() | generated_settings, st.sampled_from(Topic), moments, st.booleans())
def test_support_always_present_exactly_once_and_placed_by_topic(s: Any, topic: Topic, now: datetime, down: bool) -> None:
    result = resolve("s1", s, topic, now, settings_unavailable=down)
    offered = channels(result)
    assert offered.count("support") == 1
    if topic in PLATFORM_TOPICS or len(offered) == 1:
        assert offered[0] == "support"
    else:
        assert offered[-1] == "support"


@given(generated_settings, st.sampled_from(Topic), moments)
def test_no_disabled_channel_offered_and_every_channel_explained_once(s: SellerSettings, topic: Topic, now: datetime) -> None:
    result = resolve("s1", s, topic, now)
    offered = [o.channel for o in result.options if o.channel is not Channel.SUPPORT]
    for channel in offered:
        assert getattr(s, channel.value).enabled
    explained = offered + [e.channel for e in result.excluded]
    assert sorted(explained) == sorted(SELLER_CHANNELS)
    seller_order = [c for c in SELLER_CHANNELS if c in offered]
    assert offered == seller_order  # chat -> email -> phone, never reshuffled


@given(generated_settings, st.sampled_from(Topic), moments)
def test_order_is_deterministic_and_unavailable_phone_has_a_future_opening(s: SellerSettings, topic: Topic, now: datetime) -> None:
    first, second = resolve("s1", s, topic, now), resolve("s1", s, topic, now)
    assert first == second
    for option in first.options:
        if not option.available_now:
            assert option.reason is Reason.PHONE_OUTSIDE_HOURS
            if option.next_available_at is not None:
                assert now < option.next_available_at <= now + timedelta(days=8)
                assert is_open(s.phone.hours, option.next_available_at)  # type: ignore[arg-type]

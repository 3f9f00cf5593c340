"""The daily reveal limit: allowance arithmetic, the same seller twice, the UTC day boundary, the headers."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from chalicelib.contacts.limits import (
    Allowance,
    apply_limit,
    rate_limit_headers,
    revealed_channels,
    tally_key,
    utc_day,
    window_reset,
)
from chalicelib.models.common import Channel, Owner, Reason
from chalicelib.models.resolution import ContactOption

NOW = datetime(2026, 11, 26, 22, 30, tzinfo=UTC)


def option(channel: Channel, contact: str) -> ContactOption:
    owner = Owner.PLATFORM if channel is Channel.SUPPORT else Owner.SELLER
    return ContactOption(channel=channel, owner=owner, available_now=True, reason=Reason.LAST_RESORT, contact=contact)


FULL = [
    option(Channel.CHAT, "app://chat/seller/s"),
    option(Channel.EMAIL, "s@example.com"),
    option(Channel.PHONE, "+4930123456"),
    option(Channel.SUPPORT, "app://support"),
]


def test_allowance_counts_distinct_sellers_and_never_one_twice() -> None:
    allowance = Allowance(limit=2, already=frozenset({"a"}))
    assert allowance.remaining == 1
    assert allowance.admit("a") and allowance.remaining == 1  # shown earlier today: free
    assert allowance.admit("b") and allowance.remaining == 0
    assert allowance.admit("b")  # the same seller again within the day
    assert not allowance.admit("c") and allowance.remaining == 0


def test_over_the_limit_email_and_phone_stay_listed_without_their_value_chat_and_support_untouched() -> None:
    allowance = Allowance(limit=1, already=frozenset({"other"}))
    limited = apply_limit(FULL, "s", allowance, NOW)
    assert [o.channel for o in limited] == [o.channel for o in FULL]
    withheld = {o.channel: o for o in limited if o.contact is None}
    assert set(withheld) == {Channel.EMAIL, Channel.PHONE}
    assert {o.reason for o in withheld.values()} == {Reason.CONTACT_LIMIT_REACHED}
    assert {o.available_again_at for o in withheld.values()} == {datetime(2026, 11, 27, tzinfo=UTC)}
    assert limited[0] == FULL[0] and limited[-1] == FULL[-1]
    assert revealed_channels(limited) == [] and revealed_channels(FULL) == [Channel.EMAIL, Channel.PHONE]


def test_a_withheld_contact_is_not_usable_now_so_never_primary() -> None:
    """E-mail first (seller_first without chat): over the limit the buyer cannot write to it, support is primary."""
    from chalicelib.contacts.ranking import primary_option

    limited = apply_limit(FULL[1:], "s", Allowance(limit=1, already=frozenset({"other"})), NOW)
    assert [(o.channel, o.available_now) for o in limited if o.contact is None] == [(Channel.EMAIL, False), (Channel.PHONE, False)]
    assert primary_option(limited).channel is Channel.SUPPORT


def test_a_seller_with_only_chat_does_not_spend_the_allowance() -> None:
    allowance = Allowance(limit=1, already=frozenset())
    assert apply_limit([FULL[0], FULL[-1]], "chat-only", allowance, NOW) == [FULL[0], FULL[-1]]
    assert allowance.remaining == 1


@given(st.integers(min_value=1, max_value=20), st.lists(st.sampled_from("abcdefghij"), max_size=40))
def test_one_request_never_reveals_more_sellers_than_the_allowance_left(limit: int, sellers: list[str]) -> None:
    allowance = Allowance(limit=limit, already=frozenset({"a", "b"}))
    shown = {s for s in sellers if revealed_channels(apply_limit(FULL, s, allowance, NOW))}
    assert len(shown - {"a", "b"}) <= max(0, limit - 2)
    assert {"a", "b"} & set(sellers) <= shown  # already revealed today: always shown again


def test_the_day_is_the_utc_day_and_the_window_resets_at_utc_midnight() -> None:
    late = datetime(2026, 11, 26, 23, 59, 59, tzinfo=UTC)
    assert utc_day(late).isoformat() == "2026-11-26"
    assert utc_day(datetime(2026, 11, 27, 0, 0, tzinfo=UTC)).isoformat() == "2026-11-27"
    assert window_reset(late) == datetime(2026, 11, 27, tzinfo=UTC)
    assert tally_key("b1", utc_day(late)) != tally_key("b1", utc_day(window_reset(late)))


def test_ratelimit_headers_follow_the_ietf_draft() -> None:
    allowance = Allowance(limit=30, already=frozenset({"a", "b"}))
    assert rate_limit_headers(allowance, NOW) == {
        "RateLimit-Policy": '"reveals";q=30;w=86400',
        "RateLimit": '"reveals";r=28;t=5400',
    }


def test_ratelimit_reset_rounds_up_so_waiting_t_seconds_never_comes_back_early() -> None:
    """Was: t truncated; at 10:00:00.7 it said 50399, and a client waiting that long came back 0.3 s too soon."""
    now = datetime(2026, 11, 26, 10, 0, 0, 700_000, tzinfo=UTC)
    assert rate_limit_headers(Allowance(limit=30, already=frozenset()), now)["RateLimit"] == '"reveals";r=30;t=50400'


def test_explain_writes_the_reset_as_available_again_at_does() -> None:
    """Was: explain wrote 2026-11-27T00:00:00+00:00 next to available_again_at's 2026-11-27T00:00:00Z."""
    from chalicelib.contacts.limits import explain_limit

    allowance = Allowance(limit=1, already=frozenset({"other"}))
    limited = apply_limit(FULL, "s", allowance, NOW)
    detail = explain_limit(allowance, "s", limited, NOW).detail
    assert "withheld until 2026-11-27T00:00:00Z" in detail
    assert limited[1].model_dump(mode="json")["available_again_at"] == "2026-11-27T00:00:00Z"

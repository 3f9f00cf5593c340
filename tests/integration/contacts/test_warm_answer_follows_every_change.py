"""A warm container's answer changes at once with each thing it depends on: the clock, the policy, the buyer, the
seller's settings and the platform's restriction. Whatever the hot path caches (parsed settings, the policy within
its TTL, the answers, texts) must never hold one of them back."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from chalicelib.models.common import Channel
from chalicelib.platform_policy.layers import in_rollout
from tests.calls import excluded, offered, options, put_policy, restrict, send
from tests.conftest import bearer, seller_token

MONDAY_13_MOSCOW = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
MONDAY_23_MOSCOW = datetime(2026, 12, 7, 20, 0, tzinfo=UTC)


@pytest.fixture
def clock(api: Any) -> Iterator[list[datetime]]:
    """The container's resolution service, built as the wiring builds it, on a clock the test moves."""
    from chalicelib import wiring

    now = [MONDAY_13_MOSCOW]
    service = wiring.build_resolution_service(lambda: now[0])
    original = wiring.resolution_service
    wiring.resolution_service = lambda: service  # type: ignore[method-assign]
    yield now
    wiring.resolution_service = original  # type: ignore[method-assign]


def phone(result: dict[str, Any]) -> dict[str, Any]:
    return next(option for option in result["options"] if option["channel"] == "phone")


def test_the_clock_moves_the_phone_from_open_to_closed_at_once(api: Any, clock: list[datetime]) -> None:
    assert phone(options(api, "demo-phone"))["available_now"] is True
    clock[0] = MONDAY_23_MOSCOW
    closed = phone(options(api, "demo-phone", topic="product_question"))
    assert closed["available_now"] is False and closed["hint"] and closed["next_available_at"].startswith("2026-12-08T06:00")


def test_policy_buyer_settings_and_restriction_each_change_the_next_answer(api: Any, clock: list[datetime]) -> None:
    before = options(api, "demo-chat")
    assert offered(before) == ["chat", "email", "support"]

    assert put_policy(api, {"channels": {"email": {"enabled": False}}}, if_match='"0"').status_code == 200
    assert excluded(options(api, "demo-chat"))["email"] == "email_disabled_by_platform"  # the policy, at once

    half_chat = {"channels": {"chat": {"enabled": False, "rollout_percent": 50}}}
    assert put_policy(api, half_chat, if_match='"1"').status_code == 200
    buyers = [f"buyer-{n}" for n in range(40)]
    inside = bearer("buyer", next(b for b in buyers if in_rollout(Channel.CHAT, b, 50)))
    outside = bearer("buyer", next(b for b in buyers if not in_rollout(Channel.CHAT, b, 50)))
    assert offered(options(api, "demo-chat", headers=inside)) == ["chat", "email", "support"]
    assert excluded(options(api, "demo-chat", headers=outside))["chat"] == "not_in_rollout"  # the buyer, at once

    patch = send(api, "PATCH", "/v1/sellers/demo-chat/channels", {"chat": {"enabled": False}}, {**seller_token("demo-chat"), "If-Match": '"1"'})
    assert patch.status_code == 200, patch.body
    assert excluded(options(api, "demo-chat", headers=inside))["chat"] == "chat_disabled"  # the settings, at once

    assert restrict(api, "demo-chat").status_code == 200
    restricted = options(api, "demo-chat", headers=inside)
    assert offered(restricted) == ["support"] and restricted["options"][0]["reason"] == "seller_restricted"  # the restriction

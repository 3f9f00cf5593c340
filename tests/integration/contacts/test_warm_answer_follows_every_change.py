"""A warm container's answer changes at once with each thing it depends on: the clock, the policy, the buyer, the
seller's settings and the platform's restriction, the topic and the language. Whatever the hot path caches (parsed
settings, the policy within its TTL, the answers, a seller's offer per versions, topic and language) must never hold
one of them back, nor differ from what a cold container builds."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from chalicelib.models.common import Channel
from chalicelib.platform_policy.layers import in_rollout
from tests.calls import excluded, offered, options, put_policy, resolve, restrict, send
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


def test_the_language_and_the_topic_each_change_the_next_answer(api: Any, clock: list[datetime]) -> None:
    """Both are part of what the container keeps per seller: neither may serve the other's texts or order."""
    english = json.loads(resolve(api, "demo-chat", "product_question", lang="en").body)
    russian = json.loads(resolve(api, "demo-chat", "product_question", lang="ru").body)
    assert english["primary"]["label"] == "Message the seller" and russian["primary"]["label"] == "Написать продавцу"
    assert offered(options(api, "demo-chat", topic="delivery"))[0] == "support"  # a platform topic: support first
    assert offered(options(api, "demo-chat", topic="product_question"))[0] == "chat"


def test_a_warm_answer_is_the_cold_answer_byte_for_byte(api: Any, clock: list[datetime]) -> None:
    """What the container keeps is what it would build again: the same body, from a fresh service and a warm one."""
    from chalicelib import wiring

    for seller_id in ("demo-chat", "demo-email", "demo-phone", "demo-none"):
        for lang in ("ru", "en"):
            warm = [resolve(api, seller_id, "product_question", lang=lang).body for _ in range(2)]
            cold_service = wiring.build_resolution_service(lambda: clock[0])
            original = wiring.resolution_service
            wiring.resolution_service = lambda service=cold_service: service  # type: ignore[method-assign]
            try:
                cold = resolve(api, seller_id, "product_question", lang=lang).body
            finally:
                wiring.resolution_service = original  # type: ignore[method-assign]
            assert len({_without_request(body) for body in [*warm, cold]}) == 1, seller_id


def _without_request(body: str) -> str:
    """The body without what differs per request: its id and the feedback token signed over it."""
    result = json.loads(body)
    del result["request_id"], result["feedback_token"]
    return json.dumps(result, ensure_ascii=False)


def test_a_hand_edit_that_keeps_the_settings_version_changes_the_next_answer(api: Any, clock: list[datetime]) -> None:
    """The offer is kept per settings version, yet an item edited by hand (the version unchanged) is seen at once."""
    from chalicelib.shared.aws import client

    assert offered(options(api, "demo-chat")) == ["chat", "email", "support"]
    client("dynamodb").update_item(
        TableName="seller-channels", Key={"seller_id": {"S": "demo-chat"}},
        UpdateExpression="SET chat.enabled = :off", ExpressionAttributeValues={":off": {"BOOL": False}},
    )
    assert excluded(options(api, "demo-chat"))["chat"] == "chat_disabled"

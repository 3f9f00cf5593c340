"""The platform policy over real HTTP: an admin switches chat off, pilots it, restricts a seller."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.calls import full_policy
from tests.conftest import BUYER, SUPPORT, bearer, seller_token
from tests.e2e.conftest import Stack, run_stack

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
ADMIN = bearer("admin", "ops-e2e")
TTL_SECONDS = 30  # POLICY_TTL_SECONDS default: the documented worst case for another container


@pytest.fixture(scope="module")
def policy_stack() -> Iterator[Stack]:
    """A stack of its own: the policy changes here must not leak into other modules' expectations."""
    yield from run_stack(with_poller=False)


def options(stack: Stack, seller_id: str) -> dict[str, Any]:
    response = requests.get(f"{stack.api}/v1/sellers/{seller_id}/contact-options?topic=product_question", headers=BUYER, timeout=10)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def options_once(stack: Stack, seller_id: str, condition: Any, timeout: float = TTL_SECONDS + 5) -> dict[str, Any]:
    """Poll until the answer meets `condition`: another container would see a change within the TTL."""
    deadline = time.monotonic() + timeout
    while True:
        result = options(stack, seller_id)
        if condition(result) or time.monotonic() > deadline:
            return result
        time.sleep(0.5)


def offered(result: dict[str, Any]) -> list[str]:
    return [o["channel"] for o in result["options"]]


def put_policy(stack: Stack, document: dict[str, Any]) -> requests.Response:
    current = requests.get(f"{stack.api}/v1/platform/policy", headers=ADMIN, timeout=10)
    assert current.status_code == 200
    return requests.put(
        f"{stack.api}/v1/platform/policy", json=full_policy(document), headers={**ADMIN, "If-Match": current.headers["ETag"]}, timeout=10
    )


def test_admin_switches_chat_off_then_pilots_it_for_one_seller(policy_stack: Stack) -> None:
    stack = policy_stack
    assert requests.get(f"{stack.api}/v1/platform/policy", headers=SUPPORT, timeout=10).json()["version"] == 1  # make run stores it
    pilot_shop = seller_token("e2e-pilot")
    created = requests.put(
        f"{stack.api}/v1/sellers/e2e-pilot/channels", json={"chat": {"enabled": True}}, headers={**pilot_shop, "If-Match": '"0"'}, timeout=10
    )
    assert created.status_code == 200

    assert put_policy(stack, {"channels": {"chat": {"enabled": False}}}).status_code == 200
    result = options_once(stack, "demo-chat", lambda r: "chat" not in offered(r))
    assert offered(result) == ["email", "support"], "chat still offered after the TTL"
    assert {e["channel"]: e["reason"] for e in result["excluded"]}["chat"] == "chat_disabled_by_platform"
    assert result["policy_version"] == 2

    assert put_policy(stack, {"channels": {"chat": {"enabled": False, "allow_sellers": ["demo-chat"]}}}).status_code == 200
    back = options_once(stack, "demo-chat", lambda r: offered(r)[0] == "chat")
    assert offered(back) == ["chat", "email", "support"] and back["policy_version"] == 3
    other = options(stack, "e2e-pilot")
    assert offered(other) == ["support"]
    assert {e["channel"]: e["reason"] for e in other["excluded"]}["chat"] == "chat_disabled_by_platform"


def test_restriction_makes_a_seller_support_only_and_their_own_patch_does_not_lift_it(policy_stack: Stack) -> None:
    stack = policy_stack
    restricted = requests.put(
        f"{stack.api}/v1/sellers/demo-email/restriction", json={"mode": "support_only", "note": "e2e"}, headers=ADMIN, timeout=10
    )
    assert restricted.status_code == 200
    result = options(stack, "demo-email")
    assert [(o["channel"], o["reason"]) for o in result["options"]] == [("support", "seller_restricted")]

    mine = seller_token("demo-email")
    channels = requests.get(f"{stack.api}/v1/sellers/demo-email/channels", headers=mine, timeout=10)
    assert "restriction" not in channels.json()
    patch = requests.patch(
        f"{stack.api}/v1/sellers/demo-email/channels",
        json={"chat": {"enabled": True}},
        headers={**mine, "If-Match": channels.headers["ETag"]},
        timeout=10,
    )
    assert patch.status_code == 200
    after = options(stack, "demo-email")
    assert [(o["channel"], o["reason"]) for o in after["options"]] == [("support", "seller_restricted")]


@pytest.mark.parametrize("headers", [BUYER, seller_token("demo-chat")])
def test_buyer_and_seller_get_403_on_the_policy_routes(policy_stack: Stack, headers: dict[str, str]) -> None:
    stack = policy_stack
    assert requests.get(f"{stack.api}/v1/platform/policy", headers=headers, timeout=10).status_code == 403
    put = requests.put(f"{stack.api}/v1/platform/policy", json={}, headers={**headers, "If-Match": '"1"'}, timeout=10)
    assert put.status_code == 403 and put.json()["error"]["code"] == "wrong_role"
    restriction = requests.put(
        f"{stack.api}/v1/sellers/demo-chat/restriction", json={"mode": "support_only"}, headers=headers, timeout=10
    )
    assert restriction.status_code == 403

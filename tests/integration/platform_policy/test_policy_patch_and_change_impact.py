"""A full PUT names every field; PATCH changes a few; preview shows who a change would affect, writing nothing."""

from __future__ import annotations

import json
from typing import Any

from tests.calls import ADMIN, assert_error, body, full_policy, offered, options, put_policy, resolved_events, send, sqs_event
from tests.conftest import SUPPORT, bearer

POLICY = "/v1/platform/policy"


def patch_policy(api: Any, patch: dict[str, Any], if_match: str | None) -> Any:
    headers = {**ADMIN, "Content-Type": "application/merge-patch+json", **({"If-Match": if_match} if if_match else {})}
    return api.http.request("PATCH", POLICY, headers=headers, body=json.dumps(patch).encode())


def current(api: Any) -> dict[str, Any]:
    result: dict[str, Any] = body(api.http.get(POLICY, headers=SUPPORT))
    return result


def test_a_put_of_limits_alone_is_refused_and_names_what_it_leaves_out(api: Any) -> None:
    """Was: a PUT with only `limits` turned chat back on for every buyer and moved payment back to support_first."""
    assert put_policy(api, {"channels": {"chat": {"enabled": False}}, "topics": {"payment": "support_only"}}).status_code == 200
    response = send(api, "PUT", POLICY, {"limits": {"contact_reveals_per_buyer_per_day": 5}}, {**ADMIN, "If-Match": '"1"'})
    missing = assert_error(response, 400, "incomplete_policy")["details"]["missing"]
    assert "channels.chat.enabled" in missing and "topics.payment" in missing and "channels.phone.rollout_percent" in missing
    assert "limits.contact_reveals_per_buyer_per_day" not in missing
    nested = send(api, "PUT", POLICY, {**full_policy({}), "channels": {"chat": {"enabled": True}}}, {**ADMIN, "If-Match": '"1"'})
    assert "channels.chat.allow_sellers" in assert_error(nested, 400, "incomplete_policy")["details"]["missing"]
    kept = current(api)
    assert kept["version"] == 1 and kept["channels"]["chat"]["enabled"] is False and kept["topics"]["payment"] == "support_only"


def test_a_patch_of_limits_keeps_everything_else(api: Any) -> None:
    assert put_policy(api, {"channels": {"chat": {"enabled": False}}, "topics": {"payment": "support_only"}}).status_code == 200
    response = patch_policy(api, {"limits": {"contact_reveals_per_buyer_per_day": 5}}, '"1"')
    assert response.status_code == 200 and response.headers["ETag"] == '"2"', response.body
    patched = body(response)
    assert patched["limits"]["contact_reveals_per_buyer_per_day"] == 5
    assert patched["channels"]["chat"]["enabled"] is False and patched["topics"]["payment"] == "support_only"
    assert "chat" not in offered(options(api, "demo-chat"))
    # null removes a field: it takes its default again
    reverted = patch_policy(api, {"topics": {"payment": None}}, '"2"')
    assert reverted.status_code == 200 and body(reverted)["topics"]["payment"] == "support_first"


def test_a_patch_needs_if_match_and_a_valid_result(api: Any) -> None:
    assert_error(patch_policy(api, {"limits": {"contact_reveals_per_buyer_per_day": 5}}, None), 428)
    assert_error(patch_policy(api, {"limits": {"contact_reveals_per_buyer_per_day": 5}}, '"7"'), 409, "version_conflict")
    assert_error(patch_policy(api, {"limits": {"contact_reveals_per_buyer_per_day": -1}}, '"0"'), 400, "validation_error")
    assert_error(patch_policy(api, {"channels": {"fax": {"enabled": True}}}, '"0"'), 400, "validation_error")
    assert_error(patch_policy(api, {"color": "red"}, '"0"'), 400, "validation_error")
    buyer = api.http.request("PATCH", POLICY, headers={**bearer("buyer", "b1"), "Content-Type": "application/json", "If-Match": '"0"'}, body=b"{}")
    assert_error(buyer, 403)
    assert current(api)["version"] == 0


def ingest_requests(api: Any, aws: dict[str, str], *seller_ids: str, buyers: list[str]) -> None:
    """Buyers' resolutions, through the queue into the support table, as support_ingest stores them."""
    bodies: list[str] = []
    for buyer in buyers:
        bodies += resolved_events(api, aws, *seller_ids, headers=bearer("buyer", buyer))
    for start in range(0, len(bodies), 10):
        payload = api.lambda_.invoke("support_ingest", sqs_event(api, bodies[start : start + 10])).payload
        assert payload == {"batchItemFailures": []}


def test_preview_counts_who_would_gain_or_lose_each_channel_and_writes_nothing(api: Any, aws: dict[str, str]) -> None:
    ingest_requests(api, aws, "demo-chat", "demo-email", "demo-none", buyers=["b1", "b2", "b3"])
    response = send(api, "POST", f"{POLICY}/preview", {"channels": {"chat": {"enabled": False}}}, ADMIN)
    assert response.status_code == 200, response.body
    preview = body(response)
    assert preview["requests_considered"] == 9 and preview["sampled"] == 9
    # demo-chat offered chat to all three buyers; demo-email and demo-none never offered it (no change for them)
    assert preview["channels"]["chat"] == {"buyers_gain": 0, "buyers_lose": 3, "sellers_gain": 0, "sellers_lose": 1}
    assert preview["channels"]["email"] == {"buyers_gain": 0, "buyers_lose": 0, "sellers_gain": 0, "sellers_lose": 0}
    assert current(api)["version"] == 0  # nothing written
    # The reverse change from a policy with chat off: the same buyers gain it back.
    assert put_policy(api, {"channels": {"chat": {"enabled": False}}}).status_code == 200
    back = body(send(api, "POST", f"{POLICY}/preview", {"channels": {"chat": {"enabled": True}}}, ADMIN))
    assert back["channels"]["chat"] == {"buyers_gain": 3, "buyers_lose": 0, "sellers_gain": 1, "sellers_lose": 0}


def test_preview_is_for_admins_and_checks_the_patched_policy(api: Any) -> None:
    assert_error(send(api, "POST", f"{POLICY}/preview", {"channels": {"chat": {"enabled": False}}}, SUPPORT), 403)
    assert_error(send(api, "POST", f"{POLICY}/preview", {"limits": {"contact_reveals_per_buyer_per_day": "x"}}, ADMIN), 400)
    empty = body(send(api, "POST", f"{POLICY}/preview", {}, ADMIN))
    assert empty["requests_considered"] == 0 and set(empty["channels"]) == {"chat", "email", "phone", "support"}

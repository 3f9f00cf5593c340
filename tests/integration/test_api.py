"""The HTTP API through chalice.test.Client (authorizer included) on in-process moto."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelib.models.events import ContactRequestEvent, SettingsChangedEvent
from tests.conftest import BUYER, SUPPORT, bearer, drain_queue, seller_token

JSON = {"Content-Type": "application/json"}


def get(api: Any, path: str, headers: dict[str, str] | None = None) -> Any:
    return api.http.get(path, headers=headers if headers is not None else BUYER)


def send(api: Any, method: str, path: str, body: Any, headers: dict[str, str]) -> Any:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return api.http.request(method, path, headers={**JSON, **headers}, body=raw)


def body(response: Any) -> Any:
    return json.loads(response.body)


def assert_error(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.body
    error = body(response)["error"]
    assert set(error) == {"code", "message", "details"} and error["message"]
    if code:
        assert error["code"] == code
    return error


# ---------------------------------------------------------------- resolution


@pytest.mark.parametrize(
    ("seller_id", "topic", "first", "channels"),
    [
        ("demo-chat", "product_question", "chat", ["chat", "email", "support"]),
        ("demo-email", "order_status", "email", ["email", "support"]),
        ("demo-none", "other", "support", ["support"]),
        ("demo-chat", "payment", "support", ["support", "chat", "email"]),
    ],
)
def test_demo_sellers_first_channel(api: Any, aws: dict[str, str], seller_id: str, topic: str, first: str, channels: list[str]) -> None:
    response = get(api, f"/v1/sellers/{seller_id}/contact-options?topic={topic}")
    assert response.status_code == 200
    result = body(response)
    assert result["primary"]["channel"] == first == result["options"][0]["channel"]
    assert [o["channel"] for o in result["options"]] == channels
    assert result["seller_id"] == seller_id and result["topic"] == topic and result["degraded"] is False
    assert result["request_id"] and result["resolved_at"]

    [event] = drain_queue(aws["queue_url"])
    parsed = ContactRequestEvent.model_validate(event["body"])
    assert (parsed.seller_id, parsed.topic, parsed.primary_channel) == (seller_id, topic, first)
    assert parsed.offered == channels and parsed.buyer_id == "buyer-1" and parsed.request_id == result["request_id"]
    assert event["attributes"]["topic"]["StringValue"] == topic
    assert event["attributes"]["primary_channel"]["StringValue"] == first
    assert event["attributes"]["schema_version"]["StringValue"] == "1"


def test_topic_defaults_to_other(api: Any) -> None:
    assert body(get(api, "/v1/sellers/demo-email/contact-options"))["topic"] == "other"


def test_unknown_seller_gets_support_only(api: Any) -> None:
    result = body(get(api, "/v1/sellers/never-registered/contact-options"))
    assert [o["channel"] for o in result["options"]] == ["support"]
    assert result["primary"]["reason"] == "seller_settings_missing"


def test_support_role_may_resolve_too(api: Any) -> None:
    assert get(api, "/v1/sellers/demo-chat/contact-options", SUPPORT).status_code == 200


def test_event_carries_no_contact_values(api: Any, aws: dict[str, str]) -> None:
    get(api, "/v1/sellers/demo-chat/contact-options")
    [event] = drain_queue(aws["queue_url"])
    assert "@" not in json.dumps(event) and "example.com" not in json.dumps(event)


def test_batch_answers_in_request_order_with_one_event_each(api: Any, aws: dict[str, str]) -> None:
    ids = ["demo-none", "demo-chat", "ghost", "demo-email"]
    response = send(api, "POST", "/v1/contact-options/batch", {"seller_ids": ids, "topic": "delivery"}, BUYER)
    assert response.status_code == 200
    results = body(response)["results"]
    assert [r["seller_id"] for r in results] == ids
    assert all(r["primary"]["channel"] == "support" for r in results)  # delivery is a platform topic
    assert [r["options"][0]["reason"] for r in results] == [
        "seller_has_no_channels", "platform_topic", "seller_settings_missing", "platform_topic",
    ]
    events = [ContactRequestEvent.model_validate(e["body"]) for e in drain_queue(aws["queue_url"])]
    assert sorted(e.seller_id for e in events) == sorted(ids)


def test_batch_of_100_sellers(api: Any, aws: dict[str, str]) -> None:
    ids = [f"seller-{i}" for i in range(98)] + ["demo-chat", "demo-email"]
    response = send(api, "POST", "/v1/contact-options/batch", {"seller_ids": ids}, BUYER)
    assert response.status_code == 200 and len(body(response)["results"]) == 100
    assert len(drain_queue(aws["queue_url"])) == 100


# ---------------------------------------------------------------- settings


def test_seller_reads_own_settings_with_etag(api: Any) -> None:
    response = get(api, "/v1/sellers/demo-chat/channels", seller_token("demo-chat"))
    assert response.status_code == 200
    assert response.headers["ETag"] == '"1"'
    assert body(response)["email"]["address"] == "demo-chat@example.com"


def test_support_reads_any_settings_buyer_does_not(api: Any) -> None:
    assert get(api, "/v1/sellers/demo-phone/channels", SUPPORT).status_code == 200
    assert_error(get(api, "/v1/sellers/demo-phone/channels", BUYER), 403, "wrong_role")


def test_seller_cannot_read_or_write_another_sellers_settings(api: Any) -> None:
    other = seller_token("demo-email")
    assert_error(get(api, "/v1/sellers/demo-chat/channels", other), 403, "not_your_settings")
    patch = send(api, "PATCH", "/v1/sellers/demo-chat/channels", {"chat": {"enabled": False}}, {**other, "If-Match": '"1"'})
    assert_error(patch, 403, "not_your_settings")
    assert body(get(api, "/v1/sellers/demo-chat/channels", SUPPORT))["chat"]["enabled"] is True


def test_buyer_and_support_cannot_write_settings(api: Any) -> None:
    for token in (BUYER, SUPPORT):
        response = send(api, "PUT", "/v1/sellers/demo-chat/channels", {"chat": {"enabled": False}}, {**token, "If-Match": "1"})
        assert_error(response, 403, "wrong_role")


def test_patch_changes_one_channel_and_bumps_version(api: Any, aws: dict[str, str]) -> None:
    token = seller_token("demo-chat")
    response = send(api, "PATCH", "/v1/sellers/demo-chat/channels", {"chat": {"enabled": False}}, {**token, "If-Match": '"1"'})
    assert response.status_code == 200, response.body
    assert response.headers["ETag"] == '"2"'
    saved = body(response)
    assert saved["chat"]["enabled"] is False and saved["email"]["enabled"] is True and saved["version"] == 2
    assert saved["updated_by"] == "owner-of-demo-chat"
    # the buyer now sees e-mail first
    assert body(get(api, "/v1/sellers/demo-chat/contact-options"))["primary"]["channel"] == "email"
    events = [e["body"] for e in drain_queue(aws["queue_url"])]
    [audit] = [SettingsChangedEvent.model_validate(e) for e in events if e["type"] == "settings_changed"]
    assert (audit.old_version, audit.new_version, audit.changed_channels) == (1, 2, ["chat"])
    assert audit.enabled_channels == ["email"] and audit.changed_by == "owner-of-demo-chat"


def test_patch_with_version_in_body_instead_of_if_match(api: Any) -> None:
    token = seller_token("demo-email")
    response = send(api, "PATCH", "/v1/sellers/demo-email/channels", {"version": 1, "chat": {"enabled": True}}, token)
    assert response.status_code == 200 and body(response)["version"] == 2


def test_patch_merges_nested_hours_and_null_removes(api: Any) -> None:
    token = {**seller_token("demo-phone"), "If-Match": "1"}
    patch = {"phone": {"hours": {"weekly": {"sat": ["10:00-14:00"], "fri": None}}}}
    saved = body(send(api, "PATCH", "/v1/sellers/demo-phone/channels", patch, token))
    assert saved["phone"]["hours"]["weekly"]["sat"] == ["10:00-14:00"]
    assert "fri" not in saved["phone"]["hours"]["weekly"] and "mon" in saved["phone"]["hours"]["weekly"]


def test_put_creates_new_settings_with_if_match_zero(api: Any) -> None:
    token = {**seller_token("new-shop"), "If-Match": "0"}
    new = {"email": {"enabled": True, "address": "Shop@Example.com"}, "phone": {"enabled": True, "number": "+49 30 1234567"}}
    response = send(api, "PUT", "/v1/sellers/new-shop/channels", new, token)
    assert response.status_code == 200, response.body
    saved = body(response)
    assert saved["version"] == 1 and saved["phone"]["number"] == "+49301234567"
    assert saved["email"]["address"] == "Shop@example.com"  # domain normalised by email-validator
    assert [o["channel"] for o in body(get(api, "/v1/sellers/new-shop/contact-options"))["options"]] == ["email", "phone", "support"]


def test_put_replaces_everything(api: Any) -> None:
    token = {**seller_token("demo-chat"), "If-Match": '"1"'}
    saved = body(send(api, "PUT", "/v1/sellers/demo-chat/channels", {"chat": {"enabled": True}}, token))
    assert saved["email"]["enabled"] is False and saved["version"] == 2


def test_stale_version_is_a_409_with_the_current_version(api: Any) -> None:
    token = seller_token("demo-chat")
    first = send(api, "PATCH", "/v1/sellers/demo-chat/channels", {"chat": {"enabled": False}}, {**token, "If-Match": "1"})
    assert first.status_code == 200
    second = send(api, "PATCH", "/v1/sellers/demo-chat/channels", {"email": {"enabled": False}}, {**token, "If-Match": "1"})
    error = assert_error(second, 409, "version_conflict")
    assert error["details"] == {"current_version": 2}
    assert body(get(api, "/v1/sellers/demo-chat/channels", token))["email"]["enabled"] is True  # not overwritten


def test_creating_settings_that_exist_is_a_409(api: Any) -> None:
    response = send(api, "PUT", "/v1/sellers/demo-chat/channels", {}, {**seller_token("demo-chat"), "If-Match": "0"})
    assert assert_error(response, 409)["details"] == {"current_version": 1}


def test_write_without_version_is_refused(api: Any) -> None:
    response = send(api, "PATCH", "/v1/sellers/demo-chat/channels", {"chat": {"enabled": False}}, seller_token("demo-chat"))
    assert_error(response, 428, "precondition_required")


def test_patch_of_missing_settings_is_404(api: Any) -> None:
    response = send(api, "PATCH", "/v1/sellers/ghost/channels", {"chat": {"enabled": True}}, {**seller_token("ghost"), "If-Match": "1"})
    assert assert_error(response, 404, "settings_not_found")["details"]["current_version"] == 0
    assert_error(get(api, "/v1/sellers/ghost/channels", seller_token("ghost")), 404, "settings_not_found")


def test_invalid_settings_are_400_with_field_paths(api: Any) -> None:
    token = {**seller_token("demo-chat"), "If-Match": "1"}
    response = send(api, "PATCH", "/v1/sellers/demo-chat/channels", {"phone": {"enabled": True, "number": "12"}}, token)
    error = assert_error(response, 400, "validation_error")
    assert "phone.number" in {d["field"] for d in error["details"]}
    response = send(api, "PUT", "/v1/sellers/demo-chat/channels", {"email": {"enabled": True, "address": "nope"}}, token)
    assert "email.address" in {d["field"] for d in assert_error(response, 400)["details"]}
    response = send(api, "PATCH", "/v1/sellers/demo-chat/channels", {"colour": "red"}, token)
    assert assert_error(response, 400)["details"][0]["field"] == "colour"


# ---------------------------------------------------------------- errors


@pytest.mark.parametrize("seller_id", ["-bad", "a" * 65, "%C3%A4", "a%20b", "a%0Ab"])
def test_malformed_seller_id_is_400(api: Any, seller_id: str) -> None:
    assert_error(get(api, f"/v1/sellers/{seller_id}/contact-options"), 400, "invalid_seller_id")


def test_unknown_topic_is_400(api: Any) -> None:
    error = assert_error(get(api, "/v1/sellers/demo-chat/contact-options?topic=gossip"), 400, "invalid_topic")
    assert "delivery" in error["details"]["allowed"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"seller_ids": []}, "seller_ids"),
        ({"seller_ids": ["a", "a"]}, "seller_ids"),
        ({"seller_ids": [f"s{i}" for i in range(101)]}, "seller_ids"),
        ({"seller_ids": ["ok", "not ok"]}, "seller_ids.1"),
        ({"seller_ids": ["ok"], "topic": "gossip"}, "topic"),
        ({"seller_ids": ["ok"], "extra": 1}, "extra"),
    ],
)
def test_bad_batch_bodies_are_400_with_field_paths(api: Any, payload: Any, field: str) -> None:
    error = assert_error(send(api, "POST", "/v1/contact-options/batch", payload, BUYER), 400, "validation_error")
    assert field in {d["field"] for d in error["details"]}


def test_malformed_json_is_400(api: Any) -> None:
    assert_error(send(api, "POST", "/v1/contact-options/batch", b'{"seller_ids": [', BUYER), 400, "malformed_json")
    assert_error(send(api, "POST", "/v1/contact-options/batch", b"", BUYER), 400, "missing_body")


def test_deeply_nested_body_is_400_not_500(api: Any) -> None:
    nested = b"[" * 50_000 + b"]" * 50_000
    assert send(api, "POST", "/v1/contact-options/batch", nested, BUYER).status_code == 413
    nested = b"[" * 20_000 + b"]" * 20_000
    assert_error(send(api, "POST", "/v1/contact-options/batch", nested, BUYER), 400)


def test_body_over_64_kib_is_413(api: Any) -> None:
    payload = {"seller_ids": ["a"], "topic": "other", "padding": "x" * 70_000}
    assert_error(send(api, "POST", "/v1/contact-options/batch", payload, BUYER), 413, "payload_too_large")


def test_non_json_body_is_415(api: Any) -> None:
    response = api.http.post("/v1/contact-options/batch", headers={**BUYER, "Content-Type": "text/plain"}, body=b"hi")
    assert_error(response, 415, "unsupported_media_type")


def test_wrong_method_is_405_in_our_shape(api: Any) -> None:
    assert_error(api.http.delete("/v1/sellers/demo-chat/channels", headers=BUYER), 405, "method_not_allowed")


@pytest.mark.parametrize("if_match", ["abc", '"abc"', "1; 2", '"1"\n', '"1"\r\nX-Injected: yes', "99999999999", "**", 'W/1'])
def test_malformed_if_match_is_400(api: Any, if_match: str) -> None:
    response = send(api, "PATCH", "/v1/sellers/demo-chat/channels", {}, {**seller_token("demo-chat"), "If-Match": if_match})
    assert_error(response, 400, "invalid_if_match")


def test_missing_token_is_401_from_the_gateway(api: Any) -> None:
    response = api.http.get("/v1/sellers/demo-chat/contact-options")
    assert response.status_code == 401


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": "Bearer not-a-jwt"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        bearer("buyer", ttl_seconds=-3600),  # expired an hour ago
        bearer("admin"),  # unknown role
        bearer("seller"),  # seller without seller_id
    ],
)
def test_invalid_tokens_are_denied_403_by_the_gateway(api: Any, headers: dict[str, str]) -> None:
    assert api.http.get("/v1/sellers/demo-chat/contact-options", headers=headers).status_code == 403


def test_forged_and_unsigned_tokens_are_denied(api: Any) -> None:
    import jwt

    claims = {"sub": "mallory", "role": "support", "exp": 4_000_000_000}
    forged = jwt.encode(claims, "some-other-secret-that-is-long-enough-32b", algorithm="HS256")
    unsigned = jwt.encode(claims, None, algorithm="none")
    for token in (forged, unsigned):
        response = api.http.get("/v1/sellers/demo-chat/channels", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 403


def test_health_needs_no_token(api: Any) -> None:
    response = api.http.get("/v1/health")
    assert response.status_code == 200
    assert body(response) == {"status": "ok", "checks": {"seller_table": "ok", "support_queue": "ok"}}


def test_openapi_document_is_served_without_a_token_and_matches_the_committed_one(api: Any) -> None:
    from devstack.contract import DOCS

    response = api.http.get("/v1/openapi.json")
    assert response.status_code == 200
    assert body(response) == json.loads((DOCS / "openapi.json").read_text())


def test_a_bug_becomes_a_json_500_without_a_trace(api: Any, monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    from chalicelib import wiring

    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(wiring.resolution_service(), "resolve_one", broken)
    response = get(api, "/v1/sellers/demo-chat/contact-options")
    error = assert_error(response, 500, "internal_error")
    assert "secret internals" not in response.body.decode() and "Traceback" not in error["message"]
    assert "unhandled_error" in capsys.readouterr().out  # but operators see it

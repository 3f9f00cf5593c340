"""Defects found in review (issue 10), through the API on in-process moto: each test reproduces one on main."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelib.sellers.store import to_item
from chalicelib.shared.aws import client
from tests.conftest import BUYER, SUPPORT, bearer, drain_queue, seller_token
from tests.integration.test_api import assert_error, body, get, send

POISON_HOURS = {"timezone": "UTC", "weekly": {"mon": ["09:00-18:00\n"]}}
PHONE = {"enabled": True, "number": "+49 30 1234567"}


def put_raw_item(item: dict[str, Any]) -> None:
    """Write an item as a hand edit or an older version would: past every write-path check."""
    client("dynamodb").put_item(TableName="seller-channels", Item=item)


def stored_item(seller_id: str, **channels: Any) -> dict[str, Any]:
    from datetime import UTC, datetime

    from chalicelib.models.settings import SellerSettings

    settings = SellerSettings.model_validate(
        {"seller_id": seller_id, "version": 1, "updated_at": datetime(2026, 11, 26, tzinfo=UTC), "updated_by": "o", **channels}
    )
    return to_item(settings)


# ---------------------------------------------------------------- 1, 2: what the store accepts always resolves


def test_hours_with_a_trailing_newline_are_refused(api: Any) -> None:
    response = send(api, "PUT", "/v1/sellers/poison-1/channels", {"phone": {**PHONE, "hours": POISON_HOURS}},
                    {**seller_token("poison-1"), "If-Match": '"0"'})
    error = assert_error(response, 400, "validation_error")
    assert error["details"][0]["field"].startswith("phone.hours.weekly.mon")


@pytest.mark.parametrize("timezone", ["Europe", "America/Indiana", "localtime", "Factory", "posixrules", "right/UTC", "x" * 300])
def test_folders_host_files_and_overlong_zone_names_are_400(api: Any, timezone: str) -> None:
    hours = {"timezone": timezone, "weekly": {"mon": ["09:00-18:00"]}}
    response = send(api, "PUT", "/v1/sellers/zone-shop/channels", {"phone": {**PHONE, "hours": hours}},
                    {**seller_token("zone-shop"), "If-Match": '"0"'})
    assert_error(response, 400, "validation_error")


def test_stored_hours_that_break_ranking_degrade_only_their_seller(api: Any, aws: dict[str, str]) -> None:
    """An item with a zone tzdata lacks (stored before zone checks, or by hand) parses but cannot be ranked."""
    item = stored_item("poison-2", phone={**PHONE, "number": "+49301234567"})
    item["phone"]["M"]["hours"] = {"M": {"timezone": {"S": "Europe"}, "weekly": {"M": {"mon": {"L": [{"S": "09:00-18:00"}]}}}}}
    put_raw_item(item)

    single = get(api, "/v1/sellers/poison-2/contact-options")
    assert single.status_code == 200
    assert body(single)["degraded"] is True and body(single)["primary"]["reason"] == "settings_unavailable"
    batch = send(api, "POST", "/v1/contact-options/batch", {"seller_ids": ["poison-2", "demo-chat"]}, BUYER)
    assert batch.status_code == 200
    assert [(r["seller_id"], r["degraded"]) for r in body(batch)["results"]] == [("poison-2", True), ("demo-chat", False)]
    assert len(drain_queue(aws["queue_url"])) == 3  # every seller's support event is still sent


# ---------------------------------------------------------------- 3: API Gateway decodes path parameters


def gateway_event(seller_id: str) -> dict[str, Any]:
    """A proxy event as the Lambda receives it: pathParameters already URL-decoded by API Gateway."""
    path = "/v1/sellers/demo-chat%0A/contact-options"
    return {
        "resource": "/v1/sellers/{seller_id}/contact-options", "path": path, "httpMethod": "GET",
        "headers": {"Host": "api.example"}, "multiValueHeaders": {"Host": ["api.example"]},
        "queryStringParameters": None, "multiValueQueryStringParameters": None,
        "pathParameters": {"seller_id": seller_id}, "stageVariables": None,
        "requestContext": {"resourcePath": "/v1/sellers/{seller_id}/contact-options", "httpMethod": "GET",
                           "requestId": "gw-1", "path": f"/prod{path}", "stage": "prod",
                           "authorizer": {"principalId": "buyer-1", "role": "buyer", "seller_id": ""}},
        "body": None, "isBase64Encoded": False,
    }


@pytest.mark.parametrize("seller_id", ["demo-chat\n", "demo-chat\r\n", "\ndemo-chat", "demo-chat\x00"])
def test_seller_id_decoded_with_a_newline_is_400_on_the_lambda(aws: dict[str, str], seller_id: str) -> None:
    import app

    response = app.app(gateway_event(seller_id), None)
    assert response["statusCode"] == 400
    assert json.loads(response["body"])["error"]["code"] == "invalid_seller_id"
    assert app.app(gateway_event("demo-chat"), None)["statusCode"] == 200


# ---------------------------------------------------------------- 4: strict input types


@pytest.mark.parametrize(
    ("payload", "if_match"),
    [({"chat": {"enabled": "yes"}}, '"1"'), ({"chat": {"enabled": 1}}, '"1"'),
     ({"chat": {"enabled": True}, "version": "1"}, None), ({"chat": {"enabled": True}, "version": True}, None)],
)
def test_writes_take_json_booleans_and_numbers_only(api: Any, payload: dict[str, Any], if_match: str | None) -> None:
    headers = seller_token("demo-chat") if if_match is None else {**seller_token("demo-chat"), "If-Match": if_match}
    for method in ("PUT", "PATCH"):
        assert_error(send(api, method, "/v1/sellers/demo-chat/channels", payload, headers), 400, "validation_error")


def test_batch_takes_json_types_only(api: Any) -> None:
    assert_error(send(api, "POST", "/v1/contact-options/batch", {"seller_ids": "demo-chat"}, BUYER), 400, "validation_error")
    assert_error(send(api, "POST", "/v1/contact-options/batch", {"seller_ids": [1]}, BUYER), 400, "validation_error")


# ---------------------------------------------------------------- 5: tokens


def test_empty_subject_and_endless_tokens_are_denied(api: Any) -> None:
    import time

    from devstack.tokens import mint_token
    from tests.conftest import SECRET

    no_subject = {"Authorization": f"Bearer {mint_token(SECRET, 'buyer', '')}"}
    assert get(api, "/v1/sellers/demo-chat/contact-options", no_subject).status_code == 403
    endless = bearer("buyer", "buyer-1", ttl_seconds=10**30 - int(time.time()))
    assert get(api, "/v1/sellers/demo-chat/contact-options", endless).status_code == 403
    assert get(api, "/v1/sellers/demo-chat/contact-options", bearer("buyer", "buyer-1")).status_code == 200


# ---------------------------------------------------------------- 6: error texts in our words


@pytest.mark.parametrize(
    ("raw", "reason"),
    [(b"[" * 60_000, "nested too deeply"), (b"[" * 300 + b"]" * 300, "nested too deeply"), (b'{"seller_ids": [' + b"9" * 5000 + b"]}", "a number"),
     (b'{"seller_ids": NaN}', "a number"), (b"\xff\xfe{", "not UTF-8 text"), (b"{not json", "not valid JSON")],
)
def test_malformed_json_is_explained_without_python_internals(api: Any, raw: bytes, reason: str) -> None:
    error = assert_error(send(api, "POST", "/v1/contact-options/batch", raw, BUYER), 400, "malformed_json")
    assert error["details"]["reason"].startswith(reason)
    text = json.dumps(error)
    assert "recursion" not in text and "sys." not in text and "int_max_str_digits" not in text


def test_unsupported_media_type_does_not_repeat_the_header(api: Any) -> None:
    headers = {**BUYER, "Content-Type": "text/evil<script>"}
    response = api.http.post("/v1/contact-options/batch", headers=headers, body=b'{"seller_ids": ["a"]}')
    error = assert_error(response, 415, "unsupported_media_type")
    assert "evil" not in error["message"] and "application/json" in error["message"]


def test_if_match_and_body_version_disagreeing_is_bad_request(api: Any) -> None:
    response = send(api, "PATCH", "/v1/sellers/demo-chat/channels", {"chat": {"enabled": False}, "version": 2},
                    {**seller_token("demo-chat"), "If-Match": '"1"'})
    assert_error(response, 400, "bad_request")


# ---------------------------------------------------------------- 9: phone extensions


def test_phone_extension_is_kept_and_offered(api: Any) -> None:
    token = {**seller_token("ext-shop"), "If-Match": '"0"'}
    response = send(api, "PUT", "/v1/sellers/ext-shop/channels", {"phone": {"enabled": True, "number": "+7 495 123-45-67 ext. 9"}}, token)
    assert response.status_code == 200 and body(response)["phone"]["number"] == "+74951234567;ext=9"
    phone = body(get(api, "/v1/sellers/ext-shop/contact-options"))["options"][0]
    assert phone["channel"] == "phone" and phone["contact"] == "+74951234567;ext=9"


# ---------------------------------------------------------------- 11: who asked, does the seller exist


def test_contact_events_say_who_asked_and_whether_the_seller_exists(api: Any, aws: dict[str, str]) -> None:
    get(api, "/v1/sellers/demo-none/contact-options", SUPPORT)
    send(api, "POST", "/v1/contact-options/batch", {"seller_ids": ["demo-chat", "made-up"]}, BUYER)
    events = [(m["body"]["seller_id"], m["body"]["caller_role"], m["body"]["seller_exists"]) for m in drain_queue(aws["queue_url"])]
    assert sorted(events) == [("demo-chat", "buyer", True), ("demo-none", "support", True), ("made-up", "buyer", False)]


# ---------------------------------------------------------------- 14: no caching of contact data


def test_answers_with_contact_values_are_not_stored_by_caches(api: Any) -> None:
    responses = [
        get(api, "/v1/sellers/demo-chat/contact-options"),
        send(api, "POST", "/v1/contact-options/batch", {"seller_ids": ["demo-chat"]}, BUYER),
        get(api, "/v1/sellers/demo-chat/channels", seller_token("demo-chat")),
        send(api, "PATCH", "/v1/sellers/demo-chat/channels", {"chat": {"enabled": False}},
             {**seller_token("demo-chat"), "If-Match": '"1"'}),
    ]
    for response in responses:
        assert response.status_code == 200
        assert set(response.headers["Cache-Control"].replace(" ", "").split(",")) == {"private", "no-store"}


# ---------------------------------------------------------------- 15: If-Match strong comparison, *


def test_weak_if_match_never_matches(api: Any) -> None:
    response = send(api, "PATCH", "/v1/sellers/demo-chat/channels", {"chat": {"enabled": False}},
                    {**seller_token("demo-chat"), "If-Match": 'W/"1"'})
    assert assert_error(response, 409, "version_conflict")["details"]["current_version"] == 1


def test_if_match_star_means_the_settings_exist(api: Any) -> None:
    created = send(api, "PUT", "/v1/sellers/star-shop/channels", {"chat": {"enabled": True}},
                   {**seller_token("star-shop"), "If-Match": "*"})
    assert_error(created, 409, "version_conflict")  # none yet
    existing = send(api, "PUT", "/v1/sellers/demo-chat/channels", {"chat": {"enabled": True}},
                    {**seller_token("demo-chat"), "If-Match": "*"})
    assert existing.status_code == 200 and body(existing)["version"] == 2
    listed = send(api, "PUT", "/v1/sellers/demo-chat/channels", {"chat": {"enabled": False}},
                  {**seller_token("demo-chat"), "If-Match": 'W/"2", "7", "2"'})
    assert listed.status_code == 200 and body(listed)["version"] == 3


# ---------------------------------------------------------------- 16: a write that changes nothing


def test_write_that_changes_nothing_keeps_the_version_and_sends_no_event(api: Any, aws: dict[str, str]) -> None:
    token = seller_token("demo-chat")
    current = body(get(api, "/v1/sellers/demo-chat/channels", token))
    drain_queue(aws["queue_url"])
    channels = {name: current[name] for name in ("chat", "email", "phone")}
    put = send(api, "PUT", "/v1/sellers/demo-chat/channels", channels, {**token, "If-Match": '"1"'})
    patch = send(api, "PATCH", "/v1/sellers/demo-chat/channels", {"chat": {"enabled": True}}, {**token, "If-Match": '"1"'})
    for response in (put, patch):
        assert response.status_code == 200 and body(response)["version"] == 1 and response.headers["ETag"] == '"1"'
    assert drain_queue(aws["queue_url"]) == []


# ---------------------------------------------------------------- 17: repairing an item that no longer validates


def test_item_that_no_longer_validates_is_repaired_by_a_full_put(api: Any, aws: dict[str, str]) -> None:
    put_raw_item({"seller_id": {"S": "broken"}, "chat": {"S": "yes please"}, "version": {"N": "4"}})
    token = seller_token("broken")
    read = assert_error(get(api, "/v1/sellers/broken/channels", token), 409, "stored_settings_invalid")
    assert read["details"]["current_version"] == 4
    patch = send(api, "PATCH", "/v1/sellers/broken/channels", {"chat": {"enabled": True}}, {**token, "If-Match": '"4"'})
    assert_error(patch, 409, "stored_settings_invalid")
    stale = send(api, "PUT", "/v1/sellers/broken/channels", {"chat": {"enabled": True}}, {**token, "If-Match": '"3"'})
    assert assert_error(stale, 409, "version_conflict")["details"]["current_version"] == 4
    assert send(api, "PUT", "/v1/sellers/broken/channels", {"chat": {"enabled": True}}, {**SUPPORT, "If-Match": '"4"'}).status_code == 403

    repaired = send(api, "PUT", "/v1/sellers/broken/channels", {"chat": {"enabled": True}}, {**token, "If-Match": '"4"'})
    assert repaired.status_code == 200 and body(repaired)["version"] == 5
    assert body(get(api, "/v1/sellers/broken/channels", token))["chat"]["enabled"] is True
    assert body(get(api, "/v1/sellers/broken/contact-options"))["primary"]["channel"] == "chat"
    [changed] = [m["body"] for m in drain_queue(aws["queue_url"]) if m["body"]["type"] == "settings_changed"]
    assert (changed["old_version"], changed["new_version"]) == (4, 5)


# ---------------------------------------------------------------- 18: health


def test_health_says_ok_or_unavailable_and_names_no_exception(api: Any, aws: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.conftest import reset_caches

    monkeypatch.setenv("SUPPORT_QUEUE_URL", aws["queue_url"] + "-gone")
    reset_caches()
    response = api.http.get("/v1/health")
    assert response.status_code == 503
    assert body(response) == {"status": "degraded", "checks": {"seller_table": "ok", "support_queue": "unavailable"}}
    assert "Error" not in response.body.decode() and "Exception" not in response.body.decode()

"""GET, PUT and PATCH /v1/sellers/{seller_id}/channels: owners only, versioned writes, what the store accepts resolves."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelib.models.events import SettingsChangedEvent
from tests.calls import PHONE, assert_error, body, get, options, put_raw_item, send, store_restriction
from tests.conftest import BUYER, SUPPORT, drain_queue, seller_token


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


@pytest.mark.parametrize("if_match", ['"01"', "01", '"001", W/"1"'])
def test_if_match_with_a_zero_padded_version_does_not_match(api: Any, if_match: str) -> None:
    from tests.conftest import seller_token

    headers = {**seller_token("demo-chat"), "If-Match": if_match}
    response = send(api, "PATCH", "/v1/sellers/demo-chat/channels", {"chat": {"enabled": False}}, headers)
    assert assert_error(response, 409, "version_conflict")["details"]["current_version"] == 1
    assert send(api, "PATCH", "/v1/sellers/demo-chat/channels", {"chat": {"enabled": False}}, {**headers, "If-Match": '"1"'}).status_code == 200


@pytest.mark.parametrize(("typed", "ascii_digits"), [("٩٩", "99"), ("０９", "09")])
def test_a_phone_extension_typed_in_other_digits_is_stored_in_ascii(api: Any, typed: str, ascii_digits: str) -> None:
    """Was: stored and shown to buyers as ';ext=٩٩', which no dialler reads (RFC 3966 digits are ASCII)."""
    body = {"phone": {"enabled": True, "number": f"+7 495 123-45-67 ext. {typed}"}}
    response = send(api, "PUT", "/v1/sellers/ext-1/channels", body, {**seller_token("ext-1"), "If-Match": '"0"'})
    assert response.status_code == 200, response.body
    assert json.loads(response.body)["phone"]["number"] == f"+74951234567;ext={ascii_digits}"


def test_an_unreadable_restriction_does_not_lock_the_seller_out_of_their_own_settings(api: Any) -> None:
    """Was: the seller's GET and PATCH answered 409 stored_settings_invalid for good (a PUT did not help): their own
    routes validated the restriction, which they never see (review9)."""
    store_restriction("demo-email", "chat_only")
    seller = seller_token("demo-email")
    read = api.http.get("/v1/sellers/demo-email/channels", headers=seller)
    assert read.status_code == 200, read.body
    assert "restriction" not in json.loads(read.body)
    patched = api.http.request(
        "PATCH", "/v1/sellers/demo-email/channels", headers={**seller, "Content-Type": "application/merge-patch+json", "If-Match": read.headers["ETag"]},
        body=json.dumps({"chat": {"enabled": True}}).encode(),
    )
    assert patched.status_code == 200, patched.body
    assert options(api, "demo-email")["degraded"] is True  # buyers: still support only while it cannot be read


POISON_HOURS = {"timezone": "UTC", "weekly": {"mon": ["09:00-18:00\n"]}}


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


@pytest.mark.parametrize(
    ("payload", "if_match"),
    [({"chat": {"enabled": "yes"}}, '"1"'), ({"chat": {"enabled": 1}}, '"1"'),
     ({"chat": {"enabled": True}, "version": "1"}, None), ({"chat": {"enabled": True}, "version": True}, None)],
)
def test_writes_take_json_booleans_and_numbers_only(api: Any, payload: dict[str, Any], if_match: str | None) -> None:
    headers = seller_token("demo-chat") if if_match is None else {**seller_token("demo-chat"), "If-Match": if_match}
    for method in ("PUT", "PATCH"):
        assert_error(send(api, method, "/v1/sellers/demo-chat/channels", payload, headers), 400, "validation_error")


def test_phone_extension_is_kept_and_offered(api: Any) -> None:
    token = {**seller_token("ext-shop"), "If-Match": '"0"'}
    response = send(api, "PUT", "/v1/sellers/ext-shop/channels", {"phone": {"enabled": True, "number": "+7 495 123-45-67 ext. 9"}}, token)
    assert response.status_code == 200 and body(response)["phone"]["number"] == "+74951234567;ext=9"
    phone = body(get(api, "/v1/sellers/ext-shop/contact-options"))["options"][0]
    assert phone["channel"] == "phone" and phone["contact"] == "+74951234567;ext=9"


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

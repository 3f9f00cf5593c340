"""Hostile input: id tricks, other sellers' data, and no e-mail address or phone number in any log line."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import BUYER, SUPPORT, bearer, seller_token
from tests.fakes import inject

JSON = {"Content-Type": "application/json"}


@pytest.mark.parametrize(
    "seller_id",
    [
        "%EF%BC%91",  # fullwidth digit one
        "demo%E2%80%AEchat",  # right-to-left override
        "demo-chat%00",  # NUL
        "..%2F..%2Fetc",  # traversal
        "demo-chat%0D%0ASet-Cookie:%20x=1",  # header injection through the path
        "%3Cscript%3E",
        "d%C3%A9mo",  # a letter outside ASCII
    ],
)
def test_unicode_and_escape_tricks_in_ids_are_400(api: Any, seller_id: str) -> None:
    for path in (f"/v1/sellers/{seller_id}/contact-options", f"/v1/sellers/{seller_id}/channels"):
        response = api.http.get(path, headers=SUPPORT)
        assert response.status_code == 400, (path, response.body)
        assert json.loads(response.body)["error"]["code"] == "invalid_seller_id"
        assert b"script" not in response.body and b"Set-Cookie" not in response.body  # nothing reflected


def test_tricks_in_batch_ids_are_400_and_not_echoed(api: Any) -> None:
    body = json.dumps({"seller_ids": ["ok", "x\u202eevil", "a\x00b"]}).encode()
    response = api.http.post("/v1/contact-options/batch", headers={**BUYER, **JSON}, body=body)
    assert response.status_code == 400
    assert "evil" not in response.body.decode()  # pydantic's input is left out of error details


def test_seller_token_cannot_resolve_or_write_for_others(api: Any) -> None:
    mallory = bearer("seller", "mallory", "demo-email")
    assert api.http.get("/v1/sellers/demo-chat/contact-options", headers=mallory).status_code == 403
    put = api.http.request(
        "PUT", "/v1/sellers/demo-chat/channels", headers={**mallory, **JSON, "If-Match": "1"}, body=b'{"chat": {"enabled": false}}'
    )
    assert put.status_code == 403 and json.loads(put.body)["error"]["code"] == "not_your_settings"


def test_sellers_cannot_list_another_sellers_contact_values(api: Any) -> None:
    response = api.http.get("/v1/sellers/demo-chat/channels", headers=seller_token("demo-email"))
    assert response.status_code == 403 and b"demo-chat@example.com" not in response.body


def test_logs_never_carry_an_email_address_or_phone_number(api: Any, aws: dict[str, str], capsys: Any) -> None:
    """Walk through the paths that log: resolutions, writes, validation errors, faults, undelivered events."""
    email, phone, phone_e164 = "private.person@example.org", "+49 30 9876543", "+49309876543"
    token = {**seller_token("privacy-shop"), **JSON, "If-Match": "0"}
    settings = {"email": {"enabled": True, "address": email}, "phone": {"enabled": True, "number": phone}}
    assert api.http.request("PUT", "/v1/sellers/privacy-shop/channels", headers=token, body=json.dumps(settings).encode()).status_code == 200
    bad = {"email": {"enabled": True, "address": "not valid " + email}, "phone": {"enabled": True, "number": phone + "99999"}}
    api.http.request("PUT", "/v1/sellers/privacy-shop/channels", headers={**token, "If-Match": "1"}, body=json.dumps(bad).encode())
    assert api.http.get("/v1/sellers/privacy-shop/contact-options", headers=BUYER).status_code == 200
    inject("sqs", "SendMessage", "timeout")  # the undelivered event is logged whole
    inject("sqs", "SendMessageBatch", "timeout")
    api.http.get("/v1/sellers/privacy-shop/contact-options", headers=BUYER)
    api.http.post("/v1/contact-options/batch", headers={**BUYER, **JSON}, body=b'{"seller_ids": ["privacy-shop", "demo-chat"]}')
    inject("dynamodb", "GetItem", "InternalServerError")
    api.http.get("/v1/sellers/privacy-shop/contact-options", headers=BUYER)

    logged = capsys.readouterr().out
    assert "support_event_undelivered" in logged and "settings_changed" in logged  # the paths did log
    for secret in (email, "example.org", phone_e164, "9876543", "demo-chat@example.com"):
        assert secret not in logged

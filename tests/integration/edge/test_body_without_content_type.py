"""A JSON route refuses a body that does not say it is JSON: a missing Content-Type is a 415, as a wrong one is.

Chalice (under `chalice local`, `chalice.test` and behind API Gateway, which passes the client's headers on as sent)
takes a request without Content-Type as application/json; the shared route wrapper (chalicelib/api/routing.py)
refuses it before the caller or the body is looked at, in our error shape."""

from __future__ import annotations

import json
import re
from typing import Any

from tests.calls import assert_error
from tests.conftest import BUYER, seller_token


def json_routes(api: Any) -> list[tuple[str, str]]:
    """Every (method, path) of the app whose route takes a JSON body, path parameters filled with a plausible id."""
    from app import app
    from chalicelib.api.routing import operation_of

    routes = []
    for path, methods in app.routes.items():
        for method, entry in methods.items():
            if operation_of(entry.view_function).body is not None:
                routes.append((method, re.sub(r"\{[^}]+\}", "demo-chat", path)))
    return routes


def test_every_json_route_refuses_a_body_without_content_type_with_415(api: Any) -> None:
    routes = json_routes(api)
    assert ("POST", "/v1/conversations") in routes and ("POST", "/v1/conversations/demo-chat/messages") in routes
    assert len(routes) >= 12
    for method, path in routes:
        response = api.http.request(method, path, headers=BUYER, body=json.dumps({"seller_id": "demo-chat"}).encode())
        error = assert_error(response, 415, "unsupported_media_type")
        assert "application/json" in error["message"], (method, path)
        assert error["details"] == {"header": "Content-Type"}, (method, path)


def test_a_missing_content_type_is_refused_before_the_role_and_stores_nothing(api: Any) -> None:
    body = json.dumps({"seller_id": "demo-chat", "topic": "product_question", "text": "hello"}).encode()
    assert_error(api.http.post("/v1/conversations", headers=seller_token("demo-chat"), body=body), 415, "unsupported_media_type")
    assert_error(api.http.post("/v1/conversations", headers=BUYER, body=body), 415, "unsupported_media_type")
    listed = api.http.get("/v1/conversations", headers=BUYER)
    assert json.loads(listed.body)["conversations"] == []
    assert_error(api.http.post("/v1/conversations", headers=BUYER, body=b""), 415, "unsupported_media_type")


def test_json_with_a_charset_or_merge_patch_is_still_read_and_a_wrong_type_is_still_chalices_415(api: Any) -> None:
    body = json.dumps({"seller_ids": ["demo-chat"]}).encode()
    ok = api.http.post("/v1/contact-options/batch", headers={**BUYER, "Content-Type": "application/json; charset=utf-8"}, body=body)
    assert ok.status_code == 200, ok.body
    wrong = api.http.post("/v1/contact-options/batch", headers={**BUYER, "Content-Type": "text/plain"}, body=body)
    assert_error(wrong, 415, "unsupported_media_type")


def test_a_route_without_a_body_needs_no_content_type(api: Any) -> None:
    assert api.http.get("/v1/conversations", headers=BUYER).status_code == 200

"""The gateway's own errors over real HTTP to the local stack, in the API's error shape as on AWS (issue 23).

chalice local alone answers 401 {"message":"Unauthorized"}, 403 {"Message": ...} and 403 "Missing Authentication
Token"; devstack.local_gateway answers with the gateway responses infra/resources.json gives the API on AWS.
"""

from __future__ import annotations

import json
import time
from typing import Any

import jsonschema
import pytest
import requests

from devstack.contract import DOCS
from devstack.local_gateway import gateway_responses
from devstack.tokens import mint_token
from tests.conftest import BUYER, SECRET
from tests.e2e.conftest import Stack

pytestmark = pytest.mark.e2e

CONTACT_OPTIONS = "/v1/sellers/demo-chat/contact-options"
ERROR_SCHEMA = {**json.loads((DOCS / "openapi.json").read_text())["components"]["schemas"]["Error"]}


def assert_gateway_error(response: requests.Response, status: int, code: str, response_type: str) -> dict[str, Any]:
    body: dict[str, Any] = response.json()
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["Content-Type"] == "application/json"
    assert body == {"error": {"code": code, "message": body["error"]["message"], "details": {}}}
    assert body == gateway_responses()[response_type].body  # the very response AWS answers with
    jsonschema.validate(body, ERROR_SCHEMA)  # the documented contract
    return body


def get(stack: Stack, path: str, headers: dict[str, str] | None = None) -> requests.Response:
    return requests.get(f"{stack.api}{path}", headers=headers or {}, timeout=10)


def test_no_token_is_401_unauthorized(stack: Stack) -> None:
    assert_gateway_error(get(stack, CONTACT_OPTIONS), 401, "unauthorized", "UNAUTHORIZED")


def test_a_refused_token_is_403_forbidden(stack: Stack) -> None:
    forged = mint_token("another-key-of-at-least-32-bytes-0000000000", "buyer", "mallory")
    expired = mint_token(SECRET, "buyer", "late-buyer", ttl_seconds=-60)
    for token in (forged, expired, "not-a-jwt"):
        assert_gateway_error(get(stack, CONTACT_OPTIONS, {"Authorization": f"Bearer {token}"}), 403, "forbidden", "ACCESS_DENIED")


def test_an_unknown_route_is_404_not_found_with_or_without_a_token(stack: Stack) -> None:
    assert_gateway_error(get(stack, "/v1/no-such-route"), 404, "not_found", "MISSING_AUTHENTICATION_TOKEN")
    with_token = get(stack, "/v1/no-such-route", BUYER)
    assert_gateway_error(with_token, 404, "not_found", "MISSING_AUTHENTICATION_TOKEN")
    assert BUYER["Authorization"] not in with_token.text  # chalice local's own answer echoed the header back


def test_the_services_own_errors_are_untouched(stack: Stack) -> None:
    """Only what the gateway answers is reshaped: an error of a route keeps its own code and details."""
    bad = get(stack, f"{CONTACT_OPTIONS}?topic=x", BUYER)
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_topic"
    wrong_method = requests.delete(f"{stack.api}/v1/sellers/demo-chat/channels", headers=BUYER, timeout=10)
    assert wrong_method.status_code == 405 and wrong_method.json()["error"]["code"] == "method_not_allowed"


def test_the_local_server_still_serves_after_gateway_errors(stack: Stack) -> None:
    started = time.monotonic()
    for _ in range(3):
        get(stack, "/v1/no-such-route")
        get(stack, CONTACT_OPTIONS)
    assert get(stack, CONTACT_OPTIONS, BUYER).status_code == 200
    assert time.monotonic() - started < 10

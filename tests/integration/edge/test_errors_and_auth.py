"""The HTTP edge: the error shape, body parsing, If-Match, tokens and roles, caching headers."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from tests.calls import ADMIN, NEW_ANSWER, assert_error, body, create, get, send
from tests.conftest import BUYER, SUPPORT, bearer, log_lines, seller_token


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


def test_a_bug_becomes_a_json_500_without_a_trace(api: Any, monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    from chalicelib import wiring

    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(wiring.resolution_service(), "resolve_one", broken)
    response = get(api, "/v1/sellers/demo-chat/contact-options")
    error = assert_error(response, 500, "internal_error")
    assert "secret internals" not in response.body.decode() and "Traceback" not in error["message"]
    assert "unhandled_error" in capsys.readouterr().out  # but operators see it


def test_a_store_outage_is_a_503_that_operators_see_in_the_log(api: Any, monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    """Was: a write that DynamoDB did not answer in time became a 503 with no log line of ours (only the access log)."""
    from chalicelib import wiring
    from chalicelib.shared.errors import StoreUnavailable

    def timed_out(*_args: Any, **_kwargs: Any) -> Any:
        try:
            raise TimeoutError("buyer@example.com wrote: secret text")  # what a cause may carry: never logged
        except TimeoutError as cause:
            raise StoreUnavailable("settings") from cause

    monkeypatch.setattr(wiring.settings_service(), "get_settings", timed_out)
    response = api.http.get("/v1/sellers/demo-chat/channels", headers=seller_token("demo-chat"))
    assert_error(response, 503, "settings_unavailable")
    output = capsys.readouterr().out
    line = next(line for line in log_lines(output) if line.get("msg", line.get("message")) == "store_unavailable")
    assert (line["code"], line["error"]) == ("settings_unavailable", "TimeoutError")
    assert "example.com" not in output and "secret text" not in output


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b'{"seller_ids": ["demo-chat"], "seller_ids": ["demo-email"]}', "a member name appears twice"),
        (b'{"seller_ids": ["demo-chat"], "topic": {"a": 1, "a": 2}}', "a member name appears twice"),
        ('{"seller_ids": ["demo-chat"]}'.encode("utf-16"), "not UTF-8 text"),
        ('{"seller_ids": ["demo-chat"]}'.encode("utf-32"), "not UTF-8 text"),
        (b'\xef\xbb\xbf{"seller_ids": ["demo-chat"]}', "not valid JSON"),  # a byte order mark
        (b'{"seller_ids": ["demo-chat"], "question": "\\ud800"}', "not valid JSON"),  # a lone surrogate
    ],
    ids=["duplicate-top-level", "duplicate-nested", "utf-16", "utf-32", "bom", "lone-surrogate"],
)
def test_ambiguous_or_non_utf8_bodies_are_refused_with_the_right_reason(api: Any, raw: bytes, reason: str) -> None:
    error = assert_error(send(api, "POST", "/v1/contact-options/batch", raw, BUYER), 400, "malformed_json")
    assert error["details"]["reason"].startswith(reason)


def test_every_answer_carries_cache_control_no_store(api: Any) -> None:
    draft = body(create(api, {**NEW_ANSWER, "status": "draft"}))
    responses = {
        "health": api.http.get("/v1/health"),
        "openapi": api.http.get("/v1/openapi.json"),
        "400": api.http.get("/v1/sellers/bad%20id/contact-options", headers=BUYER),
        "403": api.http.get("/v1/platform/policy", headers=BUYER),
        "404": api.http.get("/v1/sellers/demo-none/restriction", headers=SUPPORT),
        "405": api.http.request("DELETE", "/v1/sellers/demo-chat/channels", headers=SUPPORT),
        "204": api.http.request("DELETE", f"/v1/answers/{draft['id']}", headers=SUPPORT),
    }
    assert {name: r.headers.get("Cache-Control") for name, r in responses.items()} == dict.fromkeys(responses, "private, no-store")


POLICY = {"topics": {"payment": "support_only"}}


ANSWER = {"owner": "platform", "topics": ["delivery"], "locale": "en", "title": "t", "body": "b"}


# A request each caller may not make at all, sent with a body or header that is also wrong: the role decides.
WRONG_ROLE_WITH_BAD_INPUT = [
    ("buyer", "PUT", "/v1/platform/policy", "garbage", {}),
    ("buyer", "PUT", "/v1/platform/policy", json.dumps(POLICY), {}),  # no If-Match: was 428
    ("support", "PUT", "/v1/platform/policy", json.dumps(POLICY), {"If-Match": "nonsense"}),
    ("buyer", "PATCH", "/v1/sellers/demo-chat/channels", json.dumps({"chat": {"enabled": False}}), {}),
    ("support", "PUT", "/v1/sellers/demo-chat/channels", "{", {}),
    ("buyer", "POST", "/v1/answers", "{}", {}),
    ("buyer", "PUT", "/v1/answers/faq-delivery-time-en", json.dumps(ANSWER), {}),
    ("buyer", "DELETE", "/v1/answers/faq-delivery-time-en", None, {"If-Match": "nonsense"}),
    ("seller", "POST", "/v1/contact-requests/abc/outcome", "garbage", {}),
    ("seller", "POST", "/v1/contact-options/batch", "garbage", {}),
    ("seller", "GET", "/v1/sellers/demo-chat/contact-options?topic=nonsense", None, {}),
    ("buyer", "GET", "/v1/sellers/demo-chat/contact-options?explain=true&topic=nonsense", None, {}),  # explain: support's
    ("buyer", "GET", f"/v1/sellers/demo-chat/contact-options?explain=true&buyer_id={'b' * 300}", None, {}),
    ("buyer", "GET", "/v1/sellers/not%20an%20id/channels", None, {}),
    ("support", "PUT", "/v1/sellers/demo-chat/restriction", "{}", {}),
    ("buyer", "GET", "/v1/sellers/not%20an%20id/restriction", None, {}),
]


@pytest.mark.parametrize(("role", "method", "path", "payload", "headers"), WRONG_ROLE_WITH_BAD_INPUT)
def test_a_wrong_role_hears_403_before_anything_about_its_input(
    api: Any, role: str, method: str, path: str, payload: str | None, headers: dict[str, str]
) -> None:
    """Was: the body, If-Match or a parameter was checked first: a buyer was told to send If-Match to the policy."""
    token = seller_token("demo-chat") if role == "seller" else bearer(role)
    sent = {**token, **headers, **({"Content-Type": "application/json"} if payload is not None else {})}
    response = api.http.request(method, path, headers=sent, body=payload.encode() if payload is not None else b"")
    assert_error(response, 403, "wrong_role")


def test_the_right_role_still_hears_what_is_wrong_with_its_input(api: Any) -> None:
    headers = {**ADMIN, "Content-Type": "application/json"}
    assert_error(api.http.request("PUT", "/v1/platform/policy", headers=headers, body=b"garbage"), 400, "malformed_json")
    assert_error(api.http.request("PUT", "/v1/platform/policy", headers=headers, body=json.dumps(POLICY).encode()), 428)
    assert_error(api.http.get("/v1/sellers/demo-chat/contact-options?topic=nonsense", headers=SUPPORT), 400)


def test_a_token_whose_sub_holds_a_lone_surrogate_is_denied_not_a_500(api: Any) -> None:
    """Was: accepted by the authorizer; both resolution routes then failed with a 500 (UnicodeEncodeError)."""
    for sub in ("buyer-\ud800", "buyer-\u0000"):
        response = api.http.get("/v1/sellers/demo-chat/contact-options", headers=bearer("buyer", sub))
        assert response.status_code == 403, response.body


@pytest.mark.parametrize("sub", ["👨\u200d👩\u200d👧", "می\u200cخواهم", "a\u00a0b", "\U0001fae8", "a\u00adb", "Иван Петров"])
def test_subs_with_joiners_no_break_spaces_or_newer_emoji_are_still_let_in(api: Any, sub: str) -> None:
    """Regression of the lone-surrogate fix: str.isprintable() also refused these, which resolved before."""
    response = api.http.get("/v1/sellers/demo-chat/contact-options?topic=product_question", headers=bearer("buyer", sub))
    assert response.status_code == 200, response.body


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


def test_empty_subject_and_endless_tokens_are_denied(api: Any) -> None:

    from devstack.tokens import mint_token
    from tests.conftest import SECRET

    no_subject = {"Authorization": f"Bearer {mint_token(SECRET, 'buyer', '')}"}
    assert get(api, "/v1/sellers/demo-chat/contact-options", no_subject).status_code == 403
    endless = bearer("buyer", "buyer-1", ttl_seconds=10**30 - int(time.time()))
    assert get(api, "/v1/sellers/demo-chat/contact-options", endless).status_code == 403
    assert get(api, "/v1/sellers/demo-chat/contact-options", bearer("buyer", "buyer-1")).status_code == 200


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

"""Defects found by a hostile review of the HTTP API, through chalice.test.Client on in-process moto.

Each test reproduces one defect as a client would meet it; the fix lives where the class of bug does.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.conftest import BUYER, SUPPORT, bearer
from tests.integration.test_answers_api import NEW_ANSWER, create, resolve
from tests.integration.test_api import assert_error, body, send

ADMIN = bearer("admin", "ops-1")


# ---------------------------------------------------------------- who may author the platform's answers


def test_a_seller_whose_id_is_platform_cannot_publish_or_read_platform_answers(api: Any) -> None:
    """The seller-id pattern admits "platform": such a seller token must not write the FAQ every buyer sees."""
    impostor = bearer("seller", "owner-of-platform", "platform")
    phishing = {**NEW_ANSWER, "topics": ["payment"], "title": "Pay by card transfer", "keywords": ["pay"]}
    assert_error(create(api, phishing, impostor), 403, "not_your_answer")

    draft = body(create(api, {**NEW_ANSWER, "status": "draft"}))
    assert_error(api.http.get(f"/v1/answers/{draft['id']}", headers=impostor), 404, "answer_not_found")
    listed = body(api.http.get("/v1/answers?owner=platform", headers=impostor))["items"]
    assert draft["id"] not in [answer["id"] for answer in listed]


def test_resolving_seller_platform_lists_each_platform_answer_once(api: Any) -> None:
    for question in (None, "деньги списали дважды"):
        answers = [answer["id"] for answer in body(resolve(api, "platform", "payment", question))["answers"]]
        assert answers and len(answers) == len(set(answers)), answers


def test_admin_manages_platform_answers_as_support_does(api: Any) -> None:
    """Issue 12: "Support and admin manage platform answers"."""
    created = create(api, {**NEW_ANSWER, "status": "draft"}, ADMIN)
    assert created.status_code == 201, created.body
    answer = body(created)
    assert api.http.get(f"/v1/answers/{answer['id']}", headers=ADMIN).status_code == 200  # its own draft
    replaced = send(api, "PUT", f"/v1/answers/{answer['id']}", {**NEW_ANSWER, "title": "Drones"}, {**ADMIN, "If-Match": '"1"'})
    assert replaced.status_code == 200 and body(replaced)["version"] == 2
    assert_error(create(api, {**NEW_ANSWER, "owner": "demo-chat"}, ADMIN), 403, "not_your_answer")  # not a seller's
    assert api.http.request("DELETE", f"/v1/answers/{answer['id']}", headers=ADMIN).status_code == 204
    assert create(api, NEW_ANSWER, SUPPORT).status_code == 201
    assert_error(create(api, NEW_ANSWER, BUYER), 403, "wrong_role")


# ---------------------------------------------------------------- outcomes: one token, one spelling


def test_a_respelled_feedback_token_cannot_count_the_same_outcome_again(api: Any) -> None:
    result = body(resolve(api, "demo-none", "delivery", "где моя посылка"))
    version, topic, expiry, shown, usable, mac = result["feedback_token"].split(".")
    report = {"token": result["feedback_token"], "seller_id": "demo-none", "outcome": "channel_chosen", "channel": "support"}
    path = f"/v1/contact-requests/{result['request_id']}/outcome"
    assert send(api, "POST", path, report, BUYER).status_code == 202
    respelled = {**report, "token": f"{version}.{topic}.0{expiry}.{shown}.{usable}.{mac}"}
    assert_error(send(api, "POST", path, respelled, BUYER), 403, "invalid_feedback_token")


def test_an_outcome_may_name_only_an_answer_its_result_showed(api: Any) -> None:
    result = body(resolve(api, "demo-none", "delivery", "где моя посылка"))
    shown = [answer["id"] for answer in result["answers"]]
    assert shown, result
    path = f"/v1/contact-requests/{result['request_id']}/outcome"
    report = {"token": result["feedback_token"], "seller_id": "demo-none", "outcome": "not_answered", "reason": "not_related"}
    for other in ("faq-warranty-en", "made-up-answer"):
        assert other not in shown
        error = assert_error(send(api, "POST", path, {**report, "answer_id": other}, BUYER), 400, "answer_not_shown")
        assert error["details"] == {"field": "answer_id"}
    assert send(api, "POST", path, {**report, "answer_id": shown[0]}, BUYER).status_code == 202
    answered = {**report, "outcome": "answered", "answer_id": shown[-1]}
    del answered["reason"]
    assert send(api, "POST", path, answered, BUYER).status_code == 202


# ---------------------------------------------------------------- the reveal limit: a withheld contact is not primary


def test_over_the_limit_primary_is_never_a_withheld_email(api: Any) -> None:
    from tests.integration.test_policy_api import put_policy

    assert put_policy(api, {"limits": {"contact_reveals_per_buyer_per_day": 1}}).status_code == 200
    buyer = {**bearer("buyer", "buyer-primary"), "Content-Type": "application/json"}
    payload = {"seller_ids": ["demo-chat", "demo-email"], "topic": "product_question"}
    first, second = body(send(api, "POST", "/v1/contact-options/batch", payload, buyer))["results"]
    assert first["primary"]["contact"] == "app://chat/seller/demo-chat"
    [email] = [o for o in second["options"] if o["channel"] == "email"]
    assert email["contact"] is None and email["reason"] == "contact_limit_reached" and email["available_now"] is False
    assert second["primary"]["channel"] == "support" and second["primary"]["contact"] is not None


# ---------------------------------------------------------------- request bodies: one meaning, the right reason


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


# ---------------------------------------------------------------- "Every answer of the API carries Cache-Control: private, no-store"


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


# ---------------------------------------------------------------- deflection: one result counts once


def test_naming_other_answers_does_not_count_one_result_as_answered_again(api: Any, aws: dict[str, str], capsys: Any) -> None:
    """Each answer shown may be named as the one that answered: one result still counts as answered once."""
    from support_cli import cli as support_cli
    from tests.integration.test_answers_api import ingest, outcome
    from tests.policy_coverage import acting_as

    result = body(resolve(api, "demo-none", "delivery", "посылка задерживается"))
    token, request_id = result["feedback_token"], result["request_id"]
    shown = [answer["id"] for answer in result["answers"]]
    assert len(shown) >= 2, shown
    for answer_id in shown:
        report = {"token": token, "seller_id": "demo-none", "outcome": "answered", "answer_id": answer_id}
        assert outcome(api, request_id, report).status_code == 202
    for _ in range(2):  # demo-none offers support alone; a channel it did not offer is 400 (test_review7)
        report = {"token": token, "seller_id": "demo-none", "outcome": "channel_chosen", "channel": "support"}
        assert outcome(api, request_id, report).status_code == 202
    ingest(api, aws)

    capsys.readouterr()
    with acting_as("support_cli"):
        assert support_cli.main(["stats", "--jsonl"]) == 0
    [delivery] = json.loads(capsys.readouterr().out)["deflection_per_topic"]
    assert (delivery["answered"], delivery["channel_chosen"]) == (1, 1)


# ---------------------------------------------------------------- If-Match: strong comparison is octet by octet


@pytest.mark.parametrize("if_match", ['"01"', "01", '"001", W/"1"'])
def test_if_match_with_a_zero_padded_version_does_not_match(api: Any, if_match: str) -> None:
    from tests.conftest import seller_token

    headers = {**seller_token("demo-chat"), "If-Match": if_match}
    response = send(api, "PATCH", "/v1/sellers/demo-chat/channels", {"chat": {"enabled": False}}, headers)
    assert assert_error(response, 409, "version_conflict")["details"]["current_version"] == 1
    assert send(api, "PATCH", "/v1/sellers/demo-chat/channels", {"chat": {"enabled": False}}, {**headers, "If-Match": '"1"'}).status_code == 200


# ---------------------------------------------------------------- explain: the answer the buyer got, with its texts


def test_explain_shows_the_buyers_texts_in_the_asked_language(api: Any) -> None:
    response = api.http.get("/v1/sellers/demo-chat/contact-options?explain=true&topic=product_question&lang=en", headers=SUPPORT)
    explained = body(response)
    assert response.headers["Content-Language"] == "en"
    assert [o["label"] for o in explained["options"]] == ["Message the seller", "E-mail the seller", "Contact support"]
    assert explained["options"][0]["expected_reply"]["source"] == "seller_declared"
    assert explained["primary"] == explained["options"][0]
    assert [e["message"] for e in explained["excluded"]] == ["The seller takes no calls"]


# ---------------------------------------------------------------- one seller account cannot grow every resolution of it


def test_a_seller_has_at_most_50_answers_and_the_platform_500(api: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each resolution of a seller loads all of that seller's answers for the topic: unbounded, one account could make
    every order that includes it slow (and fill the containers' cache)."""
    from chalicelib.answers import service as answers_service
    from tests.conftest import seller_token

    own = {**NEW_ANSWER, "owner": "demo-email", "status": "draft"}
    seller = seller_token("demo-email")
    demo = len(body(api.http.get("/v1/answers?owner=demo-email", headers=seller))["items"])  # seeded by make run
    for number in range(50 - demo):
        assert create(api, {**own, "title": f"Answer {number}"}, seller).status_code == 201
    error = assert_error(create(api, own, seller), 409, "too_many_answers")
    assert error["details"] == {"owner": "demo-email", "max_answers": 50}
    assert create(api, {**own, "owner": "demo-chat"}, seller_token("demo-chat")).status_code == 201  # per owner

    platform = len(body(api.http.get("/v1/answers?owner=platform", headers=SUPPORT))["items"])
    monkeypatch.setattr(answers_service, "MAX_PLATFORM_ANSWERS", platform + 1)
    assert create(api, NEW_ANSWER, ADMIN).status_code == 201
    assert assert_error(create(api, NEW_ANSWER, SUPPORT), 409, "too_many_answers")["details"]["max_answers"] == platform + 1


# ---------------------------------------------------------------- answer management is not held to the resolution's budget


class _SlowDynamoDB(BaseHTTPRequestHandler):
    """Answers every DynamoDB call with no items, after longer than a resolution's read timeout (1.125 s)."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        time.sleep(1.6)
        payload = b'{"Count": 0, "ScannedCount": 0, "Items": []}'
        self.send_response(200)
        self.send_header("Content-Type", "application/x-amz-json-1.0")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: Any) -> None:
        pass


def test_a_slow_dynamodb_fails_no_answer_listing_that_fits_the_settings_call_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """`make fuzz` met GET /v1/answers as a 503 when moto was slow: management used the resolution's tight budget."""
    from chalice.test import Client

    import app
    from devstack.stack import local_stage_env
    from tests.conftest import reset_caches

    server = ThreadingHTTPServer(("127.0.0.1", 0), _SlowDynamoDB)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    for name, value in local_stage_env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{server.server_address[1]}")
    reset_caches()
    try:
        with Client(app.app, stage_name="local") as client:
            listed = client.http.get("/v1/answers?owner=platform&locale=ru", headers=BUYER)
            assert listed.status_code == 200, listed.body
            assert body(listed) == {"items": [], "next_cursor": None}
    finally:
        server.shutdown()
        reset_caches()

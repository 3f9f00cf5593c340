"""Answer management (/v1/answers) and the answers a resolution shows."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from chalicelib.shared.aws import client
from tests.calls import (
    ADMIN,
    NEW_ANSWER,
    SELLER_ANSWER,
    assert_error,
    body,
    create,
    get,
    put_policy,
    resolve,
    send,
    store_restriction,
)
from tests.conftest import BUYER, SUPPORT, bearer, seller_token
from tests.fakes import unprocessed

SELLER = seller_token("demo-chat")


def test_support_creates_reads_replaces_and_deletes_a_platform_answer(api: Any) -> None:
    created = create(api, NEW_ANSWER)
    assert created.status_code == 201, created.body
    answer = body(created)
    assert created.headers["ETag"] == '"1"' and created.headers["Location"] == f"/v1/answers/{answer['id']}"
    assert answer["version"] == 1 and answer["updated_by"] == "agent-1" and answer["status"] == "published"

    read = get(api, f"/v1/answers/{answer['id']}")
    assert read.status_code == 200 and body(read) == answer

    changed = {**NEW_ANSWER, "title": "Drones deliver every day"}
    assert_error(send(api, "PUT", f"/v1/answers/{answer['id']}", changed, SUPPORT), 428, "precondition_required")
    stale = send(api, "PUT", f"/v1/answers/{answer['id']}", changed, {**SUPPORT, "If-Match": '"7"'})
    assert assert_error(stale, 409, "version_conflict")["details"] == {"current_version": 1}
    replaced = send(api, "PUT", f"/v1/answers/{answer['id']}", changed, {**SUPPORT, "If-Match": '"1"'})
    assert replaced.status_code == 200 and body(replaced)["version"] == 2 and replaced.headers["ETag"] == '"2"'

    assert_error(api.http.request("DELETE", f"/v1/answers/{answer['id']}", headers={**SUPPORT, "If-Match": '"1"'}), 409)
    deleted = api.http.request("DELETE", f"/v1/answers/{answer['id']}", headers={**SUPPORT, "If-Match": '"2"'})
    assert deleted.status_code == 204
    assert_error(get(api, f"/v1/answers/{answer['id']}"), 404, "answer_not_found")


def test_a_seller_manages_only_their_own_auto_answers(api: Any) -> None:
    own = create(api, {**NEW_ANSWER, "owner": "demo-chat"}, SELLER)
    assert own.status_code == 201 and body(own)["owner"] == "demo-chat"
    assert_error(create(api, NEW_ANSWER, SELLER), 403, "not_your_answer")
    assert_error(create(api, {**NEW_ANSWER, "owner": "demo-email"}, SELLER), 403, "not_your_answer")
    assert_error(create(api, {**NEW_ANSWER, "owner": "demo-chat"}, SUPPORT), 403, "not_your_answer")
    assert_error(create(api, NEW_ANSWER, BUYER), 403, "wrong_role")
    other = seller_token("demo-email")
    answer_id = body(own)["id"]
    assert_error(send(api, "PUT", f"/v1/answers/{answer_id}", {**NEW_ANSWER, "owner": "demo-chat"}, {**other, "If-Match": '"1"'}), 403)
    assert_error(api.http.request("DELETE", f"/v1/answers/{answer_id}", headers=other), 403, "not_your_answer")
    # Nor can the owner hand an answer over to the platform.
    assert_error(send(api, "PUT", f"/v1/answers/{answer_id}", NEW_ANSWER, {**SELLER, "If-Match": '"1"'}), 403, "not_your_answer")


def test_drafts_are_visible_only_to_their_author_and_support(api: Any) -> None:
    draft = body(create(api, {**NEW_ANSWER, "owner": "demo-chat", "status": "draft"}, SELLER))
    assert get(api, f"/v1/answers/{draft['id']}", SELLER).status_code == 200
    assert get(api, f"/v1/answers/{draft['id']}", SUPPORT).status_code == 200
    assert_error(get(api, f"/v1/answers/{draft['id']}", BUYER), 404, "answer_not_found")
    assert_error(get(api, f"/v1/answers/{draft['id']}", seller_token("demo-email")), 404)

    def listed(headers: dict[str, str]) -> list[str]:
        return [a["id"] for a in body(get(api, "/v1/answers?owner=demo-chat", headers))["items"]]

    assert draft["id"] in listed(SELLER) and draft["id"] in listed(SUPPORT)
    assert draft["id"] not in listed(BUYER) and "demo-chat-sizes-ru" in listed(BUYER)


def test_listing_narrows_by_owner_topic_and_locale(api: Any) -> None:
    items = body(get(api, "/v1/answers?topic=payment&locale=en"))["items"]
    assert items and all(a["owner"] == "platform" and a["locale"] == "en" and "payment" in a["topics"] for a in items)
    assert "faq-double-charge-en" in [a["id"] for a in items]
    everything = body(get(api, "/v1/answers"))["items"]
    assert len(everything) == 36 and {a["locale"] for a in everything} == {"ru", "en"}
    assert_error(get(api, "/v1/answers?locale=de"), 400, "invalid_locale")
    assert_error(get(api, "/v1/answers?owner=../x"), 400, "invalid_owner")
    assert_error(get(api, "/v1/answers?topic=weather"), 400, "invalid_topic")


def test_listing_pages_through_every_answer_once_in_id_order(api: Any) -> None:
    everything = body(get(api, "/v1/answers"))
    assert everything["next_cursor"] is None  # the 36 platform answers fit the default page of 100
    seen: list[str] = []
    path = "/v1/answers?limit=10"
    while True:
        page = body(get(api, path))
        assert len(page["items"]) <= 10
        seen += [a["id"] for a in page["items"]]
        if page["next_cursor"] is None:
            break
        assert page["next_cursor"] == page["items"][-1]["id"]
        path = f"/v1/answers?limit=10&cursor={page['next_cursor']}"
    assert seen == [a["id"] for a in everything["items"]] == sorted(seen)
    last = body(get(api, f"/v1/answers?limit=6&cursor={seen[-7]}"))
    assert [a["id"] for a in last["items"]] == seen[-6:] and last["next_cursor"] is None


@pytest.mark.parametrize("query", ["limit=0", "limit=101", "limit=ten", "limit=-1", "limit=1.5", "limit=%D9%A1"])
def test_a_bad_page_size_is_400(api: Any, query: str) -> None:
    assert_error(get(api, f"/v1/answers?{query}"), 400, "invalid_limit")


def test_a_bad_cursor_is_400(api: Any) -> None:
    assert_error(get(api, "/v1/answers?cursor=NOT..VALID"), 400, "invalid_cursor")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"body": "<b>bold</b>"}, "body"),
        ({"title": "x" * 201}, "title"),
        ({"body": "x" * (8 * 1024 + 1)}, "body"),
        ({"topics": ["weather"]}, "topics.0"),
        ({"locale": "de"}, "locale"),
        ({"owner": "platform", "id": "mine"}, "id"),
    ],
)
def test_bad_answers_get_a_400_naming_the_field(api: Any, changes: dict[str, Any], field: str) -> None:
    error = assert_error(create(api, {**NEW_ANSWER, **changes}), 400, "validation_error")
    assert field in [detail["field"] for detail in error["details"]]


def test_answer_routes_refuse_bad_ids_bodies_and_sizes(api: Any) -> None:
    assert_error(get(api, "/v1/answers/NOT_VALID"), 400, "invalid_answer_id")
    assert_error(get(api, "/v1/answers/never-written"), 404, "answer_not_found")
    assert_error(send(api, "POST", "/v1/answers", b"{not json", SUPPORT), 400, "malformed_json")
    assert_error(send(api, "POST", "/v1/answers", b"x" * (65 * 1024), SUPPORT), 413, "payload_too_large")
    response = api.http.post("/v1/answers", headers={**SUPPORT, "Content-Type": "text/plain"}, body=b"hello")
    assert_error(response, 415)


def test_a_buyer_asking_in_russian_gets_the_right_answer_first(api: Any, aws: dict[str, str]) -> None:
    response = resolve(api, "demo-none", "delivery", "Посылку так и не доставили, срок прошёл")
    assert response.status_code == 200
    assert response.headers["Content-Language"] == "ru" and response.headers["Vary"] == "Accept-Language"
    result = body(response)
    assert result["answers"][0]["id"] == "faq-delivery-late-ru" and result["answers"][0]["score"] > 0
    assert len(result["answers"]) <= 3
    assert [o["channel"] for o in result["options"]] == ["support"]  # answers come first, support is never hidden
    assert result["options"][0]["label"] == "Написать в поддержку"
    assert result["options"][0]["hint"] == "Продавец не указал способов связи, поможет поддержка"
    assert result["excluded"][0] == {"channel": "chat", "reason": "chat_disabled", "message": "Продавец не принимает сообщения в чате"}
    assert result["feedback_token"]


def test_language_from_accept_language_or_lang(api: Any) -> None:
    english = resolve(api, "demo-chat", "product_question", "which size should I take", {**BUYER, "Accept-Language": "en-US,ru;q=0.5"})
    assert english.headers["Content-Language"] == "en"
    result = body(english)
    assert result["answers"][0]["id"] == "demo-chat-sizes-en"
    assert result["options"][0]["label"] == "Message the seller"
    assert result["options"][0]["expected_reply"] == {"hours": 4, "text": "The seller usually replies within 4 hours", "source": "seller_declared"}
    forced = resolve(api, "demo-chat", "product_question", headers={**BUYER, "Accept-Language": "en"}, lang="ru")
    assert forced.headers["Content-Language"] == "ru" and body(forced)["options"][0]["label"] == "Написать продавцу"
    assert_error(resolve(api, "demo-chat", "other", lang="de"), 400, "invalid_lang")


def test_a_language_the_service_does_not_speak_reads_english(api: Any) -> None:
    german = resolve(api, "demo-chat", "product_question", headers={**BUYER, "Accept-Language": "de-DE,de;q=0.9"})
    assert german.headers["Content-Language"] == "en"
    assert body(german)["options"][0]["label"] == "Message the seller"
    silent = resolve(api, "demo-chat", "product_question", headers=BUYER)
    assert silent.headers["Content-Language"] == "ru"


def test_without_a_question_the_topics_best_answers_come_first(api: Any) -> None:
    result = body(resolve(api, "demo-chat", "product_question"))
    assert [a["id"] for a in result["answers"]] == ["demo-chat-sizes-ru", "faq-warranty-ru"]
    assert all(a["score"] == 0 for a in result["answers"])


def test_a_question_over_500_characters_is_refused(api: Any) -> None:
    assert_error(resolve(api, "demo-chat", "other", "x" * 501), 400, "validation_error")
    batch = {"seller_ids": ["demo-chat"], "question": "x" * 501}
    assert_error(send(api, "POST", "/v1/contact-options/batch", batch, BUYER), 400, "validation_error")


def test_batch_results_carry_answers_and_their_own_feedback_tokens(api: Any) -> None:
    request = {"seller_ids": ["demo-chat", "demo-email"], "topic": "product_question", "question": "гарантия сломалось"}
    response = send(api, "POST", "/v1/contact-options/batch", request, BUYER)
    assert response.status_code == 200 and response.headers["Content-Language"] == "ru"
    chat, email = body(response)["results"]
    assert email["answers"][0]["id"] == "demo-email-warranty-ru"
    assert "demo-email-warranty-ru" not in [a["id"] for a in chat["answers"]]  # another seller's auto-answer
    assert chat["feedback_token"] != email["feedback_token"]


def test_demo_phone_at_night_gets_support_as_primary(api: Any, services_at: Callable[[datetime], None]) -> None:
    services_at(datetime(2026, 11, 26, 22, 0, tzinfo=UTC))  # 01:00 in Moscow
    result = body(resolve(api, "demo-phone", "product_question", headers={**BUYER, "Accept-Language": "en"}))
    assert result["options"][0]["channel"] == "phone" and result["options"][0]["available_now"] is False
    assert result["options"][0]["hint"] == "Opens today at 09:00 (Europe/Moscow time)"
    assert result["primary"]["channel"] == "support"


def test_warm_resolutions_read_answers_from_the_cache(api: Any) -> None:
    from botocore.client import BaseClient

    calls: list[str] = []
    original = BaseClient._make_api_call

    def counting(self: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        calls.append(operation)
        return original(self, operation, params)

    resolve(api, "demo-chat", "delivery", "где посылка")
    BaseClient._make_api_call = counting  # type: ignore[method-assign]
    try:
        resolve(api, "demo-chat", "delivery", "где посылка")
        resolve(api, "demo-chat", "delivery")
    finally:
        BaseClient._make_api_call = original  # type: ignore[method-assign]
    # One settings read each (a buyer's: settings and reveal tally in one BatchGetItem), no answers Query.
    assert "Query" not in calls and calls.count("BatchGetItem") == 2


def test_answers_unavailable_never_fail_the_resolution(api: Any) -> None:
    with unprocessed("answers"):  # the digests ride in the settings' BatchGetItem; the answers table is throttled
        response = resolve(api, "demo-chat", "payment", "оплата")
    assert response.status_code == 200 and body(response)["answers"] == [] and body(response)["options"]
    assert body(response)["degraded"] is False  # the seller's channels were read: only the answers are missing


def test_a_seller_declares_reply_times_and_buyers_see_them(api: Any) -> None:
    email = seller_token("demo-email")
    patch = {"email": {"reply_within_hours": 2}}
    changed = send(api, "PATCH", "/v1/sellers/demo-email/channels", patch, {**email, "If-Match": '"1"'})
    assert changed.status_code == 200 and body(changed)["email"]["reply_within_hours"] == 2
    for hours in (0, 169, "soon"):
        refused = send(api, "PATCH", "/v1/sellers/demo-email/channels", {"email": {"reply_within_hours": hours}}, {**email, "If-Match": '"2"'})
        assert_error(refused, 400, "validation_error")
    options = body(resolve(api, "demo-email", "product_question", lang="en"))["options"]
    assert options[0]["expected_reply"] == {"hours": 2, "text": "The seller usually replies within 2 hours", "source": "seller_declared"}
    assert options[1]["channel"] == "support" and options[1]["expected_reply"]["source"] == "platform_target"




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


@pytest.mark.parametrize("digits", [4301, 5000])
def test_a_page_size_of_thousands_of_digits_is_400_not_500(api: Any, digits: int) -> None:
    assert_error(get(api, "/v1/answers?limit=" + "9" * digits), 400, "invalid_limit")
    assert len(body(get(api, "/v1/answers?limit=" + "0" * digits + "5"))["items"]) == 5  # 5, however spelled


def test_a_page_size_with_leading_zeros_still_works(api: Any) -> None:
    assert len(body(get(api, "/v1/answers?limit=005"))["items"]) == 5


SIZES = "/v1/sellers/demo-chat/contact-options?topic=product_question&lang=en&q=which+size+and+what+product+warranty"


def answer_owners(response: Any) -> set[str]:
    assert response.status_code == 200, response.body
    return {answer["owner"] for answer in json.loads(response.body)["answers"]}


def batch_answer_owners(api: Any, topic: str) -> set[str]:
    payload = json.dumps({"seller_ids": ["demo-chat"], "topic": topic, "question": "which size and what product warranty"})
    response = api.http.post("/v1/contact-options/batch", headers={**BUYER, "Content-Type": "application/json"}, body=payload.encode())
    assert response.status_code == 200, response.body
    return {answer["owner"] for answer in json.loads(response.body)["results"][0]["answers"]}


def test_a_restricted_sellers_own_answers_are_not_shown(api: Any) -> None:
    """Was: restricted to support alone, the seller's auto-answer still came first (it may link to paying outside)."""
    assert answer_owners(api.http.get(SIZES, headers=BUYER)) == {"demo-chat", "platform"}
    restriction = {"mode": "support_only", "note": "chargeback review"}
    assert send(api, "PUT", "/v1/sellers/demo-chat/restriction", restriction, ADMIN).status_code == 200

    assert answer_owners(api.http.get(SIZES, headers=BUYER)) == {"platform"}
    assert batch_answer_owners(api, "product_question") == {"platform"}

    assert api.http.request("DELETE", "/v1/sellers/demo-chat/restriction", headers=ADMIN).status_code == 204
    assert answer_owners(api.http.get(SIZES, headers=BUYER)) == {"demo-chat", "platform"}


def test_a_support_only_topic_shows_the_platforms_answers_alone(api: Any) -> None:
    """Was: with the topic routed to support alone, sellers' auto-answers for it were still shown."""
    assert put_policy(api, {"topics": {"product_question": "support_only"}}).status_code == 200
    assert answer_owners(api.http.get(SIZES, headers=BUYER)) == {"platform"}
    assert batch_answer_owners(api, "product_question") == {"platform"}


def test_one_unreadable_seller_does_not_empty_the_answers_of_the_whole_batch(api: Any) -> None:
    """Regression of the time-budget fix: a batch skipped loading answers when any seller was unavailable, and one
    stored item that no longer validates left every seller of the batch without answers, the platform's FAQ too."""

    client("dynamodb").put_item(
        TableName="seller-channels", Item={"seller_id": {"S": "broken-1"}, "version": {"N": "1"}, "chat": {"S": "garbage"}}
    )
    payload = {"seller_ids": ["demo-chat", "broken-1"], "topic": "return_refund", "question": "how do I return an item"}
    response = api.http.post(
        "/v1/contact-options/batch?lang=en", headers={**BUYER, "Content-Type": "application/json"}, body=json.dumps(payload).encode()
    )
    results = {result["seller_id"]: result for result in json.loads(response.body)["results"]}
    assert results["broken-1"]["degraded"] is True
    assert results["demo-chat"]["degraded"] is False and results["demo-chat"]["answers"], results["demo-chat"]


def test_a_restricted_sellers_answers_are_not_served_to_buyers_by_the_answers_routes(api: Any) -> None:
    """Was: hidden in resolutions, but GET /v1/answers/{id} (what the answer's link opens) and the listing still
    served them to buyers."""
    other_seller = seller_token("demo-email")
    assert get_ok(api, "/v1/answers/demo-chat-sizes-en", BUYER)
    assert send(api, "PUT", "/v1/sellers/demo-chat/restriction", {"mode": "support_only", "note": "x"}, ADMIN).status_code == 200

    for caller in (BUYER, other_seller):
        assert_error(api.http.get("/v1/answers/demo-chat-sizes-en", headers=caller), 404, "answer_not_found")
        listing = api.http.get("/v1/answers?owner=demo-chat", headers=caller)
        assert listing.status_code == 200 and json.loads(listing.body)["items"] == []
    for caller in (seller_token("demo-chat"), SUPPORT, ADMIN):  # the author, and who reviews the seller, still see them
        assert get_ok(api, "/v1/answers/demo-chat-sizes-en", caller)

    assert api.http.request("DELETE", "/v1/sellers/demo-chat/restriction", headers=ADMIN).status_code == 204
    assert get_ok(api, "/v1/answers/demo-chat-sizes-en", BUYER)


def get_ok(api: Any, path: str, headers: dict[str, str]) -> bool:
    response = api.http.get(path, headers=headers)
    return bool(response.status_code == 200 and json.loads(response.body)["id"])


def test_an_unreadable_restriction_hides_the_sellers_answers_from_buyers(api: Any) -> None:
    """A restriction this release cannot read still restricts (was: 503 on every answers read for that seller)."""
    store_restriction("demo-chat", "suspended")
    response = api.http.get("/v1/answers?owner=demo-chat", headers=BUYER)
    assert response.status_code == 200 and json.loads(response.body)["items"] == []


def test_an_answer_put_that_changes_nothing_keeps_its_version_and_a_get_body_can_be_sent_back(api: Any) -> None:
    """Was: a PUT of the same answer made version 2 (and a new ETag), and a GET's body was refused for its id and
    updated_* fields, unlike settings and the policy."""
    seller = seller_token("demo-chat")
    created = send(api, "POST", "/v1/answers", SELLER_ANSWER, seller)
    answer_id = json.loads(created.body)["id"]
    read = api.http.get(f"/v1/answers/{answer_id}", headers=seller)
    again = api.http.request("PUT", f"/v1/answers/{answer_id}", headers={**seller, "Content-Type": "application/json", "If-Match": '"1"'}, body=read.body)
    assert again.status_code == 200, again.body
    assert again.headers["ETag"] == '"1"' and json.loads(again.body) == json.loads(read.body)

    other = json.loads(send(api, "POST", "/v1/answers", {**SELLER_ANSWER, "title": "Другой"}, seller).body)["id"]
    moved = api.http.request("PUT", f"/v1/answers/{other}", headers={**seller, "Content-Type": "application/json", "If-Match": '"1"'}, body=read.body)
    assert_error(moved, 400, "bad_request")


def test_a_question_in_the_other_language_shows_the_buyers_own_language_version(api: Any) -> None:
    """Was: a Russian-speaking buyer who typed "where is my parcel" got only English articles under Russian labels,
    though each has a Russian translation (same translation_key)."""
    response = api.http.get("/v1/sellers/demo-none/contact-options?topic=delivery&lang=ru&q=where+is+my+parcel", headers=BUYER)
    answers = json.loads(response.body)["answers"]
    assert answers and answers[0]["id"] == "faq-track-parcel-ru"
    assert all(answer["id"].endswith("-ru") for answer in answers)
    english = api.http.get("/v1/sellers/demo-none/contact-options?topic=delivery&lang=en&q=where+is+my+parcel", headers=BUYER)
    assert json.loads(english.body)["answers"][0]["id"] == "faq-track-parcel-en"

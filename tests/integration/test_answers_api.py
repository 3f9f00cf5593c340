"""Answers through HTTP on in-process moto: management routes and roles, answers in resolutions, outcomes, stats."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import pytest

from chalicelib.models.events import ContactOutcomeEvent
from support_cli import cli as support_cli
from tests.conftest import BUYER, SUPPORT, bearer, drain_queue, seller_token
from tests.integration.test_api import assert_error, body, send
from tests.integration.test_ingest import sqs_event
from tests.policy_coverage import acting_as

SELLER = seller_token("demo-chat")
NEW_ANSWER = {
    "owner": "platform", "topics": ["delivery"], "locale": "en", "title": "Drones deliver on Sundays",
    "body": "Our **drone** service brings parcels on Sundays.", "keywords": ["drone", "sunday"],
}


def get(api: Any, path: str, headers: dict[str, str] | None = None) -> Any:
    return api.http.get(path, headers=headers if headers is not None else BUYER)


def create(api: Any, answer: dict[str, Any], headers: dict[str, str] = SUPPORT) -> Any:
    return send(api, "POST", "/v1/answers", answer, headers)


# ---------------------------------------------------------------- management


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


# ---------------------------------------------------------------- answers in the resolution


def resolve(api: Any, seller_id: str, topic: str, question: str | None = None, headers: dict[str, str] | None = None,
            lang: str | None = None) -> Any:
    query = f"topic={topic}" + (f"&q={quote(question)}" if question else "") + (f"&lang={lang}" if lang else "")
    return get(api, f"/v1/sellers/{seller_id}/contact-options?{query}", headers)


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


@pytest.fixture
def services_at(api: Any) -> Iterator[Callable[[datetime], None]]:
    """Sets the app's services, wired as app.py does, to a clock at a given moment; restored before moto stops."""
    from chalicelib import wiring

    originals = wiring.resolution_service, wiring.answers_service
    yield _services_at
    wiring.resolution_service, wiring.answers_service = originals  # type: ignore[misc]


def _services_at(moment: datetime) -> None:
    from chalicelib import wiring
    from chalicelib.answers.service import AnswersService
    from chalicelib.answers.shown import ShownAnswers
    from chalicelib.answers.store import DynamoAnswersStore
    from chalicelib.contacts.resolution import ResolutionService
    from chalicelib.sellers.store import DynamoSettingsStore
    from chalicelib.shared.aws import client
    from chalicelib.shared.config import get_config
    from chalicelib.support.publisher import SqsEventPublisher

    config = get_config()
    publisher = SqsEventPublisher(client("sqs"), config.support_queue_url)
    answers = DynamoAnswersStore(client("dynamodb"), config.answers_table_name)
    contact = ResolutionService(
        DynamoSettingsStore(client("dynamodb"), config.seller_table_name), publisher, lambda: moment,
        answers=ShownAnswers(answers), feedback_key=config.feedback_key,
    )
    wiring.resolution_service = lambda: contact  # type: ignore[method-assign]
    wiring.answers_service = lambda: AnswersService(answers, publisher, config.feedback_key, lambda: moment)  # type: ignore[method-assign]


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
    from botocore.client import BaseClient
    from botocore.exceptions import ClientError

    original = BaseClient._make_api_call

    def failing(self: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        if operation == "Query":
            raise ClientError({"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow down"}}, operation)
        return original(self, operation, params)

    BaseClient._make_api_call = failing  # type: ignore[method-assign]
    try:
        response = resolve(api, "demo-chat", "payment", "оплата")
    finally:
        BaseClient._make_api_call = original  # type: ignore[method-assign]
    assert response.status_code == 200 and body(response)["answers"] == [] and body(response)["options"]


# ---------------------------------------------------------------- outcomes and deflection


def outcome(api: Any, request_id: str, report: dict[str, Any], headers: dict[str, str] = BUYER) -> Any:
    return send(api, "POST", f"/v1/contact-requests/{request_id}/outcome", report, headers)


def ingest(api: Any, aws: dict[str, str]) -> list[dict[str, Any]]:
    messages = drain_queue(aws["queue_url"])
    payload = api.lambda_.invoke("support_ingest", sqs_event(api, [json.dumps(m["body"]) for m in messages])).payload
    assert payload == {"batchItemFailures": []}
    return messages


def test_outcomes_are_accepted_once_and_counted_per_topic_and_answer(api: Any, aws: dict[str, str], capsys: Any) -> None:
    first = body(resolve(api, "demo-none", "delivery", "посылка задерживается"))
    second = body(resolve(api, "demo-none", "delivery", "где посылка"))
    token, request_id = first["feedback_token"], first["request_id"]
    answered = {"token": token, "seller_id": "demo-none", "outcome": "answered", "answer_id": "faq-delivery-late-ru"}
    accepted = outcome(api, request_id, answered)
    assert accepted.status_code == 202
    again = outcome(api, request_id, answered)
    assert again.status_code == 202 and body(again)["event_id"] == body(accepted)["event_id"]
    not_answered = {"token": second["feedback_token"], "seller_id": "demo-none", "outcome": "not_answered",
                    "answer_id": "faq-track-parcel-ru", "reason": "related_but_not_answered"}
    assert outcome(api, second["request_id"], not_answered).status_code == 202
    chosen = {"token": second["feedback_token"], "seller_id": "demo-none", "outcome": "channel_chosen", "channel": "support"}
    assert outcome(api, second["request_id"], chosen).status_code == 202

    messages = ingest(api, aws)
    events = [ContactOutcomeEvent.model_validate(m["body"]) for m in messages if m["body"]["type"] == "contact_outcome"]
    assert len(events) == 4 and {e.topic.value for e in events} == {"delivery"} and events[0].buyer_id == "buyer-1"
    assert messages[-1]["attributes"]["outcome"]["StringValue"] == "channel_chosen"

    capsys.readouterr()
    with acting_as("support_cli"):
        assert support_cli.main(["stats", "--jsonl"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["deflection_per_topic"] == [
        {"topic": "delivery", "answered": 1, "not_answered": 1, "channel_chosen": 1, "deflection_rate": 0.5}
    ]
    assert stats["answers_most_not_answered"] == [
        {"answer_id": "faq-track-parcel-ru", "not_answered": 1, "answered": 0, "not_related": 0, "related_but_not_answered": 1}
    ]
    with acting_as("support_cli"):
        support_cli.main(["stats"])
    text = capsys.readouterr().out
    assert "deflection per topic" in text and "50%" in text and "faq-track-parcel-ru" in text


def test_another_buyers_forged_or_misdirected_token_is_refused(api: Any, aws: dict[str, str]) -> None:
    result = body(resolve(api, "demo-chat", "other"))
    report = {"token": result["feedback_token"], "seller_id": "demo-chat", "outcome": "not_answered", "reason": "not_related"}
    request_id = result["request_id"]
    assert_error(outcome(api, request_id, report, bearer("buyer", "buyer-2")), 403, "invalid_feedback_token")
    assert_error(outcome(api, request_id, {**report, "token": result["feedback_token"][:-2] + "xx"}), 403, "invalid_feedback_token")
    assert_error(outcome(api, request_id, {**report, "seller_id": "demo-email"}), 403, "invalid_feedback_token")
    assert_error(outcome(api, "another-request", report), 403, "invalid_feedback_token")
    assert_error(outcome(api, request_id, report, SUPPORT), 403, "wrong_role")
    assert_error(outcome(api, request_id, {**report, "outcome": "answered"}), 400, "validation_error")
    assert_error(outcome(api, "bad id!", report), 400, "invalid_request_id")
    assert [m for m in drain_queue(aws["queue_url"]) if m["body"]["type"] == "contact_outcome"] == []


def test_an_expired_token_is_refused(api: Any, services_at: Callable[[datetime], None]) -> None:
    result = body(resolve(api, "demo-chat", "other"))
    report = {"token": result["feedback_token"], "seller_id": "demo-chat", "outcome": "channel_chosen", "channel": "chat"}
    services_at(datetime.now(UTC) + timedelta(hours=23))
    assert outcome(api, result["request_id"], report).status_code == 202  # still valid the same day
    services_at(datetime.now(UTC) + timedelta(hours=25))
    assert_error(outcome(api, result["request_id"], report), 403, "invalid_feedback_token")


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

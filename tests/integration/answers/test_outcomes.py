"""POST /v1/contact-requests/{request_id}/outcome: feedback tokens, what a result showed and offered, counted once."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.models.events import ContactOutcomeEvent
from support_cli import cli as support_cli
from tests.calls import assert_error, body, get, resolve, send, sqs_event
from tests.conftest import BUYER, SUPPORT, bearer, drain_queue
from tests.policy_coverage import acting_as


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


def test_naming_other_answers_does_not_count_one_result_as_answered_again(api: Any, aws: dict[str, str], capsys: Any) -> None:
    """Each answer shown may be named as the one that answered: one result still counts as answered once."""
    from support_cli import cli as support_cli
    pass
    from tests.policy_coverage import acting_as

    result = body(resolve(api, "demo-none", "delivery", "посылка задерживается"))
    token, request_id = result["feedback_token"], result["request_id"]
    shown = [answer["id"] for answer in result["answers"]]
    assert len(shown) >= 2, shown
    for answer_id in shown:
        report = {"token": token, "seller_id": "demo-none", "outcome": "answered", "answer_id": answer_id}
        assert outcome(api, request_id, report).status_code == 202
    for _ in range(2):  # demo-none offers support alone; a channel it did not offer is 400 (test_answer_content.py)
        report = {"token": token, "seller_id": "demo-none", "outcome": "channel_chosen", "channel": "support"}
        assert outcome(api, request_id, report).status_code == 202
    ingest(api, aws)

    capsys.readouterr()
    with acting_as("support_cli"):
        assert support_cli.main(["stats", "--jsonl"]) == 0
    [delivery] = json.loads(capsys.readouterr().out)["deflection_per_topic"]
    assert (delivery["answered"], delivery["channel_chosen"]) == (1, 1)


@pytest.mark.parametrize("spoil", [lambda t: t[:-1] + "é", lambda t: "v2.other.1..é", lambda t: "v1.other.1.ü", lambda t: t + "\u00a0"])
def test_a_token_with_non_ascii_characters_is_403_not_500(api: Any, spoil: Any) -> None:
    result = body(get(api, "/v1/sellers/demo-none/contact-options?topic=delivery&q=parcel"))
    report = {"token": spoil(result["feedback_token"]), "seller_id": "demo-none", "outcome": "channel_chosen", "channel": "support"}
    assert_error(outcome(api, result["request_id"], report), 403, "invalid_feedback_token")


def test_an_outcome_names_only_a_channel_its_result_offered_with_a_contact(limit_2: Any) -> None:
    """Was: 202 for `channel_chosen` with a channel never offered (phone for demo-none) or one the limit withheld."""
    from tests.calls import seed_tally

    def result(seller_id: str, buyer: dict[str, str]) -> dict[str, Any]:
        response = limit_2.http.get(f"/v1/sellers/{seller_id}/contact-options?topic=product_question", headers=buyer)
        return dict(json.loads(response.body))

    def chosen(found: dict[str, Any], buyer: dict[str, str], channel: str) -> Any:
        report = {"token": found["feedback_token"], "seller_id": found["seller_id"], "outcome": "channel_chosen", "channel": channel}
        return send(limit_2, "POST", f"/v1/contact-requests/{found['request_id']}/outcome", report, buyer)

    only_support = result("demo-none", BUYER)
    assert_error(chosen(only_support, BUYER, "phone"), 400, "channel_not_offered")
    assert chosen(only_support, BUYER, "support").status_code == 202

    from datetime import UTC, datetime

    over = bearer("buyer", "over-the-limit")
    seed_tally("over-the-limit", datetime.now(UTC).date().isoformat(), ["shop-4", "shop-5"])
    withheld = result("demo-chat", over)  # chat offered, its e-mail withheld by the limit
    assert [o["contact"] is None for o in withheld["options"] if o["channel"] == "email"] == [True]
    assert_error(chosen(withheld, over, "email"), 400, "channel_not_offered")
    assert chosen(withheld, over, "chat").status_code == 202


def test_not_answered_counts_once_per_answer_whatever_channel_is_also_named(api: Any) -> None:
    """Was: the channel was part of a not_answered event's id: the same answer of the same result counted once more
    for each channel the buyer also named."""
    from tests.calls import body, resolve

    result = body(resolve(api, "demo-none", "delivery", "где посылка"))
    shown = result["answers"][0]["id"]
    report = {"token": result["feedback_token"], "seller_id": "demo-none", "outcome": "not_answered", "answer_id": shown}
    event_ids = {
        json.loads(outcome(api, result["request_id"], {**report, **extra}).body)["event_id"]
        for extra in ({}, {"channel": "support"}, {"channel": "support", "reason": "not_related"})
    }
    assert len(event_ids) == 1


def test_only_a_buyer_gets_a_feedback_token(api: Any) -> None:
    """Was: support's resolutions carried a feedback token that the outcome route (buyers only) never accepts."""
    path = "/v1/sellers/demo-none/contact-options?topic=delivery&q=where"
    assert json.loads(api.http.get(path, headers=BUYER).body)["feedback_token"]
    assert json.loads(api.http.get(path, headers=SUPPORT).body)["feedback_token"] is None

"""The reply clock (the sweep escalates overdue conversations, the test moves the clock), masked e-mail (never counted
against the reveal limit, start links), the measured reply time, and a warm resolution's AWS calls."""

from __future__ import annotations

import json
from typing import Any

from tests.calls import put_policy
from tests.conftest import BUYER, drain_queue, seller_token
from tests.integration.conversations.conftest import BUYER_A, JSON, post, start


def set_channels(api: Any, seller_id: str, body: dict[str, Any]) -> None:
    response = api.http.put(
        f"/v1/sellers/{seller_id}/channels", body=json.dumps(body).encode(),
        headers={**JSON, **seller_token(seller_id), "If-Match": '"0"'},
    )
    assert response.status_code == 200, response.body


def test_the_sweep_escalates_an_overdue_conversation(api: Any, aws: dict[str, str], clock: Any) -> None:
    from chalicelib import wiring

    cid = json.loads(start(api, text="Where is my parcel?").body)["conversation_id"]
    drain_queue(aws["queue_url"])
    clock.advance(hours=23)
    assert wiring.conversation_service().sweep(clock.now).escalated == 0
    clock.advance(hours=1, seconds=1)
    assert wiring.conversation_service().sweep(clock.now).escalated == 1
    conversation = json.loads(api.http.get(f"/v1/conversations/{cid}", headers=BUYER_A).body)["conversation"]
    assert conversation["status"] == "escalated" and conversation["seller_reply_due_at"] is None
    [event] = [m["body"] for m in drain_queue(aws["queue_url"])]
    assert event["type"] == "reply_overdue" and event["reason"] == "reply_overdue" and event["conversation_id"] == cid
    assert wiring.conversation_service().sweep(clock.now).escalated == 0  # once


def test_the_scheduled_lambda_runs_the_sweep(api: Any, aws: dict[str, str]) -> None:
    event = {"version": "0", "id": "1", "detail-type": "Scheduled Event", "source": "aws.events", "account": "123456789012",
             "time": "2026-12-01T10:00:00Z", "region": "eu-central-1", "resources": [], "detail": {}}
    result = api.lambda_.invoke("conversation_sweep", event)
    assert result.payload == {"escalated": 0, "purged": 0, "mail_sent": 0, "mail_failed": 0}


def test_the_reply_clock_follows_the_policy(api: Any, aws: dict[str, str], clock: Any) -> None:
    assert put_policy(api, {"conversations": {"seller_reply_hours": 2}}).status_code == 200
    conversation = json.loads(start(api, text="hello").body)
    assert conversation["seller_reply_due_at"].startswith("2026-12-01T12:00:00")


def test_a_masked_email_is_offered_without_the_address_never_counted_and_starts_a_conversation(api: Any, aws: dict[str, str]) -> None:
    assert put_policy(api, {"limits": {"contact_reveals_per_buyer_per_day": 1}}).status_code == 200
    set_channels(api, "shop-1", {"email": {"enabled": True, "address": "shop-1@example.com", "masked": True}})
    for _ in range(3):
        response = api.http.get("/v1/sellers/shop-1/contact-options?topic=product_question", headers=BUYER)
        assert response.status_code == 200
        [email] = [o for o in json.loads(response.body)["options"] if o["channel"] == "email"]
        assert email["masked"] is True and email["contact"] is None and email["reason"] == "email_enabled"
        assert email["start"] == {"method": "POST", "href": "/v1/conversations"}
        assert response.headers["RateLimit"].startswith('"reveals";r=1;')  # nothing spent
    created = start(api, "shop-1", text="Do you ship to Kazan?")
    assert created.status_code == 201
    assert json.loads(created.body)["relay_address"].endswith("@relay.marketplace.test")


def test_the_platform_can_mask_every_sellers_email(api: Any, aws: dict[str, str]) -> None:
    assert put_policy(api, {"channels": {"email": {"form": "relay"}}}).status_code == 200
    result = json.loads(api.http.get("/v1/sellers/demo-email/contact-options?topic=product_question", headers=BUYER).body)
    [email] = [o for o in result["options"] if o["channel"] == "email"]
    assert email["masked"] is True and email["contact"] is None
    assert start(api, "demo-email").status_code == 201


def test_the_chat_option_carries_the_start_link(api: Any, aws: dict[str, str]) -> None:
    result = json.loads(api.http.get("/v1/sellers/demo-chat/contact-options?topic=product_question", headers=BUYER).body)
    [chat] = [o for o in result["options"] if o["channel"] == "chat"]
    [email] = [o for o in result["options"] if o["channel"] == "email"]
    assert chat["start"] == {"method": "POST", "href": "/v1/conversations"} and result["primary"]["start"] == chat["start"]
    assert email["start"] is None and email["contact"] == "demo-chat@example.com"


def test_five_replies_make_the_expected_reply_measured(api: Any, aws: dict[str, str], clock: Any) -> None:
    from tests.conftest import bearer

    for number in range(5):
        buyer = bearer("buyer", f"measured-buyer-{number}")
        cid = json.loads(start(api, headers=buyer, text="question").body)["conversation_id"]
        clock.advance(minutes=90)
        assert post(api, f"/v1/conversations/{cid}/messages", {"text": "answer"}, seller_token("demo-chat")).status_code == 201
        result = json.loads(api.http.get("/v1/sellers/demo-chat/contact-options?topic=product_question", headers=BUYER).body)
        [chat] = [o for o in result["options"] if o["channel"] == "chat"]
        expected = chat["expected_reply"]
        if number < 4:
            assert expected["source"] == "seller_declared"
        else:
            assert expected == {"hours": 2, "text": "Продавец обычно отвечает в течение 2 ч", "source": "measured"}
    # with no daily reveal limit the resolution reads no tally, and the reply summary still rides in its one read
    assert put_policy(api, {"limits": {"contact_reveals_per_buyer_per_day": 0}}).status_code == 200
    result = json.loads(api.http.get("/v1/sellers/demo-chat/contact-options?topic=product_question", headers=BUYER).body)
    [chat] = [o for o in result["options"] if o["channel"] == "chat"]
    assert chat["expected_reply"]["source"] == "measured"


def test_a_warm_resolution_makes_one_read_and_one_send(api: Any, aws: dict[str, str]) -> None:
    from capacity.work import Recorder
    from chalicelib.shared.aws import client, resolution_client

    recorder = Recorder()
    for service in ("dynamodb", "sqs"):
        recorder.attach(client(service))
        recorder.attach(resolution_client(service))
    single = "/v1/sellers/demo-chat/contact-options?topic=product_question"
    assert api.http.get(single, headers=BUYER).status_code == 200
    with recorder.measure("warm"):
        assert api.http.get(single, headers=BUYER).status_code == 200
    assert recorder.work["warm"].as_dict()["calls"] == {"dynamodb:BatchGetItem": 1, "sqs:SendMessage": 1}


def test_posting_a_message_is_one_transaction_and_no_queue_send(api: Any, aws: dict[str, str]) -> None:
    from capacity.work import Recorder
    from chalicelib.shared.aws import client, resolution_client, settings_client

    recorder = Recorder()
    for service in ("dynamodb", "sqs"):
        recorder.attach(client(service))
        recorder.attach(resolution_client(service))
    recorder.attach(settings_client())
    cid = json.loads(start(api, text="Is the blue one in stock?").body)["conversation_id"]
    for author, text in ((BUYER_A, "And in size M?"), (seller_token("demo-chat"), "Yes, both")):
        with recorder.measure(text):
            assert post(api, f"/v1/conversations/{cid}/messages", {"text": text}, author).status_code == 201
        calls = recorder.work[text].as_dict()["calls"]
        # the message, the conversation, its counters: one transaction; events go out only on a change of hands
        assert calls.get("dynamodb:TransactWriteItems") == 1 and not any(call.startswith("sqs:") for call in calls), calls
        assert not any(call in calls for call in ("dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query")), calls

"""Conversations through the API (chalice.test on moto): start, read, post, redaction, access, limits, idempotency."""

from __future__ import annotations

import json
from typing import Any

from tests.calls import put_policy
from tests.conftest import SUPPORT, drain_queue, seller_token
from tests.integration.conversations.conftest import BUYER_A, BUYER_B, JSON, post, start


def test_a_buyer_starts_a_conversation_and_the_seller_reads_the_phone_redacted(api: Any, aws: dict[str, str]) -> None:
    created = start(api, text="Hello, call me at +7 916 123-45-67 about order 7712345")
    assert created.status_code == 201, created.body
    conversation = json.loads(created.body)
    cid = conversation["conversation_id"]
    assert created.headers["Location"] == f"/v1/conversations/{cid}"
    assert conversation["status"] == "waiting_seller" and conversation["seller_reply_due_at"] is not None
    assert created.headers["RateLimit-Policy"] == '"conversations";q=20;w=86400'

    read = api.http.get(f"/v1/conversations/{cid}", headers=seller_token("demo-chat"))
    assert read.status_code == 200, read.body
    transcript = json.loads(read.body)
    [message] = transcript["messages"]
    assert "+7 916" not in message["text"] and "[контакт скрыт]" in message["text"]  # no Accept-Language: Russian
    assert message["redacted"] == ["phone"] and message["author_role"] == "buyer" and message["via"] == "app"

    again = start(api)
    assert again.status_code == 200 and json.loads(again.body)["conversation_id"] == cid  # one per pair

    reply = post(api, f"/v1/conversations/{cid}/messages", {"text": "Sure, it ships tomorrow"}, seller_token("demo-chat"))
    assert reply.status_code == 201, reply.body
    assert reply.headers["RateLimit-Policy"] == '"messages";q=30;w=3600'
    listed = json.loads(api.http.get("/v1/conversations", headers=BUYER_A).body)
    assert [c["status"] for c in listed["conversations"]] == ["waiting_buyer"]
    assert json.loads(api.http.get("/v1/conversations?status=closed", headers=BUYER_A).body)["conversations"] == []
    by_seller = json.loads(api.http.get("/v1/conversations?seller_id=demo-chat", headers=SUPPORT).body)
    assert [c["conversation_id"] for c in by_seller["conversations"]] == [cid]


def test_a_stranger_gets_404_never_403(api: Any, aws: dict[str, str]) -> None:
    cid = json.loads(start(api, text="hi").body)["conversation_id"]
    for headers in (BUYER_B, seller_token("demo-email")):
        assert api.http.get(f"/v1/conversations/{cid}", headers=headers).status_code == 404
        assert post(api, f"/v1/conversations/{cid}/messages", {"text": "x"}, headers).status_code == 404
        assert api.http.post(f"/v1/conversations/{cid}/close", headers=headers).status_code == 404
    missing = "a" * 26
    assert api.http.get(f"/v1/conversations/{missing}", headers=BUYER_A).status_code == 404


def test_a_seller_with_neither_chat_nor_masked_email_is_409_contact_not_offered(api: Any, aws: dict[str, str]) -> None:
    refused = start(api, "demo-email", text="hello")
    assert refused.status_code == 409
    error = json.loads(refused.body)["error"]
    assert error["code"] == "contact_not_offered"
    assert [(e["channel"], e["reason"]) for e in error["details"]["excluded"]] == [("chat", "chat_disabled")]
    assert start(api, "demo-none").status_code == 409


def test_a_retried_post_with_the_same_idempotency_key_makes_one_message(api: Any, aws: dict[str, str]) -> None:
    cid = json.loads(start(api).body)["conversation_id"]
    path = f"/v1/conversations/{cid}/messages"
    first = post(api, path, {"text": "Is it in stock?"}, {**BUYER_A, "Idempotency-Key": "k-1"})
    second = post(api, path, {"text": "Is it in stock?"}, {**BUYER_A, "Idempotency-Key": "k-1"})
    assert first.status_code == second.status_code == 201
    assert json.loads(first.body) == json.loads(second.body)
    other = post(api, path, {"text": "Something else"}, {**BUYER_A, "Idempotency-Key": "k-1"})
    assert other.status_code == 422 and json.loads(other.body)["error"]["code"] == "idempotency_key_reused"
    messages = json.loads(api.http.get(f"/v1/conversations/{cid}", headers=BUYER_A).body)["messages"]
    assert len(messages) == 1


def test_escalation_and_support_reads_reach_the_support_queue(api: Any, aws: dict[str, str]) -> None:
    cid = json.loads(start(api, text="hello").body)["conversation_id"]
    escalated = api.http.post(f"/v1/conversations/{cid}/escalate", headers=BUYER_A)
    assert escalated.status_code == 200 and json.loads(escalated.body)["status"] == "escalated"
    assert api.http.get(f"/v1/conversations/{cid}", headers=SUPPORT).status_code == 200
    support_reply = post(api, f"/v1/conversations/{cid}/messages", {"text": "Support here"}, SUPPORT)
    assert support_reply.status_code == 201
    events = [m["body"] for m in drain_queue(aws["queue_url"]) if m["body"]["type"].startswith(("conversation", "reply"))]
    kinds = [event["type"] for event in events]
    assert kinds == ["conversation_started", "conversation_escalated", "conversation_viewed"]
    assert all("text" not in event for event in events)
    assert events[1]["escalated_by"] == "buyer" and events[2]["viewed_by"] == "agent-1"
    ingested = api.lambda_.invoke("support_ingest", api.events.generate_sqs_event([json.dumps(e) for e in events]))
    assert ingested.payload == {"batchItemFailures": []}


def test_close_and_reopen_by_a_buyer_message(api: Any, aws: dict[str, str]) -> None:
    cid = json.loads(start(api, text="hello").body)["conversation_id"]
    assert json.loads(api.http.post(f"/v1/conversations/{cid}/close", headers=seller_token("demo-chat")).body)["status"] == "closed"
    refused = post(api, f"/v1/conversations/{cid}/messages", {"text": "late"}, seller_token("demo-chat"))
    assert refused.status_code == 409 and json.loads(refused.body)["error"]["code"] == "conversation_closed"
    reopened = post(api, f"/v1/conversations/{cid}/messages", {"text": "me again"}, BUYER_A)
    assert reopened.status_code == 201
    assert json.loads(api.http.get(f"/v1/conversations/{cid}", headers=BUYER_A).body)["conversation"]["status"] == "waiting_seller"


def test_the_conversation_limit_is_429_with_ratelimit_headers(api: Any, aws: dict[str, str]) -> None:
    assert put_policy(api, {"limits": {"conversations_per_buyer_per_day": 1}}).status_code == 200
    assert start(api).status_code == 201
    body = {"chat": {"enabled": True}}
    assert post(api, "/v1/sellers/shop-9/channels", body, {**seller_token("shop-9")}).status_code in (200, 201, 405) or True
    put = api.http.put("/v1/sellers/shop-9/channels", body=json.dumps(body).encode(), headers={**JSON, **seller_token("shop-9"), "If-Match": '"0"'})
    assert put.status_code == 200, put.body
    limited = start(api, "shop-9")
    assert limited.status_code == 429
    assert json.loads(limited.body)["error"]["code"] == "conversation_limit_reached"
    assert limited.headers["RateLimit"].startswith('"conversations";r=0;t=')
    assert "Retry-After" in limited.headers


def test_messages_are_limited_per_hour_and_side(api: Any, aws: dict[str, str], clock: Any) -> None:
    cid = json.loads(start(api).body)["conversation_id"]
    path = f"/v1/conversations/{cid}/messages"
    for number in range(30):
        clock.advance(milliseconds=1)
        assert post(api, path, {"text": f"message {number}"}, BUYER_A).status_code == 201
    limited = post(api, path, {"text": "one more"}, BUYER_A)
    assert limited.status_code == 429 and json.loads(limited.body)["error"]["code"] == "message_rate_limited"
    assert limited.headers["RateLimit"].startswith('"messages";r=0;t=')
    assert post(api, path, {"text": "the seller's side is its own"}, seller_token("demo-chat")).status_code == 201
    clock.advance(hours=1)
    for number in range(21):
        clock.advance(milliseconds=1)
        assert post(api, path, {"text": f"later {number}"}, BUYER_A).status_code == 201
    page = json.loads(api.http.get(f"/v1/conversations/{cid}", headers=BUYER_A).body)
    assert len(page["messages"]) == 50 and page["next_cursor"]
    assert page["messages"][-1]["text"] == "later 20"  # the latest, oldest first
    older = json.loads(api.http.get(f"/v1/conversations/{cid}?cursor={page['next_cursor']}", headers=BUYER_A).body)
    assert [m["text"] for m in older["messages"]] == ["message 0", "message 1"]


def test_starting_again_with_text_counts_against_the_messages_per_hour(api: Any, aws: dict[str, str], clock: Any) -> None:
    """Was: POST /v1/conversations with `text` on the pair's existing conversation posted past the hourly limit."""
    cid = json.loads(start(api, text="first").body)["conversation_id"]
    for number in range(29):
        clock.advance(milliseconds=1)
        assert post(api, f"/v1/conversations/{cid}/messages", {"text": f"message {number}"}, BUYER_A).status_code == 201
    clock.advance(milliseconds=1)
    bypass = start(api, text="one more through start")
    assert bypass.status_code == 429 and json.loads(bypass.body)["error"]["code"] == "message_rate_limited"
    page = json.loads(api.http.get(f"/v1/conversations/{cid}", headers=BUYER_A).body)
    assert len(page["messages"]) == 30


def test_an_order_number_that_is_a_phone_number_does_not_let_that_phone_through(api: Any, aws: dict[str, str]) -> None:
    """Was: order_id "79035551234" made "+79035551234" in any later message an order number, not a phone."""
    refused = start(api, topic="order_status", order_id="79035551234", text="hi")
    assert refused.status_code == 400 and json.loads(refused.body)["error"]["code"] == "validation_error"
    cid = json.loads(start(api, topic="order_status", order_id="A-1001", text="hi").body)["conversation_id"]
    reply = post(api, f"/v1/conversations/{cid}/messages", {"text": "call me at +7 903 555 12 34"}, seller_token("demo-chat"))
    assert reply.status_code == 201 and json.loads(reply.body)["redacted"] == ["phone"]
    real_order = json.loads(start(api, "demo-chat", BUYER_B, order_id="A-1001", text="about order A-1001").body)
    assert real_order["conversation_id"]
    transcript = json.loads(api.http.get(f"/v1/conversations/{real_order['conversation_id']}", headers=BUYER_B).body)
    assert transcript["messages"][-1]["text"] == "about order A-1001" and transcript["messages"][-1]["redacted"] == []


def test_a_message_that_shows_nothing_or_hides_control_characters_is_400(api: Any, aws: dict[str, str]) -> None:
    cid = json.loads(start(api, text="hi").body)["conversation_id"]
    for text in ("   \n\t ", "\u200b\u200b", "nul \u0000 char", "\u202eevil"):
        refused = post(api, f"/v1/conversations/{cid}/messages", {"text": text}, BUYER_A)
        assert refused.status_code == 400 and json.loads(refused.body)["error"]["code"] == "validation_error", text
    assert post(api, f"/v1/conversations/{cid}/messages", {"text": "две строки\nвторая"}, BUYER_A).status_code == 201

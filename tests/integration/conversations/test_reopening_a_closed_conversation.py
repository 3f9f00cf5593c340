"""A buyer's message to a closed conversation reopens it only as starting one would: the seller must be offering a
conversation now (409 contact_not_offered otherwise), and it counts against the buyer's conversations of the day
(429 conversation_limit_reached over it). Nothing of a refused message is stored."""

from __future__ import annotations

import json
from typing import Any

from tests.calls import put_policy
from tests.conftest import seller_token
from tests.integration.conversations.conftest import BUYER_A, JSON, post, start


def close(api: Any, cid: str) -> None:
    closed = api.http.post(f"/v1/conversations/{cid}/close", headers=seller_token("demo-chat"))
    assert json.loads(closed.body)["status"] == "closed"


def transcript(api: Any, cid: str) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(api.http.get(f"/v1/conversations/{cid}", headers=BUYER_A).body)
    return body


def offer_chat(api: Any, seller_id: str) -> None:
    body = {"chat": {"enabled": True}}
    put = api.http.put(f"/v1/sellers/{seller_id}/channels", body=json.dumps(body).encode(),
                       headers={**JSON, **seller_token(seller_id), "If-Match": '"0"'})
    assert put.status_code == 200, put.body


def test_reopening_by_a_message_over_the_days_conversation_limit_is_429_and_stores_nothing(api: Any, aws: dict[str, str], clock: Any) -> None:
    assert put_policy(api, {"limits": {"conversations_per_buyer_per_day": 1}}).status_code == 200
    cid = json.loads(start(api, text="hello").body)["conversation_id"]  # today's one conversation
    close(api, cid)

    limited = post(api, f"/v1/conversations/{cid}/messages", {"text": "me again"}, BUYER_A)
    assert limited.status_code == 429, limited.body
    error = json.loads(limited.body)["error"]
    assert error["code"] == "conversation_limit_reached" and set(error) == {"code", "message", "details"}
    assert limited.headers["RateLimit"].startswith('"conversations";r=0;t=') and "Retry-After" in limited.headers
    after = transcript(api, cid)
    assert after["conversation"]["status"] == "closed" and [m["text"] for m in after["messages"]] == ["hello"]

    clock.advance(days=1)  # a new UTC day: the reopening counts as that day's conversation
    reopened = post(api, f"/v1/conversations/{cid}/messages", {"text": "me again"}, BUYER_A)
    assert reopened.status_code == 201, reopened.body
    assert reopened.headers["RateLimit"].startswith('"conversations";r=0;t=')
    assert transcript(api, cid)["conversation"]["status"] == "waiting_seller"
    offer_chat(api, "shop-9")
    assert start(api, "shop-9").status_code == 429  # the reopening used the day's conversation


def test_reopening_by_a_message_when_the_seller_no_longer_offers_a_conversation_is_409(api: Any, aws: dict[str, str]) -> None:
    cid = json.loads(start(api, text="hello").body)["conversation_id"]
    close(api, cid)
    channels = api.http.get("/v1/sellers/demo-chat/channels", headers=seller_token("demo-chat"))
    switched = api.http.patch("/v1/sellers/demo-chat/channels", body=json.dumps({"chat": {"enabled": False}}).encode(),
                              headers={**JSON, **seller_token("demo-chat"), "If-Match": channels.headers["ETag"]})
    assert switched.status_code == 200, switched.body

    refused = post(api, f"/v1/conversations/{cid}/messages", {"text": "me again"}, BUYER_A)
    assert refused.status_code == 409, refused.body
    error = json.loads(refused.body)["error"]
    assert error["code"] == "contact_not_offered"
    assert "chat" in [item["channel"] for item in error["details"]["excluded"]]
    after = transcript(api, cid)
    assert after["conversation"]["status"] == "closed" and len(after["messages"]) == 1
    # The app's start says the same: one rule for both ways of reopening.
    again = start(api, text="me again")
    assert again.status_code == 409 and json.loads(again.body)["error"]["code"] == "contact_not_offered"


def test_a_message_to_a_conversation_that_is_not_closed_needs_no_offer_and_counts_no_conversation(api: Any, aws: dict[str, str]) -> None:
    assert put_policy(api, {"limits": {"conversations_per_buyer_per_day": 1}}).status_code == 200
    cid = json.loads(start(api, text="hello").body)["conversation_id"]
    for text in ("one", "two"):
        posted = post(api, f"/v1/conversations/{cid}/messages", {"text": text}, BUYER_A)
        assert posted.status_code == 201 and posted.headers["RateLimit"].startswith('"messages";')
    answered = post(api, f"/v1/conversations/{cid}/messages", {"text": "ok"}, seller_token("demo-chat"))
    assert answered.status_code == 201

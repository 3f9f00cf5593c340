"""While the platform restricts a seller, their open conversations go through support: the seller may not post (403
seller_restricted in the app, a permanent refusal by the relay), and a buyer's message escalates the conversation
(reason seller_restricted) instead of waiting for the seller, and is not mailed to them. Lifting the restriction lets
the seller post again."""

from __future__ import annotations

import json
from typing import Any

from chalicelib.relay.refusals import Refusal
from tests.calls import ADMIN, restrict
from tests.conftest import SUPPORT, drain_queue, seller_token
from tests.integration.conversations.conftest import BUYER_A, BUYER_ADDRESS, SELLER_ADDRESS, mail, post, sent_mail, start


def transcript(api: Any, cid: str) -> dict[str, Any]:
    read = api.http.get(f"/v1/conversations/{cid}", headers=BUYER_A)
    assert read.status_code == 200, read.body
    return dict(json.loads(read.body))


def escalation_events(aws: dict[str, str]) -> list[dict[str, Any]]:
    return [m["body"] for m in drain_queue(aws["queue_url"]) if m["body"]["type"] == "conversation_escalated"]


def escalated_today(api: Any) -> int:
    stats = api.http.get("/v1/ops/stats?days=2", headers=ADMIN)  # days=2: still right across midnight
    assert stats.status_code == 200, stats.body
    return int(json.loads(stats.body)["conversation_totals"]["escalated"])


def test_in_the_app_the_restricted_seller_gets_403_and_the_buyers_message_goes_to_support(api: Any, aws: dict[str, str]) -> None:
    cid = json.loads(start(api, text="Is it in stock?").body)["conversation_id"]
    assert restrict(api, "demo-chat").status_code == 200
    drain_queue(aws["queue_url"])

    refused = post(api, f"/v1/conversations/{cid}/messages", {"text": "Write me on WhatsApp"}, seller_token("demo-chat"))
    assert refused.status_code == 403, refused.body
    error = json.loads(refused.body)["error"]
    assert error["code"] == "seller_restricted" and error["details"] == {"conversation_id": cid} and error["message"]
    assert b"chargebacks" not in refused.body  # the admin's note is for support, never the seller
    assert [m["text"] for m in transcript(api, cid)["messages"]] == ["Is it in stock?"]

    followed_up = post(api, f"/v1/conversations/{cid}/messages", {"text": "Hello?"}, BUYER_A)
    assert followed_up.status_code == 201, followed_up.body
    conversation = transcript(api, cid)["conversation"]
    assert conversation["status"] == "escalated" and conversation["seller_reply_due_at"] is None
    [event] = escalation_events(aws)
    assert (event["reason"], event["escalated_by"], event["conversation_id"]) == ("seller_restricted", "buyer", cid)
    assert escalated_today(api) == 1

    # Already with support: a further buyer message neither counts nor announces it again.
    assert post(api, f"/v1/conversations/{cid}/messages", {"text": "Anyone?"}, BUYER_A).status_code == 201
    assert escalation_events(aws) == [] and escalated_today(api) == 1
    assert post(api, f"/v1/conversations/{cid}/messages", {"text": "Support here"}, SUPPORT).status_code == 201

    lifted = api.http.delete("/v1/sellers/demo-chat/restriction", headers=ADMIN)
    assert lifted.status_code in (200, 204), lifted.body
    assert post(api, f"/v1/conversations/{cid}/messages", {"text": "Back, sorry"}, seller_token("demo-chat")).status_code == 201






def test_by_mail_the_restricted_sellers_reply_is_refused_and_the_buyers_mail_goes_to_support_not_the_seller(
    api: Any, aws: dict[str, str], relayed: dict[str, Any]
) -> None:
    from chalicelib import wiring

    service = wiring.conversation_service()
    conversation = relayed["conversation"]
    cid = conversation["conversation_id"]
    assert restrict(api, "shop-1").status_code == 200
    drain_queue(aws["queue_url"])
    mailed_before = len(sent_mail())

    reply = service.receive_mail(mail(SELLER_ADDRESS, relayed["buyer_mask"], "Pay me directly"), [relayed["buyer_mask"]],
                                 mail_from=SELLER_ADDRESS)
    assert reply.refusal is Refusal.SELLER_RESTRICTED and reply.refusal.permanent, reply.smtp_reply  # says why, not "not the party"
    assert [m["text"] for m in transcript(api, cid)["messages"]] == ["Hello, is the blue one in stock?"]

    asked = service.receive_mail(mail(BUYER_ADDRESS, conversation["relay_address"], "Still waiting"), [conversation["relay_address"]],
                                 mail_from=BUYER_ADDRESS)
    assert asked.ok, asked.smtp_reply
    assert post(api, f"/v1/conversations/{cid}/messages", {"text": "And in the app"}, BUYER_A).status_code == 201
    read = transcript(api, cid)
    assert read["conversation"]["status"] == "escalated"
    assert [m["text"] for m in read["messages"]][-2:] == ["Still waiting", "And in the app"]
    assert len(sent_mail()) == mailed_before  # nothing reached the restricted seller, nothing came from them
    [event] = escalation_events(aws)
    assert event["reason"] == "seller_restricted"

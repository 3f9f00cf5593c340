"""Support's reply on a masked-relay conversation reaches the buyer by mail marked as the platform's support (display
name, subject prefix, first line), not as the seller's words; the buyer's reply to it, through the relay address,
comes back into the same conversation."""

from __future__ import annotations

import json
from email.message import EmailMessage
from typing import Any

import pytest

from tests.conftest import SUPPORT, seller_token
from tests.integration.conversations.conftest import BUYER_A, JSON, post, sent_mail, start

BUYER_ADDRESS = "buyer-a@mail.example"
SELLER_ADDRESS = "owner@shop-1.example"


@pytest.fixture
def conversation(api: Any, ses: Any) -> dict[str, Any]:
    body = {"email": {"enabled": True, "address": SELLER_ADDRESS, "masked": True}}
    put = api.http.put("/v1/sellers/shop-1/channels", body=json.dumps(body).encode(), headers={**JSON, **seller_token("shop-1"), "If-Match": '"0"'})
    assert put.status_code == 200, put.body
    created = start(api, "shop-1", text="Hello, is the blue one in stock?")
    assert created.status_code == 201, created.body
    started: dict[str, Any] = json.loads(created.body)
    return started


def test_supports_reply_reaches_the_buyer_marked_as_support_and_the_answer_comes_back(api: Any, conversation: dict[str, Any]) -> None:
    conversation_id, relay_address = conversation["conversation_id"], conversation["relay_address"]
    posted = post(api, f"/v1/conversations/{conversation_id}/messages", {"text": "We checked: it ships today."}, SUPPORT)
    assert posted.status_code == 201, posted.body

    to_buyer = sent_mail()[-1]
    assert to_buyer["To"] == BUYER_ADDRESS
    [sender] = to_buyer["From"].addresses
    assert sender.addr_spec == relay_address and sender.display_name.startswith("Support of ")
    assert to_buyer["Subject"].startswith("[Support of ")
    assert str(to_buyer.get_content()).startswith("This message is from ") and "not from the seller" in str(to_buyer.get_content())

    reply = EmailMessage()
    reply["From"], reply["To"], reply["Subject"] = BUYER_ADDRESS, relay_address, f"Re: {to_buyer['Subject']}"
    reply.set_content("Great, thank you")
    from chalicelib import wiring

    assert wiring.conversation_service().receive_mail(bytes(reply), [relay_address], mail_from=BUYER_ADDRESS).ok
    transcript = json.loads(api.http.get(f"/v1/conversations/{conversation_id}", headers=BUYER_A).body)
    assert [(message["author_role"], message["text"]) for message in transcript["messages"][-2:]] == [
        ("support", "We checked: it ships today."), ("buyer", "Great, thank you")
    ]


def test_a_sellers_reply_by_mail_is_not_marked_as_support(api: Any, conversation: dict[str, Any]) -> None:
    posted = post(api, f"/v1/conversations/{conversation['conversation_id']}/messages", {"text": "Yes, in stock"}, seller_token("shop-1"))
    assert posted.status_code == 201, posted.body
    to_buyer = sent_mail()[-1]
    assert to_buyer["From"].addresses[0].display_name == "shop-1" and not to_buyer["Subject"].startswith("[")
    assert "support" not in str(to_buyer.get_content()).lower()

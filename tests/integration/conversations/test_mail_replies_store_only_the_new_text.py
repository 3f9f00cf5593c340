"""A buyer's ordinary mail reply through the relay is stored as their new text alone: the quoted history (with the
seller's words, a phone number, the relay address) is cut, and the relay's own address is no contact, so nothing is
counted as contact-sharing. A reply of quotes alone is refused with why and nothing is stored or sent."""

from __future__ import annotations

import json
from email.message import EmailMessage
from typing import Any

import pytest

from tests.conftest import seller_token
from tests.integration.conversations.conftest import BUYER_A, JSON, sent_mail, start

BUYER_ADDRESS = "buyer-a@mail.example"
SELLER_ADDRESS = "owner@shop-1.example"


def mail(to: str, text: str) -> bytes:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = BUYER_ADDRESS, to, "Re: Message"
    message.set_content(text)
    return bytes(message)


@pytest.fixture
def conversation(api: Any, ses: Any) -> dict[str, Any]:
    body = {"email": {"enabled": True, "address": SELLER_ADDRESS, "masked": True}}
    put = api.http.put("/v1/sellers/shop-1/channels", body=json.dumps(body).encode(), headers={**JSON, **seller_token("shop-1"), "If-Match": '"0"'})
    assert put.status_code == 200, put.body
    created = start(api, "shop-1", text="Hello")
    assert created.status_code == 201, created.body
    started: dict[str, Any] = json.loads(created.body)
    return started


def receive(address: str, text: str) -> Any:
    from chalicelib import wiring

    return wiring.conversation_service().receive_mail(mail(address, text), [address], mail_from=BUYER_ADDRESS)


def messages(api: Any, conversation: dict[str, Any]) -> list[dict[str, Any]]:
    transcript = json.loads(api.http.get(f"/v1/conversations/{conversation['conversation_id']}", headers=BUYER_A).body)
    found: list[dict[str, Any]] = transcript["messages"]
    return found


def test_a_reply_is_stored_as_its_new_text_with_nothing_redacted(api: Any, conversation: dict[str, Any]) -> None:
    address = conversation["relay_address"]
    reply = f"Thanks, got it!\n\nOn Mon, 7 Dec 2026 at 09:00, shop-1 <{address}> wrote:\n> It ships today\n> Call us: +7 495 123-45-67\n"
    assert receive(address, reply).ok
    stored = messages(api, conversation)[-1]
    assert (stored["author_role"], stored["text"], stored["redacted"]) == ("buyer", "Thanks, got it!", [])
    assert "+7 495" not in str(sent_mail()[-1].get_content())


def test_the_relay_address_in_the_new_text_is_no_contact(api: Any, conversation: dict[str, Any]) -> None:
    address = conversation["relay_address"]
    assert receive(address, f"I wrote to {address} yesterday, did it arrive?").ok
    stored = messages(api, conversation)[-1]
    assert stored["text"] == f"I wrote to {address} yesterday, did it arrive?" and stored["redacted"] == []


def test_a_reply_of_quotes_alone_is_refused_and_nothing_is_stored_or_sent(api: Any, conversation: dict[str, Any]) -> None:
    address = conversation["relay_address"]
    sent_before = len(sent_mail())
    verdict = receive(address, f"On Mon, 7 Dec 2026 at 09:00, shop-1 <{address}> wrote:\n> It ships today\n")
    assert verdict.smtp_reply.startswith("550 5.6.0 ") and "no new text" in verdict.smtp_reply
    assert [message["text"] for message in messages(api, conversation)] == ["Hello"] and len(sent_mail()) == sent_before

"""A buyer's ordinary mail reply through the relay is stored as their new text alone: the quoted history (with the
seller's words, a phone number, the relay address) is cut, and the relay's own address is no contact, so nothing is
counted as contact-sharing. A reply of quotes alone is refused with why and nothing is stored or sent."""

from __future__ import annotations

import json
from typing import Any

from tests.integration.conversations.conftest import BUYER_A, BUYER_ADDRESS, mail, sent_mail


def receive(address: str, text: str) -> Any:
    from chalicelib import wiring

    return wiring.conversation_service().receive_mail(mail(BUYER_ADDRESS, address, text, "Re: Message"), [address], mail_from=BUYER_ADDRESS)


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

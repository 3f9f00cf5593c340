"""A party's mail whose body (or, without one, subject) is over the 4,000 characters a message may hold is refused
whole with a reason that says so (552 5.3.4), never cut; up to the limit it is carried whole. A stranger or a closed
conversation is told that first."""

from __future__ import annotations

from chalicelib.models.conversations import MAX_MESSAGE_CHARS
from chalicelib.relay.addresses import RelayMapping, Side
from chalicelib.relay.receive import Received, receive
from chalicelib.relay.refusals import Refusal

RELAY = "relay.market.example"
OPEN, CLOSED = "a" * 24, "c" * 24
PARTY = "ivan@mail.example"


class Lookup:
    def relay_mapping(self, local_part: str) -> RelayMapping | None:
        return {OPEN: RelayMapping("c-1", Side.SELLER, PARTY), CLOSED: RelayMapping("c-2", Side.SELLER, PARTY, closed=True)}.get(local_part)


def raw(body: str, subject: str = "Q", sender: str = PARTY) -> bytes:
    return "\r\n".join([f"From: {sender}", f"Subject: {subject}", "Content-Type: text/plain; charset=utf-8", "", body]).encode()


def placed(mail: bytes, mask: str = OPEN, mail_from: str = PARTY) -> Received | Refusal:
    return receive(mail, [f"{mask}@{RELAY}"], RELAY, Lookup(), mail_from=mail_from)


def test_a_body_over_the_limit_is_refused_whole_and_the_reply_says_why() -> None:
    assert MAX_MESSAGE_CHARS == 4000
    assert placed(raw("я" * 4001)) is Refusal.TOO_LONG
    assert Refusal.TOO_LONG.smtp_reply.startswith("552 5.3.4 ") and "4,000" in Refusal.TOO_LONG.text
    assert Refusal.TOO_LONG.permanent


def test_a_body_of_exactly_the_limit_is_carried_whole() -> None:
    body = "я" * 4000
    result = placed(raw(body))
    assert isinstance(result, Received) and result.mail.text == body


def test_the_surrounding_blank_lines_do_not_count_but_the_subject_of_an_empty_body_does() -> None:
    assert isinstance(placed(raw("\n\n" + "x" * 4000 + "\n\n")), Received)
    assert placed(raw("", subject="s" * 4001)) is Refusal.TOO_LONG
    assert isinstance(placed(raw("short", subject="s" * 4001)), Received)  # the subject is not the message then


def test_a_stranger_and_a_closed_conversation_are_told_that_first() -> None:
    long = "x" * 5000
    assert placed(raw(long, sender="eve@attacker.example"), mail_from="eve@attacker.example") is Refusal.NOT_THE_PARTY
    assert placed(raw(long), CLOSED) is Refusal.CONVERSATION_CLOSED

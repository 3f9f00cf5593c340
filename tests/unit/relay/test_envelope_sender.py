"""The relay accepts a mail only when its envelope sender (SMTP's MAIL FROM; on AWS the Return-Path SES writes first
on the stored mail, or a receipt's `mail.source`) and its From header are both the party's registered address: a
forged From alone, or a matching envelope under someone else's From, is refused as not the party's."""

from __future__ import annotations

import pytest

from chalicelib.relay.addresses import RelayMapping, RelayRoute, Side
from chalicelib.relay.inbound import envelope_sender, sender_from_receipt
from chalicelib.relay.receive import Received, receive
from chalicelib.relay.refusals import Refusal

RELAY = "relay.market.example"
SELLER_MASK, CLOSED_MASK = "a" * 24, "c" * 24
PARTY = "ivan@mail.example"


class Lookup:
    def relay_mapping(self, local_part: str) -> RelayMapping | None:
        return {
            SELLER_MASK: RelayMapping("c-1", Side.SELLER, PARTY),
            CLOSED_MASK: RelayMapping("c-2", Side.SELLER, PARTY, closed=True),
        }.get(local_part)


def raw(*headers: str, body: str = "Где заказ?") -> bytes:
    return "\r\n".join([*headers, "Content-Type: text/plain; charset=utf-8", "", body]).encode()


def placed(mail: bytes, mail_from: str | None, mask: str = SELLER_MASK) -> Received | Refusal:
    return receive(mail, [f"{mask}@{RELAY}"], RELAY, Lookup(), mail_from=mail_from)


@pytest.mark.parametrize("mail_from", [PARTY, "<ivan@mail.example>", "Ivan@Mail.Example", " ivan@mail.example "])
def test_the_partys_envelope_and_from_are_accepted(mail_from: str) -> None:
    result = placed(raw(f"From: Ivan <{PARTY}>"), mail_from)
    assert isinstance(result, Received) and result.route == RelayRoute("c-1", Side.BUYER, Side.SELLER, SELLER_MASK)


@pytest.mark.parametrize(
    ("header_from", "mail_from"),
    [
        (PARTY, "eve@attacker.example"),  # the From forged, the envelope the attacker's own
        (PARTY, None),  # no envelope sender known
        (PARTY, ""),  # a bounce's null sender
        (PARTY, "<>"),
        ("eve@attacker.example", PARTY),  # an envelope that matches, under someone else's From
        (f"{PARTY}, eve@attacker.example", PARTY),  # two authors: none is the sender
    ],
)
def test_a_mail_whose_envelope_sender_or_from_is_not_the_partys_is_refused(header_from: str, mail_from: str | None) -> None:
    assert placed(raw(f"From: {header_from}"), mail_from) is Refusal.NOT_THE_PARTY


def test_a_stranger_learns_nothing_of_a_closed_conversation_by_forging_its_partys_from() -> None:
    assert placed(raw(f"From: {PARTY}"), "eve@attacker.example", CLOSED_MASK) is Refusal.NOT_THE_PARTY
    assert placed(raw(f"From: {PARTY}"), PARTY, CLOSED_MASK) is Refusal.CONVERSATION_CLOSED


def test_the_envelope_sender_of_a_stored_mail_is_the_return_path_ses_wrote_first() -> None:
    ses = ("Received: from mx.mail.example by inbound-smtp.eu-west-1.amazonaws.com for x@relay;", "X-SES-Spam-Verdict: PASS")
    assert envelope_sender(raw(f"Return-Path: <{PARTY}>", *ses, f"From: {PARTY}")) == PARTY
    assert envelope_sender(raw(f"Return-Path: {PARTY}", f"From: {PARTY}")) == PARTY
    # a sender's own Return-Path, below SES's first header, is not read; nor is an empty or malformed one
    assert envelope_sender(raw(*ses, f"Return-Path: <{PARTY}>", f"From: {PARTY}")) is None
    assert envelope_sender(raw("Return-Path: <>", *ses, f"From: {PARTY}")) is None
    assert envelope_sender(raw("Return-Path: <a@b@c>", f"From: {PARTY}")) is None
    assert envelope_sender(raw(f"From: {PARTY}")) is None
    assert envelope_sender(b"") is None


def test_the_envelope_sender_of_a_receipt_notification_is_its_mail_source() -> None:
    assert sender_from_receipt({"source": PARTY, "destination": [f"{SELLER_MASK}@{RELAY}"]}) == PARTY
    assert sender_from_receipt({"destination": []}) is None
    assert sender_from_receipt({"source": ""}) is None

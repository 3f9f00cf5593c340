"""Masked e-mail through the relay, in-process on moto: mail both ways, refusals, SES down (kept, sent later), and the
S3-triggered Lambda's handler."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.integration.conversations.conftest import BUYER_A, SELLER_ADDRESS, mail, post, sent_mail
from tests.policy_coverage import acting_as


def service() -> Any:
    from chalicelib import wiring

    return wiring.conversation_service()


def test_the_buyers_app_message_reaches_the_seller_from_the_buyers_mask(relayed: dict[str, Any]) -> None:
    first = relayed["first"]
    assert first["To"] == SELLER_ADDRESS and relayed["buyer_mask"].endswith("@relay.marketplace.test")
    assert "buyer-a@mail.example" not in str(first) and "blue one" in first.get_content()
    assert first["Received"] is None


def test_the_seller_replies_by_mail_and_the_buyer_gets_it_from_the_relay_address(api: Any, relayed: dict[str, Any]) -> None:
    conversation = relayed["conversation"]
    verdict = service().receive_mail(mail(SELLER_ADDRESS, relayed["buyer_mask"], "Yes! Call +7 916 123-45-67"), [relayed["buyer_mask"]],
                                   mail_from=SELLER_ADDRESS)
    assert verdict.ok, verdict.smtp_reply
    transcript = json.loads(api.http.get(f"/v1/conversations/{conversation['conversation_id']}", headers=BUYER_A).body)
    reply = transcript["messages"][-1]
    assert reply["via"] == "email" and reply["author_role"] == "seller" and reply["redacted"] == ["phone"]
    assert transcript["conversation"]["status"] == "waiting_buyer"
    to_buyer = sent_mail()[-1]
    assert to_buyer["To"] == "buyer-a@mail.example"
    assert to_buyer["From"].addresses[0].addr_spec == conversation["relay_address"] and SELLER_ADDRESS not in str(to_buyer)

    verdict = service().receive_mail(mail("buyer-a@mail.example", conversation["relay_address"], "Thanks"), [conversation["relay_address"]],
                                   mail_from="buyer-a@mail.example")
    assert verdict.ok
    assert sent_mail()[-1]["To"] == SELLER_ADDRESS


def test_a_strangers_mail_and_a_closed_conversations_mail_are_refused(api: Any, relayed: dict[str, Any]) -> None:
    conversation = relayed["conversation"]
    address = conversation["relay_address"]
    stranger = service().receive_mail(mail("someone@else.example", address, "hi"), [address], mail_from="someone@else.example")
    assert stranger.smtp_reply.startswith("550 5.7.1 Only the conversation's party")
    assert api.http.post(f"/v1/conversations/{conversation['conversation_id']}/close", headers=BUYER_A).status_code == 200
    closed = service().receive_mail(mail("buyer-a@mail.example", address, "hi"), [address], mail_from="buyer-a@mail.example")
    assert closed.smtp_reply.startswith("550 5.7.1 This conversation is closed")
    assert service().receive_mail(mail("buyer-a@mail.example", "nobody@relay.marketplace.test", "x"), ["nobody@relay.marketplace.test"],
                                  mail_from="buyer-a@mail.example").smtp_reply.startswith("550 5.1.1")


def test_with_ses_down_the_message_is_kept_and_sent_by_the_sweep(api: Any, relayed: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    conversation = relayed["conversation"]
    before = len(sent_mail())
    ses_client = service()._mail._ses

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("SES down")

    monkeypatch.setattr(ses_client, "send_raw_email", refuse)
    posted = post(api, f"/v1/conversations/{conversation['conversation_id']}/messages", {"text": "Still there?"}, BUYER_A)
    assert posted.status_code == 201
    assert len(sent_mail()) == before
    assert service().sweep().mail_failed == 1  # still down: stays queued
    monkeypatch.undo()
    result = service().sweep()
    assert result.mail_sent == 1
    assert sent_mail()[-1]["To"] == SELLER_ADDRESS and "Still there?" in sent_mail()[-1].get_content()
    assert service().sweep().mail_sent == 0


def test_the_s3_lambda_handler_reads_the_object_and_drops_unauthenticated_mail(relayed: dict[str, Any], aws: dict[str, str]) -> None:
    from chalicelib.conversations.inbound_s3 import handle_object
    from chalicelib.shared.aws import client

    s3 = client("s3")
    s3.create_bucket(Bucket="relay-in", CreateBucketConfiguration={"LocationConstraint": "eu-central-1"})
    address = relayed["conversation"]["relay_address"]
    good = (b"Return-Path: <buyer-a@mail.example>\r\nReceived: from mx by inbound-smtp.eu-central-1.amazonaws.com for " + address.encode()
            + b";\r\n" + mail("buyer-a@mail.example", address, "by mail"))
    s3.put_object(Bucket="relay-in", Key="good", Body=good)
    with acting_as("relay_inbound"):  # what an accepted mail calls is checked against policies/relay_inbound.json
        assert handle_object("relay-in", "good", service(), s3) == {"outcome": "accepted"}
    forged = b"X-SES-Spam-Verdict: FAIL\r\n" + mail("buyer-a@mail.example", address, "spam")
    s3.put_object(Bucket="relay-in", Key="forged", Body=forged)
    assert handle_object("relay-in", "forged", service(), s3) == {"outcome": "dropped"}

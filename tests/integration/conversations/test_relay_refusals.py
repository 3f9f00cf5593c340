"""What the relay refuses, with the reason it gives, and keeps nothing of: mail whose envelope sender is not the
party's (a forged From), and a body over the 4,000-character message limit (never cut). Through the use case, the S3
Lambda's handler (AWS: the envelope sender is the Return-Path SES writes first; a refusal is logged, not raised) and
the laptop's SMTP server (the refusal is the SMTP reply)."""

from __future__ import annotations

import json
import smtplib
from typing import Any

import pytest

from tests.integration.conversations.conftest import BUYER_A, BUYER_ADDRESS, mail, sent_mail

SMTP_PORT = 18341  # the loopback ports 18300-18399 are this worktree's






def lines_of(count: int, char: str) -> str:
    """`count` characters of `char` in lines of 80 (SMTP refuses a line over 1,000 before the relay sees it)."""
    text = ((char * 79 + "\n") * (count // 80 + 1))[:count]
    return text[:-1] + char if text.endswith("\n") else text


def service() -> Any:
    from chalicelib import wiring

    return wiring.conversation_service()


def texts(api: Any, conversation: dict[str, Any]) -> list[str]:
    transcript = json.loads(api.http.get(f"/v1/conversations/{conversation['conversation_id']}", headers=BUYER_A).body)
    return [message["text"] for message in transcript["messages"]]


def test_the_partys_from_with_another_envelope_sender_is_refused_as_not_the_party(api: Any, conversation: dict[str, Any]) -> None:
    address = conversation["relay_address"]
    sent_before = len(sent_mail())
    for mail_from in ("eve@attacker.example", "", None):
        verdict = service().receive_mail(mail(BUYER_ADDRESS, address, "forged"), [address], mail_from=mail_from)
        assert verdict.smtp_reply.startswith("550 5.7.1 Only the conversation's party"), mail_from
    assert texts(api, conversation) == ["Hello"] and len(sent_mail()) == sent_before
    assert service().receive_mail(mail(BUYER_ADDRESS, address, "mine"), [address], mail_from=f"<{BUYER_ADDRESS.upper()}>").ok


def test_a_body_over_4000_characters_is_refused_whole_and_one_of_4000_is_kept_whole(api: Any, conversation: dict[str, Any]) -> None:
    address = conversation["relay_address"]
    sent_before = len(sent_mail())
    refused = service().receive_mail(mail(BUYER_ADDRESS, address, "a" * 4001), [address], mail_from=BUYER_ADDRESS)
    assert refused.smtp_reply.startswith("552 5.3.4 ") and "4,000" in refused.smtp_reply
    assert texts(api, conversation) == ["Hello"] and len(sent_mail()) == sent_before
    assert service().receive_mail(mail(BUYER_ADDRESS, address, "b" * 4000), [address], mail_from=BUYER_ADDRESS).ok
    assert texts(api, conversation)[-1] == "b" * 4000


def test_on_aws_the_envelope_sender_is_the_return_path_ses_wrote_and_a_refusal_is_logged_not_raised(
    api: Any, conversation: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    from chalicelib.conversations.inbound_s3 import handle_object
    from chalicelib.shared.aws import client

    s3 = client("s3")
    s3.create_bucket(Bucket="relay-in", CreateBucketConfiguration={"LocationConstraint": "eu-central-1"})
    address = conversation["relay_address"]
    ses_top = b"Received: from mx by inbound-smtp.eu-central-1.amazonaws.com for " + address.encode() + b";\r\n"
    objects = {
        "forged": b"Return-Path: <eve@attacker.example>\r\n" + ses_top + mail(BUYER_ADDRESS, address, "forged"),
        "no-envelope": ses_top + b"Return-Path: <" + BUYER_ADDRESS.encode() + b">\r\n" + mail(BUYER_ADDRESS, address, "below"),
        "long": b"Return-Path: <" + BUYER_ADDRESS.encode() + b">\r\n" + ses_top + mail(BUYER_ADDRESS, address, "c" * 4001),
        "good": b"Return-Path: <" + BUYER_ADDRESS.encode() + b">\r\n" + ses_top + mail(BUYER_ADDRESS, address, "by mail"),
    }
    for key, body in objects.items():
        s3.put_object(Bucket="relay-in", Key=key, Body=body)
    assert handle_object("relay-in", "forged", service(), s3) == {"outcome": "not_the_party"}
    assert handle_object("relay-in", "no-envelope", service(), s3) == {"outcome": "not_the_party"}
    assert handle_object("relay-in", "long", service(), s3) == {"outcome": "too_long"}
    assert texts(api, conversation) == ["Hello"]
    assert handle_object("relay-in", "good", service(), s3) == {"outcome": "accepted"}
    assert texts(api, conversation) == ["Hello", "by mail"]
    logged = caplog.text
    assert BUYER_ADDRESS not in logged and "attacker" not in logged and "ccccc" not in logged


def test_the_laptops_smtp_server_answers_the_envelope_and_length_refusals(api: Any, conversation: dict[str, Any]) -> None:
    from devstack.relay_smtp import deliver_to_conversations
    from devstack.relay_smtp import start as start_smtp

    def wire(text: str) -> bytes:  # smtplib sends bytes as they are: lines must end in CRLF
        return mail(BUYER_ADDRESS, address, text).replace(b"\n", b"\r\n")

    controller = start_smtp(deliver_to_conversations, port=SMTP_PORT)
    address = conversation["relay_address"]
    try:
        with smtplib.SMTP("127.0.0.1", SMTP_PORT, timeout=30) as smtp:
            with pytest.raises(smtplib.SMTPDataError) as forged:
                smtp.sendmail("eve@attacker.example", [address], wire("forged"))
            assert forged.value.smtp_code == 550 and b"party" in forged.value.smtp_error
            with pytest.raises(smtplib.SMTPDataError) as long:
                smtp.sendmail(BUYER_ADDRESS, [address], wire(lines_of(4001, "d")))
            assert long.value.smtp_code == 552 and b"4,000" in long.value.smtp_error
            assert smtp.sendmail(BUYER_ADDRESS, [address], wire("by smtp")) == {}
    finally:
        controller.stop()
    assert texts(api, conversation) == ["Hello", "by smtp"]

"""The relay's bounce (chalicelib/relay/bounce.py): whom a refusal is bounced to, and what the notification carries."""

from __future__ import annotations

from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

import pytest

from chalicelib.relay.bounce import bounce_recipient, build_bounce
from chalicelib.relay.inbound import parse_inbound
from chalicelib.relay.refusals import Refusal

RELAY = "relay.example"
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def raw(text: str = "the secret body", subject: str = "About owner@shop-1.example", **headers: str) -> bytes:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "someone@else.example", f"abc@{RELAY}", subject
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(text)
    return bytes(message)


@pytest.mark.parametrize("refusal", [r for r in Refusal if r.permanent and r is not Refusal.UNAUTHENTICATED])
def test_every_permanent_refusal_of_a_human_mail_is_bounced_to_the_envelope_sender(refusal: Refusal) -> None:
    assert bounce_recipient(refusal, parse_inbound(raw()), "<someone@else.example>", RELAY) == "someone@else.example"


@pytest.mark.parametrize(
    ("refusal", "mail", "envelope"),
    [
        (None, raw(), "a@b.example"),
        (Refusal.TEMPORARILY_UNAVAILABLE, raw(), "a@b.example"),
        (Refusal.UNAUTHENTICATED, raw(), "a@b.example"),
        (Refusal.NOT_THE_PARTY, raw(Auto_Submitted="auto-replied"), "a@b.example"),
        (Refusal.NOT_THE_PARTY, raw(Auto_Submitted="auto-generated"), "a@b.example"),
        (Refusal.NOT_THE_PARTY, raw(Precedence="bulk"), "a@b.example"),
        (Refusal.NOT_THE_PARTY, raw(), None),
        (Refusal.NOT_THE_PARTY, raw(), "<>"),
        (Refusal.NOT_THE_PARTY, raw(), f"mailer-daemon@{RELAY}"),
        (Refusal.NOT_THE_PARTY, raw(), f"anyone@{RELAY.upper()}"),
        (Refusal.NOT_THE_PARTY, raw(), "MAILER-DAEMON@other.example"),
        (Refusal.NOT_THE_PARTY, b"Authentication-Results: amazonses.com; dmarc=fail\r\n" + raw(), "a@b.example"),
    ],
)
def test_what_is_never_bounced(refusal: Refusal | None, mail: bytes, envelope: str | None) -> None:
    assert bounce_recipient(refusal, parse_inbound(mail), envelope, RELAY) is None


def test_the_notification_gives_the_reason_and_nothing_of_the_original_but_its_redacted_subject() -> None:
    built = build_bounce(parse_inbound(raw()), Refusal.CONVERSATION_CLOSED, to="someone@else.example", relay_domain=RELAY,
                         now=NOW, language="en", message_token="t1")
    message = BytesParser(policy=policy.default).parsebytes(bytes(built))  # as the sender's mail client reads it
    assert message["From"] == f"mailer-daemon@{RELAY}" and message["To"] == "someone@else.example"
    assert message["Auto-Submitted"] == "auto-replied" and message["Message-ID"] == f"<t1@{RELAY}>"
    assert message["Subject"] == "Undelivered: About [contact removed]"
    assert Refusal.CONVERSATION_CLOSED.text in message.get_content()
    assert "secret" not in bytes(built).decode() and "shop-1" not in bytes(built).decode()


def test_the_notification_is_in_russian_for_a_russian_writer_and_needs_an_aware_time() -> None:
    message = build_bounce(parse_inbound(raw("Привет")), Refusal.TOO_LONG, to="a@b.example", relay_domain=RELAY, now=NOW, language="ru")
    assert "не доставлено" in message.get_content() and Refusal.TOO_LONG.text in message.get_content()
    with pytest.raises(ValueError):
        build_bounce(parse_inbound(raw()), Refusal.TOO_LONG, to="a@b.example", relay_domain=RELAY, now=datetime(2026, 1, 1), language="en")

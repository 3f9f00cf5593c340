"""A message the platform's support wrote goes out from the seller's side of the relay (a reply comes back into the
same conversation), so the mail itself says it is support's: the display name, a subject prefix and a first line, in
the recipient's language. A seller's and a buyer's mail are unchanged."""

from __future__ import annotations

from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

from chalicelib.relay.outbound import build_outgoing

RELAY = "relay.market.example"
RELAY_ADDRESS = f"{'a' * 24}@{RELAY}"
NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def text_of(message: EmailMessage) -> str:
    return str(message.get_content()).replace("\r\n", "\n")


def outgoing(language: str, support_of: str | None) -> EmailMessage:
    """The mail as the recipient's client reads it off the wire."""
    built = build_outgoing(
        from_address=RELAY_ADDRESS, name="demo-chat", to="buyer@mail.example", subject="Order 123", text="It ships today",
        relay_domain=RELAY, now=NOW, language=language, support_of=support_of,
    )
    message: EmailMessage = BytesParser(policy=policy.default).parsebytes(built.as_bytes())
    return message


def test_support_mail_in_english_has_the_support_name_a_subject_prefix_and_a_first_line() -> None:
    message = outgoing("en", "Marketplace")
    assert message["From"].addresses[0].display_name == "Support of Marketplace"
    assert message["Subject"] == "[Support of Marketplace] Order 123"
    first, _, rest = text_of(message).partition("\n")
    assert first == "This message is from Marketplace support, not from the seller." and rest.strip() == "It ships today"


def test_support_mail_in_russian_says_it_in_russian() -> None:
    message = outgoing("ru", "Маркет")
    assert message["From"].addresses[0].display_name == "Поддержка Маркет"
    assert message["Subject"].startswith("[Поддержка Маркет] ")
    assert text_of(message).startswith("Это сообщение от поддержки Маркет, а не от продавца.\n")


def test_a_reply_to_support_mail_still_goes_to_the_conversations_relay_address() -> None:
    message = outgoing("en", "Marketplace")
    assert message["From"].addresses[0].addr_spec == RELAY_ADDRESS and message["Reply-To"] == RELAY_ADDRESS


def test_a_sellers_mail_is_shown_under_the_shop_name_with_nothing_added() -> None:
    message = outgoing("en", None)
    assert message["From"].addresses[0].display_name == "demo-chat" and message["Subject"] == "Order 123"
    assert text_of(message).strip() == "It ships today"

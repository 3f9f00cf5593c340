"""The relay's own masks are no one's contact: an address of the relay's shape on the relay domain, and a link to
that domain, pass the redactor as the platform's own links do. Anything else on or near it is still a contact."""

from __future__ import annotations

import pytest

from chalicelib.moderation.contacts import ContactKind, redact
from chalicelib.relay.addresses import new_relay_address

RELAY = "relay.marketplace.test"
MASK = new_relay_address(RELAY, lambda size: bytes(range(size)))


def test_a_relay_mask_and_a_link_to_the_relay_domain_pass() -> None:
    for text in (f"Write to {MASK} please", f"demo-chat <{MASK.upper()}> wrote:", f"https://{RELAY}/help"):
        assert redact(text, "en", "marketplace.test", relay_domain=RELAY).removed == (), text


@pytest.mark.parametrize(
    "text",
    [
        f"79161234567@{RELAY}",  # a local part not of the relay's shape is free text: a phone number, a name
        f"ivan.petrov@{RELAY}",
        f"{MASK}.evil.example",  # another domain that starts like it
        f"{MASK.partition('@')[0]} (at) {RELAY}",  # spelled out: no client writes a mask that way
    ],
)
def test_what_only_resembles_a_mask_is_still_a_contact(text: str) -> None:
    assert ContactKind.EMAIL in redact(text, "en", "marketplace.test", relay_domain=RELAY).removed


def test_a_mask_next_to_a_real_contact_leaves_the_contact_removed() -> None:
    result = redact(f"{MASK} or ivan@mail.example or +7 495 123-45-67", "en", relay_domain=RELAY)
    assert result.text == f"{MASK} or [contact removed] or [contact removed]"
    assert result.removed == (ContactKind.EMAIL, ContactKind.PHONE)


def test_without_the_relay_domain_a_mask_is_an_address_as_before() -> None:
    assert redact(f"Write to {MASK}", "en").removed == (ContactKind.EMAIL,)

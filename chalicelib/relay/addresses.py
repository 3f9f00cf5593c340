"""Relay addresses: unguessable masks on the relay domain, and which conversation and side one stands for.

Each conversation has two: `relay_address` stands for the seller (the buyer writes to it) and a second one stands for
the buyer (the seller writes to it). The store that maps a local part to its conversation is the conversations
package's; this module only defines the lookup it must answer (`RelayAddressLookup`) and the routing rule.
"""

from __future__ import annotations

import base64
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Final, Protocol

from chalicelib.relay.refusals import Refusal

TOKEN_BYTES: Final = 15  # 120 bits (>= 80): 24 base32 characters, no padding
LOCAL_PART: Final = re.compile(r"^[a-z2-7]{24}$")


class Side(StrEnum):
    BUYER = "buyer"
    SELLER = "seller"

    @property
    def other(self) -> Side:
        return Side.SELLER if self is Side.BUYER else Side.BUYER


def new_local_part(token_bytes: Callable[[int], bytes] = secrets.token_bytes) -> str:
    """A fresh unguessable local part: 120 random bits, base32, lowercase (mail is case-insensitive in practice)."""
    return base64.b32encode(token_bytes(TOKEN_BYTES)).decode("ascii").rstrip("=").lower()


def new_relay_address(relay_domain: str, token_bytes: Callable[[int], bytes] = secrets.token_bytes) -> str:
    return f"{new_local_part(token_bytes)}@{relay_domain.lower()}"


def relay_local_part(address: str, relay_domain: str) -> str | None:
    """The local part of `address` if it is a well-formed relay address on `relay_domain`, else None.
    Case-insensitive; a "+tag" after the local part is ignored, as mail providers do."""
    local, at, domain = address.strip().strip("<>").rpartition("@")
    if not at or domain.lower().rstrip(".") != relay_domain.lower().strip("."):
        return None
    local = local.split("+", 1)[0].lower()
    return local if LOCAL_PART.match(local) else None


@dataclass(frozen=True)
class RelayMapping:
    """What the store keeps for one relay address."""

    conversation_id: str
    stands_for: Side  # whose mask this is: mail to it is delivered to that side
    writer_address: str  # the registered real address of the other side: the only sender accepted
    closed: bool = False

    @property
    def writer(self) -> Side:
        return self.stands_for.other


class RelayStoreUnavailable(Exception):
    """The lookup cannot answer now (throttled, timed out): the sender should retry (451)."""


class RelayAddressLookup(Protocol):
    def relay_mapping(self, local_part: str) -> RelayMapping | None:
        """The mapping of a relay address's local part, None if there is none; RelayStoreUnavailable if unknown now."""
        ...


@dataclass(frozen=True)
class RelayRoute:
    """An accepted mail's place: the conversation, who wrote it, and to whom it goes on."""

    conversation_id: str
    author: Side
    recipient: Side
    local_part: str


def same_address(first: str, second: str) -> bool:
    """Two addresses are one if they match ignoring case (local parts are case-insensitive at every real provider)."""
    return first.strip().casefold() == second.strip().casefold()


def route(recipient: str, sender: str | None, relay_domain: str, lookup: RelayAddressLookup) -> RelayRoute | Refusal:
    """Where a mail from `sender` (the From header's address) to `recipient` (a relay address) belongs, or why not.

    A stranger is told "not the party" before a closed conversation is mentioned."""
    local_part = relay_local_part(recipient, relay_domain)
    if local_part is None:
        return Refusal.UNKNOWN_ADDRESS
    try:
        mapping = lookup.relay_mapping(local_part)
    except RelayStoreUnavailable:
        return Refusal.TEMPORARILY_UNAVAILABLE
    if mapping is None:
        return Refusal.UNKNOWN_ADDRESS
    if sender is None or not same_address(sender, mapping.writer_address):
        return Refusal.NOT_THE_PARTY
    if mapping.closed:
        return Refusal.CONVERSATION_CLOSED
    return RelayRoute(mapping.conversation_id, mapping.writer, mapping.stands_for, local_part)

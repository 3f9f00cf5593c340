"""One inbound mail from raw bytes to its place in a conversation, or the refusal: what `deliver` (laptop) and the
S3-triggered Lambda (AWS) both start with. Pure; storing and sending on are the caller's."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from chalicelib.models.conversations import MAX_MESSAGE_CHARS
from chalicelib.relay.addresses import RelayAddressLookup, RelayRoute, relay_local_part, route, same_address
from chalicelib.relay.inbound import InboundMail, MailVerdicts, parse_inbound
from chalicelib.relay.refusals import Refusal


@dataclass(frozen=True)
class Received:
    route: RelayRoute
    mail: InboundMail


def receive(
    raw: bytes, rcpt_tos: Sequence[str], relay_domain: str, lookup: RelayAddressLookup, verdicts: MailVerdicts | None = None,
    *, mail_from: str | None,
) -> Received | Refusal:
    """Reads `raw` and places it by the first envelope recipient on the relay domain (`rcpt_tos`: SMTP's RCPT TO, or
    SES's receipt.recipients).

    Its sender is the party only when the envelope sender (`mail_from`: SMTP's MAIL FROM, SES's `mail.source`, the
    Return-Path SES puts first on the stored mail) and the From header's one address are both the party's registered
    address: the header alone is what anyone can write, and the envelope alone is not what the reader sees. None (no
    envelope sender, or a bounce's empty one) is nobody's.

    `verdicts`: SES's, from the receipt when the caller has it; else those SES stamped on the mail. A failed check
    (spam, virus, DMARC, or SPF and DKIM both) is UNAUTHENTICATED: on AWS drop and count it, never bounce it (the
    From of a forged mail is someone else's). The caller also drops `mail.automatic` mail (auto-replies, bounces) so
    that two auto-responders never talk to each other through the relay."""
    mail = parse_inbound(raw)
    if (verdicts or mail.verdicts).failed:
        return Refusal.UNAUTHENTICATED
    recipient = next((address for address in rcpt_tos if relay_local_part(address, relay_domain) is not None), None)
    if recipient is None:
        return Refusal.UNKNOWN_ADDRESS
    envelope_agrees = mail_from is not None and mail.sender is not None and same_address(mail_from.strip().strip("<>"), mail.sender)
    placed = route(recipient, mail.sender if envelope_agrees else None, relay_domain, lookup)
    if isinstance(placed, Refusal):
        return placed
    # The quoted history is not the author's message (inbound.py cuts it): a reply of quotes alone says nothing, and is
    # refused with why rather than stored as an empty (or subject-only) message.
    if mail.quoted and not mail.text:
        return Refusal.ONLY_QUOTED
    # A message holds what the app lets one hold: the body (or, without one, the subject) is refused whole past that,
    # never cut, so the sender learns why and can send it in parts. The attachments line the relay adds is not counted.
    if len(mail.text.strip() or mail.subject) > MAX_MESSAGE_CHARS:
        return Refusal.TOO_LONG
    return Received(placed, mail)

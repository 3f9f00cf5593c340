"""The mail the relay sends on: From a relay address under a name that is no person's, To the real recipient, the
subject and text redacted, and no header of the inbound mail (no Received, no address). Pure: `now` is passed in."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from typing import Final

from chalicelib.moderation.contacts import ContactKind, redact
from chalicelib.relay.addresses import Side

MAX_SUBJECT_CHARS: Final = 200
MAX_NAME_CHARS: Final = 64
_LINE_BREAKS: Final = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\x85]+")
# What could make a display name read as an address or break out of its quotes.
_NAME_UNSAFE: Final = re.compile(r"[<>@\"\\,;:()\[\]]+")
_OWN_ID: Final = re.compile(r"^[a-z0-9]{16,64}$")


@dataclass(frozen=True)
class OutgoingMail:
    message: EmailMessage
    removed: tuple[ContactKind, ...]  # what the subject, name and text had removed, each kind once, sorted

    def as_bytes(self) -> bytes:
        return self.message.as_bytes(policy=policy.SMTP)


def display_name(writer: Side, *, buyer_alias: str, shop_name: str, platform_name: str, language: str) -> str:
    """The name mail from `writer` is shown under: "<buyer alias> via <platform>" for a buyer, the shop's name for a
    seller (support's messages: `build_outgoing(support_of=...)`). Never a person's address or name from the mail."""
    if writer is Side.BUYER:
        via = "через" if _russian(language) else "via"
        return f"{buyer_alias} {via} {platform_name}"
    return shop_name


def support_name(platform_name: str, language: str) -> str:
    """"Support of <platform>" / "Поддержка <platform>": who a support message is from, in the recipient's language."""
    return f"Поддержка {platform_name}" if _russian(language) else f"Support of {platform_name}"


def support_first_line(platform_name: str, language: str) -> str:
    """The line a support message starts with: the display name alone is hidden by some clients (and on phones)."""
    if _russian(language):
        return f"Это сообщение от поддержки {platform_name}, а не от продавца."
    return f"This message is from {platform_name} support, not from the seller."


def build_outgoing(
    *,
    from_address: str,
    name: str,
    to: str,
    subject: str,
    text: str,
    relay_domain: str,
    now: datetime,
    language: str,
    allowed_link_domain: str | None = None,
    order_numbers: Iterable[str] = (),
    in_reply_to: Sequence[str] = (),
    references: Sequence[str] = (),
    message_token: str | None = None,
    support_of: str | None = None,
) -> OutgoingMail:
    """One message to send on. `from_address` must be a relay address on `relay_domain` (it is also the Reply-To).
    The subject, the name and the text pass through the redactor (again, if the text was stored redacted: it
    finds nothing the second time). In-Reply-To and References keep only the relay's own Message-IDs, which carry no
    real address; the Message-ID is new, on the relay domain (`message_token`, default random, makes it).

    `support_of`: the platform's name when its support wrote the message. It is still sent from the seller's side of
    the relay (so that a reply comes back into the same conversation), so it says who wrote it three times: the
    display name (`name` is then not used), a "[Support of <platform>]" subject prefix and a first line of the text."""
    domain = relay_domain.lower().strip(".")
    if from_address.rpartition("@")[2].lower() != domain:
        raise ValueError("the sender must be a relay address on the relay domain")
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    orders = tuple(order_numbers)
    if support_of is not None:
        name = support_name(support_of, language)
        subject = f"[{name}] {subject}"
        text = f"{support_first_line(support_of, language)}\n\n{text}"
    redacted = [
        redact(value, language, allowed_link_domain, orders, relay_domain=domain)
        for value in (one_line(subject)[:MAX_SUBJECT_CHARS], one_line(name)[:MAX_NAME_CHARS], text)
    ]
    clean_subject, clean_name, clean_text = (result.text for result in redacted)
    clean_name = _NAME_UNSAFE.sub(" ", clean_name).strip() or domain

    message = EmailMessage(policy=policy.SMTP)
    message["From"] = EncodedHeader("From", clean_name, from_address.lower())
    message["To"] = Address(addr_spec=to)
    message["Reply-To"] = Address(addr_spec=from_address.lower())
    message["Subject"] = EncodedHeader("Subject", clean_subject)
    message["Date"] = format_datetime(now)
    message["Message-ID"] = f"<{message_token or secrets.token_hex(16)}@{domain}>"
    own_in_reply_to = own_message_ids(in_reply_to, domain)
    if own_in_reply_to:
        message["In-Reply-To"] = f"<{own_in_reply_to[-1]}>"
    own_references = own_message_ids(references, domain)
    if own_references:
        message["References"] = " ".join(f"<{reference}>" for reference in own_references[-20:])
    # 7-bit clean on the wire (SES and every hop take it): quoted-printable for ASCII text, base64 for the rest.
    message.set_content(clean_text + "\n", charset="utf-8", cte="quoted-printable" if clean_text.isascii() else "base64")
    removed = {kind for result in redacted for kind in result.removed}
    return OutgoingMail(message, tuple(sorted(removed, key=lambda kind: kind.value)))


class EncodedHeader(str):
    """A Subject or From value encoded and folded by `email.header.Header`, which EmailMessage stores and sends as is.

    EmailMessage's own folding of a long non-ASCII value puts the space between two words outside the encoded words,
    where RFC 2047 readers drop it ("Иван Петрович" arrived as "ИванПетрович"); Header keeps it inside a word.
    """

    name: str

    def __new__(cls, name: str, text: str, address: str | None = None) -> EncodedHeader:
        if address is None:
            value = Header(text, "utf-8", header_name=name).encode(linesep="\r\n")
        elif text.isascii():
            value = formataddr((text, address))  # quotes the name when it needs quoting
        else:
            value = f"{Header(text, 'utf-8', header_name=name).encode(linesep=chr(13) + chr(10))} <{address}>"
        header = super().__new__(cls, value)
        header.name = name
        return header

    def fold(self, *, policy: policy.Policy) -> str:  # what EmailPolicy calls for a header object it stored
        return f"{self.name}: {self.replace(chr(13) + chr(10), policy.linesep)}{policy.linesep}"


def own_message_ids(message_ids: Iterable[str], relay_domain: str) -> list[str]:
    """Those of `message_ids` (without <>) that the relay made: a token on the relay domain, nothing else."""
    own = []
    for message_id in message_ids:
        local, at, domain = message_id.strip("<> ").rpartition("@")
        if at and domain.lower() == relay_domain.lower() and _OWN_ID.match(local):
            own.append(f"{local}@{domain.lower()}")
    return own


def _russian(language: str) -> bool:
    return language.lower().startswith("ru")


def one_line(value: str) -> str:
    return _LINE_BREAKS.sub(" ", value).strip()

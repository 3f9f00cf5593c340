"""An inbound mail (raw RFC 5322 bytes) read into what the relay carries: who sent it, to whom, the subject, the
author's new text (text/plain, else HTML turned into text; the quoted history below it cut), how many attachments were dropped, and the receiving server's
verdicts. Pure (stdlib `email`): the SMTP server on a laptop and the S3-triggered Lambda on AWS both call it."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage, Message, MIMEPart
from email.parser import BytesParser
from email.utils import getaddresses
from typing import Final

from chalicelib.relay.html_text import html_to_text
from chalicelib.relay.quoted import strip_quoted

_MESSAGE_ID: Final = re.compile(r"<([^<>\s]{1,250})>")
_HEADER_ERRORS: Final = (ValueError, TypeError, IndexError, AttributeError, LookupError)
# Headers Amazon SES stamps on the mail it stores, above the sender's own (it prepends them). Only the first of each
# is SES's: a sender can put a forged copy below.
_SES_TRACE: Final = frozenset(
    {"return-path", "received", "x-ses-spam-verdict", "x-ses-virus-verdict", "received-spf", "authentication-results", "x-ses-receipt", "x-ses-dkim-signature"}
)
SES_AUTHSERV_ID: Final = "amazonses.com"


@dataclass(frozen=True)
class MailVerdicts:
    """The receiving server's checks, lowercased as read ("pass", "fail", "gray", "softfail", "none",
    "processing_failed", ...); None when not given (a laptop's SMTP server checks nothing)."""

    spam: str | None = None
    virus: str | None = None
    spf: str | None = None
    dkim: str | None = None
    dmarc: str | None = None

    def failures(self) -> tuple[str, ...]:
        """The checks that failed, by name. SPF or DKIM failing alone is no failure when DMARC passes (a forwarder
        breaks SPF, a mailing list DKIM); both failing without a DMARC pass is."""
        failed = [name for name in ("spam", "virus", "dmarc") if getattr(self, name) == "fail"]
        if self.dmarc != "pass" and self.spf in ("fail", "softfail") and self.dkim == "fail":
            failed.append("spf_dkim")
        return tuple(failed)

    @property
    def failed(self) -> bool:
        return bool(self.failures())


@dataclass(frozen=True)
class InboundMail:
    sender: str | None  # the From header's one address (the envelope's MAIL FROM is the caller's); None if not exactly one
    recipients: tuple[str, ...]  # To and Cc addresses, as written in the headers
    subject: str
    text: str  # the author's new text to carry: without the quoted history below it, without the attachments note
    attachments: int  # parts dropped: files, images, forwarded mails
    message_id: str | None = None  # without <>
    in_reply_to: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    automatic: bool = False  # an auto-reply, bounce or list mail (Auto-Submitted, Precedence): never relayed back
    verdicts: MailVerdicts = field(default_factory=MailVerdicts)
    quoted: bool = False  # quoted history was cut from the body (chalicelib/relay/quoted.py)

    def carried_text(self, language: str) -> str:
        """The text with a line saying how many attachments were dropped, in the author's language."""
        note = attachment_note(self.attachments, language)
        return f"{self.text}\n\n{note}".strip() if note else self.text


def attachment_note(count: int, language: str) -> str:
    """"[2 attachments removed]" / "[вложений удалено: 2]"; empty for none."""
    if count <= 0:
        return ""
    if language.lower().startswith("ru"):
        return f"[вложений удалено: {count}]"
    return f"[{count} attachment{'s' if count != 1 else ''} removed]"


def parse_inbound(raw: bytes) -> InboundMail:
    """Reads a raw message. Never raises on a malformed one: what cannot be read is empty (an unreadable From is no
    sender, and is then refused as not the party)."""
    message: EmailMessage = BytesParser(policy=policy.default).parsebytes(raw)
    body = _body(message)
    text, quoted = strip_quoted(_text(body)) if body is not None else ("", False)
    return InboundMail(
        sender=_sender(message),
        recipients=tuple(_addresses(message, "to") + _addresses(message, "cc")),
        subject=_header(message, "subject").replace("\r", " ").replace("\n", " ").strip(),
        text=text,
        attachments=sum(1 for part in _leaves(message) if part is not body and _is_attachment(part)),
        message_id=next(iter(_message_ids(_header(message, "message-id"))), None),
        in_reply_to=_message_ids(_header(message, "in-reply-to")),
        references=_message_ids(_header(message, "references")),
        automatic=_automatic(message),
        verdicts=verdicts_from_headers(message),
        quoted=quoted,
    )


def verdicts_from_headers(message: Message) -> MailVerdicts:
    """SES's verdicts as it stamps them on the stored mail: X-SES-Spam-Verdict, X-SES-Virus-Verdict and its
    Authentication-Results ("amazonses.com; spf=pass ...; dkim=pass ...; dmarc=pass ..."). Only the leading block of
    trace headers is read, and only the first of each: a sender's own copies come below SES's."""
    found: dict[str, str] = {}
    for name, value in _raw_headers(message):
        key = name.lower()
        if key not in _SES_TRACE:
            break
        if key in found:
            continue
        if key in ("x-ses-spam-verdict", "x-ses-virus-verdict"):
            found[key] = value.strip().lower()
        elif key == "authentication-results":
            found[key] = value
    results = _authentication_results(found.get("authentication-results", ""))
    return MailVerdicts(
        spam=found.get("x-ses-spam-verdict"),
        virus=found.get("x-ses-virus-verdict"),
        spf=results.get("spf"),
        dkim=results.get("dkim"),
        dmarc=results.get("dmarc"),
    )


def envelope_sender(raw: bytes) -> str | None:
    """The envelope sender (SMTP's MAIL FROM) SES received a stored mail from: the Return-Path it writes as the
    mail's very first line. Only there: a sender's own Return-Path comes below SES's headers and is not read, and a
    mail that does not start with one (a bounce's empty sender) has none."""
    message = BytesParser(policy=policy.compat32).parsebytes(raw, headersonly=True)
    first = next(_raw_headers(message), None)
    if first is None or first[0].lower() != "return-path":
        return None
    return _one_address(first[1])


def sender_from_receipt(mail: Mapping[str, object]) -> str | None:
    """The envelope sender of an SES receipt notification's `mail` object (`source`), None if it has none."""
    source = mail.get("source")
    return _one_address(source) if isinstance(source, str) else None


def _one_address(value: str) -> str | None:
    address = value.strip().strip("<>").strip()
    return address if address.count("@") == 1 and not any(char.isspace() or char in "<>,;\"" for char in address) else None


def verdicts_from_receipt(receipt: Mapping[str, object]) -> MailVerdicts:
    """SES's verdicts from a receipt notification's `receipt` object (spamVerdict, virusVerdict, spfVerdict,
    dkimVerdict, dmarcVerdict, each {"status": "PASS" | "FAIL" | "GRAY" | "PROCESSING_FAILED"})."""

    def status(name: str) -> str | None:
        verdict = receipt.get(name)
        value = verdict.get("status") if isinstance(verdict, Mapping) else None
        return value.lower() if isinstance(value, str) else None

    return MailVerdicts(
        spam=status("spamVerdict"), virus=status("virusVerdict"), spf=status("spfVerdict"), dkim=status("dkimVerdict"), dmarc=status("dmarcVerdict")
    )


def _authentication_results(value: str) -> dict[str, str]:
    """{"spf": "pass", "dkim": "pass", "dmarc": "fail"} from an Authentication-Results header of SES's authserv-id.
    With several DKIM results (a mail signed twice), one pass is a pass."""
    parts = [part.strip() for part in re.sub(r"\([^()]*\)", " ", value).split(";")]
    if not parts or parts[0].split()[:1] != [SES_AUTHSERV_ID]:
        return {}
    results: dict[str, str] = {}
    for part in parts[1:]:
        method = re.match(r"(spf|dkim|dmarc)\s*=\s*([A-Za-z_]+)", part)
        if method is None:
            continue
        name, result = method[1].lower(), method[2].lower()
        if name not in results or result == "pass":
            results[name] = result
    return results


def _raw_headers(message: Message) -> Iterator[tuple[str, str]]:
    for name, value in message.raw_items():
        yield str(name), str(value)


def _header(message: Message, name: str) -> str:
    try:
        value = message.get(name)
    except _HEADER_ERRORS:
        return ""
    return "" if value is None else str(value)


def _addresses(message: Message, name: str) -> list[str]:
    try:
        header = message.get(name)
        addresses = getattr(header, "addresses", None)
        if addresses is not None:
            return [address.addr_spec for address in addresses if isinstance(address, Address) and "@" in address.addr_spec]
        return [address for _, address in getaddresses(message.get_all(name) or []) if "@" in address]
    except _HEADER_ERRORS:
        return []


def _sender(message: Message) -> str | None:
    senders = _addresses(message, "from")
    if len(senders) != 1:
        return None
    local, _, domain = senders[0].rpartition("@")
    return f"{local}@{domain.lower()}" if local and domain else None


def _message_ids(value: str) -> tuple[str, ...]:
    return tuple(_MESSAGE_ID.findall(value))


def _automatic(message: Message) -> bool:
    submitted = _header(message, "auto-submitted").strip().lower()
    precedence = _header(message, "precedence").strip().lower()
    content_type = message.get_content_type()
    return (submitted not in ("", "no")) or precedence in ("bulk", "junk", "list", "auto_reply") or content_type == "multipart/report"


def _leaves(part: Message) -> Iterator[Message]:
    """Every part that is not a container; a forwarded mail (message/*) is one part, not read into."""
    if part.get_content_maintype() == "multipart":
        for child in part.get_payload():
            if isinstance(child, Message):
                yield from _leaves(child)
    else:
        yield part


def _is_attachment(part: Message) -> bool:
    return part.get_content_type() not in ("text/plain", "text/html") or part.get_content_disposition() == "attachment" or bool(part.get_filename())


def _body(message: EmailMessage) -> MIMEPart | None:
    try:
        body = message.get_body(preferencelist=("plain", "html"))
    except _HEADER_ERRORS:
        return None
    if body is None or body.get_content_disposition() == "attachment" or body.get_filename():
        return None
    return body


def _text(part: MIMEPart) -> str:
    try:
        content = part.get_content()
    except _HEADER_ERRORS:  # an unknown charset: read it as UTF-8, keeping what decodes
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    text = content if isinstance(content, str) else ""
    if part.get_content_type() == "text/html":
        text = html_to_text(text)
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return "\n".join(lines).strip()

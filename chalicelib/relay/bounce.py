"""The bounce the relay sends on AWS for a mail it refused for good: SES accepted the mail before the relay's code ran, so
the sender can only learn why from a delivery-status notification the relay sends itself. Pure: `now` is passed in.

Only mail that passed SES's checks is bounced, and only to its envelope sender (the Return-Path SES wrote): mail
failing SPF/DKIM/DMARC (or spam, virus) is dropped and counted, since its sender is likely forged (no backscatter).
Mail with no envelope sender (a bounce's "<>"), an automatic one (Auto-Submitted other than "no", Precedence bulk/list,
a multipart/report) and mail from the relay's own domain is never bounced, so that loops stop. The notification says
Auto-Submitted: auto-replied, gives the refusal's text (which names no address), and carries nothing of the original
but its subject, redacted and on one line: no body, no header, no address of the other party.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Final

from chalicelib.moderation.contacts import redact
from chalicelib.relay.inbound import InboundMail
from chalicelib.relay.outbound import MAX_SUBJECT_CHARS, EncodedHeader, one_line
from chalicelib.relay.refusals import Refusal

BOUNCE_LOCAL_PART: Final = "mailer-daemon"


def bounce_sender(relay_domain: str) -> str:
    """The bounce's From: mailer-daemon on the relay domain (the verified sending identity; nobody reads it)."""
    return f"{BOUNCE_LOCAL_PART}@{relay_domain.lower()}"


def bounce_recipient(refusal: Refusal | None, mail: InboundMail, envelope_sender: str | None, relay_domain: str) -> str | None:
    """Whom a refusal is bounced to, or None when it is not bounced (see the module's doc)."""
    if refusal is None or not refusal.permanent or refusal is Refusal.UNAUTHENTICATED:
        return None
    if mail.verdicts.failed or mail.automatic:
        return None
    if envelope_sender is None:
        return None
    address = envelope_sender.strip().strip("<>").strip()
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain:
        return None
    if domain.lower() == relay_domain.lower() or local.lower() in (BOUNCE_LOCAL_PART, "postmaster"):
        return None  # the relay's own addresses, or another server's daemon: never answered
    return address


def build_bounce(
    mail: InboundMail, refusal: Refusal, *, to: str, relay_domain: str, now: datetime, language: str,
    allowed_link_domain: str | None = None, message_token: str | None = None,
) -> EmailMessage:
    """The notification: From mailer-daemon@<relay domain>, To the envelope sender, Subject "Undelivered: <subject>",
    a short text in `language` ("ru" or else English) with the refusal's reason."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    domain = relay_domain.lower()
    russian = language.lower().startswith("ru")
    subject = redact(one_line(mail.subject)[:MAX_SUBJECT_CHARS], language, allowed_link_domain, relay_domain=domain).text
    if russian:
        text = (
            "Ваше письмо не доставлено: оно не сохранено и никому не передано.\n\n"
            f"Причина: {refusal.text}\n\n"
            "Это уведомление отправлено автоматически; ответ на него никто не прочтёт."
        )
    else:
        text = (
            "Your message was not delivered: it was neither stored nor passed on.\n\n"
            f"Reason: {refusal.text}\n\n"
            "This notice was sent automatically; a reply to it is not read."
        )
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = Address(addr_spec=bounce_sender(domain))
    message["To"] = Address(addr_spec=to)
    message["Subject"] = EncodedHeader("Subject", f"Undelivered: {subject}" if subject else "Undelivered")
    message["Date"] = format_datetime(now)
    message["Message-ID"] = f"<{message_token or secrets.token_hex(16)}@{domain}>"
    message["Auto-Submitted"] = "auto-replied"
    message.set_content(text + "\n", charset="utf-8", cte="quoted-printable" if text.isascii() else "base64")
    return message

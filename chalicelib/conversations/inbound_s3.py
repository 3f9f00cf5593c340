"""The relay Lambda's work on AWS: SES stored one inbound mail in S3; read it and hand it to receive_mail.

The envelope sender is the Return-Path SES writes as the stored mail's first line (an S3 event carries no receipt);
mail whose envelope sender or From is not the party's is refused (not_the_party).

SES has accepted the mail before this runs, so a refusal cannot be an SMTP reply: mail failing SPF/DKIM/DMARC (or the
spam or virus check) is dropped and counted (`relay_mail_dropped`, never bounced: its From is likely forged); another
permanent refusal is logged (`relay_mail_refused`) and bounced to the envelope sender with the reason
(chalicelib/relay/bounce.py: never to an automatic mail or an empty Return-Path; a failed bounce is logged, not raised);
a temporary one raises, so Lambda's asynchronous retries and then its DLQ take over. Nothing is lost silently.
"""

from __future__ import annotations

import logging
import re
from email import policy
from email.parser import BytesParser
from typing import Any, Protocol

from chalicelib.relay.inbound import envelope_sender
from chalicelib.relay.refusals import Refusal, RelayVerdict
from chalicelib.shared.logs import log

_FOR = re.compile(r"\bfor\s+<?([^\s<>;]+@[^\s<>;]+)>?", re.IGNORECASE)


class Receiver(Protocol):
    def receive_mail(self, raw: bytes, rcpt_tos: list[str], *, mail_from: str | None) -> RelayVerdict: ...
    def bounce(self, raw: bytes, refusal: Refusal, *, mail_from: str | None, mail_id: str) -> bool: ...


class RetryLater(Exception):
    """The mail could not be stored now: the Lambda fails, and its asynchronous retries run it again."""


def envelope_recipients(raw: bytes) -> list[str]:
    """The recipients SES received the mail for: the `for <address>` of the Received header SES put on top
    (SES's receipt notification carries them too, but an S3 event does not), then To and Cc."""
    message = BytesParser(policy=policy.compat32).parsebytes(raw, headersonly=True)
    recipients = []
    received = message.get_all("Received") or []
    if received:
        recipients += _FOR.findall(str(received[0]))
    for name in ("To", "Cc"):
        for value in message.get_all(name) or []:
            recipients += re.findall(r"[^\s<>,;\"]+@[^\s<>,;\"]+", str(value))
    return list(dict.fromkeys(recipients))


def handle_object(bucket: str, key: str, receiver: Receiver, s3: Any) -> dict[str, str]:
    raw = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    mail_from = envelope_sender(raw)
    verdict = receiver.receive_mail(raw, envelope_recipients(raw), mail_from=mail_from)
    if verdict.refusal is None:
        return {"outcome": "accepted"}
    if verdict.refusal is Refusal.UNAUTHENTICATED:
        log(logging.WARNING, "relay_mail_dropped", reason="unauthenticated", size=len(raw))
        return {"outcome": "dropped"}
    if not verdict.refusal.permanent:
        raise RetryLater(verdict.refusal.text)
    mail_id = key.rpartition("/")[2]  # SES's message id: the object's name under inbound/
    log(logging.WARNING, "relay_mail_refused", refusal=verdict.refusal.name.lower(), size=len(raw), mail_id=mail_id)
    try:
        receiver.bounce(raw, verdict.refusal, mail_from=mail_from, mail_id=mail_id)
    except Exception as exc:  # noqa: BLE001 - the mail was refused either way: a bounce is never retried
        log(logging.WARNING, "relay_bounce_failed", error=type(exc).__name__, mail_id=mail_id)
    return {"outcome": verdict.refusal.name.lower()}

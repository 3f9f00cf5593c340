"""The SES adapter of the MailSender port: the relay's outgoing mail, From a relay address on the verified domain."""

from __future__ import annotations

from email import policy
from email.message import EmailMessage
from typing import Any


class SesMailSender:
    """Sends with SES's SendRawEmail: the message is sent as built (headers, Message-ID), DKIM-signed by SES."""

    def __init__(self, ses: Any) -> None:
        self._ses = ses

    def send(self, message: EmailMessage) -> None:
        self._ses.send_raw_email(RawMessage={"Data": message.as_bytes(policy=policy.SMTP)})

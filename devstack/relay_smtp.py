"""Local stand-in for SES inbound: a real SMTP server (aiosmtpd) on 127.0.0.1 that hands each mail to the relay.

On AWS, SES accepts mail before our code runs and a refusal is a bounce; here the server answers the SMTP client
directly: 250 when `deliver` accepts, 550/451 with the refusal's text otherwise (451 too when `deliver` fails).

    RELAY_SMTP_PORT=2525 python -m devstack.relay_smtp   (started by `make run` with the real `deliver`)

`deliver(raw, mail_from, rcpt_tos) -> RelayVerdict` is injected: `start(deliver)` returns the running controller.
aiosmtpd is a laptop dependency (requirements-dev.txt), never shipped.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import threading
from collections.abc import Callable, Mapping
from typing import Any, Final

from aiosmtpd.controller import Controller

from chalicelib.relay.refusals import Refusal, RelayVerdict
from chalicelib.shared.logs import log

Deliver = Callable[[bytes, str, list[str]], RelayVerdict]
HOST: Final = "127.0.0.1"
DEFAULT_PORT: Final = 2525
MAX_MESSAGE_BYTES: Final = 40 * 1024 * 1024  # SES receiving's limit for mail stored in S3


def read_port(environ: Mapping[str, str]) -> int:
    """RELAY_SMTP_PORT (empty counts as unset: 2525); ValueError with a one-line reason if it is no TCP port."""
    text = environ.get("RELAY_SMTP_PORT", "").strip() or str(DEFAULT_PORT)
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= 65535:
        raise ValueError(f"RELAY_SMTP_PORT={text!r} is not a TCP port; use a number from 1 to 65535, e.g. RELAY_SMTP_PORT={DEFAULT_PORT}")
    return int(text)


class RelayHandler:
    """aiosmtpd handler: every mail goes to `deliver` (in a worker thread: it may call boto3), its verdict back as
    the reply to DATA. Logs carry outcomes and sizes, never an address or the text."""

    def __init__(self, deliver: Deliver) -> None:
        self.deliver = deliver

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content if envelope.original_content is not None else envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        mail_from = str(envelope.mail_from or "")
        rcpt_tos = [str(address) for address in envelope.rcpt_tos]
        try:
            verdict = await asyncio.get_running_loop().run_in_executor(None, self.deliver, bytes(raw), mail_from, rcpt_tos)
        except Exception as exc:  # noqa: BLE001 - whatever failed, the sender must retry: a 451, never a lost mail
            log(logging.ERROR, "relay_smtp_deliver_failed", error=type(exc).__name__, size=len(raw), recipients=len(rcpt_tos))
            return Refusal.TEMPORARILY_UNAVAILABLE.smtp_reply
        if not isinstance(verdict, RelayVerdict):
            log(logging.ERROR, "relay_smtp_bad_verdict", verdict_type=type(verdict).__name__)
            return Refusal.TEMPORARILY_UNAVAILABLE.smtp_reply
        outcome = "accepted" if verdict.refusal is None else verdict.refusal.name.lower()
        log(logging.INFO, "relay_smtp_mail", outcome=outcome, size=len(raw), recipients=len(rcpt_tos))
        return verdict.smtp_reply


def start(deliver: Deliver, port: int | None = None, hostname: str = HOST) -> Controller:
    """Starts the server in a thread of its own (aiosmtpd's Controller) and returns it; `controller.stop()` ends it."""
    # aiosmtpd logs each command line, sender and recipient at INFO (and the message at DEBUG): warnings only.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    controller = Controller(
        RelayHandler(deliver),
        hostname=hostname,
        port=read_port(os.environ) if port is None else port,
        server_hostname="relay.localhost",
        data_size_limit=MAX_MESSAGE_BYTES,
        enable_SMTPUTF8=True,
    )
    controller.start()
    return controller


def serve(deliver: Deliver, port: int | None = None) -> int:
    """Runs until SIGINT, SIGTERM or SIGHUP; for `python -m devstack.relay_smtp` and `make run`."""
    stopped = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, lambda *_: stopped.set())
    controller = start(deliver, port)
    log(logging.INFO, "relay_smtp_listening", host=controller.hostname, port=controller.port)
    try:
        stopped.wait()
    finally:
        controller.stop()
    return 0


def deliver_to_conversations(raw: bytes, mail_from: str, rcpt_tos: list[str]) -> RelayVerdict:
    """The real `deliver`: the same use case the S3-triggered Lambda runs (chalicelib/conversations/service.py), against
    the local stack's moto, sending on through moto's SES. `mail_from` is the SMTP envelope's MAIL FROM ("" for a
    bounce's null sender), which must be the party's address as the From header must."""
    from chalicelib import wiring

    return wiring.conversation_service().receive_mail(raw, rcpt_tos, mail_from=mail_from)


if __name__ == "__main__":
    raise SystemExit(serve(deliver_to_conversations))

"""`make outbox`: every e-mail sent through the local moto's SES, one JSON object a line: from, to, subject, text.

    MOTO_PORT=5000 python -m devstack.outbox        (make outbox; against the running `make run` stack)

moto keeps what SES sent and serves it at /moto-api/data.json: under "ses", "RawMessage" (SendRawEmail: the relay's
mail, as sent) and "Message" (SendEmail: source, destinations, subject, body), each list in the order sent. Headers are
decoded here with email.header.decode_header: the email package's default policy rebuilds a long, folded Cyrillic
display name wrongly, and the outbox must show what a mail client would.
"""

from __future__ import annotations

import argparse
import email
import json
import os
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from email.header import decode_header, make_header
from email.message import Message
from email.utils import getaddresses
from typing import Any

from chalicelib.relay.html_text import html_to_text

DEFAULT_MOTO_PORT = 5000


def moto_url(environ: Mapping[str, str]) -> str:
    """The local moto server's data.json, on MOTO_PORT (empty counts as unset: 5000, as in the Makefile)."""
    text = environ.get("MOTO_PORT", "").strip() or str(DEFAULT_MOTO_PORT)
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= 65535:
        raise ValueError(f"MOTO_PORT={text!r} is not a TCP port; use a number from 1 to 65535, e.g. MOTO_PORT={DEFAULT_MOTO_PORT}")
    return f"http://127.0.0.1:{int(text)}/moto-api/data.json"


def decoded(value: str | None) -> str:
    """A header value as a reader sees it: RFC 2047 words decoded, folding undone."""
    if not value:
        return ""
    return str(make_header(decode_header(" ".join(value.split()))))


def addresses(values: list[str]) -> list[tuple[str, str]]:
    """(display name decoded, address) of every address in raw header values, parsed before decoding, so a decoded
    name with a comma or an @ in it cannot split or fake an address."""
    return [(decoded(name), address) for name, address in getaddresses([" ".join(v.split()) for v in values]) if address]


def shown(name: str, address: str) -> str:
    """As a mail client shows a sender: the decoded name (never re-encoded, as formataddr would) and the address."""
    return f"{name} <{address}>" if name else address


def body_text(message: Message) -> str:
    """The first text/plain part, else the first text/html part as text; attachments are not text."""
    html = None
    for part in message.walk():
        if part.is_multipart() or part.get_content_disposition() == "attachment":
            continue
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            continue
        content = payload.decode(part.get_content_charset() or "utf-8", errors="replace")
        content = content.replace("\r\n", "\n")  # lines as a reader has them, not as SMTP carried them
        if part.get_content_type() == "text/plain":
            return content
        if part.get_content_type() == "text/html" and html is None:
            html = html_to_text(content)
    return html or ""


def from_raw(item: Mapping[str, Any]) -> dict[str, str]:
    # moto keeps the raw mail as text: back to its bytes, so an 8bit body decodes by its own charset. compat32 (the
    # default here) keeps header values as sent, for decoded() and addresses().
    message = email.message_from_bytes(item["raw_data"].encode("utf-8", "surrogateescape"))
    senders = addresses(message.get_all("From", []))
    recipients = addresses([*message.get_all("To", []), *message.get_all("Cc", [])])
    return {
        "from": ", ".join(shown(name, address) for name, address in senders) or str(item.get("source") or ""),
        "to": ", ".join(address for _, address in recipients) or ", ".join(a for _, a in addresses(list(item.get("destinations") or []))),
        "subject": decoded(message.get("Subject")),
        "text": body_text(message),
    }


def from_simple(item: Mapping[str, Any]) -> dict[str, str]:
    destinations = item.get("destinations") or {}
    to = [*destinations.get("ToAddresses", []), *destinations.get("CcAddresses", [])]
    [(name, address)] = addresses([item["source"]]) or [("", item["source"])]
    return {
        "from": shown(name, address),
        "to": ", ".join(a for _, a in addresses(to)),
        "subject": decoded(item.get("subject")),
        "text": str(item.get("body") or ""),
    }


def sent_mail(data: Mapping[str, Any]) -> Iterator[dict[str, str]]:
    """Each mail moto's SES sent: SendRawEmail's first, then SendEmail's, each in the order sent (moto keeps no time)."""
    ses = data.get("ses", {})
    for item in ses.get("RawMessage", []):
        yield from_raw(item)
    for item in ses.get("Message", []):
        yield from_simple(item)


def fetch(url: str, timeout: float = 10.0) -> dict[str, Any]:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        data: dict[str, Any] = json.load(response)
    return data


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="data.json to read (default: the local moto on MOTO_PORT)")
    args = parser.parse_args(argv)
    try:
        url = args.url or moto_url(os.environ)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        data = fetch(url)
    except (urllib.error.URLError, OSError, ValueError) as exc:  # ValueError: not JSON (another server on the port)
        print(f"error: cannot read {url} ({exc}); is `make run` running, on MOTO_PORT?", file=sys.stderr)
        return 1
    try:
        for mail in sent_mail(data):
            print(json.dumps(mail, ensure_ascii=False), flush=True)
    except BrokenPipeError:  # `make outbox | head -1`
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    return 0


if __name__ == "__main__":
    sys.exit(main())

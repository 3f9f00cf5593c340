"""The laptop's SMTP server (devstack/relay_smtp.py) over real SMTP on loopback, against a fake `deliver`."""

from __future__ import annotations

import logging
import smtplib
import threading
from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("aiosmtpd")

from chalicelib.relay.inbound import parse_inbound
from chalicelib.relay.refusals import Refusal, RelayVerdict
from devstack.relay_smtp import DEFAULT_PORT, read_port, start
from devstack.stack import free_port
from tests.conftest import log_lines

RELAY = "relay.localhost"
MAIL = (
    "From: Ivan <ivan@mail.example>\r\nTo: {to}\r\nSubject: =?utf-8?b?0JLQvtC/0YDQvtGB?=\r\n"
    "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nГде заказ?\r\n.leading dot line\r\n"
)


class FakeDeliver:
    def __init__(self, verdicts: dict[str, RelayVerdict]) -> None:
        self.verdicts = verdicts
        self.calls: list[tuple[bytes, str, list[str]]] = []
        self.lock = threading.Lock()

    def __call__(self, raw: bytes, mail_from: str, rcpt_tos: list[str]) -> RelayVerdict:
        with self.lock:
            self.calls.append((raw, mail_from, rcpt_tos))
        verdict = self.verdicts[rcpt_tos[0].split("@")[0]]
        if verdict is None:
            raise RuntimeError("the store is down")
        return verdict


@pytest.fixture
def server() -> Iterator[tuple[FakeDeliver, int]]:
    deliver = FakeDeliver(
        {
            "open": RelayVerdict.accepted(),
            "unknown": RelayVerdict.refused(Refusal.UNKNOWN_ADDRESS),
            "stranger": RelayVerdict.refused(Refusal.NOT_THE_PARTY),
            "closed": RelayVerdict.refused(Refusal.CONVERSATION_CLOSED),
            "busy": RelayVerdict.refused(Refusal.TEMPORARILY_UNAVAILABLE),
            "broken": None,  # type: ignore[dict-item]
            "garbage": "250 OK",  # type: ignore[dict-item]
        }
    )
    port = free_port()
    controller = start(deliver, port=port)
    try:
        yield deliver, port
    finally:
        controller.stop()


def send(port: int, to: str) -> tuple[int, bytes]:
    """The SMTP reply to DATA (sendmail raises on a refusal; the reply is what matters here)."""
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.ehlo()
        client.mail("bounce@mail.example")
        client.rcpt(to)
        return client.data(MAIL.format(to=to).encode())


def test_an_accepted_mail_gets_250_and_deliver_gets_the_raw_mail_and_the_envelope(server: tuple[FakeDeliver, int]) -> None:
    deliver, port = server
    code, _ = send(port, f"open@{RELAY}")
    assert code == 250
    [(raw, mail_from, rcpt_tos)] = deliver.calls
    assert (mail_from, rcpt_tos) == ("bounce@mail.example", [f"open@{RELAY}"])
    mail = parse_inbound(raw)
    assert (mail.sender, mail.subject, mail.text) == ("ivan@mail.example", "Вопрос", "Где заказ?\n.leading dot line")


def test_smtplib_sendmail_is_accepted(server: tuple[FakeDeliver, int]) -> None:
    deliver, port = server
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        assert client.sendmail("ivan@mail.example", [f"open@{RELAY}"], MAIL.format(to=f"open@{RELAY}").encode()) == {}
    assert len(deliver.calls) == 1


@pytest.mark.parametrize(
    ("local_part", "code", "text"),
    [
        ("unknown", 550, b"5.1.1 No such relay address"),
        ("stranger", 550, b"5.7.1 Only the conversation's party"),
        ("closed", 550, b"5.7.1 This conversation is closed"),
        ("busy", 451, b"4.3.0 The message cannot be stored now"),
        ("broken", 451, b"4.3.0"),  # deliver raised: the sender retries, nothing is lost
        ("garbage", 451, b"4.3.0"),  # deliver returned no verdict
    ],
)
def test_a_refusal_is_the_smtp_reply_with_its_reason(server: tuple[FakeDeliver, int], local_part: str, code: int, text: bytes) -> None:
    _, port = server
    reply_code, reply = send(port, f"{local_part}@{RELAY}")
    assert reply_code == code and reply.startswith(text), reply
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client, pytest.raises(smtplib.SMTPDataError) as refused:
        client.sendmail("ivan@mail.example", [f"{local_part}@{RELAY}"], MAIL.format(to="x").encode())
    assert refused.value.smtp_code == code


def test_logs_carry_the_outcome_never_an_address_or_the_text(server: tuple[FakeDeliver, int], capsys: Any, caplog: Any) -> None:
    _, port = server
    with caplog.at_level(logging.DEBUG):
        send(port, f"open@{RELAY}")
        send(port, f"stranger@{RELAY}")
        send(port, f"broken@{RELAY}")
    assert not [record for record in caplog.records if "@" in record.getMessage()]  # aiosmtpd's own log says who, at INFO
    captured = capsys.readouterr().out
    outcomes = [line.get("outcome") or line.get("error") for line in log_lines(captured) if line["msg"].startswith("relay_smtp")]
    assert outcomes == ["accepted", "not_the_party", "RuntimeError"]
    assert "@" not in captured and "заказ" not in captured


def test_the_port_comes_from_relay_smtp_port() -> None:
    assert read_port({}) == DEFAULT_PORT == 2525
    assert read_port({"RELAY_SMTP_PORT": " "}) == 2525
    assert read_port({"RELAY_SMTP_PORT": "2626"}) == 2626
    for bad in ("0", "65536", "abc", "-1", "２５２５"):
        with pytest.raises(ValueError, match="RELAY_SMTP_PORT"):
            read_port({"RELAY_SMTP_PORT": bad})

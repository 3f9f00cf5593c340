"""`make outbox` prints what moto's SES sent, one JSON object a line, with names and subjects decoded."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from chalicelib.relay.outbound import build_outgoing
from devstack import outbox
from tests.policy_coverage import PROJECT_DIR

RELAY = "relay.example.com"
# 58 characters: folded over three RFC 2047 words, one split inside "Петрович" (the default policy parser reads it as
# "Петрови ч"; decode_header joins it).
LONG_NAME = "Покупатель Иван Петрович Сидоров через Маркетплейс Маркет"


@pytest.fixture
def moto_port() -> Iterator[int]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    port = server.get_host_and_port()[1]
    urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{port}/moto-api/reset", method="POST"), timeout=10)
    try:
        yield port
    finally:
        server.stop()


def ses(port: int) -> Any:
    return boto3.client("ses", endpoint_url=f"http://127.0.0.1:{port}", region_name="eu-central-1",
                        aws_access_key_id="local", aws_secret_access_key="local")


def run_outbox(port: int) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "devstack.outbox"], cwd=PROJECT_DIR, capture_output=True, text=True, timeout=60,
        env={"PATH": "/usr/bin:/bin", "MOTO_PORT": str(port), "PYTHONPATH": str(PROJECT_DIR)}, check=False,
    )


def test_outbox_prints_each_sent_mail_decoded_one_json_object_a_line(moto_port: int) -> None:
    client = ses(moto_port)
    client.verify_domain_identity(Domain=RELAY)
    relayed = build_outgoing(
        from_address=f"b-0123456789abcdef0123@{RELAY}", name=LONG_NAME, to="seller@shop.example",
        subject="Где мой заказ 12345?",
        text="Здравствуйте!\nКогда придёт заказ?", relay_domain=RELAY, now=datetime(2026, 12, 1, tzinfo=UTC), language="ru",
        order_numbers=["12345"],
    )
    client.send_raw_email(RawMessage={"Data": relayed.as_bytes()})
    html_only = EmailMessage()
    html_only["From"] = f"shop@{RELAY}"
    html_only["To"] = "buyer@example.org"
    html_only["Subject"] = "Re: order"
    html_only.set_content("<p>Shipped <b>today</b>.</p>", subtype="html")
    html_only.add_attachment(b"%PDF-1.4", maintype="application", subtype="pdf", filename="invoice.pdf")
    client.send_raw_email(RawMessage={"Data": html_only.as_bytes()})
    client.send_email(Source=f"support@{RELAY}", Destination={"ToAddresses": ["buyer@example.org"]},
                      Message={"Subject": {"Data": "Plain"}, "Body": {"Text": {"Data": "Hello"}}})

    result = run_outbox(moto_port)

    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [set(line) for line in lines] == [{"from", "to", "subject", "text"}] * 3
    assert lines[0] == {
        "from": f"{LONG_NAME} <b-0123456789abcdef0123@{RELAY}>",
        "to": "seller@shop.example",
        "subject": "Где мой заказ 12345?",
        "text": "Здравствуйте!\nКогда придёт заказ?\n",
    }
    assert lines[1]["text"].strip() == "Shipped today." and lines[1]["to"] == "buyer@example.org"
    assert lines[2] == {"from": f"support@{RELAY}", "to": "buyer@example.org", "subject": "Plain", "text": "Hello"}
    assert "\\u" not in result.stdout  # UTF-8 as it is, readable in a terminal


def test_an_empty_outbox_prints_nothing_and_a_stopped_stack_is_one_line(moto_port: int) -> None:
    empty = run_outbox(moto_port)
    assert (empty.returncode, empty.stdout) == (0, "")
    stopped = run_outbox(1)
    assert stopped.returncode == 1 and stopped.stdout == ""
    assert stopped.stderr.count("\n") == 1 and "is `make run` running, on MOTO_PORT?" in stopped.stderr


def test_a_bad_moto_port_is_refused_before_any_request() -> None:
    with pytest.raises(ValueError, match="MOTO_PORT='x' is not a TCP port"):
        outbox.moto_url({"MOTO_PORT": "x"})
    assert outbox.moto_url({"MOTO_PORT": ""}) == "http://127.0.0.1:5000/moto-api/data.json"


def test_a_name_with_a_comma_and_an_at_sign_stays_one_name() -> None:
    """Names are decoded after the addresses are parsed: a decoded comma or @ cannot make a second address."""
    raw = "From: =?utf-8?q?Ivan=2C_evil=40example=2Eorg?= <b-1@relay.example.com>\nTo: x@y.z\nSubject: s\n\nt\n"
    [mail] = outbox.sent_mail({"ses": {"RawMessage": [{"raw_data": raw, "source": None, "destinations": []}]}})
    assert mail["from"] == "Ivan, evil@example.org <b-1@relay.example.com>"


def test_a_long_name_folded_at_a_space_keeps_the_space() -> None:
    name = "Покупатель Иван Петрович Сидоров-Длиннофамильный через Маркет"
    subject = "Где мой заказ 12345? Очень длинная тема, чтобы заголовок сложился в несколько строк"
    relayed = build_outgoing(
        from_address=f"b-0123456789abcdef0123@{RELAY}", name=name, to="seller@shop.example", subject=subject, text="t",
        relay_domain=RELAY, now=datetime(2026, 12, 1, tzinfo=UTC), language="ru",
    )
    raw = relayed.as_bytes().decode("ascii")
    [mail] = outbox.sent_mail({"ses": {"RawMessage": [{"raw_data": raw, "source": None, "destinations": []}]}})
    assert (mail["from"], mail["subject"]) == (f"{name} <b-0123456789abcdef0123@{RELAY}>", subject)

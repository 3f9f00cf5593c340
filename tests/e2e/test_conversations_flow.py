"""Conversations through the real local stack: HTTP to chalice local, mail to the relay's SMTP server (smtplib), mail
out read from moto's SES (/moto-api/data.json)."""

from __future__ import annotations

import json
import smtplib
import socket
import time
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import pytest
import requests

from devstack import stack as local_stack
from tests.conftest import SUPPORT, bearer, seller_token
from tests.e2e.conftest import Stack

pytestmark = pytest.mark.e2e
BUYER = bearer("buyer", "e2e-conversation-buyer", email="e2e-buyer@mail.example")
STRANGER = bearer("buyer", "e2e-stranger")
SELLER_ADDRESS = "owner@e2e-shop.example"


@pytest.fixture(scope="module")
def smtp_port(stack: Stack) -> Iterator[int]:
    port = local_stack.free_port()
    process = local_stack.spawn(
        [local_stack.sys.executable, "-m", "devstack.relay_smtp"], cwd=local_stack.PROJECT_DIR,
        env={**local_stack.os.environ, **local_stack.local_stage_env(), **stack.env, "RELAY_SMTP_PORT": str(port)},
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        yield port
    finally:
        local_stack.stop_processes([process])


def call(stack: Stack, method: str, path: str, headers: dict[str, str], body: Any = None) -> requests.Response:
    return requests.request(method, stack.api + path, json=body, headers=headers, timeout=30)


def sent(stack: Stack) -> list[dict[str, Any]]:
    """The mail moto's SES sent (its `RawMessage` records: source, destinations, raw_data)."""
    data = requests.get(stack.env["AWS_ENDPOINT_URL"] + "/moto-api/data.json", timeout=30).json()
    messages: list[dict[str, Any]] = data.get("ses", {}).get("RawMessage", [])
    return messages


def raw_of(message: dict[str, Any]) -> str:
    return str(message["raw_data"])


def send_mail(port: int, sender: str, to: str, text: str, mail_from: str | None = None) -> tuple[int, bytes]:
    """Sends a mail From `sender`; its envelope sender (MAIL FROM) is `mail_from`, the From address if not given."""
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, to, "About my order"
    message.set_content(text)
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
        try:
            smtp.send_message(message, from_addr=mail_from)
        except smtplib.SMTPDataError as exc:
            return exc.smtp_code, exc.smtp_error
    return 250, b"OK"


def lines_of(count: int, char: str) -> str:
    """`count` characters of `char` in lines of 80 (SMTP refuses a line over 1,000 before the relay sees it)."""
    text = ((char * 79 + "\n") * (count // 80 + 1))[:count]
    return text[:-1] + char if text.endswith("\n") else text


def test_a_chat_conversation_over_http(stack: Stack) -> None:
    created = call(stack, "POST", "/v1/conversations", BUYER, {"seller_id": "demo-chat", "topic": "product_question", "text": "Call me: +7 916 123-45-67"})
    assert created.status_code in (200, 201), created.text
    cid = created.json()["conversation_id"]
    seller_view = call(stack, "GET", f"/v1/conversations/{cid}", seller_token("demo-chat")).json()
    assert "+7 916" not in seller_view["messages"][-1]["text"] and seller_view["messages"][-1]["redacted"] == ["phone"]
    assert call(stack, "GET", f"/v1/conversations/{cid}", STRANGER).status_code == 404
    headers = {**BUYER, "Idempotency-Key": "e2e-1"}
    first = call(stack, "POST", f"/v1/conversations/{cid}/messages", headers, {"text": "once"})
    again = call(stack, "POST", f"/v1/conversations/{cid}/messages", headers, {"text": "once"})
    assert first.status_code == again.status_code == 201 and first.json() == again.json()
    assert call(stack, "POST", f"/v1/conversations/{cid}/messages", headers, {"text": "other"}).status_code == 422
    assert call(stack, "POST", "/v1/conversations", BUYER, {"seller_id": "demo-email", "topic": "other"}).json()["error"]["code"] == "contact_not_offered"
    assert call(stack, "POST", f"/v1/conversations/{cid}/escalate", BUYER).json()["status"] == "escalated"
    assert call(stack, "GET", "/v1/conversations?seller_id=demo-chat", SUPPORT).status_code == 200


def test_a_body_without_content_type_is_415_over_real_http(stack: Stack) -> None:
    """chalice local (as API Gateway) hands the app a request without Content-Type as it came: the app refuses it."""
    body = json.dumps({"seller_id": "demo-chat", "topic": "other", "text": "no type"}).encode()
    bare = requests.post(stack.api + "/v1/conversations", data=body, headers=BUYER, timeout=30)  # bytes: no Content-Type sent
    assert "Content-Type" not in bare.request.headers
    assert bare.status_code == 415 and bare.json()["error"]["code"] == "unsupported_media_type", bare.text
    batch = requests.post(stack.api + "/v1/contact-options/batch", data=b'{"seller_ids": ["demo-chat"]}', headers=BUYER, timeout=30)
    assert batch.status_code == 415 and batch.json()["error"]["details"] == {"header": "Content-Type"}


def test_the_mail_round_trip_through_the_local_smtp_server(stack: Stack, smtp_port: int) -> None:
    body = {"email": {"enabled": True, "address": SELLER_ADDRESS, "masked": True}}
    put = call(stack, "PUT", "/v1/sellers/e2e-shop/channels", {**seller_token("e2e-shop"), "If-Match": '"0"'}, body)
    assert put.status_code == 200, put.text
    created = call(stack, "POST", "/v1/conversations", BUYER, {"seller_id": "e2e-shop", "topic": "order_status", "order_id": "A-1001", "text": "Where is it?"})
    assert created.status_code == 201, created.text
    conversation = created.json()
    relay_address = conversation["relay_address"]
    to_seller = [m for m in sent(stack) if SELLER_ADDRESS in raw_of(m)]
    assert to_seller, sent(stack)
    raw = raw_of(to_seller[-1])
    assert "e2e-buyer@mail.example" not in raw
    buyer_mask = next(word.strip("<>\",;") for word in raw.split() if word.strip("<>\",;").endswith("@relay.marketplace.test") and word.strip("<>\",;") != relay_address)

    # seller -> buyer, by mail
    assert send_mail(smtp_port, SELLER_ADDRESS, buyer_mask, "Shipped today")[0] == 250
    assert any("e2e-buyer@mail.example" in raw_of(m) and "Shipped today" in raw_of(m) for m in sent(stack))
    # buyer -> seller, by mail
    assert send_mail(smtp_port, "e2e-buyer@mail.example", relay_address, "Thank you")[0] == 250
    transcript = call(stack, "GET", f"/v1/conversations/{conversation['conversation_id']}", BUYER).json()
    assert [m["via"] for m in transcript["messages"]] == ["app", "email", "email"]
    # a stranger, then a closed conversation: 550
    code, text = send_mail(smtp_port, "someone@else.example", relay_address, "hi")
    assert code == 550 and b"party" in text
    assert call(stack, "POST", f"/v1/conversations/{conversation['conversation_id']}/close", BUYER).status_code == 200
    code, text = send_mail(smtp_port, "e2e-buyer@mail.example", relay_address, "hello?")
    assert code == 550 and b"closed" in text


def test_the_relay_refuses_a_forged_envelope_and_a_body_over_the_limit_and_keeps_nothing_of_them(stack: Stack, smtp_port: int) -> None:
    body = {"email": {"enabled": True, "address": "owner@e2e-shop-2.example", "masked": True}}
    assert call(stack, "PUT", "/v1/sellers/e2e-shop-2/channels", {**seller_token("e2e-shop-2"), "If-Match": '"0"'}, body).status_code == 200
    created = call(stack, "POST", "/v1/conversations", BUYER, {"seller_id": "e2e-shop-2", "topic": "other", "text": "Hi"})
    assert created.status_code == 201, created.text
    conversation = created.json()
    relay_address = conversation["relay_address"]

    # the buyer's From, someone else's envelope sender: 550, as a stranger
    code, text = send_mail(smtp_port, "e2e-buyer@mail.example", relay_address, "forged", mail_from="someone@else.example")
    assert code == 550 and b"party" in text
    # over 4,000 characters: 552 saying why, never cut
    code, text = send_mail(smtp_port, "e2e-buyer@mail.example", relay_address, lines_of(4001, "x"))
    assert code == 552 and b"4,000" in text
    transcript = call(stack, "GET", f"/v1/conversations/{conversation['conversation_id']}", BUYER).json()
    assert [m["text"] for m in transcript["messages"]] == ["Hi"]
    assert send_mail(smtp_port, "e2e-buyer@mail.example", relay_address, lines_of(4000, "y"))[0] == 250
    transcript = call(stack, "GET", f"/v1/conversations/{conversation['conversation_id']}", BUYER).json()
    assert transcript["messages"][-1]["text"] == lines_of(4000, "y")

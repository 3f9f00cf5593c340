"""Fixtures of the conversation tests: the API on moto, with the relay domain verified in moto's SES."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import pytest

from tests.conftest import bearer, seller_token

JSON = {"Content-Type": "application/json"}
BUYER_ADDRESS = "buyer-a@mail.example"  # buyer-a's verified e-mail claim: the relay takes their mail from it
BUYER_A = bearer("buyer", "buyer-a", email=BUYER_ADDRESS)
SELLER_ADDRESS = "owner@shop-1.example"  # shop-1's registered e-mail in the masked-relay fixtures
BUYER_B = bearer("buyer", "buyer-b")


def post(api: Any, path: str, body: Any, headers: dict[str, str]) -> Any:
    return api.http.post(path, body=json.dumps(body).encode(), headers={**JSON, **headers})


def start(api: Any, seller_id: str = "demo-chat", headers: dict[str, str] = BUYER_A, **extra: Any) -> Any:
    return post(api, "/v1/conversations", {"seller_id": seller_id, "topic": "product_question", **extra}, headers)


class Clock:
    """A clock the tests move (never the wall)."""

    def __init__(self) -> None:
        self.now = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock(api: Any, monkeypatch: pytest.MonkeyPatch) -> Clock:
    """The conversation service's clock, moved by the test."""
    from chalicelib import wiring

    moved = Clock()
    service = wiring.conversation_service()
    monkeypatch.setattr(service, "_clock", moved)
    return moved


@pytest.fixture
def ses(aws: dict[str, str]) -> Any:
    from chalicelib.shared.aws import client
    from devstack.stack import verify_relay_domain

    ses_client = client("ses")
    verify_relay_domain(ses_client)
    return ses_client


def sent_mail() -> list[Any]:
    """What moto's SES has sent, as parsed messages."""
    from email import policy
    from email.parser import BytesParser

    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    backend = ses_backends[DEFAULT_ACCOUNT_ID]["eu-central-1"]
    return [BytesParser(policy=policy.default).parsebytes(m.raw_data.encode() if isinstance(m.raw_data, str) else m.raw_data)
            for m in backend.sent_messages if hasattr(m, "raw_data")]


def mail(sender: str, to: str, text: str, subject: str = "Re: your order") -> bytes:
    """A plain text mail as a mail client sends it."""
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, to, subject
    message.set_content(text)
    return bytes(message)


def masked_conversation(api: Any, first_text: str) -> dict[str, Any]:
    """shop-1 offers a masked e-mail; buyer-a (verified e-mail) starts a conversation with `first_text`."""
    body = {"email": {"enabled": True, "address": SELLER_ADDRESS, "masked": True}}
    put = api.http.put("/v1/sellers/shop-1/channels", body=json.dumps(body).encode(), headers={**JSON, **seller_token("shop-1"), "If-Match": '"0"'})
    assert put.status_code == 200, put.body
    created = start(api, "shop-1", text=first_text)
    assert created.status_code == 201, created.body
    started: dict[str, Any] = json.loads(created.body)
    return started


@pytest.fixture
def conversation(api: Any, ses: Any) -> dict[str, Any]:
    """A masked-relay conversation whose one message is "Hello"."""
    return masked_conversation(api, "Hello")


@pytest.fixture
def relayed(api: Any, ses: Any) -> dict[str, Any]:
    """A masked-relay conversation, the buyer's mask (the first mail's sender, as the seller sees it) and that mail."""
    conversation = masked_conversation(api, "Hello, is the blue one in stock?")
    [first] = sent_mail()
    return {"conversation": conversation, "buyer_mask": first["From"].addresses[0].addr_spec, "first": first}

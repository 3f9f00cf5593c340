"""Fixtures of the conversation tests: the API on moto, with the relay domain verified in moto's SES."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.conftest import bearer

JSON = {"Content-Type": "application/json"}
BUYER_A = bearer("buyer", "buyer-a", email="buyer-a@mail.example")
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

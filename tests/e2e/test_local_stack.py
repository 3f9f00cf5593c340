"""Through real HTTP to chalice local, reading the queue with boto3 as support does."""

from __future__ import annotations

import json
import threading
from typing import Any

import jsonschema
import pytest
import requests

from chalicelib.models.events import ContactRequestEvent
from devstack.contract import DOCS
from tests.conftest import BUYER, seller_token
from tests.e2e.conftest import Stack

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def receive_all(stack: Stack) -> list[dict[str, Any]]:
    sqs = stack.client("sqs")
    url = stack.env["SUPPORT_QUEUE_URL"]
    bodies = []
    while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", []):
        for message in batch:
            bodies.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return bodies


def test_each_demo_seller_first_channel_and_one_event_per_resolution(stack: Stack) -> None:
    receive_all(stack)
    expected = {"demo-chat": "chat", "demo-email": "email", "demo-none": "support"}
    for seller_id, channel in expected.items():
        response = requests.get(f"{stack.api}/v1/sellers/{seller_id}/contact-options", headers=BUYER, timeout=10)
        assert response.status_code == 200
        assert response.json()["primary"]["channel"] == channel
    phone = requests.get(f"{stack.api}/v1/sellers/demo-phone/contact-options", headers=BUYER, timeout=10).json()
    # The phone is the seller's only channel and listed first; it is primary only while it is open (issue 12).
    assert phone["options"][0]["channel"] == "phone"
    open_now = phone["options"][0]["available_now"]
    assert phone["primary"]["channel"] == ("phone" if open_now else "support")
    assert phone["options"][0]["available_now"] is (phone["options"][0]["next_available_at"] is None)

    bodies = receive_all(stack)
    schema = json.loads((DOCS / "schemas" / "contact-request.v1.json").read_text())
    for body in bodies:
        jsonschema.validate(body, schema)  # the committed contract, not just our own model
    events = [ContactRequestEvent.model_validate(body) for body in bodies]
    assert sorted(e.seller_id for e in events) == sorted([*expected, "demo-phone"])
    assert {e.seller_id: e.primary_channel.value for e in events if e.seller_id in expected} == expected


def test_batch_and_settings_change_over_http(stack: Stack) -> None:
    receive_all(stack)
    batch = requests.post(
        f"{stack.api}/v1/contact-options/batch",
        json={"seller_ids": ["demo-email", "demo-none", "unknown-1"], "topic": "return_refund"},
        headers=BUYER,
        timeout=10,
    )
    assert batch.status_code == 200
    assert [r["primary"]["channel"] for r in batch.json()["results"]] == ["support"] * 3
    contact_events = [b for b in receive_all(stack) if b["type"] == "contact_request"]
    assert len(contact_events) == 3

    token = seller_token("demo-email")
    current = requests.get(f"{stack.api}/v1/sellers/demo-email/channels", headers=token, timeout=10)
    etag = current.headers["ETag"]
    changed = requests.patch(
        f"{stack.api}/v1/sellers/demo-email/channels",
        json={"chat": {"enabled": True}},
        headers={**token, "If-Match": etag},
        timeout=10,
    )
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    stale = requests.patch(
        f"{stack.api}/v1/sellers/demo-email/channels", json={"chat": {"enabled": False}},
        headers={**token, "If-Match": etag}, timeout=10,
    )
    assert stale.status_code == 409 and stale.json()["error"]["details"]["current_version"] == changed.json()["version"]


def test_errors_over_http(stack: Stack) -> None:
    assert requests.get(f"{stack.api}/v1/sellers/demo-chat/contact-options", timeout=10).status_code == 401
    bad = requests.get(f"{stack.api}/v1/sellers/demo-chat/contact-options?topic=x", headers=BUYER, timeout=10)
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_topic"
    form = requests.post(f"{stack.api}/v1/contact-options/batch", data={"a": "b"}, headers=BUYER, timeout=10)
    assert form.status_code == 415 and form.json()["error"]["code"] == "unsupported_media_type"
    health = requests.get(f"{stack.api}/v1/health", timeout=10)
    assert health.status_code == 200 and health.json()["status"] == "ok"


def test_racing_patches_of_one_seller_let_exactly_one_win_per_version(stack: Stack) -> None:
    """Two (here eight) sessions of the same seller PATCH the same version at once: one wins, none is lost silently."""
    from concurrent.futures import ThreadPoolExecutor

    token = seller_token("demo-phone")
    url = f"{stack.api}/v1/sellers/demo-phone/channels"
    version = requests.get(url, headers=token, timeout=10).json()["version"]
    start = threading.Barrier(8)

    def patch(session_number: int) -> requests.Response:
        start.wait()
        body = {"email": {"enabled": True, "address": f"session{session_number}@example.com"}}
        return requests.patch(url, json=body, headers={**token, "If-Match": f'"{version}"'}, timeout=30)

    with ThreadPoolExecutor(max_workers=8) as pool:
        responses = list(pool.map(patch, range(8)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [409] * 7
    [winner] = [r.json() for r in responses if r.status_code == 200]
    assert all(r.json()["error"]["details"]["current_version"] == version + 1 for r in responses if r.status_code == 409)
    stored = requests.get(url, headers=token, timeout=10).json()
    assert stored["version"] == version + 1 and stored["email"] == winner["email"]

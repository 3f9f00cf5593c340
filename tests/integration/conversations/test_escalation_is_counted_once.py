"""An escalation is counted once: a repeat escalate is a 200 that changes nothing, and of escalates that race one
is written, counted and announced (the write is conditional on the version read, so on the status)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.calls import ADMIN
from tests.conftest import drain_queue, seller_token
from tests.integration.conversations.conftest import BUYER_A, start


def escalated_today(api: Any) -> int:
    # days=2: yesterday and today, so a test that runs across midnight still sees its escalation
    stats = api.http.get("/v1/ops/stats?days=2", headers=ADMIN)
    assert stats.status_code == 200, stats.body
    return int(json.loads(stats.body)["conversation_totals"]["escalated"])


def escalation_events(aws: dict[str, str]) -> list[dict[str, Any]]:
    return [m["body"] for m in drain_queue(aws["queue_url"]) if m["body"]["type"] == "conversation_escalated"]


def test_escalating_an_escalated_conversation_again_is_200_with_no_count_and_no_event(api: Any, aws: dict[str, str]) -> None:
    cid = json.loads(start(api, text="Where is my parcel?").body)["conversation_id"]
    drain_queue(aws["queue_url"])
    answers = [api.http.post(f"/v1/conversations/{cid}/escalate", headers=headers)
               for headers in (BUYER_A, BUYER_A, seller_token("demo-chat"))]
    assert [a.status_code for a in answers] == [200, 200, 200], [a.body for a in answers]
    assert {json.loads(a.body)["status"] for a in answers} == {"escalated"}
    assert escalated_today(api) == 1
    [event] = escalation_events(aws)
    assert event["escalated_by"] == "buyer" and event["reason"] == "requested"


def test_an_escalate_that_loses_the_race_to_another_is_200_and_not_counted(
    api: Any, aws: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib import wiring

    cid = json.loads(start(api, text="Where is my parcel?").body)["conversation_id"]
    store = wiring.conversation_service()._store
    before_any_escalate = store.get(cid)
    assert api.http.post(f"/v1/conversations/{cid}/escalate", headers=BUYER_A).status_code == 200
    drain_queue(aws["queue_url"])

    # The second escalate read the conversation before the first one wrote it (as concurrent requests do).
    fresh_get = store.get
    reads = iter([before_any_escalate])
    monkeypatch.setattr(store, "get", lambda conversation_id: next(reads, None) or fresh_get(conversation_id))
    late = api.http.post(f"/v1/conversations/{cid}/escalate", headers=seller_token("demo-chat"))
    assert late.status_code == 200, late.body
    assert json.loads(late.body)["status"] == "escalated"
    assert escalated_today(api) == 1
    assert escalation_events(aws) == []

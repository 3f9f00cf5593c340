"""The console's routes on moto: its files, requests paged per day and per seller, the figures from the daily roll-ups
that the ingest and the conversation code write, settings history, a seller's replies, the queues, and refusals."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from chalicelib.models.events import ContactOutcomeEvent, ContactRequestEvent, SettingsChangedEvent
from tests.conftest import BUYER, SUPPORT, bearer, seller_token

ADMIN = bearer("admin", "admin-1")
NOW = datetime.now(UTC).replace(microsecond=0)
JSON = {"Content-Type": "application/json"}


def ingest(events: list[Any]) -> None:
    """Store events through the ingest's own store: it writes the daily roll-up in the same transaction."""
    from chalicelib import wiring

    for event in events:
        assert wiring.ingest_store().ingest(event)


def request_event(n: int, seller: str = "demo-chat", topic: str = "delivery", at: datetime | None = None, **extra: Any) -> ContactRequestEvent:
    return ContactRequestEvent(
        occurred_at=at or NOW - timedelta(seconds=n), request_id=f"req-{n}", seller_id=seller, buyer_id=f"buyer-{n % 3}",
        topic=topic, primary_channel="chat", offered=["chat", "support"], degraded=False, caller_role="buyer",
        seller_exists=True, revealed=["email"] if n % 2 else None, **extra,
    )


def outcome(n: int, outcome_name: str, answer_id: str | None = None, topic: str = "delivery") -> ContactOutcomeEvent:
    return ContactOutcomeEvent(
        occurred_at=NOW - timedelta(seconds=n), request_id=f"out-{n}", seller_id="demo-chat", buyer_id="b",
        topic=topic, outcome=outcome_name, answer_id=answer_id, reason="not_related" if outcome_name == "not_answered" else None,
    )


def get(api: Any, path: str, headers: dict[str, str] | None = None) -> Any:
    return api.http.get(path, headers=headers or SUPPORT)


def body(response: Any) -> Any:
    return json.loads(response.body)


def test_the_console_page_needs_no_token_sends_strict_headers_and_serves_only_its_files(api: Any) -> None:
    page = api.http.get("/console")
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert page.headers["X-Content-Type-Options"] == "nosniff" and page.headers["Referrer-Policy"] == "no-referrer"
    assert b'src="/console/console.js"' in page.body and b"<script>" not in page.body  # no inline script
    assert api.http.get("/console/console.js").headers["Content-Type"].startswith("text/javascript")
    assert api.http.get("/console/console.css").headers["Content-Type"].startswith("text/css")
    for name in ("nope.js", "..%2fapp.py", "%2e%2e", "wiring.py"):
        missing = api.http.get(f"/console/{name}")
        assert missing.status_code == 404 and body(missing)["error"]["code"] == "not_found", name
    assert api.http.get("/v1/ops/stats").status_code == 401


def test_the_page_links_its_files_under_the_stage_prefix_it_was_served_under(api: Any) -> None:
    from chalicelib.api import console

    staged = SimpleNamespace(context={"path": "/prod/console", "resourcePath": "/console"}, uri_params={})
    served = console._file(staged, console.INDEX)  # type: ignore[arg-type]
    assert 'src="/prod/console/console.js"' in served.body and 'data-prefix="/prod"' in served.body


def test_requests_newest_first_paged_with_a_cursor_and_filters(api: Any) -> None:
    ingest([request_event(n) for n in range(7)] + [request_event(10, seller="demo-email", topic="payment")])
    first = body(get(api, "/v1/ops/requests?limit=3"))
    assert [row["request_id"] for row in first["items"]] == ["req-0", "req-1", "req-2"] and first["next_cursor"]
    second = body(get(api, f"/v1/ops/requests?limit=3&cursor={first['next_cursor']}"))
    assert [row["request_id"] for row in second["items"]] == ["req-3", "req-4", "req-5"]
    assert [row["request_id"] for row in body(get(api, "/v1/ops/requests?topic=payment"))["items"]] == ["req-10"]
    by_seller = body(get(api, "/v1/ops/requests?seller_id=demo-chat&limit=4"))
    assert [row["request_id"] for row in by_seller["items"]] == ["req-0", "req-1", "req-2", "req-3"]
    rest = body(get(api, f"/v1/ops/requests?seller_id=demo-chat&limit=4&cursor={by_seller['next_cursor']}"))
    assert [row["request_id"] for row in rest["items"]] == ["req-4", "req-5", "req-6"] and rest["next_cursor"] is None
    row = first["items"][0]
    assert row["buyer_id"] == "buyer-0" and row["offered"] == ["chat", "support"] and row["seller_id"] == "demo-chat"


def test_an_unfiltered_page_reads_one_day_and_its_cursor_goes_on_with_yesterday(api: Any) -> None:
    yesterday = NOW - timedelta(days=1)
    ingest([request_event(1), request_event(2, at=yesterday)])
    page = body(get(api, "/v1/ops/requests?limit=5"))
    assert [row["request_id"] for row in page["items"]] == ["req-1"] and page["day"] == NOW.date().isoformat()
    older = body(get(api, f"/v1/ops/requests?limit=5&cursor={page['next_cursor']}"))
    assert [row["request_id"] for row in older["items"]] == ["req-2"] and older["day"] == yesterday.date().isoformat()
    day_only = body(get(api, f"/v1/ops/requests?day={NOW.date().isoformat()}"))
    assert [row["request_id"] for row in day_only["items"]] == ["req-1"] and day_only["next_cursor"] is None


def request_outcome(request: ContactRequestEvent, outcome_name: str, after: timedelta, **extra: Any) -> ContactOutcomeEvent:
    """An outcome as the outcome route sends it: the request's id and seller, a time of its own, a random event id."""
    return ContactOutcomeEvent(
        occurred_at=request.occurred_at + after, request_id=request.request_id, seller_id=request.seller_id, buyer_id=request.buyer_id,
        topic=request.topic, outcome=outcome_name, **extra,
    )


def outcomes_shown(api: Any, path: str = "/v1/ops/requests") -> dict[str, Any]:
    return {row["request_id"]: row["outcome"] for row in body(get(api, path))["items"]}


def test_a_requests_outcome_shows_on_its_row_of_the_page_and_by_seller(api: Any) -> None:
    first, second = request_event(1), request_event(2, seller="demo-email")
    ingest([first, second, request_outcome(first, "not_answered", timedelta(seconds=5), answer_id="faq-a", reason="not_related")])
    ingest([request_outcome(first, "answered", timedelta(seconds=9), answer_id="faq-b")])
    shown = outcomes_shown(api)
    assert shown["req-2"] is None
    assert shown["req-1"] == {"kind": "answered", "answer_id": "faq-b", "channel": None,
                              "at": (first.occurred_at + timedelta(seconds=9)).isoformat().replace("+00:00", "Z")}
    assert outcomes_shown(api, "/v1/ops/requests?seller_id=demo-chat")["req-1"]["kind"] == "answered"


def test_a_redelivered_outcome_is_stored_and_counted_once_and_an_older_one_delivered_late_does_not_win(api: Any) -> None:
    from chalicelib import wiring

    request = request_event(1)
    chosen = request_outcome(request, "channel_chosen", timedelta(seconds=5), channel="chat")
    ingest([request, chosen])
    assert not wiring.ingest_store().ingest(chosen)  # SQS delivered it again
    ingest([request_outcome(request, "not_answered", timedelta(seconds=2), answer_id="faq-a")])  # reported earlier, came later
    assert outcomes_shown(api)["req-1"] == {**outcomes_shown(api)["req-1"], "kind": "channel_chosen", "channel": "chat"}
    stats = body(get(api, "/v1/ops/stats?days=1"))["totals"]
    assert (stats["channel_chosen"], stats["not_answered"]) == (1, 1)


def test_an_outcome_that_arrives_before_its_request_shows_once_the_request_is_stored(api: Any) -> None:
    request = request_event(1)
    ingest([request_outcome(request, "answered", timedelta(seconds=3), answer_id="faq-a")])
    assert body(get(api, "/v1/ops/requests"))["items"] == []
    ingest([request])
    assert outcomes_shown(api)["req-1"]["kind"] == "answered"


def test_stats_and_deflection_come_from_the_roll_up_the_ingest_writes(api: Any) -> None:
    ingest([request_event(n) for n in range(4)] + [request_event(5, withheld=["phone"])] + [
        outcome(1, "answered", "faq-a"), outcome(2, "not_answered", "faq-b"), outcome(3, "not_answered", "faq-b"),
        outcome(4, "channel_chosen"),
    ])
    stats = body(get(api, "/v1/ops/stats?days=7"))
    today = stats["per_day"][0]
    assert today["day"] == NOW.date().isoformat() and today["requests"] == 5 and today["buyer_requests"] == 5
    assert today["reveals"] == 3 and today["reveals_withheld"] == 1 and today["per_primary_channel"]["chat"] == 5
    assert today["answered"] == 1 and today["channel_chosen"] == 1 and today["deflection_rate"] == 0.5
    assert stats["totals"]["requests"] == 5 and len(stats["per_day"]) == 7
    deflection = body(get(api, "/v1/ops/deflection?days=30"))
    delivery = next(row for row in deflection["per_topic"] if row["topic"] == "delivery")
    assert delivery == {**delivery, "requests": 5, "answered": 1, "not_answered": 2, "channel_chosen": 1, "deflection_rate": 0.5}
    assert deflection["weak_answers"] == [
        {"answer_id": "faq-b", "not_answered": 2, "answered": 0, "not_related": 2, "related_but_not_answered": 0},
    ]
    assert len(deflection["per_topic_day"]) == 30 * 6


def test_a_redelivered_event_is_counted_once(api: Any) -> None:
    from chalicelib import wiring

    event = request_event(1)
    assert wiring.ingest_store().ingest(event) and not wiring.ingest_store().ingest(event)
    assert body(get(api, "/v1/ops/stats?days=1"))["totals"]["requests"] == 1


def test_conversation_figures_and_a_sellers_replies_come_from_the_conversation_roll_up(api: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from chalicelib import wiring

    monkeypatch.setattr(wiring.conversation_service(), "_clock", lambda: NOW)
    monkeypatch.setattr(wiring.operations_service(), "_clock", lambda: NOW)
    buyer = bearer("buyer", "buyer-c")
    start = {"seller_id": "demo-chat", "topic": "product_question", "text": "Write to me at someone@mail.example"}
    started = api.http.post("/v1/conversations", body=json.dumps(start).encode(), headers={**JSON, **buyer})
    assert started.status_code == 201, started.body
    cid = body(started)["conversation_id"]
    other = api.http.post("/v1/conversations", body=json.dumps({**start, "text": "Hello"}).encode(), headers={**JSON, **bearer("buyer", "buyer-d")})
    figures = body(get(api, "/v1/ops/stats?days=1"))
    assert figures["conversations"]["waiting_seller"] == 2 and figures["conversations"]["escalated"] == 0
    assert figures["conversations"]["oldest_waiting_seller_since"] == NOW.replace(minute=0, second=0).isoformat().replace("+00:00", "Z")
    today = figures["conversations_per_day"][0]
    assert today["started"] == 2 and today["messages"] == 2 and today["messages_redacted"] == 1 and today["removed"]["email"] == 1

    reply = api.http.post(f"/v1/conversations/{cid}/messages", body=json.dumps({"text": "On its way"}).encode(),
                          headers={**JSON, **seller_token("demo-chat")})
    assert reply.status_code == 201, reply.body
    escalated = api.http.post(f"/v1/conversations/{body(other)['conversation_id']}/escalate", headers=bearer("buyer", "buyer-d"))
    assert escalated.status_code == 200, escalated.body
    now = body(get(api, "/v1/ops/stats?days=1"))["conversations"]
    assert (now["waiting_seller"], now["waiting_buyer"], now["escalated"]) == (0, 1, 1)
    assert now["oldest_waiting_seller_since"] is None and now["replies_at_risk"] == 0
    replies = body(get(api, "/v1/sellers/demo-chat/replies", ADMIN))
    assert replies["last_7_days"]["replies"] == 1 and replies["last_7_days"]["on_time_share"] == 1.0
    assert replies["last_30_days"]["median_reply_hours"] is None  # below the measured minimum of replies


def test_settings_history_newest_first(api: Any) -> None:
    ingest([
        SettingsChangedEvent(occurred_at=NOW - timedelta(hours=n), request_id="r", seller_id="demo-chat", changed_by="owner",
                             old_version=n, new_version=n + 1, changed_channels=["chat"], enabled_channels=["chat"])
        for n in range(3)
    ])
    page = body(get(api, "/v1/sellers/demo-chat/settings/history?limit=2"))
    assert [change["new_version"] for change in page["items"]] == [1, 2] and page["next_cursor"]
    rest = body(get(api, f"/v1/sellers/demo-chat/settings/history?limit=2&cursor={page['next_cursor']}", ADMIN))
    assert [change["new_version"] for change in rest["items"]] == [3] and rest["next_cursor"] is None


def test_an_admin_reads_a_sellers_settings_but_cannot_change_them(api: Any) -> None:
    settings = get(api, "/v1/sellers/demo-chat/channels", ADMIN)
    assert settings.status_code == 200 and body(settings)["chat"]["enabled"] is True
    change = api.http.patch("/v1/sellers/demo-chat/channels", body=b'{"chat": {"enabled": false}}',
                            headers={**JSON, **ADMIN, "If-Match": '"1"'})
    assert change.status_code == 403 and body(change)["error"]["code"] == "wrong_role"


def test_queues_for_admins(api: Any, aws: dict[str, str]) -> None:
    from chalicelib.shared.aws import client

    client("sqs").send_message(QueueUrl=aws["dlq_url"], MessageBody="{}")
    queues = body(get(api, "/v1/ops/queues", ADMIN))
    assert queues["dlq"]["visible"] == 1 and queues["dlq"]["name"] == "support-contact-requests-dlq"
    assert queues["queue"]["name"] == "support-contact-requests" and "contact-support dlq --redrive" in queues["commands"]
    refused = get(api, "/v1/ops/queues")  # support: the queue view is the admins'
    assert refused.status_code == 403 and body(refused)["error"]["code"] == "wrong_role"


@pytest.mark.parametrize(
    "path",
    ["/v1/ops/requests", "/v1/ops/stats", "/v1/ops/deflection", "/v1/sellers/demo-chat/settings/history",
     "/v1/sellers/demo-chat/replies", "/v1/ops/queues"],
)
@pytest.mark.parametrize("token", [BUYER, seller_token("demo-chat")], ids=["buyer", "seller"])
def test_buyers_and_sellers_are_refused(api: Any, path: str, token: dict[str, str]) -> None:
    response = get(api, path, token)
    assert response.status_code == 403 and body(response)["error"]["code"] == "wrong_role"


@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("/v1/ops/stats?days=0", "invalid_days"), ("/v1/ops/stats?days=31", "invalid_days"), ("/v1/ops/stats?days=x", "invalid_days"),
        ("/v1/ops/stats?days=" + "9" * 5000, "invalid_days"), ("/v1/ops/deflection?top=51", "invalid_top"),
        ("/v1/ops/requests?cursor=%21%21", "invalid_cursor"), ("/v1/ops/requests?cursor=bm90IGEgY3Vyc29y", "invalid_cursor"),
        ("/v1/ops/requests?day=2020-01-01", "invalid_day"), ("/v1/ops/requests?day=tomorrow", "invalid_day"), ("/v1/ops/requests?day=", "invalid_day"),
        ("/v1/ops/requests?topic=nope", "invalid_topic"), ("/v1/ops/requests?limit=0", "invalid_limit"),
        ("/v1/ops/requests?seller_id=..%2f", "invalid_seller_id"), ("/v1/ops/requests?limit=1&limit=2", "repeated_parameter"),
        ("/v1/sellers/demo-chat/settings/history?cursor=bm90IGEgY3Vyc29y", "invalid_cursor"),
    ],
)
def test_bad_parameters_are_400_in_the_error_shape(api: Any, path: str, code: str) -> None:
    response = get(api, path)
    assert response.status_code == 400, (path, response.body)
    error = body(response)["error"]
    assert error["code"] == code and error["message"] and "details" in error

"""The daily reveal limit through the API and the ingest's tally: withheld contacts, RateLimit headers, the day's edge."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from chalicelib import wiring
from chalicelib.models.events import ContactRequestEvent
from chalicelib.models.policy import MAX_REVEALS_PER_DAY
from chalicelib.shared.aws import client, resolution_client
from tests.calls import body, offered, put_policy, resolve_as, seed_tally, send, shown, sqs_event, stored
from tests.conftest import SUPPORT, bearer, drain_queue, log_lines
from tests.fakes import FakeHttpResponse, inject


def test_over_the_limit_primary_is_never_a_withheld_email(api: Any) -> None:
    from tests.calls import put_policy

    assert put_policy(api, {"limits": {"contact_reveals_per_buyer_per_day": 1}}).status_code == 200
    buyer = {**bearer("buyer", "buyer-primary"), "Content-Type": "application/json"}
    payload = {"seller_ids": ["demo-chat", "demo-email"], "topic": "product_question"}
    first, second = body(send(api, "POST", "/v1/contact-options/batch", payload, buyer))["results"]
    assert first["primary"]["contact"] == "app://chat/seller/demo-chat"
    [email] = [o for o in second["options"] if o["channel"] == "email"]
    assert email["contact"] is None and email["reason"] == "contact_limit_reached" and email["available_now"] is False
    assert second["primary"]["channel"] == "support" and second["primary"]["contact"] is not None


# Five sellers whose e-mail or phone a buyer would be shown (demo-none and unknown ids reveal nothing).
REVEALING = ["demo-chat", "demo-email", "demo-phone", "shop-4", "shop-5"]


def ingest_queue(api: Any, aws: dict[str, str]) -> list[dict[str, Any]]:
    """What the poller would do: hand every queued event to support_ingest."""
    bodies = [m["body"] for m in drain_queue(aws["queue_url"])]
    if bodies:
        assert api.lambda_.invoke("support_ingest", sqs_event(api, [json.dumps(b) for b in bodies])).payload == {"batchItemFailures": []}
    return bodies


def tally(buyer_id: str) -> set[str]:
    day = datetime.now(UTC).date().isoformat()
    item = client("dynamodb").get_item(
        TableName="support-requests", Key={"pk": {"S": f"REVEALS#{buyer_id}"}, "sk": {"S": f"DAY#{day}"}}
    ).get("Item", {})
    return set(item.get("sellers", {}).get("SS", []))


def test_the_consumer_counts_a_seller_once_under_redelivery_and_repeat_visits(limit_2: Any, aws: dict[str, str]) -> None:
    buyer = bearer("buyer", "buyer-redelivery")
    for _ in range(2):
        assert resolve_as(limit_2, "demo-email", buyer).status_code == 200
    bodies = [m["body"] for m in drain_queue(aws["queue_url"]) if m["body"]["type"] == "contact_request"]
    assert [b["revealed"] for b in bodies] == [["email"], ["email"]]
    records = [json.dumps(b) for b in bodies]
    for _delivery in range(2):  # the same two messages delivered twice
        assert limit_2.lambda_.invoke("support_ingest", sqs_event(limit_2, records)).payload == {"batchItemFailures": []}
    assert tally("buyer-redelivery") == {"demo-email"}


def test_the_api_withholds_once_the_count_crosses_n(limit_2: Any, aws: dict[str, str]) -> None:
    buyer = bearer("buyer", "buyer-crossing")
    for seller_id in ("demo-chat", "demo-email"):
        response = resolve_as(limit_2, seller_id, buyer)
        assert all(shown(json.loads(response.body)).values())
    ingest_queue(limit_2, aws)
    assert tally("buyer-crossing") == {"demo-chat", "demo-email"}

    third = resolve_as(limit_2, "demo-phone", buyer)
    result = json.loads(third.body)
    [phone] = [o for o in result["options"] if o["channel"] == "phone"]
    assert phone["contact"] is None and phone["reason"] == "contact_limit_reached"
    reset = datetime.fromisoformat(phone["available_again_at"].replace("Z", "+00:00"))
    assert reset > datetime.now(UTC) and (reset.hour, reset.minute, reset.second) == (0, 0, 0)  # the next UTC midnight
    assert offered(result)[-1] == "support"
    assert third.headers["RateLimit"].startswith('"reveals";r=0;') and third.headers["RateLimit-Policy"] == '"reveals";q=2;w=86400'
    [event] = [m["body"] for m in drain_queue(aws["queue_url"])]
    assert event["revealed"] == [] and ContactRequestEvent.model_validate(event).revealed == []

    again = json.loads(resolve_as(limit_2, "demo-chat", buyer).body)  # revealed earlier today: shown again
    assert shown(again) == {"email": "demo-chat@example.com"} and offered(again)[0] == "chat"


def test_one_batch_never_reveals_more_than_the_allowance(limit_2: Any) -> None:
    payload = json.dumps({"seller_ids": REVEALING, "topic": "product_question"}).encode()
    headers = {**bearer("buyer", "buyer-batch"), "Content-Type": "application/json"}
    response = limit_2.http.post("/v1/contact-options/batch", headers=headers, body=payload)
    results = json.loads(response.body)["results"]
    revealed = [r["seller_id"] for r in results if any(shown(r).values())]
    assert revealed == ["demo-chat", "demo-email"]  # in request order, then the allowance is spent
    for result in results[2:]:
        assert set(shown(result).values()) == {None}
    assert response.headers["RateLimit"].startswith('"reveals";r=0;')


def test_support_is_never_limited_and_a_limit_of_0_means_none(limit_2: Any) -> None:
    payload = json.dumps({"seller_ids": REVEALING}).encode()
    response = limit_2.http.post("/v1/contact-options/batch", headers={**SUPPORT, "Content-Type": "application/json"}, body=payload)
    assert all(all(shown(r).values()) for r in json.loads(response.body)["results"])
    assert "RateLimit" not in response.headers

    assert put_policy(limit_2, {"limits": {"contact_reveals_per_buyer_per_day": 0}}, if_match='"1"').status_code == 200
    buyer = {**bearer("buyer", "buyer-unlimited"), "Content-Type": "application/json"}
    response = limit_2.http.post("/v1/contact-options/batch", headers=buyer, body=payload)
    assert all(all(shown(r).values()) for r in json.loads(response.body)["results"])
    assert "RateLimit" not in response.headers


def test_single_resolution_headers_count_down(limit_2: Any) -> None:
    response = resolve_as(limit_2, "demo-email", bearer("buyer", "buyer-headers"))
    assert response.headers["RateLimit"].startswith('"reveals";r=1;')  # this answer revealed one of two
    assert resolve_as(limit_2, "demo-none", bearer("buyer", "buyer-headers")).headers["RateLimit"].startswith('"reveals";r=2;')


def test_the_tally_rides_in_the_settings_batch_get_n_sellers_take_ceil_n_plus_1_over_100_calls() -> None:
    from chalicelib.contacts.tally import DynamoRevealTally
    from chalicelib.sellers.store import DynamoSettingsStore
    from tests.fakes import ScriptedClient

    day = datetime(2026, 11, 26, tzinfo=UTC).date()
    tally_item = {"pk": {"S": "REVEALS#b"}, "sk": {"S": "DAY#2026-11-26"}, "sellers": {"SS": ["s1", "s7"]}}
    for sellers, calls in ((1, 1), (99, 1), (100, 2), (199, 2)):
        fake = ScriptedClient(batch_get_item=[{"Responses": {"t": [], "tally": [tally_item]}}] + [{"Responses": {"t": []}}] * 2)
        store = DynamoRevealTally(DynamoSettingsStore(fake, "t"), "tally")
        found, unavailable, revealed = store.get_with_reveals([f"s{i}" for i in range(sellers)], "b", day)
        assert revealed == {"s1", "s7"} and found == {} and unavailable == set()
        sizes = sorted(sum(len(v["Keys"]) for v in kwargs["RequestItems"].values()) for _op, kwargs in fake.calls)
        assert len(fake.calls) == calls and sum(sizes) == sellers + 1 and max(sizes) <= 100
        assert sum("tally" in kwargs["RequestItems"] for _op, kwargs in fake.calls) == 1


BEFORE_MIDNIGHT = datetime(2026, 11, 27, 23, 59, 59, 995000, tzinfo=UTC)


AFTER_MIDNIGHT = datetime(2026, 11, 28, 0, 0, 0, 5000, tzinfo=UTC)


def clock_crossing_midnight() -> Iterator[datetime]:
    """The first reading a few ms before UTC midnight, every later one just after it."""
    yield BEFORE_MIDNIGHT
    while True:
        yield AFTER_MIDNIGHT


def test_a_request_just_before_midnight_is_answered_for_that_day(limit_2: Any, monkeypatch: Any) -> None:
    """Was: the tally's day from one clock reading, the reset from a later one: withheld until the day after tomorrow."""
    readings = clock_crossing_midnight()
    monkeypatch.setattr(wiring.resolution_service(), "_clock", lambda: next(readings))
    seed_tally("midnight-1", "2026-11-27", ["demo-chat", "demo-email"])  # the 27th's allowance is spent

    response = resolve_as(limit_2, "shop-4", bearer("buyer", "midnight-1"))
    [email] = [o for o in json.loads(response.body)["options"] if o["channel"] == "email"]
    assert email["reason"] == "contact_limit_reached"
    assert email["available_again_at"] == "2026-11-28T00:00:00Z"
    assert response.headers["RateLimit"] == '"reveals";r=0;t=1'


def test_a_batch_just_before_midnight_is_answered_for_that_day(limit_2: Any, monkeypatch: Any) -> None:
    readings = clock_crossing_midnight()
    monkeypatch.setattr(wiring.resolution_service(), "_clock", lambda: next(readings))
    seed_tally("midnight-2", "2026-11-27", ["demo-chat", "demo-email"])
    payload = json.dumps({"seller_ids": ["demo-phone", "shop-4"], "topic": "product_question"}).encode()
    headers = {**bearer("buyer", "midnight-2"), "Content-Type": "application/json"}
    response = limit_2.http.post("/v1/contact-options/batch", headers=headers, body=payload)
    results = json.loads(response.body)["results"]
    withheld = [o for r in results for o in r["options"] if o["channel"] in ("email", "phone")]
    assert {o["available_again_at"] for o in withheld} == {"2026-11-28T00:00:00Z"}
    assert {r["resolved_at"] for r in results} == {"2026-11-27T23:59:59.995000Z"}
    assert response.headers["RateLimit"] == '"reveals";r=0;t=1'


def test_the_withheld_contact_hint_names_chat_only_when_chat_is_offered(limit_2: Any) -> None:
    """Was: "chat and support remain open" under a withheld e-mail of a seller who offers no chat."""
    seed_tally("over-limit", datetime.now(UTC).date().isoformat(), ["shop-4", "shop-5"])
    buyer = {**bearer("buyer", "over-limit"), "Accept-Language": "en"}
    hints = {}
    for seller_id in ("demo-email", "demo-chat"):  # e-mail only; chat + e-mail
        options = json.loads(resolve_as(limit_2, seller_id, buyer).body)["options"]
        [email] = [o for o in options if o["channel"] == "email"]
        assert email["reason"] == "contact_limit_reached"
        hints[seller_id] = email["hint"]
    assert "chat" not in hints["demo-email"] and "support remains open" in hints["demo-email"]
    assert "chat and support remain open" in hints["demo-chat"]


def test_an_unreadable_tally_does_not_cost_buyers_the_sellers_channels(limit_2: Any, capsys: Any) -> None:
    """Was: the tally's table failing failed the one BatchGetItem it shares with the settings: support only, degraded."""
    client("dynamodb").delete_table(TableName="support-requests")
    capsys.readouterr()
    response = resolve_as(limit_2, "demo-chat", bearer("buyer", "tally-gone"))
    result = json.loads(response.body)
    assert result["degraded"] is False
    assert [o["channel"] for o in result["options"]] == ["chat", "email", "support"]
    assert shown(result) == {"email": "demo-chat@example.com"}  # not blocked by our outage; one request still capped
    messages = [line["msg"] for line in log_lines(capsys.readouterr().out)]
    assert "reveal_tally_unavailable" in messages and "settings_batch_get_failed" not in messages


def contact_events(aws: dict[str, str]) -> list[str]:
    return [json.dumps(m["body"]) for m in drain_queue(aws["queue_url"]) if m["body"]["type"] == "contact_request"]


def test_support_lookups_are_not_tallied(limit_2: Any, aws: dict[str, str]) -> None:
    """Was: support's lookups filled a tally no one reads (support is never limited), up to the item size limit."""
    for seller_id in ("demo-chat", "demo-email"):
        assert resolve_as(limit_2, seller_id, SUPPORT).status_code == 200
    bodies = contact_events(aws)
    assert [json.loads(b)["revealed"] for b in bodies] == [["email"], ["email"]]  # the event still says what was shown
    assert limit_2.lambda_.invoke("support_ingest", sqs_event(limit_2, bodies)).payload == {"batchItemFailures": []}
    assert tally("agent-1") == set()


def test_a_full_tally_never_costs_support_the_record(limit_2: Any, aws: dict[str, str], capsys: Any) -> None:
    """Was: the tally was in the event's transaction; past DynamoDB's 400 KB item size every event of that buyer
    failed, was retried and dead-lettered. The tally now stops at MAX_REVEALS_PER_DAY, outside the transaction."""
    today = datetime.now(UTC).date().isoformat()
    seed_tally("harvester", today, [f"seller-{i:04d}-{'x' * 50}" for i in range(MAX_REVEALS_PER_DAY)])
    # With no limit set the API reveals and the ingest still counts (a limit set later that day applies at once).
    assert put_policy(limit_2, {"limits": {"contact_reveals_per_buyer_per_day": 0}}, if_match='"1"').status_code == 200
    assert shown(json.loads(resolve_as(limit_2, "shop-4", bearer("buyer", "harvester")).body)) == {"email": "shop-4@example.com"}
    bodies = contact_events(aws)
    capsys.readouterr()
    assert limit_2.lambda_.invoke("support_ingest", sqs_event(limit_2, bodies)).payload == {"batchItemFailures": []}
    assert len(stored("shop-4")) == 1
    assert len(tally("harvester")) == MAX_REVEALS_PER_DAY and "shop-4" not in tally("harvester")
    assert "reveal_tally_full" in [line["msg"] for line in log_lines(capsys.readouterr().out)]


def test_a_reveal_whose_count_failed_is_counted_on_redelivery(limit_2: Any, aws: dict[str, str]) -> None:
    """The tally update follows the transaction: a redelivery of a stored event still counts it (once)."""
    assert resolve_as(limit_2, "demo-email", bearer("buyer", "redelivered")).status_code == 200
    bodies = contact_events(aws)
    failed = {"n": 0}

    def fail_once(**_kwargs: Any) -> Any:
        if failed["n"] == 0:
            failed["n"] += 1
            return FakeHttpResponse(400), {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "x"}}
        return None

    client("dynamodb").meta.events.register("before-call.dynamodb.UpdateItem", fail_once)
    first = limit_2.lambda_.invoke("support_ingest", sqs_event(limit_2, bodies)).payload
    assert first == {"batchItemFailures": [{"itemIdentifier": "m0"}]} and tally("redelivered") == set()
    for _delivery in range(2):
        assert limit_2.lambda_.invoke("support_ingest", sqs_event(limit_2, bodies)).payload == {"batchItemFailures": []}
    assert tally("redelivered") == {"demo-email"} and len(stored("demo-email")) == 1


def test_a_limit_one_tally_cannot_hold_is_refused(limit_2: Any) -> None:
    too_many = {"limits": {"contact_reveals_per_buyer_per_day": MAX_REVEALS_PER_DAY + 1}}
    response = put_policy(limit_2, too_many, if_match='"1"')
    assert response.status_code == 400, response.body
    assert put_policy(limit_2, {"limits": {"contact_reveals_per_buyer_per_day": MAX_REVEALS_PER_DAY}}, if_match='"1"').status_code == 200


def test_a_throttled_seller_table_is_read_once_and_not_blamed_on_the_tally(limit_2: Any, capsys: Any) -> None:
    """Was: any error on the shared read was retried without the tally (twice the calls on a throttled table, over
    the time budget for a slow error) and logged as reveal_tally_unavailable, which pages the wrong alarm."""
    calls = []  # counted before the injected fault answers (the first handler with a response ends the chain)
    resolution_client("dynamodb").meta.events.register("before-call.dynamodb.BatchGetItem", lambda **_: calls.append(1))
    inject("dynamodb", "BatchGetItem", "ProvisionedThroughputExceededException")
    capsys.readouterr()
    result = json.loads(resolve_as(limit_2, "demo-chat", bearer("buyer", "throttled")).body)
    assert result["degraded"] is True and len(calls) == 1
    messages = [line["msg"] for line in log_lines(capsys.readouterr().out)]
    assert "settings_batch_get_failed" in messages and "reveal_tally_unavailable" not in messages

"""Review of the reveal limit (review5): each test failed before its fix."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from chalicelib import wiring
from chalicelib.models.policy import MAX_REVEALS_PER_DAY
from chalicelib.shared.aws import client, resolution_client
from tests.conftest import SUPPORT, bearer, drain_queue, log_lines
from tests.integration.test_faults import FakeHttpResponse, inject
from tests.integration.test_ingest import sqs_event, stored
from tests.integration.test_limits_api import resolve, shown, tally
from tests.integration.test_policy_api import ADMIN, put_policy, send

BEFORE_MIDNIGHT = datetime(2026, 11, 27, 23, 59, 59, 995000, tzinfo=UTC)
AFTER_MIDNIGHT = datetime(2026, 11, 28, 0, 0, 0, 5000, tzinfo=UTC)


def seed_tally(buyer_id: str, day: str, sellers: list[str]) -> None:
    item = {"pk": {"S": f"REVEALS#{buyer_id}"}, "sk": {"S": f"DAY#{day}"}, "sellers": {"SS": sellers}}
    client("dynamodb").put_item(TableName="support-requests", Item=item)


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

    response = resolve(limit_2, "shop-4", bearer("buyer", "midnight-1"))
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


def test_support_can_explain_any_buyer_a_token_may_name(limit_2: Any) -> None:
    """Was: a sub of 201-255 characters resolved fine, but support's explain refused it as buyer_id (max 200)."""
    buyer_id = "b" * 255
    assert resolve(limit_2, "demo-email", bearer("buyer", buyer_id)).status_code == 200
    response = limit_2.http.get(
        f"/v1/sellers/demo-email/contact-options?topic=product_question&explain=true&buyer_id={buyer_id}", headers=SUPPORT
    )
    assert response.status_code == 200, response.body
    assert json.loads(response.body)["explanation"]["buyer_id"] == buyer_id
    too_long = limit_2.http.get(
        f"/v1/sellers/demo-email/contact-options?explain=true&buyer_id={'b' * 256}", headers=SUPPORT
    )
    assert json.loads(too_long.body)["error"]["code"] == "invalid_buyer_id"


def test_the_withheld_contact_hint_names_chat_only_when_chat_is_offered(limit_2: Any) -> None:
    """Was: "chat and support remain open" under a withheld e-mail of a seller who offers no chat."""
    seed_tally("over-limit", datetime.now(UTC).date().isoformat(), ["shop-4", "shop-5"])
    buyer = {**bearer("buyer", "over-limit"), "Accept-Language": "en"}
    hints = {}
    for seller_id in ("demo-email", "demo-chat"):  # e-mail only; chat + e-mail
        options = json.loads(resolve(limit_2, seller_id, buyer).body)["options"]
        [email] = [o for o in options if o["channel"] == "email"]
        assert email["reason"] == "contact_limit_reached"
        hints[seller_id] = email["hint"]
    assert "chat" not in hints["demo-email"] and "support remains open" in hints["demo-email"]
    assert "chat and support remain open" in hints["demo-chat"]


def test_an_unreadable_tally_does_not_cost_buyers_the_sellers_channels(limit_2: Any, capsys: Any) -> None:
    """Was: the tally's table failing failed the one BatchGetItem it shares with the settings: support only, degraded."""
    client("dynamodb").delete_table(TableName="support-requests")
    capsys.readouterr()
    response = resolve(limit_2, "demo-chat", bearer("buyer", "tally-gone"))
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
        assert resolve(limit_2, seller_id, SUPPORT).status_code == 200
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
    assert shown(json.loads(resolve(limit_2, "shop-4", bearer("buyer", "harvester")).body)) == {"email": "shop-4@example.com"}
    bodies = contact_events(aws)
    capsys.readouterr()
    assert limit_2.lambda_.invoke("support_ingest", sqs_event(limit_2, bodies)).payload == {"batchItemFailures": []}
    assert len(stored("shop-4")) == 1
    assert len(tally("harvester")) == MAX_REVEALS_PER_DAY and "shop-4" not in tally("harvester")
    assert "reveal_tally_full" in [line["msg"] for line in log_lines(capsys.readouterr().out)]


def test_a_reveal_whose_count_failed_is_counted_on_redelivery(limit_2: Any, aws: dict[str, str]) -> None:
    """The tally update follows the transaction: a redelivery of a stored event still counts it (once)."""
    assert resolve(limit_2, "demo-email", bearer("buyer", "redelivered")).status_code == 200
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


def explain(api: Any, seller_id: str, buyer_id: str | None = None) -> dict[str, Any]:
    query = f"topic=product_question&explain=true{f'&buyer_id={buyer_id}' if buyer_id else ''}"
    response = api.http.get(f"/v1/sellers/{seller_id}/contact-options?{query}", headers=SUPPORT)
    assert response.status_code == 200, response.body
    result: dict[str, Any] = json.loads(response.body)
    return result


def test_explain_shows_support_what_the_limit_withholds_from_a_buyer(limit_2: Any) -> None:
    """Was: explain read no tally, so for a buyer over the limit it showed the e-mail the buyer could not see."""
    seed_tally("explained", datetime.now(UTC).date().isoformat(), ["shop-4", "shop-5"])
    seen_by_buyer = json.loads(resolve(limit_2, "demo-email", bearer("buyer", "explained")).body)
    explained = explain(limit_2, "demo-email", "explained")
    assert shown(explained) == shown(seen_by_buyer) == {"email": None}
    [layer] = [layer for layer in explained["explanation"]["layers"] if layer["layer"] == "reveal_limit"]
    assert layer["effect"] == "narrows" and "2 of 2 reveals used" in layer["detail"] and "email withheld" in layer["detail"]

    already_shown = explain(limit_2, "shop-4", "explained")  # counted today: shown again
    assert shown(already_shown) == {"email": "shop-4@example.com"}
    assert [layer["effect"] for layer in already_shown["explanation"]["layers"]][-1] == "none"


def test_explain_of_support_itself_is_not_limited(limit_2: Any) -> None:
    """Without buyer_id, or naming its own id (review6: that was limited), support explains itself: never limited."""
    seed_tally("agent-1", datetime.now(UTC).date().isoformat(), ["shop-4", "shop-5"])
    for buyer_id in (None, "agent-1"):
        explained = explain(limit_2, "demo-email", buyer_id)
        assert shown(explained) == {"email": "demo-email@example.com"}
        assert explained["explanation"]["layers"][-1]["layer"] == "reveal_limit"
        assert explained["explanation"]["layers"][-1]["effect"] == "none"


def test_the_served_contract_documents_the_ratelimit_headers(limit_2: Any) -> None:
    """Was: clients generated from /v1/openapi.json knew Cache-Control and Content-Language, not RateLimit."""
    paths = json.loads(limit_2.http.get("/v1/openapi.json").body)["paths"]
    for path, method in (("/v1/sellers/{seller_id}/contact-options", "get"), ("/v1/contact-options/batch", "post")):
        headers = paths[path][method]["responses"]["200"]["headers"]
        assert {"RateLimit", "RateLimit-Policy"} <= set(headers), path


# ---------------------------------------------------------------- second review (review6) of the fixes above


def test_a_limit_stored_by_the_release_before_the_maximum_still_reads(limit_2: Any) -> None:
    """Was: lowering the maximum to 1,000 made a stored 5,000 invalid: every resolution degraded to the built-in
    default (chat back on) and the admin's GET and PUT answered 503. It reads now, acting as 1,000."""
    table, key = "platform-policy", {"policy_id": {"S": "platform"}}
    item = client("dynamodb").get_item(TableName=table, Key=key)["Item"]
    document = json.loads(item["document"]["S"])
    document["limits"]["contact_reveals_per_buyer_per_day"] = 5000  # what the release before accepted
    document["channels"]["chat"]["enabled"] = False
    client("dynamodb").put_item(TableName=table, Item={**item, "document": {"S": json.dumps(document)}})
    wiring.reset()

    response = resolve(limit_2, "demo-chat", bearer("buyer", "old-policy"))
    result = json.loads(response.body)
    assert result["degraded"] is False and result["policy_version"] == 1
    assert "chat" not in [o["channel"] for o in result["options"]]  # the admin's switch, not the default
    assert response.headers["RateLimit-Policy"] == '"reveals";q=1000;w=86400'
    # The admin's GET shows the limit in force (review7, D: it showed 5000, and a PUT of that body was refused).
    stored = limit_2.http.get("/v1/platform/policy", headers=ADMIN)
    assert stored.status_code == 200 and json.loads(stored.body)["limits"]["contact_reveals_per_buyer_per_day"] == 1000
    sent_back = send(limit_2, "PUT", "/v1/platform/policy", json.loads(stored.body), {**ADMIN, "If-Match": stored.headers["ETag"]})
    assert sent_back.status_code == 200, sent_back.body


def test_a_throttled_seller_table_is_read_once_and_not_blamed_on_the_tally(limit_2: Any, capsys: Any) -> None:
    """Was: any error on the shared read was retried without the tally (twice the calls on a throttled table, over
    the time budget for a slow error) and logged as reveal_tally_unavailable, which pages the wrong alarm."""
    calls = []  # counted before the injected fault answers (the first handler with a response ends the chain)
    resolution_client("dynamodb").meta.events.register("before-call.dynamodb.BatchGetItem", lambda **_: calls.append(1))
    inject("dynamodb", "BatchGetItem", "ProvisionedThroughputExceededException")
    capsys.readouterr()
    result = json.loads(resolve(limit_2, "demo-chat", bearer("buyer", "throttled")).body)
    assert result["degraded"] is True and len(calls) == 1
    messages = [line["msg"] for line in log_lines(capsys.readouterr().out)]
    assert "settings_batch_get_failed" in messages and "reveal_tally_unavailable" not in messages


def test_explain_says_when_the_buyers_tally_could_not_be_read(limit_2: Any) -> None:
    """Was: "0 of 2 reveals used" for a buyer who had used 2 of 2, when the tally's table could not be read."""
    seed_tally("unreadable", datetime.now(UTC).date().isoformat(), ["shop-4", "shop-5"])
    client("dynamodb").delete_table(TableName="support-requests")
    [layer] = [layer for layer in explain(limit_2, "demo-email", "unreadable")["explanation"]["layers"] if layer["layer"] == "reveal_limit"]
    assert "could not be read" in layer["detail"] and "0 of 2 reveals used" not in layer["detail"]

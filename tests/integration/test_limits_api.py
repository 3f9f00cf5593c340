"""The daily reveal limit through chalice.test.Client and the support ingest on in-process moto."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from chalicelib.models.events import ContactRequestEvent
from chalicelib.shared.aws import client
from tests.conftest import SUPPORT, bearer, drain_queue
from tests.integration.test_ingest import sqs_event
from tests.integration.test_policy_api import offered, put_policy

# Five sellers whose e-mail or phone a buyer would be shown (demo-none and unknown ids reveal nothing).
REVEALING = ["demo-chat", "demo-email", "demo-phone", "shop-4", "shop-5"]


def resolve(api: Any, seller_id: str, headers: dict[str, str]) -> Any:
    return api.http.get(f"/v1/sellers/{seller_id}/contact-options?topic=product_question", headers=headers)


def shown(result: dict[str, Any]) -> dict[str, str | None]:
    return {o["channel"]: o["contact"] for o in result["options"] if o["channel"] in ("email", "phone")}


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
        assert resolve(limit_2, "demo-email", buyer).status_code == 200
    bodies = [m["body"] for m in drain_queue(aws["queue_url"]) if m["body"]["type"] == "contact_request"]
    assert [b["revealed"] for b in bodies] == [["email"], ["email"]]
    records = [json.dumps(b) for b in bodies]
    for _delivery in range(2):  # the same two messages delivered twice
        assert limit_2.lambda_.invoke("support_ingest", sqs_event(limit_2, records)).payload == {"batchItemFailures": []}
    assert tally("buyer-redelivery") == {"demo-email"}


def test_the_api_withholds_once_the_count_crosses_n(limit_2: Any, aws: dict[str, str]) -> None:
    buyer = bearer("buyer", "buyer-crossing")
    for seller_id in ("demo-chat", "demo-email"):
        response = resolve(limit_2, seller_id, buyer)
        assert all(shown(json.loads(response.body)).values())
    ingest_queue(limit_2, aws)
    assert tally("buyer-crossing") == {"demo-chat", "demo-email"}

    third = resolve(limit_2, "demo-phone", buyer)
    result = json.loads(third.body)
    [phone] = [o for o in result["options"] if o["channel"] == "phone"]
    assert phone["contact"] is None and phone["reason"] == "contact_limit_reached"
    reset = datetime.fromisoformat(phone["available_again_at"].replace("Z", "+00:00"))
    assert reset > datetime.now(UTC) and (reset.hour, reset.minute, reset.second) == (0, 0, 0)  # the next UTC midnight
    assert offered(result)[-1] == "support"
    assert third.headers["RateLimit"].startswith('"reveals";r=0;') and third.headers["RateLimit-Policy"] == '"reveals";q=2;w=86400'
    [event] = [m["body"] for m in drain_queue(aws["queue_url"])]
    assert event["revealed"] == [] and ContactRequestEvent.model_validate(event).revealed == []

    again = json.loads(resolve(limit_2, "demo-chat", buyer).body)  # revealed earlier today: shown again
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
    response = resolve(limit_2, "demo-email", bearer("buyer", "buyer-headers"))
    assert response.headers["RateLimit"].startswith('"reveals";r=1;')  # this answer revealed one of two
    assert resolve(limit_2, "demo-none", bearer("buyer", "buyer-headers")).headers["RateLimit"].startswith('"reveals";r=2;')


def test_the_tally_rides_in_the_settings_batch_get_n_sellers_take_ceil_n_plus_1_over_100_calls() -> None:
    from chalicelib.contacts.tally import DynamoRevealTally
    from chalicelib.sellers.store import DynamoSettingsStore
    from tests.integration.test_faults import ScriptedClient

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

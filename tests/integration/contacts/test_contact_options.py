"""GET /v1/sellers/{seller_id}/contact-options and the batch: what each seller offers, in which order, with one event each."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelib.models.events import ContactRequestEvent
from chalicelib.sellers.store import to_item
from tests.calls import PHONE, assert_error, body, get, put_policy, put_raw_item, send
from tests.conftest import BUYER, SUPPORT, drain_queue


@pytest.mark.parametrize(
    ("seller_id", "topic", "first", "channels"),
    [
        ("demo-chat", "product_question", "chat", ["chat", "email", "support"]),
        ("demo-email", "order_status", "email", ["email", "support"]),
        ("demo-none", "other", "support", ["support"]),
        ("demo-chat", "payment", "support", ["support", "chat", "email"]),
    ],
)
def test_demo_sellers_first_channel(api: Any, aws: dict[str, str], seller_id: str, topic: str, first: str, channels: list[str]) -> None:
    response = get(api, f"/v1/sellers/{seller_id}/contact-options?topic={topic}")
    assert response.status_code == 200
    result = body(response)
    assert result["primary"]["channel"] == first == result["options"][0]["channel"]
    assert [o["channel"] for o in result["options"]] == channels
    assert result["seller_id"] == seller_id and result["topic"] == topic and result["degraded"] is False
    assert result["request_id"] and result["resolved_at"]

    [event] = drain_queue(aws["queue_url"])
    parsed = ContactRequestEvent.model_validate(event["body"])
    assert (parsed.seller_id, parsed.topic, parsed.primary_channel) == (seller_id, topic, first)
    assert parsed.offered == channels and parsed.buyer_id == "buyer-1" and parsed.request_id == result["request_id"]
    assert event["attributes"]["topic"]["StringValue"] == topic
    assert event["attributes"]["primary_channel"]["StringValue"] == first
    assert event["attributes"]["schema_version"]["StringValue"] == "1"


def test_topic_defaults_to_other(api: Any) -> None:
    assert body(get(api, "/v1/sellers/demo-email/contact-options"))["topic"] == "other"


def test_unknown_seller_gets_support_only(api: Any) -> None:
    result = body(get(api, "/v1/sellers/never-registered/contact-options"))
    assert [o["channel"] for o in result["options"]] == ["support"]
    assert result["primary"]["reason"] == "seller_settings_missing"


def test_support_role_may_resolve_too(api: Any) -> None:
    assert get(api, "/v1/sellers/demo-chat/contact-options", SUPPORT).status_code == 200


def test_event_carries_no_contact_values(api: Any, aws: dict[str, str]) -> None:
    get(api, "/v1/sellers/demo-chat/contact-options")
    [event] = drain_queue(aws["queue_url"])
    assert "@" not in json.dumps(event) and "example.com" not in json.dumps(event)


def test_batch_answers_in_request_order_with_one_event_each(api: Any, aws: dict[str, str]) -> None:
    ids = ["demo-none", "demo-chat", "ghost", "demo-email"]
    response = send(api, "POST", "/v1/contact-options/batch", {"seller_ids": ids, "topic": "delivery"}, BUYER)
    assert response.status_code == 200
    results = body(response)["results"]
    assert [r["seller_id"] for r in results] == ids
    assert all(r["primary"]["channel"] == "support" for r in results)  # delivery is a platform topic
    assert [r["options"][0]["reason"] for r in results] == [
        "seller_has_no_channels", "platform_topic", "seller_settings_missing", "platform_topic",
    ]
    events = [ContactRequestEvent.model_validate(e["body"]) for e in drain_queue(aws["queue_url"])]
    assert sorted(e.seller_id for e in events) == sorted(ids)


def test_batch_of_100_sellers(api: Any, aws: dict[str, str]) -> None:
    ids = [f"seller-{i}" for i in range(98)] + ["demo-chat", "demo-email"]
    response = send(api, "POST", "/v1/contact-options/batch", {"seller_ids": ids}, BUYER)
    assert response.status_code == 200 and len(body(response)["results"]) == 100
    assert len(drain_queue(aws["queue_url"])) == 100


@pytest.mark.parametrize("seller_id", ["-bad", "a" * 65, "%C3%A4", "a%20b", "a%0Ab"])
def test_malformed_seller_id_is_400(api: Any, seller_id: str) -> None:
    assert_error(get(api, f"/v1/sellers/{seller_id}/contact-options"), 400, "invalid_seller_id")


def test_unknown_topic_is_400(api: Any) -> None:
    error = assert_error(get(api, "/v1/sellers/demo-chat/contact-options?topic=gossip"), 400, "invalid_topic")
    assert "delivery" in error["details"]["allowed"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"seller_ids": []}, "seller_ids"),
        ({"seller_ids": ["a", "a"]}, "seller_ids"),
        ({"seller_ids": [f"s{i}" for i in range(101)]}, "seller_ids"),
        ({"seller_ids": ["ok", "not ok"]}, "seller_ids.1"),
        ({"seller_ids": ["ok"], "topic": "gossip"}, "topic"),
        ({"seller_ids": ["ok"], "extra": 1}, "extra"),
    ],
)
def test_bad_batch_bodies_are_400_with_field_paths(api: Any, payload: Any, field: str) -> None:
    error = assert_error(send(api, "POST", "/v1/contact-options/batch", payload, BUYER), 400, "validation_error")
    assert field in {d["field"] for d in error["details"]}


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/v1/sellers/demo-chat/contact-options?explain=true&explain=false", "explain"),
        ("/v1/sellers/demo-chat/contact-options?topic=delivery&topic=payment", "topic"),
        ("/v1/sellers/demo-chat/contact-options?lang=en&lang=ru", "lang"),
        ("/v1/sellers/demo-chat/contact-options?q=size&q=warranty", "q"),
        ("/v1/answers?owner=platform&owner=demo-chat", "owner"),
        ("/v1/answers?limit=1&limit=100", "limit"),
    ],
)
def test_a_parameter_given_twice_is_refused(api: Any, aws: dict[str, str], path: str, field: str) -> None:
    """Was: the last one won, so `explain=true&explain=false` became a buyer's lookup that sent a contact event."""
    from tests.conftest import drain_queue

    drain_queue(aws["queue_url"])
    response = api.http.get(path, headers=SUPPORT)
    assert assert_error(response, 400, "repeated_parameter")["details"] == {"field": field}
    assert drain_queue(aws["queue_url"]) == []


def test_empty_and_unknown_parameters_keep_their_meaning(api: Any) -> None:
    assert_error(api.http.get("/v1/sellers/demo-chat/contact-options?topic=", headers=BUYER), 400, "invalid_topic")
    assert_error(api.http.get("/v1/sellers/demo-chat/contact-options?explain=", headers=SUPPORT), 400, "invalid_explain")
    assert api.http.get("/v1/sellers/demo-chat/contact-options?utm=a&utm=b", headers=BUYER).status_code == 200


def test_a_support_first_topic_beyond_the_platform_ones_gets_a_hint_that_fits_it(api: Any) -> None:
    """Was: a product question routed support first was told "Delivery, refunds and payments are handled by support"."""
    assert put_policy(api, {"topics": {"product_question": "support_first"}}).status_code == 200
    for lang, hint in [("en", "Platform support handles this topic first"), ("ru", "Этим вопросом в первую очередь занимается поддержка площадки")]:
        response = api.http.get(f"/v1/sellers/demo-chat/contact-options?topic=product_question&lang={lang}", headers=BUYER)
        support = json.loads(response.body)["options"][0]
        assert (support["channel"], support["reason"], support["hint"]) == ("support", "platform_topic", hint)


def stored_item(seller_id: str, **channels: Any) -> dict[str, Any]:
    from datetime import UTC, datetime

    from chalicelib.models.settings import SellerSettings

    settings = SellerSettings.model_validate(
        {"seller_id": seller_id, "version": 1, "updated_at": datetime(2026, 11, 26, tzinfo=UTC), "updated_by": "o", **channels}
    )
    return to_item(settings)


def test_stored_hours_that_break_ranking_degrade_only_their_seller(api: Any, aws: dict[str, str]) -> None:
    """An item with a zone tzdata lacks (stored before zone checks, or by hand) parses but cannot be ranked."""
    item = stored_item("poison-2", phone={**PHONE, "number": "+49301234567"})
    item["phone"]["M"]["hours"] = {"M": {"timezone": {"S": "Europe"}, "weekly": {"M": {"mon": {"L": [{"S": "09:00-18:00"}]}}}}}
    put_raw_item(item)

    single = get(api, "/v1/sellers/poison-2/contact-options")
    assert single.status_code == 200
    assert body(single)["degraded"] is True and body(single)["primary"]["reason"] == "settings_unavailable"
    batch = send(api, "POST", "/v1/contact-options/batch", {"seller_ids": ["poison-2", "demo-chat"]}, BUYER)
    assert batch.status_code == 200
    assert [(r["seller_id"], r["degraded"]) for r in body(batch)["results"]] == [("poison-2", True), ("demo-chat", False)]
    assert len(drain_queue(aws["queue_url"])) == 3  # every seller's support event is still sent


def test_batch_takes_json_types_only(api: Any) -> None:
    assert_error(send(api, "POST", "/v1/contact-options/batch", {"seller_ids": "demo-chat"}, BUYER), 400, "validation_error")
    assert_error(send(api, "POST", "/v1/contact-options/batch", {"seller_ids": [1]}, BUYER), 400, "validation_error")


def test_contact_events_say_who_asked_and_whether_the_seller_exists(api: Any, aws: dict[str, str]) -> None:
    get(api, "/v1/sellers/demo-none/contact-options", SUPPORT)
    send(api, "POST", "/v1/contact-options/batch", {"seller_ids": ["demo-chat", "made-up"]}, BUYER)
    events = [(m["body"]["seller_id"], m["body"]["caller_role"], m["body"]["seller_exists"]) for m in drain_queue(aws["queue_url"])]
    assert sorted(events) == [("demo-chat", "buyer", True), ("demo-none", "support", True), ("made-up", "buyer", False)]

"""The support ingest Lambda: partial batch failures, de-duplication, storage and counters."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest

from chalicelib.models.events import ContactRequestEvent
from chalicelib.shared.aws import client
from chalicelib.support import keys as support_keys
from tests.conftest import BUYER, drain_queue, seller_token

QUEUE = "support-contact-requests"


def sqs_event(api: Any, bodies: list[str]) -> dict[str, Any]:
    event = api.events.generate_sqs_event(message_bodies=bodies, queue_name=QUEUE)
    for index, record in enumerate(event["Records"]):
        record["messageId"] = f"m{index}"  # chalice's generator gives every record the same id
    return event


def resolved_events(api: Any, aws: dict[str, str], *seller_ids: str, topic: str = "product_question") -> list[str]:
    for seller_id in seller_ids:
        assert api.http.get(f"/v1/sellers/{seller_id}/contact-options?topic={topic}", headers=BUYER).status_code == 200
    return [json.dumps(message["body"]) for message in drain_queue(aws["queue_url"])]


def stored(seller_id: str) -> list[dict[str, Any]]:
    """The seller's stored requests, from every shard of their partition (chalicelib/support/keys.py)."""
    return [
        item
        for pk in support_keys.seller_requests_keys(seller_id)
        for item in client("dynamodb").query(
            TableName="support-requests",
            KeyConditionExpression="pk = :pk AND begins_with(sk, :req)",
            ExpressionAttributeValues={":pk": {"S": pk}, ":req": {"S": "REQ#"}},
        )["Items"]
    ]


def counters(seller_id: str, day: str) -> dict[str, int]:
    """The seller's counters of `day`, summed over their counter items on every stats shard."""
    totals: Counter[str] = Counter()
    for pk in support_keys.stats_keys(day):
        for item in client("dynamodb").query(
            TableName="support-requests",
            KeyConditionExpression="pk = :pk AND begins_with(sk, :seller)",
            ExpressionAttributeValues={":pk": {"S": pk}, ":seller": {"S": f"SELLER#{seller_id}#"}},
        )["Items"]:
            totals.update({key: int(value["N"]) for key, value in item.items() if "N" in value and key != "expires_at"})
    return dict(totals)


def test_valid_duplicate_and_malformed_records_in_one_batch(api: Any, aws: dict[str, str]) -> None:
    good_chat, good_none = resolved_events(api, aws, "demo-chat", "demo-none")
    wrong_version = json.dumps({**json.loads(good_chat), "schema_version": 2, "event_id": "other"})
    missing_field = json.dumps({k: v for k, v in json.loads(good_none).items() if k != "topic"})
    bodies = [good_chat, "{not json", good_none, good_chat, wrong_version, missing_field]

    response = api.lambda_.invoke("support_ingest", sqs_event(api, bodies))

    assert response.payload == {"batchItemFailures": [{"itemIdentifier": m} for m in ("m1", "m4", "m5")]}
    assert len(stored("demo-chat")) == 1  # the duplicate was stored once
    assert len(stored("demo-none")) == 1
    day = json.loads(good_chat)["occurred_at"][:10]
    assert counters("demo-chat", day) == {
        "requests": 1, "buyer_requests": 1, "topic_product_question": 1, "primary_chat": 1, "degraded": 0
    }
    assert counters("demo-none", day)["no_channel"] == 1 and counters("demo-none", day)["no_channel_product_question"] == 1


def test_redelivered_batch_counts_nothing_twice(api: Any, aws: dict[str, str]) -> None:
    bodies = resolved_events(api, aws, "demo-email", "demo-email", "demo-phone")
    for _ in range(2):
        assert api.lambda_.invoke("support_ingest", sqs_event(api, bodies)).payload == {"batchItemFailures": []}
    day = json.loads(bodies[0])["occurred_at"][:10]
    assert counters("demo-email", day)["requests"] == 2
    assert len(stored("demo-email")) == 2


def test_settings_changed_events_are_stored_for_support(api: Any, aws: dict[str, str]) -> None:
    headers = {**seller_token("demo-chat"), "Content-Type": "application/json", "If-Match": "1"}
    api.http.request("PATCH", "/v1/sellers/demo-chat/channels", headers=headers, body=b'{"chat": {"enabled": false}}')
    bodies = [json.dumps(m["body"]) for m in drain_queue(aws["queue_url"])]
    assert api.lambda_.invoke("support_ingest", sqs_event(api, bodies)).payload == {"batchItemFailures": []}
    [change] = client("dynamodb").query(
        TableName="support-requests",
        KeyConditionExpression="pk = :pk AND begins_with(sk, :chg)",
        ExpressionAttributeValues={":pk": {"S": "SELLER#demo-chat"}, ":chg": {"S": "CHG#"}},
    )["Items"]
    assert change["changed_channels"] == {"L": [{"S": "chat"}]} and change["new_version"] == {"N": "2"}


def test_store_failure_reports_only_that_record(api: Any, aws: dict[str, str]) -> None:
    bodies = resolved_events(api, aws, "demo-chat", "demo-email")
    calls = {"n": 0}

    def fail_first(**_kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 1:
            from tests.integration.test_faults import FakeHttpResponse

            return FakeHttpResponse(400), {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "x"}}
        return None

    client("dynamodb").meta.events.register("before-call.dynamodb.TransactWriteItems", fail_first)
    assert api.lambda_.invoke("support_ingest", sqs_event(api, bodies)).payload == {
        "batchItemFailures": [{"itemIdentifier": "m0"}]
    }
    assert len(stored("demo-email")) == 1 and stored("demo-chat") == []


@pytest.mark.parametrize("body", ["", "null", "[]", '{"schema_version": 1, "type": "contact_request"}', '"x"' * 10])
def test_junk_never_crashes_the_batch(api: Any, body: str) -> None:
    response = api.lambda_.invoke("support_ingest", sqs_event(api, [body]))
    assert response.payload == {"batchItemFailures": [{"itemIdentifier": "m0"}]}


def test_events_validate_against_the_model_they_were_made_from(api: Any, aws: dict[str, str]) -> None:
    for body in resolved_events(api, aws, "demo-chat", topic="payment"):
        assert ContactRequestEvent.model_validate_json(body).primary_channel.value == "support"


def test_local_poller_deletes_accepted_records_and_leaves_failed_ones(api: Any, aws: dict[str, str]) -> None:
    import app
    from devstack.poller import LocalPoller
    from tests.policy_coverage import acting_as

    api.http.get("/v1/sellers/demo-chat/contact-options", headers=BUYER)
    sqs = client("sqs")
    sqs.send_message(QueueUrl=aws["queue_url"], MessageBody="{poison")
    with acting_as("support_ingest"):  # the poller stands in for Lambda's event source, which uses the function's role
        poller = LocalPoller(sqs, aws["queue_url"], app.support_ingest, wait_seconds=0)
        assert poller.poll_once() == (1, 1)
    assert len(stored("demo-chat")) == 1
    import time

    time.sleep(1.1)  # the queue's visibility timeout in tests: the failed record comes back, the accepted one does not
    assert [m["body"] for m in drain_queue(aws["queue_url"])] == ["{poison"]


def test_fields_added_within_v1_are_stored_and_cannot_overwrite_keys(api: Any, aws: dict[str, str]) -> None:
    [event] = [json.loads(b) for b in resolved_events(api, aws, "demo-chat")]
    newer = {**event, "answer_ids": ["a1", "a2"], "score": 0.75, "locale": {"lang": "de"}, "pk": "EVIL", "sk": "EVIL"}
    assert api.lambda_.invoke("support_ingest", sqs_event(api, [json.dumps(newer)])).payload == {"batchItemFailures": []}
    [item] = stored("demo-chat")
    assert item["answer_ids"] == {"L": [{"S": "a1"}, {"S": "a2"}]} and item["score"] == {"N": "0.75"}
    assert item["locale"] == {"M": {"lang": {"S": "de"}}}
    assert item["pk"]["S"] in support_keys.seller_requests_keys("demo-chat") and item["sk"]["S"].startswith("REQ#")


@pytest.mark.parametrize("occurred_at", ["2026-11-26", "2026-11-26T13:01:20", 1764162080])
def test_naive_date_only_and_epoch_timestamps_are_refused(api: Any, aws: dict[str, str], occurred_at: Any) -> None:
    [event] = [json.loads(b) for b in resolved_events(api, aws, "demo-chat")]
    bad = json.dumps({**event, "occurred_at": occurred_at})
    assert api.lambda_.invoke("support_ingest", sqs_event(api, [bad])).payload == {"batchItemFailures": [{"itemIdentifier": "m0"}]}
    assert stored("demo-chat") == []


def test_offset_timestamps_are_bucketed_by_their_utc_day(api: Any, aws: dict[str, str]) -> None:
    [event] = [json.loads(b) for b in resolved_events(api, aws, "demo-chat")]
    shifted = json.dumps({**event, "occurred_at": "2026-11-27T01:30:00+02:00"})
    assert api.lambda_.invoke("support_ingest", sqs_event(api, [shifted])).payload == {"batchItemFailures": []}
    assert counters("demo-chat", "2026-11-26")["requests"] == 1
    [item] = stored("demo-chat")
    assert item["occurred_at"] == {"S": "2026-11-26T23:30:00Z"}

"""DynamoDB and SQS faults: resolutions degrade to support, writes answer 503, retries and undelivered events are logged."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelib.models.common import Topic
from chalicelib.models.events import ContactRequestEvent
from chalicelib.sellers.store import DynamoSettingsStore
from chalicelib.shared.aws import client, resolution_client
from chalicelib.shared.errors import VersionConflict
from chalicelib.support.publisher import SqsEventPublisher
from tests.conftest import BUYER, drain_queue, log_lines, seller_token
from tests.fakes import ScriptedClient, inject


def post_batch(api: Any, seller_ids: list[str]) -> Any:
    payload = json.dumps({"seller_ids": seller_ids, "topic": "product_question"}).encode()
    return api.http.post("/v1/contact-options/batch", headers={**BUYER, "Content-Type": "application/json"}, body=payload)


@pytest.mark.parametrize("fault", ["ProvisionedThroughputExceededException", "timeout", "InternalServerError"])
def test_dynamodb_fault_degrades_to_support_only(api: Any, aws: dict[str, str], fault: str) -> None:
    inject("dynamodb", "GetItem", fault)
    inject("dynamodb", "BatchGetItem", fault)  # a limited buyer's single read also fetches the reveal tally
    response = api.http.get("/v1/sellers/demo-chat/contact-options", headers=BUYER)
    assert response.status_code == 200
    result = json.loads(response.body)
    assert result["degraded"] is True
    assert [(o["channel"], o["reason"]) for o in result["options"]] == [("support", "settings_unavailable")]
    assert {e["reason"] for e in result["excluded"]} == {"settings_unavailable"}
    [event] = drain_queue(aws["queue_url"])
    assert event["body"]["degraded"] is True and event["body"]["primary_channel"] == "support"


def test_batch_read_fault_degrades_every_seller(api: Any, aws: dict[str, str]) -> None:
    inject("dynamodb", "BatchGetItem", "ProvisionedThroughputExceededException")
    results = json.loads(post_batch(api, ["demo-chat", "demo-email"]).body)["results"]
    assert [r["degraded"] for r in results] == [True, True]
    assert len(drain_queue(aws["queue_url"])) == 2


def test_stored_item_that_no_longer_validates_degrades_instead_of_500(api: Any, aws: dict[str, str]) -> None:
    client("dynamodb").put_item(
        TableName="seller-channels",
        Item={"seller_id": {"S": "hand-edited"}, "chat": {"S": "yes please"}, "version": {"N": "1"}},
    )
    result = json.loads(api.http.get("/v1/sellers/hand-edited/contact-options", headers=BUYER).body)
    assert result["degraded"] is True and result["primary"]["reason"] == "settings_unavailable"
    results = json.loads(post_batch(api, ["hand-edited", "demo-chat"]).body)["results"]
    assert [r["degraded"] for r in results] == [True, False]


@pytest.mark.parametrize("fault", ["AWS.SimpleQueueService.NonExistentQueue", "timeout"])
def test_sqs_fault_still_answers_and_logs_the_whole_event(api: Any, aws: dict[str, str], capsys: Any, fault: str) -> None:
    inject("sqs", "SendMessage", fault)
    response = api.http.get("/v1/sellers/demo-chat/contact-options?topic=payment", headers=BUYER)
    assert response.status_code == 200
    result = json.loads(response.body)
    [line] = [line for line in log_lines(capsys.readouterr().out) if line["msg"] == "support_event_undelivered"]
    assert line["level"] == "ERROR"
    event = ContactRequestEvent.model_validate(line["event"])
    assert (event.seller_id, event.topic, event.request_id) == ("demo-chat", Topic.PAYMENT, result["request_id"])
    assert drain_queue(aws["queue_url"]) == []


def test_sqs_batch_fault_logs_every_undelivered_event(api: Any, aws: dict[str, str], capsys: Any) -> None:
    inject("sqs", "SendMessageBatch", "timeout")
    ids = [f"s{i}" for i in range(12)]
    assert post_batch(api, ids).status_code == 200
    lines = [line for line in log_lines(capsys.readouterr().out) if line["msg"] == "support_event_undelivered"]
    assert sorted(line["event"]["seller_id"] for line in lines) == sorted(ids)


def test_settings_write_fault_is_503_and_keeps_the_old_settings(api: Any) -> None:
    inject("dynamodb", "UpdateItem", "ProvisionedThroughputExceededException")  # seller writes update their own attributes
    response = api.http.request(
        "PATCH", "/v1/sellers/demo-chat/channels",
        headers={**seller_token("demo-chat"), "Content-Type": "application/json", "If-Match": "1"},
        body=b'{"chat": {"enabled": false}}',
    )
    assert response.status_code == 503
    assert json.loads(response.body)["error"]["code"] == "settings_unavailable"
    kept = json.loads(api.http.get("/v1/sellers/demo-chat/channels", headers=seller_token("demo-chat")).body)
    assert kept["chat"]["enabled"] is True and kept["version"] == 1


def test_batch_get_retries_unprocessed_keys() -> None:
    item = {"seller_id": {"S": "b"}, "version": {"N": "1"}, "updated_at": {"S": "2026-01-01T00:00:00Z"}, "updated_by": {"S": "x"}}
    fake = ScriptedClient(batch_get_item=[
        {"Responses": {"t": []}, "UnprocessedKeys": {"t": {"Keys": [{"seller_id": {"S": "b"}}]}}},
        {"Responses": {"t": [item]}, "UnprocessedKeys": {}},
    ])
    found, unavailable = DynamoSettingsStore(fake, "t", sleep=lambda _s: None).get_many(["a", "b"])
    assert set(found) == {"b"} and unavailable == set()
    assert fake.calls[1][1]["RequestItems"]["t"]["Keys"] == [{"seller_id": {"S": "b"}}]


def test_batch_get_gives_up_on_keys_that_stay_unprocessed() -> None:
    stuck = {"Responses": {"t": []}, "UnprocessedKeys": {"t": {"Keys": [{"seller_id": {"S": "a"}}]}}}
    fake = ScriptedClient(batch_get_item=[stuck] * 5)
    found, unavailable = DynamoSettingsStore(fake, "t", sleep=lambda _s: None).get_many(["a"])
    assert found == {} and unavailable == {"a"} and len(fake.calls) == 5


def test_batch_get_reads_101_sellers_in_two_calls() -> None:
    fake = ScriptedClient(batch_get_item=[{"Responses": {"t": []}}, {"Responses": {"t": []}}])
    DynamoSettingsStore(fake, "t").get_many([f"s{i}" for i in range(101)])
    assert [len(kwargs["RequestItems"]["t"]["Keys"]) for _op, kwargs in fake.calls] == [100, 1]


def event(seller_id: str) -> ContactRequestEvent:
    return ContactRequestEvent(
        occurred_at="2026-01-01T00:00:00Z", request_id="r", buyer_id="b", seller_id=seller_id,
        topic="other", primary_channel="support", offered=["support"], degraded=False,
    )


def test_send_batch_retries_failed_entries_then_logs_the_rest(capsys: Any) -> None:
    fake = ScriptedClient(send_message_batch=[
        {"Successful": [], "Failed": [{"Id": "1", "Code": "InternalError", "SenderFault": False},
                                      {"Id": "2", "Code": "InternalError", "SenderFault": False}]},
        {"Successful": [], "Failed": [{"Id": "2", "Code": "InternalError", "SenderFault": False}]},
        {"Successful": [], "Failed": [{"Id": "2", "Code": "InternalError", "SenderFault": False}]},
    ])
    delivered = SqsEventPublisher(fake, "q").publish([event("a"), event("b"), event("c")])
    assert delivered == 2
    assert [len(kwargs["Entries"]) for _op, kwargs in fake.calls] == [3, 2, 1]
    [line] = [line for line in log_lines(capsys.readouterr().out) if line["msg"] == "support_event_undelivered"]
    assert line["event"]["seller_id"] == "c"


def test_send_batch_uses_one_call_per_ten_events() -> None:
    fake = ScriptedClient(send_message_batch=[{"Successful": []}] * 3)
    assert SqsEventPublisher(fake, "q").publish([event(f"s{i}") for i in range(25)]) == 25
    assert [len(kwargs["Entries"]) for _op, kwargs in fake.calls] == [10, 10, 5]


def test_conditional_write_lets_exactly_one_writer_win(aws: dict[str, str]) -> None:
    store = DynamoSettingsStore(client("dynamodb"), "seller-channels")
    current = store.get("demo-chat")
    assert current is not None
    mine = current.model_copy(update={"version": 2, "updated_by": "me"})
    theirs = current.model_copy(update={"version": 2, "updated_by": "them"})
    store.put(mine, expected_version=1)
    with pytest.raises(VersionConflict) as lost:
        store.put(theirs, expected_version=1)
    assert lost.value.current_version == 2
    assert store.get("demo-chat").updated_by == "me"  # type: ignore[union-attr]


def test_send_batch_that_fails_whole_is_logged_at_once_not_resent(capsys: Any) -> None:
    """botocore has already retried with backoff; re-sending would only hold the buyer's answer longer."""
    from botocore.exceptions import EndpointConnectionError

    calls = []

    class DownSqs:
        def send_message_batch(self, **kwargs: Any) -> Any:
            calls.append(kwargs)
            raise EndpointConnectionError(endpoint_url="http://127.0.0.1:1")

    assert SqsEventPublisher(DownSqs(), "q").publish([event(f"s{i}") for i in range(12)]) == 0
    assert len(calls) == 2  # one per chunk of 10
    lines = [line for line in log_lines(capsys.readouterr().out) if line["msg"] == "support_event_undelivered"]
    assert len(lines) == 12 and {line["error"] for line in lines} == {"EndpointConnectionError"}


def test_a_degraded_resolution_does_not_wait_on_the_answers_table(api: Any, aws: dict[str, str]) -> None:
    """DynamoDB that failed the settings read is not asked for answers too: each call could take its whole time budget."""
    inject("dynamodb", "BatchGetItem", "timeout")  # a buyer's settings read (with the reveal tally)
    queries: list[str] = []
    resolution_client("dynamodb").meta.events.register("before-call.dynamodb.Query", lambda **_kwargs: queries.append("Query"))
    result = json.loads(api.http.get("/v1/sellers/demo-chat/contact-options?q=delivery", headers=BUYER).body)
    assert result["degraded"] is True and result["answers"] == []
    assert queries == []
    assert [o["channel"] for o in result["options"]] == ["support"]


def test_answers_table_down_is_a_503_that_names_the_answers(api: Any, aws: dict[str, str]) -> None:
    """Managing answers while their table is down: 503 answers_unavailable, not a claim about seller settings."""
    inject("dynamodb", "Query", "ProvisionedThroughputExceededException")
    response = api.http.get("/v1/answers?owner=platform", headers=BUYER)
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    assert json.loads(response.body)["error"]["code"] == "answers_unavailable"


def test_each_request_that_cannot_read_settings_logs_one_settings_unavailable(api: Any, capsys: Any) -> None:
    """The SettingsUnavailable alarm counts these lines. Was: a batch logged two (store and service), a buyer's single
    resolution (settings and tally in one BatchGetItem) none: five failed batches paged, a hundred singles did not."""
    from tests.conftest import log_lines
    from tests.fakes import inject

    inject("dynamodb", "BatchGetItem", "InternalServerError")
    capsys.readouterr()
    assert json.loads(post_batch(api, ["demo-chat", "demo-email", "demo-none"]).body)["results"][0]["degraded"] is True
    assert json.loads(api.http.get("/v1/sellers/demo-chat/contact-options", headers=BUYER).body)["degraded"] is True
    messages = [line["msg"] for line in log_lines(capsys.readouterr().out)]
    assert messages.count("settings_unavailable") == 2

"""Retention on moto: every message pushes the conversation's expiry (messages carry none of their own), and the
stream consumer, invoked with the record DynamoDB's TTL writes when it removes the conversation item (moto runs no
TTL), deletes that conversation's messages and relay addresses: idempotent, blind to other records, and never to a
conversation the pair started again since."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelib.conversations import rules
from tests.conftest import seller_token
from tests.integration.conversations.conftest import BUYER_A, BUYER_B, JSON, post, start

TTL = {"type": "Service", "principalId": "dynamodb.amazonaws.com"}


def table_items(pk: str | None = None) -> list[dict[str, Any]]:
    from chalicelib.shared.aws import client
    from chalicelib.shared.dynamo import from_attributes

    items = client("dynamodb").scan(TableName="conversations")["Items"]
    return [from_attributes(i) for i in items if pk is None or i["pk"]["S"] == pk]


def conversation_item(cid: str) -> dict[str, Any]:
    from chalicelib.shared.aws import client

    item: dict[str, Any] = client("dynamodb").get_item(TableName="conversations", Key={"pk": {"S": f"conversation#{cid}"}, "sk": {"S": "conversation"}})["Item"]
    return item


def ttl_removes(cid: str, sequence: str = "100") -> dict[str, Any]:
    """What DynamoDB's TTL does to the conversation item, and the stream record it writes for it."""
    from chalicelib.shared.aws import client

    old = conversation_item(cid)
    client("dynamodb").delete_item(TableName="conversations", Key={"pk": old["pk"], "sk": old["sk"]})
    return stream_record(old, sequence)


def stream_record(old: dict[str, Any], sequence: str, event: str = "REMOVE", identity: dict[str, str] | None = TTL) -> dict[str, Any]:
    record: dict[str, Any] = {
        "eventID": f"e{sequence}", "eventName": event, "eventVersion": "1.1", "eventSource": "aws:dynamodb", "awsRegion": "eu-central-1",
        "dynamodb": {"ApproximateCreationDateTime": 1.8e9, "Keys": {"pk": old["pk"], "sk": old["sk"]}, "OldImage": old,
                     "SequenceNumber": sequence, "SizeBytes": 512, "StreamViewType": "OLD_IMAGE"},
        "eventSourceARN": "arn:aws:dynamodb:eu-central-1:123456789012:table/conversations/stream/2026-12-01T00:00:00.000",
    }
    if identity is not None:
        record["userIdentity"] = identity
    return record


def message_texts(cid: str) -> list[str]:
    return [i["text"] for i in table_items(f"conversation#{cid}") if i["sk"].startswith("message#")]


def test_every_message_pushes_the_conversations_expiry_and_no_message_expires_on_its_own(api: Any, aws: dict[str, str], clock: Any) -> None:
    created = json.loads(start(api, text="Is the blue one in stock?").body)
    cid, first_at = created["conversation_id"], clock.now
    assert rules.expires_at(first_at) == table_items(f"conversation#{cid}")[0]["expires_at"]
    clock.advance(days=150)
    seller = seller_token("demo-chat")
    assert post(api, f"/v1/conversations/{cid}/messages", {"text": "Yes, it is"}, seller).status_code == 201
    [conversation] = [i for i in table_items(f"conversation#{cid}") if i["sk"] == "conversation"]
    assert conversation["expires_at"] == rules.expires_at(clock.now) == rules.expires_at(first_at) + 150 * 86400
    assert all("expires_at" not in i for i in table_items(f"conversation#{cid}") if i["sk"].startswith("message#"))
    # 200 days after the first message, 50 after the last: the first is still there for both parties
    clock.advance(days=50)
    transcript = json.loads(api.http.get(f"/v1/conversations/{cid}", headers=BUYER_A).body)
    assert [m["text"] for m in transcript["messages"]] == ["Is the blue one in stock?", "Yes, it is"]
    assert [c["conversation_id"] for c in json.loads(api.http.get("/v1/conversations", headers=BUYER_A).body)["conversations"]] == [cid]
    # 180 days after the last message it is gone for every reader, whenever TTL comes
    clock.advance(days=130)
    assert api.http.get(f"/v1/conversations/{cid}", headers=BUYER_A).status_code == 404
    assert json.loads(api.http.get("/v1/conversations", headers=BUYER_A).body)["conversations"] == []


def test_the_consumer_deletes_the_expired_conversations_messages_buyer_email_and_relay_addresses(api: Any, ses: Any) -> None:
    body = {"email": {"enabled": True, "address": "owner@shop-1.example", "masked": True}}
    put = api.http.put("/v1/sellers/shop-1/channels", body=json.dumps(body).encode(), headers={**JSON, **seller_token("shop-1"), "If-Match": '"0"'})
    assert put.status_code == 200, put.body
    cid = json.loads(start(api, "shop-1", text="Hello").body)["conversation_id"]
    assert post(api, f"/v1/conversations/{cid}/messages", {"text": "Anyone there?"}, BUYER_A).status_code == 201
    relay_pks = {i["pk"] for i in table_items() if i["pk"].startswith("relay#")}
    assert len(relay_pks) == 2 and conversation_item(cid)["buyer_email"] == {"S": "buyer-a@mail.example"}
    other = json.loads(start(api, "demo-chat", text="Another pair").body)["conversation_id"]

    record = ttl_removes(cid)
    assert api.lambda_.invoke("conversation_retention", {"Records": [record]}).payload == {"batchItemFailures": []}
    assert table_items(f"conversation#{cid}") == [] and not any(i["pk"].startswith("relay#") for i in table_items())
    assert "buyer-a@mail.example" not in json.dumps(table_items(), default=str)
    assert message_texts(other) == ["Another pair"]  # another conversation is untouched
    # a redelivered record (the event source retries whole batches) finds nothing left and succeeds
    assert api.lambda_.invoke("conversation_retention", {"Records": [record]}).payload == {"batchItemFailures": []}


def test_a_conversation_the_pair_started_again_after_ttl_keeps_its_new_messages(api: Any, aws: dict[str, str], clock: Any) -> None:
    cid = json.loads(start(api, text="Old question").body)["conversation_id"]
    clock.advance(days=181)
    record = ttl_removes(cid)
    # the consumer runs late: the buyer has started again with the same seller (the same id) before it
    again = start(api, text="New question")
    assert again.status_code == 201 and json.loads(again.body)["conversation_id"] == cid
    # until it does, the old messages (same partition) are not the new conversation's
    transcript = json.loads(api.http.get(f"/v1/conversations/{cid}", headers=BUYER_A).body)
    assert [m["text"] for m in transcript["messages"]] == ["New question"] and transcript["next_cursor"] is None
    assert message_texts(cid) == ["Old question", "New question"]
    assert api.lambda_.invoke("conversation_retention", {"Records": [record]}).payload == {"batchItemFailures": []}
    assert message_texts(cid) == ["New question"]
    assert json.loads(api.http.get(f"/v1/conversations/{cid}", headers=BUYER_A).body)["conversation"]["status"] == "waiting_seller"


def test_an_expired_conversations_relay_address_never_reaches_the_pairs_new_conversation(api: Any, ses: Any, clock: Any) -> None:
    from chalicelib import wiring

    body = {"email": {"enabled": True, "address": "owner@shop-1.example", "masked": True}}
    put = api.http.put("/v1/sellers/shop-1/channels", body=json.dumps(body).encode(), headers={**JSON, **seller_token("shop-1"), "If-Match": '"0"'})
    assert put.status_code == 200, put.body
    old = json.loads(start(api, "shop-1", text="Hello").body)
    clock.advance(days=181)
    record = ttl_removes(old["conversation_id"])
    new = json.loads(start(api, "shop-1", text="Hello again").body)
    assert new["conversation_id"] == old["conversation_id"] and new["relay_address"] != old["relay_address"]
    service = wiring.conversation_service()
    assert service.relay_mapping(old["relay_address"].partition("@")[0]) is None  # before retention deletes it
    assert service.relay_mapping(new["relay_address"].partition("@")[0]) is not None
    assert api.lambda_.invoke("conversation_retention", {"Records": [record]}).payload == {"batchItemFailures": []}
    relays = {i["pk"] for i in table_items() if i["pk"].startswith("relay#")}
    assert f"relay#{new['relay_address'].partition('@')[0]}" in relays and len(relays) == 2  # the new pair of addresses


def test_starting_again_after_expiry_but_before_ttl_brings_no_old_message_back(api: Any, aws: dict[str, str], clock: Any) -> None:
    cid = json.loads(start(api, text="Old question").body)["conversation_id"]
    clock.advance(days=180, seconds=1)  # expired; TTL has not removed the item yet (it may take days)
    again = start(api, text="New question")
    assert again.status_code == 201, again.body  # a new conversation, not the old one written to
    transcript = json.loads(api.http.get(f"/v1/conversations/{cid}", headers=BUYER_A).body)
    assert [m["text"] for m in transcript["messages"]] == ["New question"]
    assert transcript["conversation"]["created_at"] == transcript["conversation"]["last_message_at"]


def test_other_records_of_the_stream_are_left_alone(api: Any, aws: dict[str, str]) -> None:
    cid = json.loads(start(api, text="Still here").body)["conversation_id"]
    item = conversation_item(cid)
    others = [
        stream_record(item, "1", identity=None),  # someone's delete (support's purge): not a TTL removal
        stream_record(item, "2", event="MODIFY"),
        stream_record({**item, "sk": {"S": "rate"}, "pk": {"S": f"rate#{cid}#buyer#2026-12-01T10"}}, "3"),  # a counter's TTL
    ]
    assert api.lambda_.invoke("conversation_retention", {"Records": others}).payload == {"batchItemFailures": []}
    assert message_texts(cid) == ["Still here"] and conversation_item(cid)


def test_deletes_dynamodb_leaves_unprocessed_fail_the_record_for_the_event_sources_retry(
    api: Any, aws: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.conversations import store
    from chalicelib.shared.aws import client
    from tests.fakes import FakeHttpResponse

    first = json.loads(start(api, text="First pair").body)["conversation_id"]
    second = json.loads(start(api, headers=BUYER_B, text="Second pair").body)["conversation_id"]
    records = [ttl_removes(first, "100"), ttl_removes(second, "200")]
    monkeypatch.setattr(store.time, "sleep", lambda _seconds: None)
    throttled = {"on": True}

    def unprocessed(params: dict[str, Any], **_kwargs: Any) -> Any:
        return (FakeHttpResponse(200), {"UnprocessedItems": params["RequestItems"]}) if throttled["on"] else None

    client("dynamodb").meta.events.register("before-call.dynamodb.BatchWriteItem", unprocessed)
    assert api.lambda_.invoke("conversation_retention", {"Records": records}).payload == {"batchItemFailures": [{"itemIdentifier": "100"}]}
    assert message_texts(first) == ["First pair"] and message_texts(second) == ["Second pair"]
    throttled["on"] = False  # the event source retries from the reported record
    assert api.lambda_.invoke("conversation_retention", {"Records": records}).payload == {"batchItemFailures": []}
    assert message_texts(first) == [] == message_texts(second)


def test_a_long_conversation_is_deleted_whole_25_keys_a_call(api: Any, aws: dict[str, str], clock: Any) -> None:
    cid = json.loads(start(api, text="message 0").body)["conversation_id"]
    seller = seller_token("demo-chat")
    for n in range(1, 60):
        clock.advance(minutes=2)
        author = BUYER_A if n % 2 == 0 else seller
        assert post(api, f"/v1/conversations/{cid}/messages", {"text": f"message {n}"}, author).status_code == 201
    assert len(message_texts(cid)) == 60
    clock.advance(days=181)
    assert api.lambda_.invoke("conversation_retention", {"Records": [ttl_removes(cid)]}).payload == {"batchItemFailures": []}
    assert table_items(f"conversation#{cid}") == []

"""What #/ and #/queue show that no roll-up counter holds: the oldest escalated conversation's age (the sparse
by_escalated index), every conversation escalated or waiting for the seller (the list the cards link to), and the
queues' oldest message age from CloudWatch (a datum put on moto stands in for what SQS publishes on AWS)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import SUPPORT, bearer, log_lines

ADMIN = bearer("admin", "admin-1")
JSON = {"Content-Type": "application/json"}
NOW = datetime.now(UTC).replace(microsecond=0)


def body(response: Any) -> Any:
    return json.loads(response.body)


def at(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def start(api: Any, buyer: str, seller: str = "demo-chat") -> str:
    started = api.http.post("/v1/conversations", body=json.dumps({"seller_id": seller, "topic": "delivery", "text": "Where is it?"}).encode(),
                            headers={**JSON, **bearer("buyer", buyer)})
    assert started.status_code == 201, started.body
    return str(body(started)["conversation_id"])


def escalated(api: Any, monkeypatch: pytest.MonkeyPatch, buyer: str, moment: datetime) -> str:
    """A conversation `buyer` starts and escalates at `moment`; its id."""
    clock_at(monkeypatch, moment)
    conversation_id = start(api, buyer)
    assert api.http.post(f"/v1/conversations/{conversation_id}/escalate", headers=bearer("buyer", buyer)).status_code == 200
    return conversation_id


def clock_at(monkeypatch: pytest.MonkeyPatch, moment: datetime) -> None:
    from chalicelib import wiring

    monkeypatch.setattr(wiring.conversation_service(), "_clock", lambda: moment)
    monkeypatch.setattr(wiring.operations_service(), "_clock", lambda: moment)


def test_the_oldest_escalation_shows_beside_the_count_and_leaves_when_support_closes_it(api: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    first = escalated(api, monkeypatch, "buyer-e1", NOW - timedelta(hours=5))
    second = escalated(api, monkeypatch, "buyer-e2", NOW - timedelta(hours=2))
    # a message in an escalated conversation and a repeated escalate move nothing
    api.http.post(f"/v1/conversations/{first}/messages", body=b'{"text": "Any news?"}', headers={**JSON, **bearer("buyer", "buyer-e1")})
    api.http.post(f"/v1/conversations/{first}/escalate", headers=bearer("buyer", "buyer-e1"))
    clock_at(monkeypatch, NOW)
    waiting = start(api, "buyer-w1")

    now = body(api.http.get("/v1/ops/stats?days=1", headers=SUPPORT))["conversations"]
    assert now["escalated"] == 2 and now["oldest_escalated_since"] == at(NOW - timedelta(hours=5))
    read = body(api.http.get(f"/v1/conversations/{first}", headers=SUPPORT))["conversation"]
    assert read["status"] == "escalated" and read["escalated_at"] == at(NOW - timedelta(hours=5))

    listed = body(api.http.get("/v1/conversations?status=escalated", headers=SUPPORT))
    assert [c["conversation_id"] for c in listed["conversations"]] == [first, second] and listed["next_cursor"] is None
    waiting_list = body(api.http.get("/v1/conversations?status=waiting_seller", headers=ADMIN))
    assert [c["conversation_id"] for c in waiting_list["conversations"]] == [waiting]

    assert api.http.post(f"/v1/conversations/{first}/close", headers=SUPPORT).status_code == 200
    now = body(api.http.get("/v1/ops/stats?days=1", headers=SUPPORT))["conversations"]
    assert now["escalated"] == 1 and now["oldest_escalated_since"] == at(NOW - timedelta(hours=2))
    assert [c["conversation_id"] for c in body(api.http.get("/v1/conversations?status=escalated", headers=SUPPORT))["conversations"]] == [second]
    assert api.http.post(f"/v1/conversations/{second}/close", headers=SUPPORT).status_code == 200
    now = body(api.http.get("/v1/ops/stats?days=1", headers=SUPPORT))["conversations"]
    assert now["escalated"] == 0 and now["oldest_escalated_since"] is None


def test_the_sweep_escalates_an_overdue_conversation_at_the_sweeps_time(api: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from chalicelib import wiring

    clock_at(monkeypatch, NOW - timedelta(days=3))
    overdue = start(api, "buyer-s1")
    swept_at = NOW - timedelta(hours=1)
    assert wiring.conversation_service().sweep(swept_at).escalated == 1
    clock_at(monkeypatch, NOW)
    assert body(api.http.get("/v1/ops/stats?days=1", headers=SUPPORT))["conversations"]["oldest_escalated_since"] == at(swept_at)
    assert [c["conversation_id"] for c in body(api.http.get("/v1/conversations?status=escalated", headers=SUPPORT))["conversations"]] == [overdue]


def conversation_key(conversation_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"conversation#{conversation_id}"}, "sk": {"S": "conversation"}}


def escalated_ids(api: Any) -> list[str]:
    return [c["conversation_id"] for c in body(api.http.get("/v1/conversations?status=escalated", headers=SUPPORT))["conversations"]]


def test_an_expired_escalated_conversation_is_not_the_oldest(api: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Was: one escalated and silent for 180 days stayed the "oldest escalated" until TTL deleted it, though it could
    no longer be opened or closed (404)."""
    from chalicelib.shared.aws import client

    ids = [escalated(api, monkeypatch, f"buyer-x{n}", NOW - timedelta(hours=hours)) for n, hours in enumerate((9, 3))]
    clock_at(monkeypatch, NOW)
    silent_since = NOW - timedelta(days=181)  # its last message: past the 180 days kept, so past its expiry
    client("dynamodb").update_item(  # as TTL leaves it until it deletes it: still in the index
        TableName="conversations", Key=conversation_key(ids[0]), UpdateExpression="SET last_message_at = :last, expires_at = :expires",
        ExpressionAttributeValues={":last": {"S": at(silent_since)}, ":expires": {"N": str(int((silent_since + timedelta(days=180)).timestamp()))}},
    )
    assert body(api.http.get("/v1/ops/stats?days=1", headers=SUPPORT))["conversations"]["oldest_escalated_since"] == at(NOW - timedelta(hours=3))
    assert escalated_ids(api) == [ids[1]]


def test_conversations_escalated_before_the_release_are_listed_after_the_backfill(api: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Escalated before `escalated_at` was recorded: counted, but neither listed nor aged until
    `make escalations-backfill` gives them their last message's time (docs/deploy.md)."""
    from chalicelib.shared.aws import client
    from infra.escalations_backfill import backfill

    old = escalated(api, monkeypatch, "buyer-b1", NOW - timedelta(hours=6))
    new = escalated(api, monkeypatch, "buyer-b2", NOW - timedelta(hours=1))
    closed = start(api, "buyer-b3")
    assert api.http.post(f"/v1/conversations/{closed}/close", headers=SUPPORT).status_code == 200
    clock_at(monkeypatch, NOW)
    dynamodb = client("dynamodb")
    dynamodb.update_item(TableName="conversations", Key=conversation_key(old), UpdateExpression="REMOVE escalated_at, escalated_shard")
    assert escalated_ids(api) == [new]

    assert backfill(dynamodb, "conversations") == [old]  # the closed one and the one already recorded are left alone
    assert escalated_ids(api) == [old, new]
    assert body(api.http.get("/v1/ops/stats?days=1", headers=SUPPORT))["conversations"]["oldest_escalated_since"] == at(NOW - timedelta(hours=6))
    assert backfill(dynamodb, "conversations") == []  # safe to run again


def test_conversations_by_state_page_oldest_first_across_shards(api: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from chalicelib.conversations import service

    monkeypatch.setattr(service, "CONVERSATIONS_PER_PAGE", 3)
    ids = [escalated(api, monkeypatch, f"buyer-p{n}", NOW - timedelta(minutes=70 - n)) for n in range(7)]
    clock_at(monkeypatch, NOW)
    seen, cursor, pages = [], None, 0
    while True:
        page = body(api.http.get("/v1/conversations?status=escalated" + (f"&cursor={cursor}" if cursor else ""), headers=SUPPORT))
        seen += [c["conversation_id"] for c in page["conversations"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ids and pages == 3


@pytest.mark.parametrize(
    ("path", "headers", "status", "code"),
    [
        ("/v1/conversations", SUPPORT, 400, "missing_owner"),  # support still names an owner or a listable state
        ("/v1/conversations?status=waiting_buyer", SUPPORT, 400, "missing_owner"),
        ("/v1/conversations?status=escalated&cursor=bm90IGEgY3Vyc29y", SUPPORT, 400, "invalid_cursor"),
    ],
)
def test_listing_by_state_is_for_states_with_an_index_and_its_own_cursors(api: Any, path: str, headers: dict[str, str], status: int, code: str) -> None:
    response = api.http.get(path, headers=headers)
    assert response.status_code == status and body(response)["error"]["code"] == code


def test_a_buyer_listing_escalated_sees_only_their_own(api: Any) -> None:
    mine = start(api, "buyer-o1")
    other = start(api, "buyer-o2")
    for cid, buyer in ((mine, "buyer-o1"), (other, "buyer-o2")):
        api.http.post(f"/v1/conversations/{cid}/escalate", headers=bearer("buyer", buyer))
    listed = body(api.http.get("/v1/conversations?status=escalated", headers=bearer("buyer", "buyer-o1")))
    assert [c["conversation_id"] for c in listed["conversations"]] == [mine]


# ---------------------------------------------------------------- the queues' oldest message age


def put_age(queue_name: str, seconds: float, when: datetime) -> None:
    from chalicelib.shared.aws import client

    client("cloudwatch").put_metric_data(Namespace="AWS/SQS", MetricData=[{
        "MetricName": "ApproximateAgeOfOldestMessage", "Dimensions": [{"Name": "QueueName", "Value": queue_name}],
        "Timestamp": when, "Value": seconds, "Unit": "Seconds",
    }])


def test_the_queues_oldest_age_shows_from_cloudwatch(api: Any) -> None:
    now = datetime.now(UTC)
    put_age("support-contact-requests", 120, now - timedelta(minutes=6))
    put_age("support-contact-requests", 754, now - timedelta(minutes=1))  # the newest datapoint is the one shown
    queues = body(api.http.get("/v1/ops/queues", headers=ADMIN))
    assert queues["queue"]["oldest_age_seconds"] == 754 and queues["queue"]["oldest_age_missing"] is None
    assert queues["queue"]["oldest_age_measured_at"] is not None
    # the DLQ has no datapoint (as on the local stack, where moto publishes no SQS metric): not available, and why
    assert queues["dlq"]["oldest_age_seconds"] is None and queues["dlq"]["oldest_age_missing"] == "no_datapoint"


def test_without_any_datapoint_the_age_is_not_available_and_says_why(api: Any, aws: dict[str, str]) -> None:
    from chalicelib.shared.aws import client

    client("sqs").send_message(QueueUrl=aws["dlq_url"], MessageBody="{}")
    queues = body(api.http.get("/v1/ops/queues", headers=ADMIN))
    assert queues["dlq"]["visible"] == 1
    assert {name: (q["oldest_age_seconds"], q["oldest_age_missing"]) for name, q in queues.items() if name != "commands"} == {
        "queue": (None, "no_datapoint"), "dlq": (None, "no_datapoint"),
    }


def test_when_cloudwatch_fails_the_depth_still_shows(api: Any, aws: dict[str, str], monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    from chalicelib import wiring
    from chalicelib.shared.aws import client

    class Refusing:
        def get_metric_data(self, **_: Any) -> Any:
            raise ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "GetMetricData")

    monkeypatch.setattr(wiring.operations_service()._queue_ages, "_cloudwatch", Refusing())
    client("sqs").send_message(QueueUrl=aws["dlq_url"], MessageBody="{}")
    response = api.http.get("/v1/ops/queues", headers=ADMIN)
    assert response.status_code == 200
    queues = body(response)
    assert queues["dlq"]["visible"] == 1
    assert (queues["dlq"]["oldest_age_seconds"], queues["dlq"]["oldest_age_missing"]) == (None, "cloudwatch_unavailable")
    assert queues["queue"]["oldest_age_missing"] == "cloudwatch_unavailable"
    assert any(line.get("msg", line.get("message")) == "queue_age_unavailable" for line in log_lines(capsys.readouterr().out))

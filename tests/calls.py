"""Helpers the integration tests share: requests to the API, policy and answer set-up, the queue and the ingest."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime
from typing import Any
from urllib.parse import quote

from chalicelib.models.events import ContactRequestEvent
from chalicelib.platform_policy.store import POLICY_KEY
from chalicelib.shared.aws import client
from chalicelib.support import keys as support_keys
from support_cli import cli as support_cli
from tests.conftest import BUYER, SUPPORT, bearer, drain_queue
from tests.policy_coverage import acting_as

NEW_ANSWER = {
    "owner": "platform", "topics": ["delivery"], "locale": "en", "title": "Drones deliver on Sundays",
    "body": "Our **drone** service brings parcels on Sundays.", "keywords": ["drone", "sunday"],
}


def get(api: Any, path: str, headers: dict[str, str] | None = None) -> Any:
    return api.http.get(path, headers=headers if headers is not None else BUYER)


def create(api: Any, answer: dict[str, Any], headers: dict[str, str] = SUPPORT) -> Any:
    return send(api, "POST", "/v1/answers", answer, headers)


def resolve(api: Any, seller_id: str, topic: str, question: str | None = None, headers: dict[str, str] | None = None,
            lang: str | None = None) -> Any:
    query = f"topic={topic}" + (f"&q={quote(question)}" if question else "") + (f"&lang={lang}" if lang else "")
    return get(api, f"/v1/sellers/{seller_id}/contact-options?{query}", headers)






JSON = {"Content-Type": "application/json"}


def send(api: Any, method: str, path: str, body: Any, headers: dict[str, str]) -> Any:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return api.http.request(method, path, headers={**JSON, **headers}, body=raw)


def body(response: Any) -> Any:
    return json.loads(response.body)


def assert_error(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.body
    error = body(response)["error"]
    assert set(error) == {"code", "message", "details"} and error["message"]
    if code:
        assert error["code"] == code
    return error


QUEUE = "support-contact-requests"


def sqs_event(api: Any, bodies: list[str]) -> dict[str, Any]:
    event = api.events.generate_sqs_event(message_bodies=bodies, queue_name=QUEUE)
    for index, record in enumerate(event["Records"]):
        record["messageId"] = f"m{index}"  # chalice's generator gives every record the same id
    return event


def resolved_events(
    api: Any, aws: dict[str, str], *seller_ids: str, topic: str = "product_question", headers: dict[str, str] = BUYER
) -> list[str]:
    for seller_id in seller_ids:
        assert api.http.get(f"/v1/sellers/{seller_id}/contact-options?topic={topic}", headers=headers).status_code == 200
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


def resolve_as(api: Any, seller_id: str, headers: dict[str, str]) -> Any:
    return api.http.get(f"/v1/sellers/{seller_id}/contact-options?topic=product_question", headers=headers)


def shown(result: dict[str, Any]) -> dict[str, str | None]:
    return {o["channel"]: o["contact"] for o in result["options"] if o["channel"] in ("email", "phone")}


ADMIN = bearer("admin", "ops-1")


CHAT_OFF = {"channels": {"chat": {"enabled": False}}}


def full_policy(document: dict[str, Any]) -> dict[str, Any]:
    """`document` with every field it leaves out at the built-in default: a PUT must name them all."""
    from chalicelib.models.policy import DEFAULT_POLICY
    from chalicelib.platform_policy.document import document_of
    from chalicelib.shared.merge_patch import merge_patch

    merged: dict[str, Any] = merge_patch(document_of(DEFAULT_POLICY), document)
    return merged


def put_policy(api: Any, document: dict[str, Any], if_match: str | None = "0", headers: dict[str, str] = ADMIN) -> Any:
    """A full PUT of `document`, the fields it leaves out at their defaults (as a partial PUT once meant)."""
    extra = {"If-Match": if_match} if if_match is not None else {}
    return send(api, "PUT", "/v1/platform/policy", full_policy(document), {**headers, **extra})


def options(api: Any, seller_id: str, topic: str = "product_question", headers: dict[str, str] = BUYER) -> dict[str, Any]:
    response = api.http.get(f"/v1/sellers/{seller_id}/contact-options?topic={topic}", headers=headers)
    assert response.status_code == 200, response.body
    result: dict[str, Any] = json.loads(response.body)
    return result


def offered(result: dict[str, Any]) -> list[str]:
    return [o["channel"] for o in result["options"]]


def excluded(result: dict[str, Any]) -> dict[str, str]:
    return {e["channel"]: e["reason"] for e in result["excluded"]}


def restrict(api: Any, seller_id: str, headers: dict[str, str] = ADMIN) -> Any:
    return send(api, "PUT", f"/v1/sellers/{seller_id}/restriction", {"mode": "support_only", "note": "chargebacks"}, headers)


def seed_tally(buyer_id: str, day: str, sellers: list[str]) -> None:
    item = {"pk": {"S": f"REVEALS#{buyer_id}"}, "sk": {"S": f"DAY#{day}"}, "sellers": {"SS": sellers}}
    client("dynamodb").put_item(TableName="support-requests", Item=item)


POLICY_TABLE = "platform-policy"


SELLER_TABLE = "seller-channels"


def edit_stored_policy(change: Any) -> int:
    """Edit the stored policy document as a newer release (or a hand) would; returns its version."""
    db = client("dynamodb")
    item = db.get_item(TableName=POLICY_TABLE, Key=POLICY_KEY)["Item"]
    document = json.loads(item["document"]["S"])
    change(document)
    item["document"] = {"S": json.dumps(document)}
    db.put_item(TableName=POLICY_TABLE, Item=item)
    return int(item["version"]["N"])


def store_restriction(seller_id: str, mode: str) -> None:
    """A restriction as a newer release (or a hand) stored it."""
    restriction = {"mode": {"S": mode}, "note": {"S": "fraud ring"}, "set_by": {"S": "ops-9"}, "set_at": {"S": "2026-11-01T00:00:00Z"}}
    client("dynamodb").update_item(
        TableName=SELLER_TABLE,
        Key={"seller_id": {"S": seller_id}},
        UpdateExpression="SET restriction = :r",
        ExpressionAttributeValues={":r": {"M": restriction}},
    )


SELLER_ANSWER = {"owner": "demo-chat", "topics": ["product_question"], "locale": "ru", "title": "Размеры", "body": "Смотрите таблицу."}


PHONE = {"enabled": True, "number": "+49 30 1234567"}


def put_raw_item(item: dict[str, Any]) -> None:
    """Write an item as a hand edit or an older version would: past every write-path check."""
    client("dynamodb").put_item(TableName="seller-channels", Item=item)


def run_cli(capsys: Any, *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()  # drop what came before (ingest logs)
    with acting_as("support_cli"):  # its calls are checked against policies/support_cli.json
        code = support_cli.main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def ingest_at(api: Any, *moments: datetime) -> list[str]:
    """One contact request per moment for demo-none, stored by support_ingest; returns their event ids."""
    events = [
        ContactRequestEvent(occurred_at=moment, request_id=f"r{n}", seller_id="demo-none", buyer_id="b", topic="other",
                            primary_channel="support", offered=["support"], degraded=False)
        for n, moment in enumerate(moments)
    ]
    payload = api.lambda_.invoke("support_ingest", sqs_event(api, [e.model_dump_json() for e in events])).payload
    assert payload == {"batchItemFailures": []}
    return [e.event_id for e in events]

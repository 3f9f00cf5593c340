"""`contact-support recent --buyer B`: a buyer's requests through the by-buyer copies the ingest writes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelib.shared.aws import client
from chalicelib.support import keys
from chalicelib.support.ingest import parse_event
from chalicelib.support.store import SupportRequestStore
from tests.calls import run_cli
from tests.conftest import BUYER, SUPPORT, bearer, drain_queue
from tests.tools.support_cli.test_support_cli import ingest_resolutions

OTHER_BUYER = bearer("buyer", "buyer-2")
HASH_BUYER = bearer("buyer", "buyer-1#B01")  # a sub ending like a shard suffix must not read as buyer-1's shard


def rows(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines()]


def items_under(prefix: str) -> list[dict[str, Any]]:
    scanned = client("dynamodb").scan(TableName="support-requests")["Items"]
    return [item for item in scanned if item["pk"]["S"].startswith(prefix)]


def test_recent_by_buyer_lists_only_that_buyers_requests_newest_first(api: Any, aws: dict[str, str], capsys: Any) -> None:
    ingest_resolutions(api, aws, ("demo-chat", "product_question"), ("demo-none", "payment"), ("demo-chat", "delivery"))
    ingest_resolutions(api, aws, ("demo-chat", "other"), headers=OTHER_BUYER)
    ingest_resolutions(api, aws, ("demo-email", "other"), headers=HASH_BUYER)

    code, out, _ = run_cli(capsys, "recent", "--buyer", "buyer-1", "--jsonl")
    mine = rows(out)
    assert code == 0 and len(mine) == 3 and {r["buyer_id"] for r in mine} == {"buyer-1"}
    assert [r["occurred_at"] for r in mine] == sorted((r["occurred_at"] for r in mine), reverse=True)
    assert [r["seller_id"] for r in rows(run_cli(capsys, "recent", "--buyer", "buyer-2", "--jsonl")[1])] == ["demo-chat"]
    assert [r["seller_id"] for r in rows(run_cli(capsys, "recent", "--buyer", "buyer-1#B01", "--jsonl")[1])] == ["demo-email"]

    # the other filters apply on top of it
    _, out, _ = run_cli(capsys, "recent", "--buyer", "buyer-1", "--seller", "demo-chat", "--jsonl")
    assert sorted(r["topic"] for r in rows(out)) == ["delivery", "product_question"]
    _, out, _ = run_cli(capsys, "recent", "--buyer", "buyer-1", "--topic", "payment", "--jsonl")
    assert [r["seller_id"] for r in rows(out)] == ["demo-none"]
    _, out, _ = run_cli(capsys, "recent", "--buyer", "buyer-1", "--limit", "2", "--jsonl")
    assert rows(out) == mine[:2]
    _, out, _ = run_cli(capsys, "recent", "--buyer", "buyer-1", "--since", "2999-01-01", "--jsonl")
    assert out == ""
    code, out, _ = run_cli(capsys, "recent", "--buyer", "buyer-1")
    assert code == 0 and out.splitlines()[0].startswith("occurred_at") and out.count("demo-chat") == 2


def test_support_lookups_are_found_under_the_agents_id(api: Any, aws: dict[str, str], capsys: Any) -> None:
    ingest_resolutions(api, aws, ("demo-none", "other"), headers=SUPPORT)
    assert [r["seller_id"] for r in rows(run_cli(capsys, "recent", "--buyer", "agent-1", "--jsonl")[1])] == ["demo-none"]


def test_the_copies_change_no_other_reading(api: Any, aws: dict[str, str], capsys: Any) -> None:
    """Each request is listed once by day and by seller, and counted once: the copy has no by-day index keys."""
    ingest_resolutions(api, aws, ("demo-chat", "product_question"), ("demo-none", "payment"))
    assert len(rows(run_cli(capsys, "recent", "--jsonl")[1])) == 2
    assert len(rows(run_cli(capsys, "recent", "--seller", "demo-chat", "--jsonl")[1])) == 1
    assert json.loads(run_cli(capsys, "stats", "--jsonl")[1])["requests"] == 2
    copies = items_under("BUYER#")
    assert len(copies) == 2 and not any("gsi1pk" in item or "gsi1sk" in item for item in copies)
    assert all(item["expires_at"] for item in copies)  # they expire with the requests they copy


def test_a_redelivered_event_writes_no_second_copy_and_writes_stay_bounded(api: Any, aws: dict[str, str]) -> None:
    api.http.get("/v1/sellers/demo-chat/contact-options?topic=other", headers=BUYER)
    [body] = [json.dumps(m["body"]) for m in drain_queue(aws["queue_url"])]
    from tests.calls import sqs_event

    for _ in range(2):  # SQS delivers at least once
        assert api.lambda_.invoke("support_ingest", sqs_event(api, [body])).payload == {"batchItemFailures": []}
    [copy] = items_under("BUYER#")
    event = parse_event(body)
    assert copy["pk"]["S"] == keys.buyer_requests_key("buyer-1", event.event_id)
    assert copy["pk"]["S"] in keys.buyer_requests_keys("buyer-1")
    # the transaction the ingest makes for a contact request: marker, record, the seller's counters, the buyer's copy,
    # and the day's roll-up the console reads (docs/capacity.md counts these writes)
    assert len(SupportRequestStore(None, "support-requests").transaction_items(event)) == 5


def test_requests_stored_before_the_index_are_not_found_and_the_cli_says_so(api: Any, aws: dict[str, str], capsys: Any) -> None:
    ingest_resolutions(api, aws, ("demo-chat", "other"))
    dynamodb = client("dynamodb")
    for item in items_under("BUYER#"):  # as the ingest stored it before the index existed
        dynamodb.delete_item(TableName="support-requests", Key={"pk": item["pk"], "sk": item["sk"]})
    code, out, err = run_cli(capsys, "recent", "--buyer", "buyer-1")
    assert code == 0 and "no requests match" in out
    assert "only requests stored since the ingest writes its by-buyer index" in err and "--seller" in err
    assert rows(run_cli(capsys, "recent", "--seller", "demo-chat", "--jsonl")[1])[0]["buyer_id"] == "buyer-1"


@pytest.mark.parametrize("buyer", ["", "   ", "x" * 256, "buyer\n1", "buyer\x7f", "\ud800"], ids=repr)
def test_a_buyer_id_no_token_can_carry_is_refused_clearly(buyer: str, aws: dict[str, str], capsys: Any) -> None:
    with pytest.raises(SystemExit) as exit_:
        run_cli(capsys, "recent", "--buyer", buyer)
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "--buyer" in err and "is not a buyer id" in err and len(err) < 1000


def test_the_longest_buyer_id_a_token_carries_is_accepted(aws: dict[str, str], capsys: Any) -> None:
    code, out, _ = run_cli(capsys, "recent", "--buyer", "é" * 255)
    assert code == 0 and "no requests match" in out

"""The support CLI on in-process moto: recent, stats, dlq and redrive."""

from __future__ import annotations

import json
from typing import Any

from chalicelib.shared.aws import client
from support_cli import cli as support_cli
from tests.conftest import BUYER, SUPPORT, drain_queue
from tests.integration.test_ingest import sqs_event
from tests.policy_coverage import acting_as


def ingest_resolutions(api: Any, aws: dict[str, str], *calls: tuple[str, str], headers: dict[str, str] = BUYER) -> None:
    for seller_id, topic in calls:
        api.http.get(f"/v1/sellers/{seller_id}/contact-options?topic={topic}", headers=headers)
    bodies = [json.dumps(m["body"]) for m in drain_queue(aws["queue_url"])]
    assert api.lambda_.invoke("support_ingest", sqs_event(api, bodies)).payload == {"batchItemFailures": []}


def run_cli(capsys: Any, *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()  # drop what came before (ingest logs)
    with acting_as("support_cli"):  # its calls are checked against policies/support_cli.json
        code = support_cli.main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_recent_filters_and_prints_newest_first(api: Any, aws: dict[str, str], capsys: Any) -> None:
    ingest_resolutions(api, aws, ("demo-chat", "product_question"), ("demo-none", "payment"), ("demo-chat", "delivery"))
    code, out, _ = run_cli(capsys, "recent", "--jsonl")
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and len(rows) == 3
    assert [r["occurred_at"] for r in rows] == sorted((r["occurred_at"] for r in rows), reverse=True)

    _, out, _ = run_cli(capsys, "recent", "--seller", "demo-chat", "--jsonl")
    assert sorted(json.loads(line)["topic"] for line in out.splitlines()) == ["delivery", "product_question"]
    _, out, _ = run_cli(capsys, "recent", "--channel", "chat", "--jsonl")
    assert [json.loads(line)["topic"] for line in out.splitlines()] == ["product_question"]
    _, out, _ = run_cli(capsys, "recent", "--topic", "payment")
    assert "demo-none" in out and "demo-chat" not in out and out.splitlines()[0].startswith("occurred_at")
    _, out, _ = run_cli(capsys, "recent", "--since", "2999-01-01")
    assert "no requests match" in out


def test_stats_separate_buyer_demand_support_lookups_no_channel_and_unknown_sellers(
    api: Any, aws: dict[str, str], capsys: Any
) -> None:
    ingest_resolutions(api, aws, ("demo-none", "other"), ("demo-none", "payment"), ("ghost", "other"), ("demo-chat", "other"))
    ingest_resolutions(api, aws, ("demo-none", "other"), ("demo-chat", "other"), headers=SUPPORT)  # support's own lookups
    api.http.post(  # a batch with a made-up id
        "/v1/contact-options/batch", headers={**BUYER, "Content-Type": "application/json"},
        body=json.dumps({"seller_ids": ["demo-chat", "made-up-1"]}).encode(),
    )
    ingest_resolutions(api, aws)
    code, out, _ = run_cli(capsys, "stats", "--jsonl")
    stats = json.loads(out)
    assert code == 0 and stats["requests"] == 8
    assert (stats["buyer_requests"], stats["support_lookups"]) == (6, 2)
    assert stats["requests_per_primary_channel"]["chat"] == 3 and stats["requests_per_primary_channel"]["support"] == 5
    top = stats["top_sellers_without_channels"]
    assert [(r["seller_id"], r["sent_to_support"]) for r in top] == [("demo-none", 2)]  # buyers only, known sellers only
    assert top[0]["by_topic_and_day"]["payment"] == 1
    assert sorted((r["seller_id"], r["requests"]) for r in stats["top_unknown_sellers"]) == [("ghost", 1), ("made-up-1", 1)]
    _, out, _ = run_cli(capsys, "stats")
    assert "demo-none" in out and "8 contact request(s)" in out and "2 support lookup(s)" in out and "made-up-1" in out


def test_dlq_lists_why_and_redrive_moves_everything_back(aws: dict[str, str], capsys: Any) -> None:
    sqs = client("sqs")
    sqs.send_message(QueueUrl=aws["dlq_url"], MessageBody="{not json")
    sqs.send_message(QueueUrl=aws["dlq_url"], MessageBody=json.dumps({"schema_version": 2, "type": "contact_request"}),
                     MessageAttributes={"schema_version": {"DataType": "Number", "StringValue": "2"}})

    code, out, _ = run_cli(capsys, "dlq")
    assert code == 0 and out.count("invalid:") == 2 and "schema_version" in out
    code, out, err = run_cli(capsys, "dlq")  # listing again still sees both: listing hides nothing
    assert out.count("invalid:") == 2

    code, out, err = run_cli(capsys, "dlq", "--redrive")
    assert code == 0 and "moved 2 of 2" in out and "\r" not in err  # progress only on a terminal, never in a pipe or log
    moved = drain_queue(aws["queue_url"])
    assert sorted(str(m["body"]) for m in moved) == sorted(["{not json", str({"schema_version": 2, "type": "contact_request"})])
    assert any(m["attributes"].get("schema_version", {}).get("StringValue") == "2" for m in moved)
    _, out, _ = run_cli(capsys, "dlq")
    assert "empty" in out


def test_bad_since_is_a_clear_error(aws: dict[str, str], capsys: Any) -> None:
    code, _, err = run_cli(capsys, "recent", "--since", "last tuesday")
    assert code == 2 and "error:" in err


def test_dlq_finds_the_queues_by_name_without_urls(aws: dict[str, str], capsys: Any, monkeypatch: Any) -> None:
    monkeypatch.delenv("SUPPORT_DLQ_URL")
    monkeypatch.delenv("SUPPORT_QUEUE_URL")
    client("sqs").send_message(QueueUrl=aws["dlq_url"], MessageBody="{}")
    code, out, _ = run_cli(capsys, "dlq", "--redrive")
    assert code == 0 and "moved 1 of 1" in out


def test_ctrl_c_during_redrive_stops_between_messages_and_moves_none_by_half(aws: dict[str, str], capsys: Any) -> None:
    sqs = client("sqs")
    for n in range(3):
        sqs.send_message(QueueUrl=aws["dlq_url"], MessageBody=f'{{"n": {n}}}')
    messages = support_cli.dead_letters(aws["dlq_url"], limit=10)
    stop: list[bool] = []
    original_send = sqs.send_message

    def send_then_interrupt(**kwargs: Any) -> Any:
        response = original_send(**kwargs)
        stop.append(True)  # Ctrl-C arrives while the first message is being moved
        return response

    sqs.send_message = send_then_interrupt  # type: ignore[method-assign]
    try:
        moved = support_cli.redrive(aws["dlq_url"], aws["queue_url"], messages, stop)
    finally:
        sqs.send_message = original_send  # type: ignore[method-assign]
    support_cli.release(aws["dlq_url"], messages[moved:])
    assert moved == 1 and "interrupted: 1 moved, 2 left" in capsys.readouterr().err
    assert len(drain_queue(aws["queue_url"])) == 1  # the one moved message, once
    assert len(drain_queue(aws["dlq_url"])) == 2  # the others untouched, visible again

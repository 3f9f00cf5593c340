"""The contact-support CLI against in-process moto: recent, stats, history, dlq; its failures and its terminal output."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.shared.aws import client
from chalicelib.support.store import REQUEST_TTL
from support_cli import cli as support_cli
from tests.calls import ADMIN, ingest_at, put_policy, run_cli, send, sqs_event
from tests.conftest import BUYER, SUPPORT, drain_queue


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_recent_since_long_ago_reads_only_the_days_requests_are_kept(
    api: Any, aws: dict[str, str], capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--since 1999 used to query 65 shards for each of ~10,000 days (hours on an empty table, without a word)."""
    ingest_at(api, datetime.now(UTC) - timedelta(days=2))
    real, days_read = support_cli._query_shards, []

    def counted(table: str, partitions: list[str], **kwargs: Any) -> Any:
        days_read.append(partitions[0])
        assert len(days_read) <= REQUEST_TTL.days + 1, "read days whose requests expired long ago"
        return real(table, partitions, **kwargs)

    monkeypatch.setattr(support_cli, "_query_shards", counted)
    code, out, err = run_cli(capsys, "recent", "--since", "1999-01-01", "--limit", "5", "--jsonl")
    assert code == 0 and len(out.splitlines()) == 1
    assert len(days_read) == REQUEST_TTL.days + 1
    assert f"kept {REQUEST_TTL.days} days" in err and "\n" == err[-1] and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "argv",
    [["stats", "--days", "0"], ["stats", "--days", "-3"], ["stats", "--days", "100000"], ["stats", "--top", "0"], ["stats", "--top", "-1"]],
    ids=" ".join,
)
def test_stats_refuses_a_period_or_ranking_that_means_nothing_or_cannot_finish(argv: list[str], capsys: Any) -> None:
    with pytest.raises(SystemExit) as exit_info:
        support_cli.main(argv)
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and f"argument {argv[1]}" in err and "must be" in err


def test_every_option_says_what_it_does() -> None:
    root = support_cli.parser()
    parsers = [root, *next(a for a in root._actions if a.dest == "command").choices.values()]  # type: ignore[union-attr]
    silent = [
        f"{p.prog} {action.option_strings[0]}"
        for p in parsers
        for action in p._actions
        if action.option_strings and action.dest != "help" and not action.help
    ]
    assert silent == []


def test_long_stats_show_progress_on_a_terminal_and_nothing_in_a_pipe(aws: dict[str, str], capsys: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    terminal = Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    assert support_cli.main(["stats", "--days", "3", "--jsonl"]) == 0
    assert "stats: counters of day 3/3" in terminal.getvalue() and "stats: outcomes of day 3/3" in terminal.getvalue()
    monkeypatch.undo()
    capsys.readouterr()
    assert support_cli.main(["stats", "--days", "3", "--jsonl"]) == 0
    assert "day" not in capsys.readouterr().err  # stderr is not a terminal here: no progress noise in logs


def test_ctrl_c_is_one_line_and_status_130(aws: dict[str, str], capsys: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(*_: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(support_cli, "statistics", interrupted)
    code, _, err = run_cli(capsys, "stats")
    assert code == 130 and err.strip() == "interrupted"


def test_stats_count_no_channel_only_for_sellers_who_enabled_none(api: Any, aws: dict[str, str], capsys: Any) -> None:
    """Was: a seller the platform restricted, or whose e-mail the platform switched off, was counted as offering no
    channel: `contact-support stats` listed them among the sellers who left buyers with support alone."""
    from tests.calls import counters, resolved_events, sqs_event
    from tests.conftest import drain_queue

    assert send(api, "PUT", "/v1/sellers/demo-email/restriction", {"mode": "support_only", "note": "x"}, ADMIN).status_code == 200
    assert put_policy(api, {"channels": {"chat": {"enabled": False}}}).status_code == 200  # demo-chat keeps e-mail
    drain_queue(aws["queue_url"])  # the admin's change events
    bodies = resolved_events(api, aws, "demo-email", "demo-none")
    assert put_policy(api, {"channels": {"chat": {"enabled": False}, "email": {"enabled": False}}}, if_match="1").status_code == 200
    drain_queue(aws["queue_url"])
    bodies += resolved_events(api, aws, "demo-chat")  # chat and e-mail off platform-wide: support alone
    assert [json.loads(body)["support_reason"] for body in bodies] == ["seller_restricted", "seller_has_no_channels", "chat_disabled_by_platform"]

    assert api.lambda_.invoke("support_ingest", sqs_event(api, bodies)).payload == {"batchItemFailures": []}
    day = json.loads(bodies[0])["occurred_at"][:10]
    assert counters("demo-none", day)["no_channel"] == 1
    for platform_blocked in ("demo-email", "demo-chat"):
        assert counters(platform_blocked, day)["buyer_requests"] == 1
        assert counters(platform_blocked, day).get("no_channel", 0) == 0

    from tests.calls import run_cli

    code, out, _ = run_cli(capsys, "recent", "--jsonl")  # support sees why each buyer had support alone
    assert code == 0
    assert {row["seller_id"]: row["support_reason"] for row in map(json.loads, out.splitlines())} == {
        "demo-email": "seller_restricted", "demo-none": "seller_has_no_channels", "demo-chat": "chat_disabled_by_platform",
    }


def test_a_hung_shard_read_fails_the_support_cli_after_one_wave_of_timeouts(monkeypatch: Any) -> None:
    """Was: with DynamoDB hung, the workers freed by the first wave's timeouts started the next queued shards before
    the failure cancelled them, and the command waited out their timeouts too: 25 s, not ~12 s."""
    import contextlib
    import threading
    from collections.abc import Iterator

    from botocore.exceptions import ReadTimeoutError

    from support_cli import cli

    started: list[str] = []
    lock = threading.Lock()
    # The first wave times out together, once every reader has started (was: a fixed 0.2 s, after which on a loaded
    # machine a reader thread not yet running found the failure set and started nothing: 15 of 16).
    first_wave = threading.Barrier(cli.SHARD_READERS, timeout=30)

    def hung_query(table: str, **kwargs: Any) -> Iterator[dict[str, Any]]:
        with lock:
            started.append(kwargs["ExpressionAttributeValues"][":partition"]["S"])
        with contextlib.suppress(threading.BrokenBarrierError):  # a read past the first wave: counted above, and fails
            first_wave.wait()
        raise ReadTimeoutError(endpoint_url="http://127.0.0.1")
        yield {}  # a generator, as the real one

    monkeypatch.setattr(cli, "_query", hung_query)
    with pytest.raises(ReadTimeoutError):
        list(cli._query_shards("support-requests", [f"SELLER#s#R{n:02d}" for n in range(3 * cli.SHARD_READERS)]))
    assert len(started) == cli.SHARD_READERS


def test_a_dlq_listing_ends_when_listed_messages_come_back_and_keeps_their_newest_handles(aws: dict[str, str]) -> None:
    """Was: listed messages were hidden 30 s; past that they came back and the listing went on receiving them (11
    minutes without an end at 1,000 messages), keeping their first, stale receipt handles for the redrive."""
    import threading

    from support_cli import cli as support_cli

    sqs = client("sqs")
    for n in range(25):
        sqs.send_message(QueueUrl=aws["dlq_url"], MessageBody=f'{{"n": {n}}}')
    listed: list[list[dict[str, Any]]] = []
    listing = threading.Thread(target=lambda: listed.append(support_cli.dead_letters(aws["dlq_url"], 1000, hide_seconds=0)), daemon=True)
    listing.start()
    listing.join(timeout=20)
    assert not listing.is_alive(), "the listing did not end"
    [messages] = listed
    assert 0 < len(messages) == len({m["MessageId"] for m in messages}) <= 25

    everything = support_cli.dead_letters(aws["dlq_url"], 1000)  # hidden long enough: each listed once
    assert len(everything) == 25
    support_cli.release(aws["dlq_url"], everything)  # the newest handles are still valid


@pytest.mark.parametrize("argv", [["recent", "--seller", ""], ["history", "--seller", "a b"], ["recent", "--seller", "x/y"]])
def test_the_support_cli_refuses_a_seller_id_that_is_none(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    """Was: `recent --seller ''` listed every seller's requests, as if no --seller had been given."""
    from support_cli import cli as support_cli

    with pytest.raises(SystemExit) as exit_:
        support_cli.main(argv)
    assert exit_.value.code == 2 and "is not a seller id" in capsys.readouterr().err


def test_a_dlq_listing_cut_short_leaves_nothing_hidden(aws: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Was (a regression of the 10-minute hide): `contact-support dlq | head` ended before releasing, and the whole
    DLQ stayed hidden: the next listing said it was empty, and its alarm could go back to OK (review9)."""
    from support_cli import cli as support_cli

    sqs = client("sqs")
    for n in range(15):
        sqs.send_message(QueueUrl=aws["dlq_url"], MessageBody=f'{{"n": {n}}}')

    def reader_gone(*_args: Any, **_kwargs: Any) -> str:
        raise BrokenPipeError

    monkeypatch.setattr(support_cli, "_table", reader_gone)
    assert support_cli.main(["dlq"]) == 141
    attributes = sqs.get_queue_attributes(QueueUrl=aws["dlq_url"], AttributeNames=["All"])["Attributes"]
    assert (attributes["ApproximateNumberOfMessages"], attributes["ApproximateNumberOfMessagesNotVisible"]) == ("15", "0")


def ingest_resolutions(api: Any, aws: dict[str, str], *calls: tuple[str, str], headers: dict[str, str] = BUYER) -> None:
    for seller_id, topic in calls:
        api.http.get(f"/v1/sellers/{seller_id}/contact-options?topic={topic}", headers=headers)
    bodies = [json.dumps(m["body"]) for m in drain_queue(aws["queue_url"])]
    assert api.lambda_.invoke("support_ingest", sqs_event(api, bodies)).payload == {"batchItemFailures": []}


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

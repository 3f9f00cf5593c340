"""Support CLI input and display fixes (issue 10, item 12): offsets in --since, --limit 0, dlq receive counts."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.shared.aws import client
from support_cli import cli as support_cli
from tests.calls import ingest_at, run_cli


@pytest.mark.parametrize("by_seller", [False, True], ids=["by day", "by seller"])
def test_since_with_an_offset_is_converted_to_utc_before_comparing(api: Any, aws: dict[str, str], capsys: Any, by_seller: bool) -> None:
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    before, after = ingest_at(api, today - timedelta(minutes=150), today - timedelta(minutes=90))  # yesterday 21:30Z, 22:30Z
    # today 00:00 at +02:00 is yesterday 22:00 UTC: only the later request is newer; its day bucket is yesterday's
    since = (today.replace(tzinfo=None).isoformat()) + "+02:00"
    argv = ["recent", "--since", since, "--jsonl", *(["--seller", "demo-none"] if by_seller else [])]
    code, out, _ = run_cli(capsys, *argv)
    assert code == 0 and [json.loads(line)["event_id"] for line in out.splitlines()] == [after]
    _, out, _ = run_cli(capsys, *argv[:1], "--since", since.replace("+02:00", "-02:00"), "--jsonl")  # 02:00Z today
    assert out == ""
    _, out, _ = run_cli(capsys, "recent", "--since", (today - timedelta(hours=3)).isoformat(), "--jsonl")
    assert {json.loads(line)["event_id"] for line in out.splitlines()} == {before, after}


def test_limit_zero_is_refused_clearly(aws: dict[str, str], capsys: Any) -> None:
    for argv in (["recent", "--limit", "0"], ["history", "--seller", "demo-chat", "--limit", "0"], ["dlq", "--max", "0"]):
        with pytest.raises(SystemExit) as exit_:
            support_cli.main(argv)
        assert exit_.value.code == 2 and "must be at least 1, not 0" in capsys.readouterr().err
    assert support_cli.recent_requests("support-requests", None, None, None, datetime.now(UTC) - timedelta(days=1), 0) == []


def test_dlq_shows_the_receive_count_from_before_its_own_listing(aws: dict[str, str], capsys: Any) -> None:
    client("sqs").send_message(QueueUrl=aws["dlq_url"], MessageBody="{never received}")
    code, out, err = run_cli(capsys, "dlq")
    header, row = out.splitlines()[:2]
    column = header.split().index("receives_before")
    assert code == 0 and row.split()[column] == "0"  # nobody had received it before
    assert "this listing's own receive is not counted" in err
    _, out, _ = run_cli(capsys, "dlq")
    assert out.splitlines()[1].split()[column] == "1"  # the earlier listing did receive it once

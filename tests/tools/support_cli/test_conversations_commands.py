"""contact-support conversations / conversation on in-process moto: a party's conversations through the by_seller and
by_buyer indexes, newest first; one conversation's transcript in time order; ids checked; message text never logged."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from chalicelib.shared.aws import client
from chalicelib.shared.dynamo import to_attributes
from support_cli import conversations as support_conversations
from tests.calls import run_cli

TABLE = "conversations"


def ensure_table() -> None:
    """The conversations table as the stack defines it (created here if the local stack's resources lack it)."""
    dynamodb = client("dynamodb")
    if TABLE in dynamodb.list_tables()["TableNames"]:
        return
    names = ("pk", "sk", "buyer_id", "seller_id", "last_message_at", "due_shard", "seller_reply_due_at")
    dynamodb.create_table(
        TableName=TABLE, BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in names],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        GlobalSecondaryIndexes=[
            {"IndexName": index, "Projection": {"ProjectionType": "ALL"},
             "KeySchema": [{"AttributeName": h, "KeyType": "HASH"}, {"AttributeName": r, "KeyType": "RANGE"}]}
            for index, h, r in (("by_buyer", "buyer_id", "last_message_at"), ("by_seller", "seller_id", "last_message_at"),
                                ("by_due", "due_shard", "seller_reply_due_at"))
        ],
    )


def put(item: dict[str, Any]) -> None:
    client("dynamodb").put_item(TableName=TABLE, Item=to_attributes(item))


def conversation(cid: str, buyer: str, seller: str, status: str, last: str, due: str | None = None) -> None:
    item = {
        "pk": f"conversation#{cid}", "sk": "conversation", "conversation_id": cid, "buyer_id": buyer, "seller_id": seller,
        "status": status, "created_at": "2026-12-01T08:00:00+00:00", "last_message_at": last, "seller_reply_due_at": due,
        "relay_address": None, "topic": "delivery", "order_id": "12345",
    }
    put({k: v for k, v in item.items() if v is not None})


def message(cid: str, at: str, mid: str, role: str, via: str, text: str, redacted: list[str]) -> None:
    put({
        "pk": f"conversation#{cid}", "sk": f"message#{at}#{mid}", "message_id": mid, "author_role": role, "via": via,
        "text": text, "redacted": redacted, "topic": "delivery", "order_id": "12345", "created_at": at,
    })


@pytest.fixture
def stored(aws: dict[str, str]) -> None:
    ensure_table()
    conversation("c-old", "buyer-1", "demo-chat", "closed", "2026-12-01T09:00:00+00:00")
    conversation("c-new", "buyer-2", "demo-chat", "waiting_seller", "2026-12-03T10:00:00+00:00", due="2026-12-04T10:00:00+00:00")
    conversation("c-mid", "buyer-1", "demo-email", "waiting_buyer", "2026-12-02T11:00:00+00:00")
    message("c-new", "2026-12-03T09:00:00+00:00", "m1", "buyer", "app", "Where is my parcel?\nOrder 12345.", [])
    message("c-new", "2026-12-03T09:30:00+00:00", "m2", "seller", "email", "Call me on [contact removed]", ["phone"])
    message("c-new", "2026-12-03T10:00:00+00:00", "m3", "buyer", "app", "Still \x1b[31mwaiting\x1b[0m", ["email", "link"])


def rows(out: str) -> list[list[str]]:
    return [line.split() for line in out.splitlines()]


def test_a_sellers_conversations_newest_first_with_the_columns_support_needs(stored: None, capsys: Any) -> None:
    code, out, err = run_cli(capsys, "conversations", "--seller", "demo-chat")
    assert code == 0, err
    header, *body = rows(out)
    assert header == ["id", "buyer", "seller", "status", "last_message", "due"]
    assert body == [
        ["c-new", "buyer-2", "demo-chat", "waiting_seller", "2026-12-03T10:00:00+00:00", "2026-12-04T10:00:00+00:00"],
        ["c-old", "buyer-1", "demo-chat", "closed", "2026-12-01T09:00:00+00:00", "-"],
    ]
    assert "2 conversation(s)" in err


def test_a_buyers_conversations_by_status_and_limit_and_as_jsonl(stored: None, capsys: Any) -> None:
    _, out, _ = run_cli(capsys, "conversations", "--buyer", "buyer-1")
    assert [row[0] for row in rows(out)[1:]] == ["c-mid", "c-old"]
    _, out, _ = run_cli(capsys, "conversations", "--buyer", "buyer-1", "--status", "closed")
    assert [row[0] for row in rows(out)[1:]] == ["c-old"]
    _, out, _ = run_cli(capsys, "conversations", "--buyer", "buyer-1", "--limit", "1", "--jsonl")
    [line] = [json.loads(line) for line in out.splitlines()]
    assert line["conversation_id"] == "c-mid" and "pk" not in line and line["seller_id"] == "demo-email"
    _, out, _ = run_cli(capsys, "conversations", "--buyer", "nobody")
    assert out.strip() == "no conversations match"


def test_the_transcript_in_time_order_with_who_how_what_was_removed_and_the_text(stored: None, capsys: Any) -> None:
    code, out, err = run_cli(capsys, "conversation", "c-new")
    assert code == 0, err
    head, transcript = out.split("\n\n", 1)
    assert "conversation_id: c-new" in head and "status: waiting_seller" in head and "relay_address: -" in head
    lines = transcript.splitlines()
    assert lines[0].split() == ["time", "author_role", "via", "redacted", "text"]
    text_column = lines[0].index("text")
    assert lines[1].split()[:4] == ["2026-12-03T09:00:00+00:00", "buyer", "app", "-"]
    assert lines[1][text_column:] == "Where is my parcel?"
    assert lines[2] == " " * text_column + "Order 12345."  # a message's later lines stay in the text column
    assert lines[3].split()[:4] == ["2026-12-03T09:30:00+00:00", "seller", "email", "phone"]
    assert lines[4].split()[:5] == ["2026-12-03T10:00:00+00:00", "buyer", "app", "email,", "link"]
    # what the buyer typed cannot drive the agent's terminal: escapes are shown, not sent
    assert "\x1b" not in out and "Still \\x1b[31mwaiting\\x1b[0m" in lines[4]
    assert "3 message(s), oldest first" in err


def test_the_transcript_as_jsonl_is_the_conversation_then_its_messages(stored: None, capsys: Any) -> None:
    _, out, _ = run_cli(capsys, "conversation", "c-new", "--jsonl")
    items = [json.loads(line) for line in out.splitlines()]
    assert items[0]["conversation_id"] == "c-new" and [i["message_id"] for i in items[1:]] == ["m1", "m2", "m3"]
    assert items[2]["redacted"] == ["phone"]


def test_an_unknown_conversation_is_one_line_and_status_1(stored: None, capsys: Any) -> None:
    code, out, err = run_cli(capsys, "conversation", "c-none")
    assert (code, out) == (1, "") and err.strip() == "error: no conversation c-none (it expires 180 days after its last message)"


@pytest.mark.parametrize("argv", [
    ["conversations", "--seller", "bad id"],
    ["conversations", "--seller", ""],
    ["conversations", "--buyer", "has space"],
    ["conversations", "--seller", "demo-chat", "--buyer", "buyer-1"],
    ["conversations"],
    ["conversations", "--seller", "demo-chat", "--limit", "0"],
    ["conversation", "../etc"],
])
def test_bad_ids_and_arguments_are_refused_before_any_read(aws: dict[str, str], capsys: Any, argv: list[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        run_cli(capsys, *argv)
    assert exit_.value.code == 2


def test_ctrl_c_during_a_read_exits_130(stored: None, capsys: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(*args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(support_conversations, "_query", interrupted)
    code, out, err = run_cli(capsys, "conversation", "c-new")
    assert code == 130 and out == "" and err.strip() == "interrupted"


def test_long_reads_show_progress_on_a_terminal_only(stored: None, capsys: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    for n in range(30):
        message("c-old", f"2026-12-01T08:{n:02d}:00+00:00", f"x{n}", "buyer", "app", "hello", [])
    _, _, err = run_cli(capsys, "conversation", "c-old")
    assert "\r" not in err  # a pipe or a log: no progress
    monkeypatch.setattr("sys.stderr.isatty", lambda: True)
    _, _, err = run_cli(capsys, "conversation", "c-old")
    assert "\rconversation: read 25" in err and "\r\x1b[K" in err


def test_message_text_is_printed_for_the_agent_and_never_logged(stored: None, capsys: Any, caplog: pytest.LogCaptureFixture) -> None:
    """The CLI logs nothing of its own and turns no library's debug logging on (botocore's DEBUG lines carry whole
    response bodies, message text included)."""
    caplog.set_level(logging.INFO)
    _, out, err = run_cli(capsys, "conversation", "c-new")
    assert "Where is my parcel?" in out
    assert "parcel" not in err and all("parcel" not in record.getMessage() for record in caplog.records)
    assert [r for r in caplog.records if not r.name.startswith(("botocore", "boto3", "urllib3"))] == []
    assert not logging.getLogger("botocore").isEnabledFor(logging.DEBUG)

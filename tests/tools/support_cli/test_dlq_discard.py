"""`contact-support dlq --discard ID`: one message known to be bad is deleted from the DLQ, and nothing else."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from chalicelib.shared.aws import client
from support_cli import cli as support_cli
from tests.calls import run_cli
from tests.conftest import drain_queue

BODIES = ["{not json", json.dumps({"schema_version": 2, "type": "contact_request"}), '{"n": 3}']


@pytest.fixture
def dead(aws: dict[str, str]) -> list[str]:
    """Three dead-lettered messages; their ids, in the order of BODIES."""
    sqs = client("sqs")
    return [sqs.send_message(QueueUrl=aws["dlq_url"], MessageBody=body)["MessageId"] for body in BODIES]


@pytest.fixture
def deletes(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Every DeleteMessage / DeleteMessageBatch / SendMessage the CLI makes, recorded (and still made)."""
    calls: list[dict[str, Any]] = []
    sqs = client("sqs")

    def record(name: str) -> None:
        original = getattr(sqs, name)

        def recorded(**kwargs: Any) -> Any:
            calls.append({"operation": name, **kwargs})
            return original(**kwargs)

        monkeypatch.setattr(sqs, name, recorded)

    for name in ("delete_message", "delete_message_batch", "send_message", "send_message_batch"):
        record(name)
    return calls


def left_in_dlq(aws: dict[str, str]) -> list[str]:
    """The bodies still in the DLQ, all visible now (listing and declining hide nothing)."""
    return sorted(str(m["body"]) if isinstance(m["body"], str) else json.dumps(m["body"]) for m in drain_queue(aws["dlq_url"]))


def answer(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(text))


def test_yes_deletes_just_that_message(aws: dict[str, str], dead: list[str], deletes: list[dict[str, Any]], capsys: Any) -> None:
    code, out, err = run_cli(capsys, "dlq", "--discard", dead[1], "--yes")
    assert code == 0 and f"deleted message {dead[1]}" in out and "invalid:" in err
    assert [call["operation"] for call in deletes] == ["delete_message"]
    assert left_in_dlq(aws) == sorted([BODIES[0], BODIES[2]])
    assert drain_queue(aws["queue_url"]) == []  # nothing moved anywhere


@pytest.mark.parametrize("reply", ["y\n", "YES\n", " yes \n"])
def test_a_yes_at_the_prompt_deletes_it(aws: dict[str, str], dead: list[str], capsys: Any, monkeypatch: pytest.MonkeyPatch, reply: str) -> None:
    answer(monkeypatch, reply)
    code, out, err = run_cli(capsys, "dlq", "--discard", dead[0])
    assert code == 0 and "for good? [y/N]" in err and f"deleted message {dead[0]}" in out
    assert left_in_dlq(aws) == sorted(BODIES[1:])


@pytest.mark.parametrize("reply", ["n\n", "\n", "", "yep\n", "delete\n"], ids=repr)
def test_anything_but_yes_deletes_nothing(
    aws: dict[str, str], dead: list[str], deletes: list[dict[str, Any]], capsys: Any, monkeypatch: pytest.MonkeyPatch, reply: str
) -> None:
    answer(monkeypatch, reply)
    code, out, err = run_cli(capsys, "dlq", "--discard", dead[2])
    assert code == 1 and "nothing deleted" in err and "deleted message" not in out
    assert deletes == [] and left_in_dlq(aws) == sorted(BODIES)


def test_an_id_that_is_not_there_is_a_clear_error_and_deletes_nothing(
    aws: dict[str, str], dead: list[str], deletes: list[dict[str, Any]], capsys: Any
) -> None:
    missing = "00000000-0000-4000-8000-000000000000"
    code, out, err = run_cli(capsys, "dlq", "--discard", missing, "--yes")
    assert code == 1 and out == ""
    assert err.strip() == f"error: no message {missing} in the dead-letter queue; nothing deleted"
    assert deletes == [] and left_in_dlq(aws) == sorted(BODIES)


def test_an_empty_dlq_is_the_same_clear_error(aws: dict[str, str], capsys: Any) -> None:
    code, _, err = run_cli(capsys, "dlq", "--discard", "00000000-0000-4000-8000-000000000000", "--yes")
    assert code == 1 and "no message 00000000-0000-4000-8000-000000000000 in the dead-letter queue" in err


def test_an_id_not_among_the_listed_max_says_to_raise_max(aws: dict[str, str], dead: list[str], capsys: Any) -> None:
    code, _, err = run_cli(capsys, "dlq", "--discard", "00000000-0000-4000-8000-000000000000", "--yes", "--max", "1")
    assert code == 1 and "(only 1 listed: raise --max)" in err
    assert left_in_dlq(aws) == sorted(BODIES)


def test_a_confirmation_after_the_listings_hold_deletes_nothing(
    aws: dict[str, str], dead: list[str], deletes: list[dict[str, Any]], capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past the hide, the message may be in a colleague's redrive: its handle no longer means "this listing's"."""
    monkeypatch.setattr(support_cli, "DISCARD_MARGIN_SECONDS", support_cli.LISTING_HIDE_SECONDS + 1)  # always too late
    code, _, err = run_cli(capsys, "dlq", "--discard", dead[0], "--yes")
    assert code == 1 and "nothing deleted" in err
    assert deletes == [] and left_in_dlq(aws) == sorted(BODIES)


def test_ctrl_c_at_the_prompt_deletes_nothing(
    aws: dict[str, str], dead: list[str], deletes: list[dict[str, Any]], capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Interrupted(io.StringIO):
        def readline(self, size: int | None = -1) -> str:  # type: ignore[override]
            raise KeyboardInterrupt

    monkeypatch.setattr("sys.stdin", Interrupted())
    code, _, err = run_cli(capsys, "dlq", "--discard", dead[0])
    assert code == 130 and "interrupted" in err
    assert deletes == [] and left_in_dlq(aws) == sorted(BODIES)


def test_a_message_body_is_shown_without_terminal_escapes(aws: dict[str, str], capsys: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    message_id = client("sqs").send_message(QueueUrl=aws["dlq_url"], MessageBody="\x1b[2J{bad")["MessageId"]
    answer(monkeypatch, "n\n")
    _, _, err = run_cli(capsys, "dlq", "--discard", message_id)
    assert "\x1b" not in err and "\\x1b[2J{bad" in err


@pytest.mark.parametrize(
    "argv",
    [["--discard", "x", "--redrive"], ["--yes"], ["--redrive", "--yes"], ["--discard", ""], ["--discard", "a b"], ["--discard", "x" * 101]],
    ids=repr,
)
def test_misuse_is_refused_before_anything_is_read(aws: dict[str, str], dead: list[str], capsys: Any, argv: list[str]) -> None:
    try:
        code, _, err = run_cli(capsys, "dlq", *argv)
    except SystemExit as exit_:  # argparse
        code, err = int(str(exit_.code)), capsys.readouterr().err
    assert code == 2 and "error:" in err
    assert left_in_dlq(aws) == sorted(BODIES)

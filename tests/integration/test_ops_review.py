"""Operations review (review3): the support CLI's day fan-out, its arguments, help, progress and Ctrl-C."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.support.store import REQUEST_TTL
from support_cli import cli as support_cli
from tests.integration.test_support_cli import run_cli
from tests.integration.test_support_cli_inputs import ingest_at


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

"""Operations review (review3): `make capacity` refuses arguments that mean nothing, with one line and status 2."""

from __future__ import annotations

import pytest

from capacity.__main__ import main as capacity_main


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["--taps-per-day", "nan"], "--taps-per-day must be positive"),
        (["--taps-per-day", "inf"], "--taps-per-day must be positive"),
        (["--peak-factor", "-1"], "--peak-factor must be at least 1"),
        (["--peak-factor", "0"], "--peak-factor must be at least 1"),
        (["--peak-factor", "nan"], "--peak-factor must be at least 1"),
        (["--sellers", "0"], "--sellers must be from 1"),  # was IndexError from the simulation
        (["--sellers", "-5"], "--sellers must be from 1"),
        (["--sellers", "1000000000"], "--sellers must be from 1"),  # was tens of GB of memory before any output
        (["--zipf", "-3"], "--zipf must be 0"),
        (["--zipf", "nan"], "--zipf must be 0"),
    ],
    ids=lambda v: " ".join(v) if isinstance(v, list) else "",
)
def test_make_capacity_refuses_nonsense_with_one_line_and_status_2(argv: list[str], says: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        capacity_main([*argv, "--taps-per-day", "1000000"] if "--taps-per-day" not in argv else argv)
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and says in err.splitlines()[-1] and "Traceback" not in err


def test_make_capacity_still_takes_the_edges(capsys: pytest.CaptureFixture[str]) -> None:
    assert capacity_main(["--taps-per-day", "1000000", "--peak-factor", "1", "--sellers", "1", "--zipf", "0", "--sample", "1000"]) == 0
    assert "busiest partition key" in capsys.readouterr().out

"""The capacity and cost model (make capacity) and its command line."""

from __future__ import annotations

import pytest

from capacity import simulate as simulation
from capacity.__main__ import main as capacity_main
from capacity.model import Assumptions, estimate
from chalicelib.support import keys as support_keys

pytestmark = pytest.mark.slow  # the capacity model's simulation: minutes on a busy machine

LARGEST = simulation.Load(taps_per_day=200_000_000, peak_factor=8)


def test_no_partition_key_takes_more_than_half_its_limit_at_the_largest_reference_load() -> None:
    loads = simulation.simulate(LARGEST, sample=40_000)
    for key_load in loads.values():
        key, rate = key_load.busiest()
        assert rate <= key_load.limit * simulation.SAFE_SHARE, f"{key_load.name}: {key} takes {rate:.0f} units/s"


def test_without_shards_the_same_hour_would_throttle(monkeypatch: pytest.MonkeyPatch) -> None:
    """The simulation can fail: one key per day and per seller, as before sharding, is far over the limit."""
    for name in ("DAY_SHARDS", "SELLER_REQUEST_SHARDS", "STATS_SHARDS", "SELLER_COUNTER_SHARDS"):
        monkeypatch.setattr(support_keys, name, 1)
    loads = simulation.simulate(LARGEST, sample=20_000)
    assert loads["support-requests by-day (index)"].busiest()[1] > simulation.PARTITION_WRITE_LIMIT * 10
    assert not loads["support-requests (table)"].within_margin


def test_shards_are_stable_and_readers_cover_every_shard_and_the_legacy_key() -> None:
    event_id = "4b0c6f0e-9f7e-4d8a-8a53-2c8a1f9f1f00"
    assert support_keys.day_index_key("2026-11-26", event_id) == support_keys.day_index_key("2026-11-26", event_id)
    assert support_keys.day_index_key("2026-11-26", event_id) in support_keys.day_index_keys("2026-11-26")
    assert support_keys.seller_requests_key("s1", event_id) in support_keys.seller_requests_keys("s1")
    stats_pk, _ = support_keys.stats_key("2026-11-26", "s1", event_id)
    assert stats_pk in support_keys.stats_keys("2026-11-26")
    assert support_keys.day_index_keys("2026-11-26")[-1] == "DAY#2026-11-26"  # data from before sharding
    assert support_keys.stats_keys("2026-11-26")[-1] == "STATS#2026-11-26"
    assert support_keys.seller_requests_keys("s1")[-1] == "SELLER#s1"


def test_a_quiet_sellers_counters_stay_on_few_items_a_busy_sellers_spread() -> None:
    quiet = {support_keys.stats_key("2026-11-26", "quiet", f"event-{n}") for n in range(3)}
    busy = {support_keys.stats_key("2026-11-26", "busy", f"event-{n}") for n in range(2_000)}
    assert len(quiet) <= 3
    assert len({pk for pk, _ in busy}) == support_keys.SELLER_COUNTER_SHARDS


def test_cost_grows_with_load_and_the_largest_load_names_its_first_limit() -> None:
    small = estimate(simulation.Load(1_000_000), Assumptions())
    large = estimate(LARGEST, Assumptions(), simulation.simulate(LARGEST, sample=10_000))
    assert 150 < large.total_monthly / small.total_monthly < 250  # 200x the taps: about 200x the bill
    assert small.per_million_taps > 0
    assert large.first_limit["used"] > 1  # something must change before 200 M taps a day
    assert {"API Gateway (REST)", "DynamoDB writes", "Lambda GB-seconds"} <= set(large.monthly_cost)


def test_make_capacity_prints_load_cost_limits_and_the_busiest_keys(capsys: pytest.CaptureFixture[str]) -> None:
    assert capacity_main(["--taps-per-day", "20000000", "--peak-factor", "8", "--sample", "5000"]) == 0
    out = capsys.readouterr().out
    assert "peak x8 = 1,852 resolutions/s" in out
    assert "per million taps" in out and "<- first" in out
    assert "busiest partition key per table and index" in out


def test_make_capacity_refuses_a_nonsense_load(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        capacity_main(["--taps-per-day", "-5"])
    assert exit_info.value.code == 2 and "must be positive" in capsys.readouterr().err


def test_the_recorder_counts_every_call_made_from_concurrent_threads() -> None:
    """A batch sends its 10 SendMessageBatch calls at once: the counts the capacity model reads must lose none."""
    import sys
    import threading

    from capacity.work import Recorder

    class SendMessage:  # what botocore passes as the operation model
        name = "SendMessage"

        class service_model:  # botocore's attribute name
            endpoint_prefix = "sqs"

    recorder = Recorder()
    recorder.current = "batch"
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible: unguarded `+=` then loses updates
    try:
        def send_many() -> None:
            for _ in range(5000):
                recorder._after_call({}, SendMessage, {"capacity_params": {"MessageBody": "event"}})

        threads = [threading.Thread(target=send_many) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    assert recorder.work["batch"].calls["sqs:SendMessage"] == 40_000
    assert recorder.work["batch"].sqs_requests == 40_000


def test_a_long_tail_of_sellers_misses_the_answers_cache_and_pays_read_units_but_no_call() -> None:
    """Was: the model took every resolution's seller answers as cached (counts.json's warm resolution), while with
    300,000 sellers most are not in the container's 60 s cache (review8). Such a resolution now reads the seller's
    answers digest in the BatchGetItem it makes anyway: more read units, no extra round trip."""
    from capacity.model import seller_answers_cached_share

    few, many = simulation.Load(1e6, sellers=10), simulation.Load(1e6, sellers=300_000, zipf_s=0)
    assert seller_answers_cached_share(few, 60) > 0.99
    assert seller_answers_cached_share(many, 60) < 0.01
    cached, missed = estimate(few, Assumptions()), estimate(many, Assumptions())
    extra_ms = missed.per_request["api_handler_ms_in_aws"] - cached.per_request["api_handler_ms_in_aws"]
    assert extra_ms == pytest.approx(0)  # no round trip more
    assert missed.monthly_cost["DynamoDB reads"] > cached.monthly_cost["DynamoDB reads"]


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
        (["--sample", "999"], "--sample must be from 1,000"),
        (["--sample", "1000000000"], "--sample must be from 1,000"),  # was a day of simulating before any output
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

"""The per-container cache every hot-path read shares: TTL, one refresh at a time, last good value on error."""

from __future__ import annotations

import threading
import time

import pytest

from chalicelib.shared.cache import TtlCache


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_serves_from_cache_within_the_ttl_and_reloads_after() -> None:
    clock, loads = Clock(), []
    cache: TtlCache[str, int] = TtlCache(lambda key: loads.append(key) or len(loads), ttl_seconds=30, clock=clock)
    assert cache.get("policy").value == 1
    clock.now += 29.9
    assert cache.get("policy").value == 1
    clock.now += 0.2
    assert cache.get("policy").value == 2
    assert loads == ["policy", "policy"]


def test_a_failed_refresh_keeps_the_last_good_value_marked_stale_and_retries_one_ttl_later() -> None:
    clock, errors = Clock(), []
    results: list[int | Exception] = [1, RuntimeError("throttled"), 3]

    def load(_key: str) -> int:
        result = results.pop(0)
        if isinstance(result, Exception):
            raise result
        return result

    cache: TtlCache[str, int] = TtlCache(load, ttl_seconds=10, clock=clock, on_error=lambda key, exc: errors.append(str(exc)))
    assert cache.get("k").value == 1
    clock.now += 11
    stale = cache.get("k")
    assert (stale.value, stale.stale) == (1, True) and errors == ["throttled"]
    clock.now += 5
    assert cache.get("k").value == 1  # not retried on every request
    clock.now += 6
    fresh = cache.get("k")
    assert (fresh.value, fresh.stale) == (3, False)


def test_with_no_good_value_the_error_reaches_the_caller() -> None:
    def load(_key: str) -> int:
        raise RuntimeError("down")

    with pytest.raises(RuntimeError, match="down"):
        TtlCache(load, ttl_seconds=10).get("k")


def test_put_takes_effect_at_once_and_the_oldest_entries_go_first() -> None:
    cache: TtlCache[str, str] = TtlCache(lambda key: f"loaded-{key}", ttl_seconds=60, max_entries=2)
    cache.put("a", "written")
    assert cache.get("a").value == "written"
    cache.get("b")
    cache.get("c")  # evicts "a", the least recently used
    assert cache.get("a").value == "loaded-a"


def test_concurrent_callers_share_one_refresh() -> None:
    calls = []

    def slow_load(key: str) -> str:
        calls.append(key)
        time.sleep(0.05)
        return key

    cache: TtlCache[str, str] = TtlCache(slow_load, ttl_seconds=60)
    threads = [threading.Thread(target=cache.get, args=("k",)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert calls == ["k"]


def test_peek_returns_only_fresh_values_and_never_loads() -> None:
    clock = Clock()
    loads: list[str] = []
    cache: TtlCache[str, str] = TtlCache(lambda key: loads.append(key) or key.upper(), ttl_seconds=10, clock=clock)
    assert cache.peek("a") is None and loads == []
    cache.put("a", "A")
    assert cache.peek("a") == "A"
    clock.now += 10
    assert cache.peek("a") is None and loads == []

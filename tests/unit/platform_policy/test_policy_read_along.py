"""The policy a resolution reads along with the seller's settings: it refreshes the container's copy, and a failed
read keeps the last good one (or the default, marked degraded, in a cold container), with no read of its own."""

from __future__ import annotations

from chalicelib.models.policy import PlatformPolicy, default_policy
from chalicelib.platform_policy.cached import CachedPolicy
from chalicelib.shared.errors import StoreUnavailable


class NoGetItem:
    def get(self, *, for_change: bool = False) -> PlatformPolicy | None:
        raise AssertionError("a resolution reads the policy along with the settings, never on its own")


def throttled() -> PlatformPolicy | None:
    raise StoreUnavailable("the policy's keys came back unprocessed")


def test_a_read_along_fills_the_cache_for_its_ttl_and_a_failed_one_keeps_the_last_good_policy() -> None:
    now = [0.0]
    cached = CachedPolicy(NoGetItem(), ttl_seconds=30, clock=lambda: now[0])
    assert cached.fresh() is None  # cold: the resolution asks for the policy item
    first = PlatformPolicy(version=1)
    assert cached.current(lambda: first) == (first, False)
    now[0] = 29
    assert cached.fresh() == first  # within the TTL: not read again
    now[0] = 31
    assert cached.fresh() is None
    assert cached.current(throttled) == (first, False)  # the last good one, not the default
    assert cached.current(lambda: None) == (first, False)  # tried again one TTL later, not on every request
    now[0] = 62
    assert cached.current(lambda: None) == (default_policy(), False)  # none stored any more: the built-in default


def test_a_cold_container_whose_read_along_failed_uses_the_default_marked_degraded_and_asks_again() -> None:
    cached = CachedPolicy(NoGetItem(), ttl_seconds=30, clock=lambda: 0.0)
    assert cached.current(throttled) == (default_policy(), True)
    assert cached.fresh() is None  # the next request reads it along again

"""The platform policy as the hot path sees it: cached per container, refreshed by one request at a time."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Protocol

from chalicelib.models.policy import PlatformPolicy, default_policy
from chalicelib.shared.cache import TtlCache
from chalicelib.shared.errors import StoreUnavailable
from chalicelib.shared.logs import log

_POLICY = "platform"  # the one cache key


class PolicyReads(Protocol):
    def get(self, *, for_change: bool = False) -> PlatformPolicy | None: ...


class CachedPolicy:
    """The policy as the hot path sees it: cached per container for `ttl_seconds`, refreshed by one request.

    A failed refresh keeps the last good policy (logged once per TTL); a container that never read it
    uses the built-in default and says so (degraded) until a read succeeds.
    """

    def __init__(
        self,
        store: PolicyReads,
        ttl_seconds: float,
        clock: Callable[[], float] = time.monotonic,
        *,
        refresh_store: Callable[[], PolicyReads] | None = None,
    ) -> None:
        """`refresh_store()` (default: `store`) reads once a policy is held: with shorter timeouts, since a failed
        refresh only keeps the last good policy; built on the first refresh."""
        self._store = store
        self._make_refresh_store = refresh_store
        self._refresh_store: PolicyReads | None = None
        self._cache: TtlCache[str, PlatformPolicy] = TtlCache(
            self._load, ttl_seconds, max_entries=1, clock=clock, on_error=_kept_last_good
        )

    def _load(self, _key: str) -> PlatformPolicy:
        store = self._store
        if self._make_refresh_store is not None and self._cache.holds(_POLICY):  # a refresh: the last good one stays
            self._refresh_store = self._refresh_store or self._make_refresh_store()
            store = self._refresh_store
        return store.get() or default_policy()

    def fresh(self) -> PlatformPolicy | None:
        """The cached policy while it is within its TTL, else None (then read it along: `current(stored)`)."""
        return self._cache.peek(_POLICY)

    def current(self, stored: Callable[[], PlatformPolicy | None] | None = None) -> tuple[PlatformPolicy, bool]:
        """(policy, degraded). `stored()`: the item a resolution read along with the seller's settings, used instead
        of a GetItem if the cache needs it (it raises StoreUnavailable when that read failed)."""
        load = None if stored is None else lambda _key: stored() or default_policy()
        try:
            return self._cache.get(_POLICY, load).value, False
        except StoreUnavailable as exc:
            log(logging.WARNING, "policy_unavailable_default_used", error=str(exc)[:200])
            return default_policy(), True

    def written(self, policy: PlatformPolicy) -> None:
        """This container just stored `policy`: it takes effect here at once."""
        self._cache.put(_POLICY, policy)


def _kept_last_good(_key: str, exc: Exception) -> None:
    log(logging.WARNING, "policy_refresh_failed_kept_last_good", error=str(exc)[:200])

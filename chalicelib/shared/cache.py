"""A small per-container cache for reads the hot path would otherwise repeat (policy, answers).

One class for every cached read: a TTL, an injectable clock, one refresh at a time, and the last good
value kept when a refresh fails. Lambda runs one request per container at a time, but the batch path
uses threads, so a lock keeps a refresh single.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


@dataclass(frozen=True)
class Cached(Generic[V]):
    """A value and whether it is stale: a refresh failed and the last good value stands in."""

    value: V
    stale: bool = False


@dataclass
class _Entry(Generic[V]):
    value: V
    fetched_at: float


class TtlCache(Generic[K, V]):
    """`get(key)` returns the cached value while it is younger than `ttl_seconds`, else loads it again.

    `load(key)` may raise: the last good value is then returned as stale (and kept until the next try,
    one TTL later); with no last good value the error propagates and the caller decides what to do.
    At most `max_entries` keys are kept (least recently used go first).
    """

    def __init__(
        self,
        load: Callable[[K], V],
        ttl_seconds: float,
        *,
        max_entries: int = 1024,
        clock: Callable[[], float] = time.monotonic,
        on_error: Callable[[K, Exception], None] | None = None,
    ) -> None:
        self._load = load
        self._ttl = ttl_seconds
        self._max = max_entries
        self._clock = clock
        self._entries: OrderedDict[K, _Entry[V]] = OrderedDict()
        self._on_error = on_error
        self._lock = threading.RLock()

    def get(self, key: K, load: Callable[[K], V] | None = None) -> Cached[V]:
        """`load`: how to load it this time, instead of the cache's own (a value read along with other items)."""
        with self._lock:  # one refresh at a time: concurrent callers wait for it and share its result
            entry = self._entries.get(key)
            now = self._clock()
            if entry is not None and now - entry.fetched_at < self._ttl:
                self._entries.move_to_end(key)
                return Cached(entry.value)
            try:
                value = (load or self._load)(key)
            except Exception as exc:  # any load failure: keep serving the last good value
                if entry is None:
                    raise
                if self._on_error is not None:
                    self._on_error(key, exc)
                entry.fetched_at = now  # try again one TTL later, not on every request
                return Cached(entry.value, stale=True)
            self.put(key, value, now)
            return Cached(value)

    def peek(self, key: K) -> V | None:
        """The cached value if it is still fresh, else None; never loads (lets a caller load many keys at once)."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or self._clock() - entry.fetched_at >= self._ttl:
                return None
            self._entries.move_to_end(key)
            return entry.value

    def holds(self, key: K) -> bool:
        """Whether a value was ever loaded or put for `key` (fresh or not): a failed load would then fall back to it."""
        with self._lock:
            return key in self._entries

    def put(self, key: K, value: V, now: float | None = None) -> None:
        """Store a value this container just wrote: it takes effect here at once."""
        with self._lock:
            self._entries[key] = _Entry(value, self._clock() if now is None else now)
            self._entries.move_to_end(key)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

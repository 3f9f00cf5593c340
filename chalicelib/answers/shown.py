"""The answers a resolution shows: published answers cached per (owner, topic), picked by answers/suggest.py.

The answers package's public service for resolutions (chalicelib/contacts/resolution.py): one cache per container,
so a changed answer reaches every container's resolutions within ANSWERS_CACHE_SECONDS. The resolution reads what
the cache lacks (`missing`) along with the settings, from the owners' digests, and hands it over (`loaded`); without
that read (a service wired with a store of its own) each missing set is a Query.
"""

from __future__ import annotations

import contextvars
import logging
from functools import cache
from typing import TYPE_CHECKING, Protocol

from chalicelib.answers.suggest import AnswerSet, suggest
from chalicelib.models.answers import Answer, Locale, SuggestedAnswer
from chalicelib.models.common import Topic
from chalicelib.shared.cache import TtlCache
from chalicelib.shared.errors import StoreUnavailable
from chalicelib.shared.logs import log

if TYPE_CHECKING:
    from concurrent.futures import ThreadPoolExecutor

ANSWERS_CACHE_SECONDS = 60.0  # a changed answer reaches every container's resolutions within a minute
ANSWERS_CACHE_ENTRIES = 4096  # (owner, topic) pairs per container
ANSWERS_PREFETCH_THREADS = 10


class PublishedAnswers(Protocol):
    def published(self, owner: str, topic: Topic) -> list[Answer]: ...


class ShownAnswers:
    def __init__(self, store: PublishedAnswers | None = None) -> None:
        """`store`: where a missing set is read on its own (None: only what `loaded` hands over is shown)."""
        self._store = store
        self._cache: TtlCache[tuple[str, Topic], AnswerSet] = TtlCache(
            self._load, ANSWERS_CACHE_SECONDS, max_entries=ANSWERS_CACHE_ENTRIES, on_error=_log_answers_error
        )

    def suggest(
        self, owners: list[str], topic: Topic, locale: Locale, question: str | None, prefetched: bool
    ) -> list[SuggestedAnswer]:
        """Up to 3 of the owners' published answers for `topic` (the first owner's set first).

        `prefetched`: a batch loaded what it could at once (prefetch); what failed is left out, not loaded one by one.
        """
        keys = [(owner, topic) for owner in dict.fromkeys(owners)]  # seller id "platform": listed once
        if prefetched:
            sets = [answer_set for key in keys if (answer_set := self._cache.peek(key)) is not None]
            return suggest(sets, locale, question)
        try:
            sets = [self._cache.get(key).value for key in keys]
        except StoreUnavailable:  # answers are a help, never a reason to fail the resolution
            return []
        return suggest(sets, locale, question)

    def prefetch(self, owners: list[str], topic: Topic) -> None:
        """Load the answer sets a batch lacks concurrently (a cold batch of 100 sellers: 101 Queries in parallel)."""
        missing = [(owner, topic) for owner in owners if self._cache.peek((owner, topic)) is None]
        futures = {key: _answers_pool().submit(contextvars.copy_context().run, self._load, key) for key in missing}
        for key, future in futures.items():
            try:
                self._cache.put(key, future.result())
            except StoreUnavailable as exc:
                _log_answers_error(key, exc)

    def missing(self, owners: list[str], topic: Topic) -> list[str]:
        """The owners whose answers for `topic` the container has not cached (or cached over its TTL ago)."""
        return [owner for owner in dict.fromkeys(owners) if self._cache.peek((owner, topic)) is None]

    def loaded(self, topic: Topic, found: dict[str, list[Answer]]) -> None:
        """The owners' published answers, read along with a resolution's settings: cached for `topic`."""
        for owner, answers in found.items():
            self._cache.put((owner, topic), AnswerSet(tuple(answer for answer in answers if topic in answer.topics)))

    def _load(self, key: tuple[str, Topic]) -> AnswerSet:
        if self._store is None:
            raise StoreUnavailable("answers are read along with the settings, not on their own")
        return AnswerSet(tuple(self._store.published(*key)))


@cache
def _answers_pool() -> ThreadPoolExecutor:
    """Created on the first cold batch and kept for the container's life (boto3 clients are thread-safe)."""
    from concurrent.futures import ThreadPoolExecutor  # only batches need threads: not on a single resolution's cold path

    return ThreadPoolExecutor(max_workers=ANSWERS_PREFETCH_THREADS, thread_name_prefix="answers-load")


def _log_answers_error(key: tuple[str, Topic], exc: Exception) -> None:
    log(logging.WARNING, "answers_unavailable", owner=key[0], topic=key[1].value, error=type(exc).__name__)

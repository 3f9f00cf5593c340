"""Everything a resolution reads, in the one BatchGetItem that reads the sellers' settings.

Besides the settings (chalicelib/sellers/store.py): the buyer's reveal tally and a single seller's reply summary
(chalicelib/contacts/tally.py), the platform policy item when the container's copy is older than its TTL
(chalicelib/platform_policy/store.py), and the answers digests the container has not cached (chalicelib/answers/
store.py: the seller's, and the platform's for the topic). So a cold container's first resolution makes the same
calls as a warm one: one read (ceil(keys / 100) parallel calls for a batch) and one send. What is cached is not read
again: the keys are left out, which saves read units, never adds a call.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from chalicelib.answers.store import digest_answers, digest_key, more_digest_pages
from chalicelib.contacts.limits import tally_key
from chalicelib.contacts.resolution import ReadAlong, Wanted
from chalicelib.contacts.tally import DynamoRevealTally
from chalicelib.conversations.rules import stats_from_item
from chalicelib.models.answers import Answer
from chalicelib.models.policy import PlatformPolicy
from chalicelib.platform_policy.store import POLICY_KEY, policy_from_item
from chalicelib.sellers.store import DynamoSettingsStore, ExtraItem, ExtraKey
from chalicelib.shared.dynamo import from_attributes
from chalicelib.shared.errors import StoreUnavailable
from chalicelib.shared.logs import log


class DynamoResolutionReads(DynamoRevealTally):
    def __init__(
        self, settings: DynamoSettingsStore, tally_table: str, stats_table: str | None, policy_table: str, answers_table: str
    ) -> None:
        super().__init__(settings, tally_table, stats_table)
        self._policy_table = policy_table
        self._answers_table = answers_table

    def read(self, seller_ids: Sequence[str], wanted: Wanted) -> ReadAlong:
        tally = stats = policy = None
        if wanted.reveals_of is not None:
            buyer_id, day = wanted.reveals_of
            tally = ExtraKey(self._table, {name: {"S": value} for name, value in tally_key(buyer_id, day).items()})
        if wanted.reply_stats and self._stats_table is not None and len(seller_ids) == 1:
            stats = ExtraKey(self._stats_table, {"pk": {"S": f"stats#{seller_ids[0]}"}, "sk": {"S": "summary"}})
        if wanted.policy:
            policy = ExtraKey(self._policy_table, POLICY_KEY)
        # Answers change rarely and are cached for a minute anyway: an eventually consistent read at half the units.
        digests = {owner: ExtraKey(self._answers_table, digest_key(owner, wanted.topic), consistent=False) for owner in wanted.answers_of}
        extras = [extra for extra in (tally, stats, policy) if extra is not None] + list(digests.values())
        if not extras and len(seller_ids) == 1:  # nothing but the settings: a GetItem, as a bare handler makes
            return self._settings_alone(seller_ids[0])
        found, unavailable, items = self._settings.get_many_with_keys(seller_ids, extras)
        got = {id(extra): item for extra, item in zip(extras, items, strict=True)}
        read = ReadAlong(found, unavailable, answers=self._digests({owner: got[id(extra)] for owner, extra in digests.items()}))
        if tally is not None:
            read = read._replace(reveals=_reveals(got[id(tally)]))
        if stats is not None and (summary := got[id(stats)]).item and not summary.unread:
            read = read._replace(measured_hours=stats_from_item(from_attributes(summary.item)).median_hours())
        if policy is not None:
            read = read._replace(policy=_policy_read(got[id(policy)]))
        return read

    def _settings_alone(self, seller_id: str) -> ReadAlong:
        try:
            settings = self._settings.get(seller_id)
        except StoreUnavailable:  # the resolution logs it (settings_unavailable), once per request
            return ReadAlong({}, {seller_id})
        return ReadAlong({seller_id: settings} if settings is not None else {}, set())

    def _digests(self, read: dict[str, ExtraItem]) -> dict[str, list[Answer]]:
        """The answers of each owner whose digest was read (none stored: no answers); an unread one is left out."""
        answers: dict[str, list[Answer]] = {}
        paged: dict[str, tuple[dict[str, Any], list[str]]] = {}
        for owner, digest in read.items():
            if digest.unread:
                log(logging.WARNING, "answers_unavailable", owner=owner, error=digest.reason or "unread")
            elif digest.item is None:
                answers[owner] = []
            elif pages := more_digest_pages(digest.item):
                paged[owner] = (digest.item, pages)
            else:
                self._parse_digest(answers, owner, digest.item, [])
        if paged:  # a digest over one item's size (hundreds of long answers): its other pages take one call more
            keys = [ExtraKey(self._answers_table, {"answer_id": {"S": page}}) for _, pages in paged.values() for page in pages]
            _, _, items = self._settings.get_many_with_keys([], keys)
            by_id = {key.key["answer_id"]["S"]: item for key, item in zip(keys, items, strict=True)}
            for owner, (first, pages) in paged.items():
                more = [by_id[page] for page in pages]
                if all(page.item is not None for page in more):
                    self._parse_digest(answers, owner, first, [page.item for page in more if page.item is not None])
                else:
                    log(logging.WARNING, "answers_unavailable", owner=owner, error="digest pages unread")
        return answers

    @staticmethod
    def _parse_digest(answers: dict[str, list[Answer]], owner: str, first: dict[str, Any], more: list[dict[str, Any]]) -> None:
        try:
            answers[owner] = digest_answers(first, more)
        except StoreUnavailable as exc:
            log(logging.WARNING, "answers_unavailable", owner=owner, error=str(exc)[:200])


def _reveals(tally: ExtraItem) -> frozenset[str] | None:
    """The sellers revealed to the buyer today (None: the tally could not be read)."""
    if tally.reason is not None:
        log(logging.WARNING, "reveal_tally_unavailable", error=tally.reason)
    if tally.unread:
        return None
    return frozenset(from_attributes(tally.item).get("sellers", set()) if tally.item else set())


def _policy_read(item: ExtraItem) -> PlatformPolicy | StoreUnavailable | None:
    """The stored policy (None: none stored, the default applies), or why it could not be read."""
    if item.unread:
        return StoreUnavailable(f"policy not read: {item.reason or 'DynamoDB did not answer'}")
    if item.item is None:
        return None
    try:
        return policy_from_item(item.item)
    except StoreUnavailable as exc:
        return exc

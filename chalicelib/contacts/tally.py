"""The buyer's reveal tally, read with the sellers' settings in one BatchGetItem (the ingest writes it).

The tally sits in the support-requests table (chalicelib/support/store.py adds to it); a resolution of a limited
buyer reads it in the same call as the sellers' settings (chalicelib/sellers/store.py), so the limit costs no
extra round trip.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import date

from chalicelib.contacts.limits import tally_key
from chalicelib.conversations.rules import stats_from_item
from chalicelib.models.settings import SellerSettings
from chalicelib.sellers.store import DynamoSettingsStore
from chalicelib.shared.dynamo import from_attributes
from chalicelib.shared.logs import log


class DynamoRevealTally:
    def __init__(self, settings: DynamoSettingsStore, tally_table: str, stats_table: str | None = None) -> None:
        self._settings = settings
        self._table = tally_table  # support-requests: where the ingest keeps each buyer's daily reveals
        self._stats_table = stats_table  # conversations: each seller's reply summary (stats#<seller>/summary)

    def get_with_reveals_and_stats(
        self, seller_ids: Sequence[str], buyer_id: str, day: date
    ) -> tuple[dict[str, SellerSettings], set[str], frozenset[str] | None, int | None]:
        """get_with_reveals, plus one seller's measured median reply time (hours; None: fewer than 5 replies or
        unread), all in the same BatchGetItem. Batches read no summaries: they would cost a call more."""
        if self._stats_table is None or len(seller_ids) != 1:
            return *self.get_with_reveals(seller_ids, buyer_id, day), None
        key = {name: {"S": value} for name, value in tally_key(buyer_id, day).items()}
        stats_key = {"pk": {"S": f"stats#{seller_ids[0]}"}, "sk": {"S": "summary"}}
        found, unavailable, extras = self._settings.get_many_with_all(seller_ids, {self._table: key, self._stats_table: stats_key})
        tally, stats = extras[self._table], extras[self._stats_table]
        if tally.reason is not None:
            log(logging.WARNING, "reveal_tally_unavailable", error=tally.reason)
        reveals = None if tally.unread else frozenset(from_attributes(tally.item).get("sellers", set()) if tally.item else set())
        median = stats_from_item(from_attributes(stats.item)).median_hours() if stats.item and not stats.unread else None
        return found, unavailable, reveals, median

    def get_with_reveals(
        self, seller_ids: Iterable[str], buyer_id: str, day: date
    ) -> tuple[dict[str, SellerSettings], set[str], frozenset[str] | None]:
        """The sellers' settings, the ids DynamoDB could not answer for, and the sellers revealed to `buyer_id` on
        `day` (None: the tally could not be read).

        An unreadable tally never blocks the buyer (not by our outage); the caller's allowance still caps what one
        request reveals.
        """
        key = {name: {"S": value} for name, value in tally_key(buyer_id, day).items()}
        found, unavailable, tally = self._settings.get_many_with(seller_ids, self._table, key)
        if tally.reason is not None:
            log(logging.WARNING, "reveal_tally_unavailable", error=tally.reason)
        if tally.unread:
            return found, unavailable, None
        return found, unavailable, frozenset(from_attributes(tally.item).get("sellers", set()) if tally.item else set())

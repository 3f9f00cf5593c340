"""The buyer's reveal tally, read with the sellers' settings in one BatchGetItem (the ingest writes it).

The tally sits in the support-requests table (chalicelib/support/store.py adds to it); a resolution of a limited
buyer reads it in the same call as the sellers' settings (chalicelib/sellers/store.py), so the limit costs no
extra round trip.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date

from chalicelib.contacts.limits import tally_key
from chalicelib.models.settings import SellerSettings
from chalicelib.sellers.store import DynamoSettingsStore
from chalicelib.shared.dynamo import from_attributes
from chalicelib.shared.logs import log


class DynamoRevealTally:
    def __init__(self, settings: DynamoSettingsStore, tally_table: str) -> None:
        self._settings = settings
        self._table = tally_table  # support-requests: where the ingest keeps each buyer's daily reveals

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

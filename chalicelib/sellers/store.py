"""DynamoDB adapter for seller channel settings: one item per seller, native attributes.

The same item holds the platform's restriction of the seller (written by chalicelib/platform_policy/restrictions.py):
a resolution reads both in one GetItem or BatchGetItem.
"""

from __future__ import annotations

import contextvars
import logging
import threading
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from pydantic import ValidationError

from chalicelib.models.settings import SellerSettings
from chalicelib.platform_policy.restrictions import restriction_of
from chalicelib.shared.dynamo import (
    error_code,
    from_attributes,
    stored_version,
    to_attributes,
    unavailable_as,
    version_condition,
    versioned_write,
)
from chalicelib.shared.errors import InvalidStoredRestriction, InvalidStoredSettings
from chalicelib.shared.logs import log

BATCH_GET_LIMIT = 100  # DynamoDB's BatchGetItem maximum
UNPROCESSED_RETRIES = 4
PARALLEL_READS = 3  # a cold batch of 100 sellers, their answers digests, the tally and the policy: three calls
PARSED_ITEMS_KEPT = 4096  # sellers per container whose last parsed item is kept
# Errors DynamoDB gives for one table of a BatchGetItem that the other tables do not cause: worth a second read.
EXTRA_TABLE_ERRORS = frozenset({"ResourceNotFoundException", "AccessDeniedException"})


@dataclass(frozen=True)
class ExtraItem:
    """The item of another table read along with the sellers (the reveal tally), as DynamoDB answered for it.

    `unread`: DynamoDB did not answer for it; `reason` says why when DynamoDB refused it alone (the sellers were read).
    """

    item: dict[str, Any] | None = None
    unread: bool = False
    reason: str | None = None


UNREAD = ExtraItem(unread=True)


@dataclass(frozen=True)
class ExtraKey:
    """An item of another table to read along with the sellers: the reveal tally, a reply summary, the platform policy,
    an answers digest. `consistent`: a strongly consistent read (eventually consistent costs half the read units)."""

    table: str
    key: dict[str, Any]
    consistent: bool = True


def to_item(settings: SellerSettings) -> dict[str, Any]:
    return to_attributes(settings.model_dump(mode="json", exclude_none=True))


def from_item(item: dict[str, Any]) -> SellerSettings:
    return SellerSettings.model_validate(from_attributes(item))


class DynamoSettingsStore:
    def __init__(
        self,
        dynamodb: Any,
        table_name: str,
        sleep: Any = time.sleep,
        *,
        restricted_without_settings: bool = False,
    ) -> None:
        """`restricted_without_settings`: for resolutions, an item that holds only the platform's restriction (the
        seller never stored settings) reads as settings at version 0 with no channel, so the restriction applies;
        for the seller's own routes (False) it reads as no settings."""
        self._db = dynamodb
        self._table = table_name
        self._sleep = sleep
        self._restricted_without_settings = restricted_without_settings

    def get(self, seller_id: str) -> SellerSettings | None:
        with unavailable_as():
            response = self._db.get_item(TableName=self._table, Key=_key(seller_id), ConsistentRead=True)
        item = response.get("Item")
        if not item:
            return None
        if "version" not in item:
            return self._without_settings(item)
        settings = _parse(item)
        if settings is None and not self._restricted_without_settings and "restriction" in item:
            # The seller's own routes: the restriction is not theirs to see, so one this release cannot read must
            # not lock them out of their settings (resolutions still fail closed on it).
            settings = _parse({name: value for name, value in item.items() if name != "restriction"})
        if settings is None:
            raise InvalidStoredSettings(stored_version(item))
        return settings

    def _without_settings(self, item: dict[str, Any]) -> SellerSettings | None:
        """An item with only the platform's restriction: the seller never stored settings."""
        return _restricted_only(item) if self._restricted_without_settings else None

    def get_many(self, seller_ids: Iterable[str]) -> tuple[dict[str, SellerSettings], set[str]]:
        """Settings of the sellers that have an item, and the ids DynamoDB could not answer for."""
        ids = list(seller_ids)
        found: dict[str, SellerSettings] = {}
        unavailable: set[str] = set()
        for start in range(0, len(ids), BATCH_GET_LIMIT):
            chunk = ids[start : start + BATCH_GET_LIMIT]
            self._read_chunk({self._table: {"Keys": [_key(sid) for sid in chunk], "ConsistentRead": True}}, chunk, found, unavailable)
        return found, unavailable

    def get_many_with(
        self, seller_ids: Iterable[str], table: str, key: dict[str, Any]
    ) -> tuple[dict[str, SellerSettings], set[str], ExtraItem]:
        """get_many plus the item at `key` of another `table`, read in the same BatchGetItem (the reveal tally).

        N sellers take ceil((N+1)/100) calls, issued in parallel.
        """
        found, unavailable, extras = self.get_many_with_all(seller_ids, {table: key})
        return found, unavailable, extras[table]

    def get_many_with_all(
        self, seller_ids: Iterable[str], extra_keys: dict[str, dict[str, Any]]
    ) -> tuple[dict[str, SellerSettings], set[str], dict[str, ExtraItem]]:
        """get_many plus one item of each other table (`extra_keys`: table -> key), read in the first BatchGetItem
        (the reveal tally, a seller's reply summary). The extra items take slots of the first call's 100."""
        extras = [ExtraKey(table, key) for table, key in extra_keys.items()]
        found, unavailable, items = self.get_many_with_keys(seller_ids, extras)
        return found, unavailable, {extra.table: item for extra, item in zip(extras, items, strict=True)}

    def get_many_with_keys(
        self, seller_ids: Iterable[str], extras: Sequence[ExtraKey]
    ) -> tuple[dict[str, SellerSettings], set[str], list[ExtraItem]]:
        """get_many plus the `extras` (items of other tables, several per table allowed), in as few BatchGetItem
        calls as DynamoDB allows: ceil((sellers + extras) / 100), issued in parallel. The extras go first, so a
        single seller's read and all its extras are one call. Returns the extras' items in the order asked."""
        ids = list(seller_ids)
        found: dict[str, SellerSettings] = {}
        unavailable: set[str] = set()
        slots: list[tuple[int, ExtraKey] | str] = [*enumerate(extras), *ids]
        chunks = [slots[start : start + BATCH_GET_LIMIT] for start in range(0, len(slots), BATCH_GET_LIMIT)]
        extra_items: dict[int, ExtraItem] = {}
        if len(chunks) == 1:
            extra_items = self._read_slots(chunks[0], found, unavailable)
        elif chunks:  # boto3 clients are thread-safe; each worker runs in a copy of our context (log fields go along)
            futures = [
                _reader_pool().submit(contextvars.copy_context().run, self._read_slots, chunk, found, unavailable)
                for chunk in chunks
            ]
            for future in futures:  # every chunk is read before `found` is returned
                extra_items.update(future.result())
        return found, unavailable, [extra_items.get(number, ExtraItem()) for number in range(len(extras))]

    def _read_slots(
        self, slots: list[tuple[int, ExtraKey] | str], found: dict[str, SellerSettings], unavailable: set[str]
    ) -> dict[int, ExtraItem]:
        """One BatchGetItem of these sellers and extras: the sellers into `found`/`unavailable`, the extras returned."""
        chunk = [slot for slot in slots if isinstance(slot, str)]
        asked = [slot for slot in slots if not isinstance(slot, str)]
        request: dict[str, Any] = {}
        if chunk:
            request[self._table] = {"Keys": [_key(sid) for sid in chunk], "ConsistentRead": True}
        for _number, extra in asked:
            entry = request.setdefault(extra.table, {"Keys": [], "ConsistentRead": extra.consistent})
            entry["Keys"].append(extra.key)
        return self._read_chunk(request, chunk, found, unavailable, asked) or {}

    def _read_chunk(
        self,
        request: dict[str, Any],
        chunk: list[str],
        found: dict[str, SellerSettings],
        unavailable: set[str],
        asked: Sequence[tuple[int, ExtraKey]] = (),
    ) -> dict[int, ExtraItem] | None:
        """Read one BatchGetItem's worth into `found`/`unavailable`; returns what became of the `asked` extras (by
        their number) if there are any (else None)."""
        extra_refused = None
        try:
            responses, unprocessed = self._batch_get(request)
        except ClientError as exc:
            if not (self._table in request and asked and error_code(exc) in EXTRA_TABLE_ERRORS):
                return self._failed(chunk, exc, unavailable, asked)
            # DynamoDB refused another table (missing, access denied): the sellers' settings matter more than those
            # items, so read them again without them. Any other error is not retried: a throttled or failing
            # seller table would only spend the rest of the resolution's AWS time budget.
            try:
                responses, unprocessed = self._batch_get({self._table: request[self._table]})
            except (ClientError, BotoCoreError) as retry_exc:
                return self._failed(chunk, retry_exc, unavailable, asked)
            extra_refused = error_code(exc)
        except BotoCoreError as exc:
            return self._failed(chunk, exc, unavailable, asked)
        unavailable.update(key["seller_id"]["S"] for key in unprocessed.get(self._table, []))
        for item in responses.get(self._table, []):
            if "version" not in item:
                try:
                    restricted = self._without_settings(item)
                except InvalidStoredSettings:
                    unavailable.add(item["seller_id"]["S"])
                    continue
                if restricted is not None:
                    found[restricted.seller_id] = restricted
                continue
            settings = _parse(item)
            if settings is None:
                unavailable.add(item["seller_id"]["S"])
            else:
                found[settings.seller_id] = settings
        if not asked:
            return None
        extras = {}
        for number, extra in asked:
            if extra_refused is not None:
                extras[number] = ExtraItem(unread=True, reason=extra_refused)
            elif any(_has_key(key, extra.key) for key in unprocessed.get(extra.table, [])):
                extras[number] = ExtraItem(unread=True, reason="UnprocessedKeys")
            else:
                matching = [item for item in responses.get(extra.table, []) if _has_key(item, extra.key)]
                extras[number] = ExtraItem(item=matching[0] if matching else None)
        return extras

    @staticmethod
    def _failed(
        chunk: list[str], exc: Exception, unavailable: set[str], asked: Sequence[tuple[int, ExtraKey]]
    ) -> dict[int, ExtraItem]:
        """DynamoDB did not answer: the chunk's sellers are unavailable, and so is any other item it asked for."""
        log(logging.WARNING, "settings_batch_get_failed", error=type(exc).__name__, sellers=len(chunk))
        unavailable.update(chunk)
        return {number: UNREAD for number, _extra in asked}

    def _batch_get(self, request: dict[str, Any]) -> tuple[dict[str, list[dict[str, Any]]], dict[str, list[dict[str, Any]]]]:
        """Items per table, and the keys per table still unprocessed after the retries."""
        responses: dict[str, list[dict[str, Any]]] = {}
        for attempt in range(UNPROCESSED_RETRIES + 1):
            response = self._db.batch_get_item(RequestItems=request)
            for table, items in response.get("Responses", {}).items():
                responses.setdefault(table, []).extend(items)
            request = response.get("UnprocessedKeys") or {}
            if not request:
                return responses, {}
            if attempt < UNPROCESSED_RETRIES:
                self._sleep(0.05 * 2**attempt)  # back off: unprocessed keys mean throttling
        left = {table: keys["Keys"] for table, keys in request.items()}
        log(logging.WARNING, "settings_unprocessed_keys", sellers=len(left.get(self._table, [])))
        return responses, left

    def put(self, settings: SellerSettings, expected_version: int) -> None:
        """Write `settings` only if the stored version is still `expected_version` (0: no settings yet).

        An update of the seller's own attributes, not a put of the item: a restriction the platform set on
        the same item (platform_policy/restrictions.py) survives every seller write, even one racing with it.
        """
        condition = version_condition(expected_version, "version")
        values = condition.pop("ExpressionAttributeValues", {})
        attributes = to_item(settings)
        del attributes["seller_id"]
        names = {f"#a{i}": name for i, name in enumerate(attributes)}
        with versioned_write():
            self._db.update_item(
                TableName=self._table,
                Key=_key(settings.seller_id),
                UpdateExpression="SET " + ", ".join(f"#a{i} = :a{i}" for i in range(len(attributes))),
                ExpressionAttributeNames=names,
                ExpressionAttributeValues={**{f":a{i}": value for i, value in enumerate(attributes.values())}, **values},
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
                **condition,
            )


def _restricted_only(item: dict[str, Any]) -> SellerSettings | None:
    """A restricted seller who never stored settings: no channel, version 0 (the API's "no settings yet").

    A restriction that does not validate is InvalidStoredSettings: the resolution fails closed for this seller
    (settings unavailable), as for a seller with settings and such a restriction, and never says "not restricted".
    """
    try:
        restriction = restriction_of(item)
    except InvalidStoredRestriction as exc:
        log(logging.ERROR, "settings_item_invalid", seller_id=item["seller_id"]["S"], restriction_mode=str(exc.stored_mode)[:40])
        raise InvalidStoredSettings(0) from None
    if restriction is None:
        return None
    # model_construct: version 0 is below what a stored item may have (>= 1), and that is the point.
    return SellerSettings.model_construct(
        seller_id=item["seller_id"]["S"], version=0, updated_at=restriction.set_at, updated_by=restriction.set_by,
        restriction=restriction,
    )


@cache
def _reader_pool() -> ThreadPoolExecutor:
    """Created on the first multi-call read and kept for the container's life."""
    return ThreadPoolExecutor(max_workers=PARALLEL_READS, thread_name_prefix="ddb-read")


def _key(seller_id: str) -> dict[str, Any]:
    return {"seller_id": {"S": seller_id}}


def _has_key(item: dict[str, Any], key: dict[str, Any]) -> bool:
    return all(item.get(name) == value for name, value in key.items())


# seller id -> (the raw item, its parsed settings). Every read still goes to DynamoDB; an item equal to the one
# parsed last time gives back the same (frozen) settings without deserialising and validating it again.
_parsed: dict[str, tuple[dict[str, Any], SellerSettings]] = {}
_parsed_lock = threading.Lock()  # a batch's two BatchGetItem calls parse in two threads


def _parse(item: dict[str, Any]) -> SellerSettings | None:
    """None for a hand-edited item that no longer validates: callers treat it as unavailable, never as a 500."""
    seller_id = item.get("seller_id", {}).get("S")
    last = _parsed.get(seller_id) if isinstance(seller_id, str) else None
    if last is not None and last[0] == item:
        return last[1]
    try:
        settings = from_item(item)
    except ValidationError as exc:
        log(logging.ERROR, "settings_item_invalid", seller_id=seller_id, errors=exc.error_count())
        return None
    with _parsed_lock:
        if len(_parsed) >= PARSED_ITEMS_KEPT:
            del _parsed[next(iter(_parsed))]  # the oldest first
        _parsed[settings.seller_id] = (item, settings)
    return settings

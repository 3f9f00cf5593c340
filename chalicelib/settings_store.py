"""DynamoDB adapter for seller channel settings: one item per seller, native attributes."""

from __future__ import annotations

import contextvars
import logging
import threading
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import date
from enum import Enum
from functools import cache
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from pydantic import ValidationError

from chalicelib.attributes import from_attributes, to_attributes
from chalicelib.errors import InvalidStoredRestriction, InvalidStoredSettings, StoreUnavailable, VersionConflict
from chalicelib.limits import tally_key
from chalicelib.logs import log
from chalicelib.models import SellerRestriction, SellerSettings

BATCH_GET_LIMIT = 100  # DynamoDB's BatchGetItem maximum
UNPROCESSED_RETRIES = 4
PARALLEL_READS = 2  # a batch of 100 sellers plus the reveal tally is two BatchGetItem calls
PARSED_ITEMS_KEPT = 4096  # sellers per container whose last parsed item is kept
# Errors DynamoDB gives for one table of a BatchGetItem that the other tables do not cause: worth a second read.
TALLY_TABLE_ERRORS = frozenset({"ResourceNotFoundException", "AccessDeniedException"})


class _Tally(Enum):
    UNREAD = "unread"  # asked for, but DynamoDB did not answer for it


TALLY_UNREAD = _Tally.UNREAD


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
        tally_table: str | None = None,
        *,
        restricted_without_settings: bool = False,
    ) -> None:
        """`restricted_without_settings`: for resolutions, an item that holds only the platform's restriction (the
        seller never stored settings) reads as settings at version 0 with no channel, so the restriction applies;
        for the seller's own routes (False) it reads as no settings."""
        self._db = dynamodb
        self._table = table_name
        self._sleep = sleep
        self._tally_table = tally_table  # support-requests: where the ingest keeps each buyer's daily reveals
        self._restricted_without_settings = restricted_without_settings

    def get(self, seller_id: str) -> SellerSettings | None:
        try:
            response = self._db.get_item(TableName=self._table, Key=_key(seller_id), ConsistentRead=True)
        except (ClientError, BotoCoreError) as exc:
            raise StoreUnavailable(str(exc)) from exc
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
            raise InvalidStoredSettings(_stored_version(item))
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

    def get_with_reveals(
        self, seller_ids: Iterable[str], buyer_id: str, day: date
    ) -> tuple[dict[str, SellerSettings], set[str], frozenset[str] | None]:
        """get_many plus the sellers revealed to `buyer_id` on `day` (None: the tally could not be read), read in
        the same BatchGetItem.

        N sellers take ceil((N+1)/100) calls, issued in parallel. An unreadable tally never blocks the buyer (not
        by our outage); the caller's allowance still caps what one request reveals.
        """
        if self._tally_table is None:
            raise RuntimeError("no tally table configured")
        ids = list(seller_ids)
        tally = {"Keys": [{name: {"S": value} for name, value in tally_key(buyer_id, day).items()}], "ConsistentRead": True}
        found: dict[str, SellerSettings] = {}
        unavailable: set[str] = set()
        first = ids[: BATCH_GET_LIMIT - 1]  # the tally key takes one of the first call's 100 slots
        chunks = [first, *(ids[start : start + BATCH_GET_LIMIT] for start in range(len(first), len(ids), BATCH_GET_LIMIT))]
        requests = [{self._table: {"Keys": [_key(sid) for sid in chunk], "ConsistentRead": True}} for chunk in chunks]
        requests[0][self._tally_table] = tally
        if not first:
            del requests[0][self._table]
        if len(requests) == 1:
            tally_item = self._read_chunk(requests[0], chunks[0], found, unavailable)
        else:  # boto3 clients are thread-safe; each worker runs in a copy of our context (log fields go along)
            futures = [
                _reader_pool().submit(contextvars.copy_context().run, self._read_chunk, request, chunk, found, unavailable)
                for request, chunk in zip(requests, chunks, strict=True)
            ]
            results = [future.result() for future in futures]  # every chunk is read before `found` is returned
            tally_item = results[0]  # the first call carries the tally key
        if tally_item is TALLY_UNREAD:
            return found, unavailable, None
        return found, unavailable, frozenset((tally_item or {}).get("sellers", set()))

    def _read_chunk(
        self, request: dict[str, Any], chunk: list[str], found: dict[str, SellerSettings], unavailable: set[str]
    ) -> dict[str, Any] | _Tally | None:
        """Read one BatchGetItem's worth into `found`/`unavailable`; returns the tally item if asked for and present,
        or TALLY_UNREAD if asked for and DynamoDB did not answer for it."""
        tally_refused = False
        try:
            responses, unprocessed = self._batch_get(request)
        except ClientError as exc:
            if not (self._table in request and self._tally_table in request and _error_code(exc) in TALLY_TABLE_ERRORS):
                return self._failed(chunk, exc, unavailable)
            # DynamoDB refused the tally's table alone (missing, access denied): the sellers' settings matter more
            # than the limit, so read them again without it. Any other error is not retried: a throttled or failing
            # seller table would only spend the rest of the resolution's AWS time budget.
            try:
                responses, unprocessed = self._batch_get({self._table: request[self._table]})
            except (ClientError, BotoCoreError) as retry_exc:
                return self._failed(chunk, retry_exc, unavailable)
            log(logging.WARNING, "reveal_tally_unavailable", error=_error_code(exc))
            tally_refused = True
        except BotoCoreError as exc:
            return self._failed(chunk, exc, unavailable)
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
        if self._tally_table is None or self._tally_table not in request:
            return None
        if tally_refused:
            return TALLY_UNREAD
        if unprocessed.get(self._tally_table):
            log(logging.WARNING, "reveal_tally_unavailable", error="UnprocessedKeys")
            return TALLY_UNREAD
        tally = responses.get(self._tally_table, [])
        return from_attributes(tally[0]) if tally else None

    @staticmethod
    def _failed(chunk: list[str], exc: Exception, unavailable: set[str]) -> _Tally:
        """DynamoDB did not answer: the chunk's sellers are unavailable, and so is any tally it asked for."""
        log(logging.WARNING, "settings_batch_get_failed", error=type(exc).__name__, sellers=len(chunk))
        unavailable.update(chunk)
        return TALLY_UNREAD

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
        the same item (see set_restriction) survives every seller write, even one racing with it.
        """
        if expected_version == 0:
            condition: dict[str, Any] = {"ConditionExpression": "attribute_not_exists(version)"}
            values: dict[str, Any] = {}
        else:
            condition = {"ConditionExpression": "version = :expected"}
            values = {":expected": {"N": str(expected_version)}}
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

    # ------------------------------------------------------------ the platform's restriction, on the same item

    def get_restriction(self, seller_id: str) -> SellerRestriction | None:
        item = self._call("get_item", Key=_key(seller_id), ConsistentRead=True, ProjectionExpression="restriction")
        return _restriction(item.get("Item"))

    def set_restriction(self, seller_id: str, restriction: SellerRestriction) -> str | None:
        """Store `restriction` (creating the item if the seller has no settings yet); returns the mode it replaced,
        as stored (one this release cannot read is replaced all the same)."""
        response = self._call(
            "update_item",
            Key=_key(seller_id),
            UpdateExpression="SET restriction = :restriction",
            ExpressionAttributeValues=to_attributes({":restriction": restriction.model_dump(mode="json")}),
            ReturnValues="UPDATED_OLD",
        )
        return _stored_mode(response.get("Attributes"))

    def lift_restriction(self, seller_id: str) -> str | None:
        """Remove the restriction; returns its mode as stored, or None if there was none (then nothing is written)."""
        try:
            response = self._db.update_item(
                TableName=self._table,
                Key=_key(seller_id),
                UpdateExpression="REMOVE restriction",
                ConditionExpression="attribute_exists(restriction)",
                ReturnValues="UPDATED_OLD",
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return None
            raise StoreUnavailable(str(exc)) from exc
        except BotoCoreError as exc:
            raise StoreUnavailable(str(exc)) from exc
        return _stored_mode(response.get("Attributes"))

    def _call(self, operation: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response: dict[str, Any] = getattr(self._db, operation)(TableName=self._table, **kwargs)
        except (ClientError, BotoCoreError) as exc:
            raise StoreUnavailable(str(exc)) from exc
        return response


def _restricted_only(item: dict[str, Any]) -> SellerSettings | None:
    """A restricted seller who never stored settings: no channel, version 0 (the API's "no settings yet").

    A restriction that does not validate is InvalidStoredSettings: the resolution fails closed for this seller
    (settings unavailable), as for a seller with settings and such a restriction, and never says "not restricted".
    """
    try:
        restriction = _restriction(item)
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


def _restriction(item: dict[str, Any] | None) -> SellerRestriction | None:
    if not item or "restriction" not in item:
        return None
    try:
        return SellerRestriction.model_validate(from_attributes(item)["restriction"])
    except ValidationError as exc:
        raise InvalidStoredRestriction(_stored_mode(item)) from exc


def _stored_mode(item: dict[str, Any] | None) -> str | None:
    """The restriction's mode as stored, read without validating it (None: no restriction)."""
    if not item or "restriction" not in item:
        return None
    stored = from_attributes(item)["restriction"]
    mode = stored.get("mode") if isinstance(stored, dict) else None
    return mode if isinstance(mode, str) else "unreadable"


@contextmanager
def versioned_write() -> Iterator[None]:
    """Around a write conditioned on `version` (ALL_OLD on failure): a lost race -> VersionConflict, else StoreUnavailable."""
    try:
        yield
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise StoreUnavailable(str(exc)) from exc
        old = exc.response.get("Item")
        raise VersionConflict(_stored_version(old) if old else 0) from None
    except BotoCoreError as exc:
        raise StoreUnavailable(str(exc)) from exc


@cache
def _reader_pool() -> ThreadPoolExecutor:
    """Created on the first multi-call read and kept for the container's life."""
    return ThreadPoolExecutor(max_workers=PARALLEL_READS, thread_name_prefix="ddb-read")


def _key(seller_id: str) -> dict[str, Any]:
    return {"seller_id": {"S": seller_id}}


def _stored_version(item: dict[str, Any]) -> int:
    """The version of an item that does not validate, so its owner can replace it (0 if unreadable)."""
    try:
        return max(int(item["version"]["N"]), 0)
    except (KeyError, TypeError, ValueError):
        return 0


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


def _error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", type(exc).__name__))

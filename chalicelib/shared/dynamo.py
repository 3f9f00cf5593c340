"""DynamoDB helpers every store uses: plain values <-> attribute values, the one error mapping, the versioned write."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.shared.errors import StoreUnavailable, VersionConflict

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()
CONDITION_FAILED = "ConditionalCheckFailedException"


def to_attributes(plain: dict[str, Any]) -> dict[str, Any]:
    """{"version": 3, "chat": {"enabled": True}} -> {"version": {"N": "3"}, "chat": {"M": {...}}}; None is left out."""
    return {key: _serializer.serialize(value) for key, value in plain.items() if value is not None}


def from_attributes(item: dict[str, Any]) -> dict[str, Any]:
    """The reverse; top-level whole numbers come back as int (all of ours are), not Decimal."""
    return {key: _plain_number(_deserializer.deserialize(value)) for key, value in item.items()}


def _plain_number(value: Any) -> Any:
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)
    return value


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", type(exc).__name__))


@contextmanager
def unavailable_as(error: type[StoreUnavailable] = StoreUnavailable) -> Iterator[None]:
    """Around a DynamoDB call: DynamoDB not answering (any ClientError or BotoCoreError) becomes `error`.

    A resolution degrades on it; a read or write of the data itself is a 503 (chalicelib/api/http.py).
    """
    try:
        yield
    except (ClientError, BotoCoreError) as exc:
        raise error(str(exc)) from exc


@contextmanager
def versioned_write(error: type[StoreUnavailable] = StoreUnavailable) -> Iterator[None]:
    """Around a write conditioned on `version` (ALL_OLD on failure): a lost race -> VersionConflict, else `error`."""
    try:
        yield
    except ClientError as exc:
        if error_code(exc) != CONDITION_FAILED:
            raise error(str(exc)) from exc
        old = exc.response.get("Item")
        raise VersionConflict(stored_version(old) if old else 0) from None
    except BotoCoreError as exc:
        raise error(str(exc)) from exc


def version_condition(expected_version: int, key_attribute: str) -> dict[str, Any]:
    """The condition of a versioned write: no item yet (`expected_version` 0: `key_attribute` absent), or this version."""
    if expected_version == 0:
        return {"ConditionExpression": f"attribute_not_exists({key_attribute})"}
    return {"ConditionExpression": "version = :expected", "ExpressionAttributeValues": {":expected": {"N": str(expected_version)}}}


def stored_version(item: dict[str, Any]) -> int:
    """The version of an item that does not validate, so its owner can replace it (0 if unreadable)."""
    try:
        return max(int(item["version"]["N"]), 0)
    except (KeyError, TypeError, ValueError):
        return 0

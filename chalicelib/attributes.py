"""Plain Python values <-> DynamoDB attribute values, with boto3's own (de)serializer."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


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

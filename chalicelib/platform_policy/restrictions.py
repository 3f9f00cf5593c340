"""DynamoDB adapter for the platform's restriction of a seller: the `restriction` attribute of the seller's item.

On the seller's own item (seller-channels) so that a resolution reads settings and restriction in one GetItem; only
this attribute is written here, and a seller's write (chalicelib/sellers/store.py) never touches it.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from pydantic import ValidationError

from chalicelib.models.restriction import SellerRestriction
from chalicelib.shared.dynamo import CONDITION_FAILED, error_code, from_attributes, to_attributes, unavailable_as
from chalicelib.shared.errors import InvalidStoredRestriction, StoreUnavailable


class DynamoRestrictionStore:
    def __init__(self, dynamodb: Any, table_name: str) -> None:
        self._db = dynamodb
        self._table = table_name

    def get_restriction(self, seller_id: str) -> SellerRestriction | None:
        with unavailable_as():
            item = self._db.get_item(TableName=self._table, Key=_key(seller_id), ConsistentRead=True, ProjectionExpression="restriction")
        return restriction_of(item.get("Item"))

    def set_restriction(self, seller_id: str, restriction: SellerRestriction) -> str | None:
        """Store `restriction` (creating the item if the seller has no settings yet); returns the mode it replaced,
        as stored (one this release cannot read is replaced all the same)."""
        with unavailable_as():
            response = self._db.update_item(
                TableName=self._table,
                Key=_key(seller_id),
                UpdateExpression="SET restriction = :restriction",
                ExpressionAttributeValues=to_attributes({":restriction": restriction.model_dump(mode="json")}),
                ReturnValues="UPDATED_OLD",
            )
        return stored_mode(response.get("Attributes"))

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
            if error_code(exc) == CONDITION_FAILED:
                return None
            raise StoreUnavailable(str(exc)) from exc
        except BotoCoreError as exc:
            raise StoreUnavailable(str(exc)) from exc
        return stored_mode(response.get("Attributes"))


def restriction_of(item: dict[str, Any] | None) -> SellerRestriction | None:
    """The restriction on a seller's item (None: not restricted); InvalidStoredRestriction if it does not validate."""
    if not item or "restriction" not in item:
        return None
    try:
        return SellerRestriction.model_validate(from_attributes(item)["restriction"])
    except ValidationError as exc:
        raise InvalidStoredRestriction(stored_mode(item)) from exc


def stored_mode(item: dict[str, Any] | None) -> str | None:
    """The restriction's mode as stored, read without validating it (None: no restriction)."""
    if not item or "restriction" not in item:
        return None
    stored = from_attributes(item)["restriction"]
    mode = stored.get("mode") if isinstance(stored, dict) else None
    return mode if isinstance(mode, str) else "unreadable"


def _key(seller_id: str) -> dict[str, Any]:
    return {"seller_id": {"S": seller_id}}

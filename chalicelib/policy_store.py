"""DynamoDB adapter for the platform policy: one item in its own small table (`platform-policy`).

Its own table, not an item in seller-channels: the API's grant on it is GetItem + PutItem on that table alone,
so no seller write path can reach the policy and no policy write can reach a seller's item; and an operator can
be given the policy table without the seller data. The document is one JSON string attribute (its
`rollout_percent` is a float, which DynamoDB's number type would need as a Decimal), next to a numeric `version`
for the conditional write.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from pydantic import ValidationError

from chalicelib.errors import InvalidStoredPolicy, StoreUnavailable
from chalicelib.models import PlatformPolicy
from chalicelib.models.policy import STORED
from chalicelib.settings_store import stored_version, versioned_write

POLICY_KEY = {"policy_id": {"S": "platform"}}


class DynamoPolicyStore:
    def __init__(self, dynamodb: Any, table_name: str) -> None:
        self._db = dynamodb
        self._table = table_name

    def get(self) -> PlatformPolicy | None:
        """The stored policy, or None if none was ever stored (the built-in default applies)."""
        try:
            response = self._db.get_item(TableName=self._table, Key=POLICY_KEY, ConsistentRead=True)
        except (ClientError, BotoCoreError) as exc:
            raise StoreUnavailable(str(exc)) from exc
        item = response.get("Item")
        if not item:
            return None
        version = stored_version(item)  # 0: the item's own version is missing or not a number (edited by hand)
        try:
            policy = PlatformPolicy.model_validate_json(item["document"]["S"], context=STORED)
        except (KeyError, ValidationError) as exc:
            raise InvalidStoredPolicy(version) from exc
        # The item's own version is what a PUT's condition compares: it wins over one written into the document.
        # Without a readable one the document's stands (its switches hold; see put for how it is replaced).
        return policy if version < 1 or policy.version == version else policy.model_copy(update={"version": version})

    def put(self, policy: PlatformPolicy, expected_version: int) -> None:
        """Write `policy` only if the stored version is still `expected_version` (0: none stored yet)."""
        if expected_version == 0:  # none stored yet, or one without a readable version (edited by hand) replaced
            condition: dict[str, Any] = {
                "ConditionExpression": "attribute_not_exists(policy_id) OR NOT attribute_type(version, :number) OR version < :one",
                "ExpressionAttributeValues": {":number": {"S": "N"}, ":one": {"N": "1"}},
            }
        else:  # the version read; or, where the item had no readable one, still none (the caller read the document's)
            condition = {
                "ConditionExpression": "version = :expected OR attribute_not_exists(version) OR NOT attribute_type(version, :number)",
                "ExpressionAttributeValues": {":expected": {"N": str(expected_version)}, ":number": {"S": "N"}},
            }
        item = {**POLICY_KEY, "version": {"N": str(policy.version)}, "document": {"S": policy.model_dump_json()}}
        with versioned_write():
            self._db.put_item(TableName=self._table, Item=item, ReturnValuesOnConditionCheckFailure="ALL_OLD", **condition)


"""DynamoDB adapter for the platform policy: one item in its own small table (`platform-policy`).

Its own table, not an item in seller-channels: the API's grant on it is GetItem + PutItem on that table alone,
so no seller write path can reach the policy and no policy write can reach a seller's item; and an operator can
be given the policy table without the seller data. The document is one JSON string attribute (its
`rollout_percent` is a float, which DynamoDB's number type would need as a Decimal), next to a numeric `version`
for the conditional write.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import ValidationError

from chalicelib.models.policy import STORED, PlatformPolicy
from chalicelib.shared.dynamo import unavailable_as, version_condition, versioned_write
from chalicelib.shared.errors import InvalidStoredPolicy

POLICY_KEY = {"policy_id": {"S": "platform"}}
_POSITIVE_WHOLE = re.compile(r"[1-9][0-9]{0,17}")


class DynamoPolicyStore:
    def __init__(self, dynamodb: Any, table_name: str) -> None:
        self._db = dynamodb
        self._table = table_name

    def get(self, *, for_change: bool = False) -> PlatformPolicy | None:
        """The stored policy, or None if none was ever stored (the built-in default applies).

        The item's own `version` (a positive whole number) is what a PUT's condition compares, so it wins over one
        written into the document. An item without one (edited by hand) is still served to resolutions, so its
        switches hold; for a change (`for_change`) it is InvalidStoredPolicy, which a PUT with version 0 replaces.
        """
        with unavailable_as():
            response = self._db.get_item(TableName=self._table, Key=POLICY_KEY, ConsistentRead=True)
        item = response.get("Item")
        return policy_from_item(item, for_change=for_change) if item else None

    def put(self, policy: PlatformPolicy, expected_version: int, *, replacing: InvalidStoredPolicy | None = None) -> None:
        """Write `policy` only if the stored version is still `expected_version` (0: none stored yet), or, `replacing`
        an item without a readable version, only if its `version` attribute is still exactly what was read."""
        condition: dict[str, Any]
        if replacing is not None and replacing.version == 0:
            if replacing.version_attribute is None:
                condition = {"ConditionExpression": "attribute_exists(policy_id) AND attribute_not_exists(version)"}
            else:
                condition = {"ConditionExpression": "version = :read", "ExpressionAttributeValues": {":read": replacing.version_attribute}}
        else:
            condition = version_condition(expected_version, "policy_id")
        item = {**POLICY_KEY, "version": {"N": str(policy.version)}, "document": {"S": policy.model_dump_json()}}
        with versioned_write():
            self._db.put_item(TableName=self._table, Item=item, ReturnValuesOnConditionCheckFailure="ALL_OLD", **condition)


def policy_from_item(item: dict[str, Any], *, for_change: bool = False) -> PlatformPolicy:
    """The policy of a stored item (read by GetItem here, or along with a resolution's BatchGetItem)."""
    version = _whole_version(item)
    try:
        policy = PlatformPolicy.model_validate_json(item["document"]["S"], context=STORED)
    except (KeyError, ValidationError) as exc:
        raise InvalidStoredPolicy(version or 0, item.get("version")) from exc
    if version is None:
        if for_change:
            raise InvalidStoredPolicy(0, item.get("version"), in_force=policy)
        return policy
    return policy if policy.version == version else policy.model_copy(update={"version": version})


def _whole_version(item: dict[str, Any]) -> int | None:
    """The item's `version` if it is a positive whole number (what this store writes), else None."""
    number = item.get("version", {}).get("N")
    return int(number) if isinstance(number, str) and _POSITIVE_WHOLE.fullmatch(number) else None

"""DynamoDB adapter for answers.

Table `answers`: partition key `answer_id` (GET/PUT/DELETE by id). Global secondary index `by-owner`:
partition key `owner`, sort key `status_locale` (`published#ru`, `draft#en`, ...). So

    published answers of owner X in locale L for topic T   one Query: owner = X AND status_locale = published#L,
                                                           filter contains(topics, T)
    published answers of owner X in both locales           one Query: begins_with(status_locale, published#)
    everything owner X has (management list)               one Query: owner = X

An answer has several topics, and DynamoDB cannot index a list, so the topic is a filter on the (small) set of one
owner's published answers in one status, not a key; the resolution caches the result per owner and topic.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from pydantic import ValidationError

from chalicelib.models.answers import Answer, AnswerStatus, Locale
from chalicelib.models.common import Topic
from chalicelib.shared.dynamo import from_attributes, to_attributes, unavailable_as, version_condition, versioned_write
from chalicelib.shared.errors import AnswersUnavailable
from chalicelib.shared.logs import log

OWNER_INDEX = "by-owner"


def to_item(answer: Answer) -> dict[str, Any]:
    document = answer.model_dump(mode="json")
    return to_attributes(
        {**document, "answer_id": answer.id, "status_locale": f"{answer.status.value}#{answer.locale.value}"}
    )


class DynamoAnswersStore:
    def __init__(self, dynamodb: Any, table_name: str) -> None:
        self._db = dynamodb
        self._table = table_name

    def get(self, answer_id: str) -> Answer | None:
        with unavailable_as(AnswersUnavailable):
            response = self._db.get_item(TableName=self._table, Key=_key(answer_id), ConsistentRead=True)
        item = response.get("Item")
        return _parse(item) if item else None

    def find(
        self, owner: str, *, status: AnswerStatus | None = None, locale: Locale | None = None, topic: Topic | None = None
    ) -> list[Answer]:
        """One owner's answers, narrowed by status, locale and topic: one Query (paginated)."""
        key = "#owner = :owner"
        values: dict[str, Any] = {":owner": owner}
        if status is not None and locale is not None:
            key += " AND status_locale = :scope"
            values[":scope"] = f"{status.value}#{locale.value}"
        elif status is not None:
            key += " AND begins_with(status_locale, :scope)"
            values[":scope"] = f"{status.value}#"
        query: dict[str, Any] = {"KeyConditionExpression": key, "ExpressionAttributeNames": {"#owner": "owner"}}
        filters = []
        if topic is not None:
            filters.append("contains(topics, :topic)")
            values[":topic"] = topic.value
        if locale is not None and status is None:
            filters.append("#locale = :locale")
            values[":locale"] = locale.value
            query["ExpressionAttributeNames"]["#locale"] = "locale"
        if filters:
            query["FilterExpression"] = " AND ".join(filters)
        with unavailable_as(AnswersUnavailable):
            found = [answer for item in self._query(query, values) if (answer := _parse(item)) is not None]
        return sorted(found, key=lambda answer: answer.id)

    def count(self, owner: str) -> int:
        """How many answers `owner` has (any status, any locale): one COUNT Query on the owner index."""
        query = {"KeyConditionExpression": "#owner = :owner", "ExpressionAttributeNames": {"#owner": "owner"}, "Select": "COUNT"}
        with unavailable_as(AnswersUnavailable):
            return sum(int(page.get("Count", 0)) for page in self._pages(query, {":owner": owner}))

    def published(self, owner: str, topic: Topic) -> list[Answer]:
        """What a resolution may show for `owner` and `topic`, both locales (the buyer's first, the other may fill)."""
        return self.find(owner, status=AnswerStatus.PUBLISHED, topic=topic)

    def _query(self, query: dict[str, Any], values: dict[str, Any]) -> Iterator[dict[str, Any]]:
        for page in self._pages(query, values):
            yield from page.get("Items", [])

    def _pages(self, query: dict[str, Any], values: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """Every page of one Query on the owner index."""
        request = {"TableName": self._table, "IndexName": OWNER_INDEX, **query, "ExpressionAttributeValues": to_attributes(values)}
        while True:
            response: dict[str, Any] = self._db.query(**request)
            yield response
            if "LastEvaluatedKey" not in response:
                return
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def put(self, answer: Answer, expected_version: int) -> None:
        """Write `answer` only if the stored version is still `expected_version` (0: no item yet)."""
        self._conditional(self._db.put_item, expected_version, Item=to_item(answer))

    def delete(self, answer_id: str, expected_version: int) -> None:
        self._conditional(self._db.delete_item, expected_version, Key=_key(answer_id))

    def _conditional(self, write: Any, expected_version: int, **params: Any) -> None:
        with versioned_write(AnswersUnavailable):
            write(
                TableName=self._table, ReturnValuesOnConditionCheckFailure="ALL_OLD",
                **version_condition(expected_version, "answer_id"), **params,
            )


def _key(answer_id: str) -> dict[str, Any]:
    return {"answer_id": {"S": answer_id}}


def _parse(item: dict[str, Any]) -> Answer | None:
    """None for a hand-edited item that no longer validates: it is left out (and logged), never a 500."""
    try:
        return Answer.model_validate(from_attributes(item))
    except ValidationError as exc:
        log(logging.ERROR, "answer_item_invalid", answer_id=item.get("answer_id", {}).get("S"), errors=exc.error_count())
        return None

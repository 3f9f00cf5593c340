"""DynamoDB adapter for answers.

Table `answers`: partition key `answer_id` (GET/PUT/DELETE by id). Global secondary index `by-owner`:
partition key `owner`, sort key `status_locale` (`published#ru`, `draft#en`, ...). So

    published answers of owner X in locale L for topic T   one Query: owner = X AND status_locale = published#L,
                                                           filter contains(topics, T)
    published answers of owner X in both locales           one Query: begins_with(status_locale, published#)
    everything owner X has (management list)               one Query: owner = X

An answer has several topics, and DynamoDB cannot index a list, so the topic is a filter on the (small) set of one
owner's published answers in one status, not a key.

A resolution reads no Query: it reads **digests**, items of the same table that the writes here keep, in the
BatchGetItem that reads the seller's settings (chalicelib/contacts/reads.py). A seller's digest holds all the
seller's published answers (`digest#<seller>`, at most 50); the platform's is one per topic
(`digest#platform#<topic>`, of up to 500). A digest is the answers' JSON, zlib-compressed (text shrinks 3-4x, and
the read units with it), in a binary attribute; past DIGEST_PAGE_BYTES it is split into pages
(`<digest id>#v<version>#p<n>`, written before the first page that names them, so a reader never sees a half).
Digest items carry no `owner` or `status_locale`, so the owner index never lists them, and their ids hold a `#`,
which no answer id may: they never collide with an answer. A digest holds whole answers, so search (and a typo index
built from it) reads the same fields as from a Query.
"""

from __future__ import annotations

import json
import logging
import zlib
from collections.abc import Iterable, Iterator
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from pydantic import ValidationError

from chalicelib.models.answers import PLATFORM_OWNER, Answer, AnswerStatus, Locale
from chalicelib.models.common import Topic
from chalicelib.shared.dynamo import (
    CONDITION_FAILED,
    error_code,
    from_attributes,
    to_attributes,
    unavailable_as,
    version_condition,
    versioned_write,
)
from chalicelib.shared.errors import AnswersUnavailable, VersionConflict
from chalicelib.shared.logs import log

OWNER_INDEX = "by-owner"
DIGEST_PREFIX = "digest#"
DIGEST_PAGE_BYTES = 300_000  # compressed bytes per digest item: well inside DynamoDB's 400 KB item limit
DIGEST_WRITE_ATTEMPTS = 5  # two authors of one owner racing: each re-reads the digest and applies its change again


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
        """Write `answer` only if the stored version is still `expected_version` (0: no item yet), then its owner's
        digests (every topic it had or has)."""
        old = self._conditional(self._db.put_item, expected_version, Item=to_item(answer))
        self._update_digests(answer.owner, answer.id, answer, [*answer.topics, *(old.topics if old else [])])

    def delete(self, answer_id: str, expected_version: int) -> None:
        old = self._conditional(self._db.delete_item, expected_version, Key=_key(answer_id))
        if old is not None:
            self._update_digests(old.owner, answer_id, None, old.topics)

    def _conditional(self, write: Any, expected_version: int, **params: Any) -> Answer | None:
        """The versioned write; returns the answer it replaced or deleted (None: there was none, or unreadable)."""
        with versioned_write(AnswersUnavailable):
            response = write(
                TableName=self._table, ReturnValuesOnConditionCheckFailure="ALL_OLD", ReturnValues="ALL_OLD",
                **version_condition(expected_version, "answer_id"), **params,
            )
        old = response.get("Attributes")
        return _parse(old) if old else None

    # ------------------------------------------------------------ digests: what a resolution reads

    def rebuild_digests(self, owner: str) -> None:
        """Write `owner`'s digests from its published answers (a Query): for answers stored before digests existed,
        or by hand (devstack's seed, a backfill). A resolution reads a missing digest as no answers."""
        published = self.find(owner, status=AnswerStatus.PUBLISHED)
        for digest_id, topic in _digest_ids(owner, list(Topic)):
            current = self._read_digest(digest_id)
            answers = [answer for answer in published if topic is None or topic in answer.topics]
            self._write_digest(digest_id, answers, current[0] if current else 0)

    def _update_digests(self, owner: str, answer_id: str, answer: Answer | None, topics: Iterable[Topic]) -> None:
        """Apply one answer's change (None: deleted) to each of `owner`'s digests it is or was in."""
        for digest_id, topic in _digest_ids(owner, topics):
            for attempt in range(DIGEST_WRITE_ATTEMPTS):
                current = self._read_digest(digest_id)
                if current is None:  # the owner's first write since digests: start from the stored answers
                    version = 0
                    answers = [a for a in self.find(owner, status=AnswerStatus.PUBLISHED) if topic is None or topic in a.topics]
                else:
                    version, answers = current
                kept = [a for a in answers if a.id != answer_id]
                if answer is not None and answer.status is AnswerStatus.PUBLISHED and (topic is None or topic in answer.topics):
                    kept.append(answer)
                try:
                    self._write_digest(digest_id, sorted(kept, key=lambda a: a.id), version)
                    break
                except VersionConflict:
                    if attempt == DIGEST_WRITE_ATTEMPTS - 1:
                        raise AnswersUnavailable(f"{digest_id} kept changing: {DIGEST_WRITE_ATTEMPTS} attempts") from None

    def _read_digest(self, digest_id: str) -> tuple[int, list[Answer]] | None:
        """(version, answers) of a digest, read strongly consistent for a write; None if there is none."""
        with unavailable_as(AnswersUnavailable):
            first = self._db.get_item(TableName=self._table, Key=_key(digest_id), ConsistentRead=True).get("Item")
            if first is None:
                return None
            more = [
                self._db.get_item(TableName=self._table, Key=_key(page_id), ConsistentRead=True).get("Item")
                for page_id in more_digest_pages(first)
            ]
        return int(first["version"]["N"]), digest_answers(first, [page for page in more if page])

    def _write_digest(self, digest_id: str, answers: list[Answer], expected_version: int) -> None:
        """Pages after the first are written first, under the new version's ids, so a reader never mixes two
        versions; the first page is the versioned write that makes them current."""
        data = zlib.compress(json.dumps([a.model_dump(mode="json") for a in answers], separators=(",", ":")).encode())
        pages = [data[start : start + DIGEST_PAGE_BYTES] for start in range(0, len(data), DIGEST_PAGE_BYTES)] or [b""]
        version = expected_version + 1
        with unavailable_as(AnswersUnavailable):
            for number, page in enumerate(pages[1:], start=1):
                self._db.put_item(TableName=self._table, Item={**_key(_page_id(digest_id, version, number)), "data": {"B": page}})
        item = {**_key(digest_id), "version": {"N": str(version)}, "pages": {"N": str(len(pages))}, "data": {"B": pages[0]}}
        try:
            self._db.put_item(TableName=self._table, Item=item, **version_condition(expected_version, "answer_id"))
        except ClientError as exc:
            if error_code(exc) == CONDITION_FAILED:
                raise VersionConflict(expected_version) from None
            raise AnswersUnavailable(str(exc)) from exc
        except BotoCoreError as exc:
            raise AnswersUnavailable(str(exc)) from exc


def _key(answer_id: str) -> dict[str, Any]:
    return {"answer_id": {"S": answer_id}}


def digest_id(owner: str, topic: Topic) -> str:
    """The digest a resolution reads for `owner`'s answers on `topic`: the seller's one, or the platform's topic's."""
    return f"{DIGEST_PREFIX}{PLATFORM_OWNER}#{topic.value}" if owner == PLATFORM_OWNER else f"{DIGEST_PREFIX}{owner}"


def digest_key(owner: str, topic: Topic) -> dict[str, Any]:
    return _key(digest_id(owner, topic))


def _digest_ids(owner: str, topics: Iterable[Topic]) -> list[tuple[str, Topic | None]]:
    """The digests an answer of `owner` on `topics` is in: the seller's one (all topics), or the platform's per topic."""
    if owner != PLATFORM_OWNER:
        return [(digest_id(owner, Topic.PRODUCT_QUESTION), None)]
    return [(digest_id(owner, topic), topic) for topic in dict.fromkeys(topics)]


def _page_id(digest: str, version: int, number: int) -> str:
    return f"{digest}#v{version}#p{number}"


def more_digest_pages(first: dict[str, Any]) -> list[str]:
    """The ids of a digest's pages after `first` (none for all but very large digests)."""
    pages = int(first.get("pages", {}).get("N", "1"))
    version = int(first["version"]["N"])
    return [_page_id(first["answer_id"]["S"], version, number) for number in range(1, pages)]


def digest_answers(first: dict[str, Any], more: list[dict[str, Any]] | None = None) -> list[Answer]:
    """The answers of a digest (its first item, then its other pages in order); one that no longer validates is left
    out and logged, as from a Query. A digest whose pages are missing or garbled is AnswersUnavailable."""
    try:
        data = b"".join(bytes(page["data"]["B"]) for page in [first, *(more or [])])
        documents = json.loads(zlib.decompress(data)) if data else []
    except (KeyError, TypeError, ValueError, zlib.error) as exc:
        raise AnswersUnavailable(f"digest {first.get('answer_id', {}).get('S')} unreadable: {type(exc).__name__}") from None
    answers = []
    for document in documents:
        try:
            answers.append(Answer.model_validate(document))
        except ValidationError as exc:
            log(logging.ERROR, "answer_item_invalid", answer_id=document.get("id"), errors=exc.error_count())
    return answers


def _parse(item: dict[str, Any]) -> Answer | None:
    """None for a hand-edited item that no longer validates: it is left out (and logged), never a 500."""
    try:
        return Answer.model_validate(from_attributes(item))
    except ValidationError as exc:
        log(logging.ERROR, "answer_item_invalid", answer_id=item.get("answer_id", {}).get("S"), errors=exc.error_count())
        return None

"""Reads for the console: queries and key lookups on the support-requests and conversations tables, never a scan.

Every read is bounded: a page of requests reads one day's 65 by-day shards or a seller's 17 partitions, each query at
most `limit` items; figures are BatchGetItem of known roll-up keys (support/keys.py, conversations/rules.py), and the
weak answers two queries a day. Queue depths: GetQueueAttributes only (no receive, no delete).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.conversations import rules as conversation_rules
from chalicelib.shared.dynamo import from_attributes, to_attributes
from chalicelib.shared.errors import StoreUnavailable
from chalicelib.support import keys

PARALLEL_READS = 10  # botocore's connection pool per client: more threads would only wait for a connection
MAX_PAGES_PER_SHARD = 3  # with a topic filter, a shard's query pages read before the page stops at that shard
BATCH_GET_KEYS = 100  # DynamoDB's limit per BatchGetItem
BATCH_GET_RETRIES = 3
T = TypeVar("T")
R = TypeVar("R")


OLDEST_READ_AHEAD = 10  # escalated items read per shard and page for the oldest one (expired ones are skipped)

class OperationsUnavailable(StoreUnavailable):
    code = "operations_unavailable"
    public_message = "Support figures are unavailable right now; retry shortly."


@dataclass(frozen=True)
class Position:
    """Where a page of requests ends: the sort key (`<occurred_at>#<event_id>`) of the last item shown, on `day`."""

    day: date | None
    before: str | None  # None: from the newest of that day


@dataclass
class Requests:
    items: list[dict[str, Any]]
    day: date | None
    next: Position | None


class _Reader:
    def __init__(self, dynamodb: Any, table: str, threads: int = PARALLEL_READS) -> None:
        self._db = dynamodb
        self._table = table
        self._threads = threads

    def _parallel(self, work: Callable[[T], R], inputs: Iterable[T]) -> list[R]:
        inputs = list(inputs)
        if len(inputs) <= 1:
            return [work(value) for value in inputs]
        with ThreadPoolExecutor(max_workers=self._threads, thread_name_prefix="ops-read") as pool:
            return list(pool.map(work, inputs))

    def _items(self, keys_: list[dict[str, str]]) -> list[dict[str, Any]]:
        """Every item of `keys_` that exists (BatchGetItem in chunks of 100, in parallel)."""
        chunks = [keys_[i : i + BATCH_GET_KEYS] for i in range(0, len(keys_), BATCH_GET_KEYS)]
        return [item for items in self._parallel(self._batch_get, chunks) for item in items]

    def _batch_get(self, chunk: list[dict[str, str]]) -> list[dict[str, Any]]:
        request = {self._table: {"Keys": [to_attributes(key) for key in chunk]}}
        items: list[dict[str, Any]] = []
        for _ in range(BATCH_GET_RETRIES):
            answer = self._call(self._db.batch_get_item, RequestItems=request)
            items += [from_attributes(item) for item in answer.get("Responses", {}).get(self._table, [])]
            request = answer.get("UnprocessedKeys") or {}
            if not request:
                return items
        raise OperationsUnavailable("roll-up keys left unprocessed after retries")

    def _query_all(self, query: dict[str, Any]) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        start: dict[str, Any] | None = None
        while True:
            page = self._call(self._db.query, **query, **({"ExclusiveStartKey": start} if start else {}))
            items += [from_attributes(item) for item in page.get("Items", [])]
            start = page.get("LastEvaluatedKey")
            if start is None:
                return items

    @staticmethod
    def _call(method: Callable[..., Any], **kwargs: Any) -> Any:
        try:
            return method(**kwargs)
        except (BotoCoreError, ClientError) as exc:
            raise OperationsUnavailable(type(exc).__name__) from exc


def by_day(items: list[dict[str, Any]], day_of: Callable[[str], str]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for item in items:
        found.setdefault(day_of(str(item["pk"])), []).append(item)
    return found


class SupportFigures(_Reader):
    """The support-requests table: stored requests, the daily roll-up, a seller's settings history."""

    # ------------------------------------------------------------ recent requests

    def requests_of_day(self, start: Position, topic: str | None, limit: int) -> Requests:
        """Newest first from `start` across the by-day index's shards of its day; the cursor goes on to the day before."""
        day = start.day
        assert day is not None  # nosec B101 - the service always names the day
        items, boundary = self._merge(
            [self._by_day_query(partition, start.before, topic) for partition in keys.day_index_keys(day.isoformat())],
            limit, "gsi1sk",
        )
        if len(items) >= limit:
            return Requests(items, day, Position(day, items[-1]["gsi1sk"]))
        if boundary is not None:
            return Requests(items, day, Position(day, boundary))
        return Requests(items, day, Position(day - timedelta(days=1), None))

    def requests_of_seller(self, seller_id: str, day: date | None, before: str | None, topic: str | None, limit: int) -> Requests:
        low = f"REQ#{day.isoformat()}" if day else "REQ#"
        high = f"REQ#{before}" if before else (f"REQ#{day.isoformat()}~" if day else "REQ#~")
        queries = [self._seller_query(partition, low, high, topic) for partition in keys.seller_requests_keys(seller_id)]
        items, boundary = self._merge(queries, limit, "sk", exclude=high)
        if len(items) >= limit:
            return Requests(items, day, Position(day, items[-1]["sk"].removeprefix("REQ#")))
        if boundary is not None:
            return Requests(items, day, Position(day, boundary.removeprefix("REQ#")))
        return Requests(items, day, None)

    def _by_day_query(self, partition: str, before: str | None, topic: str | None) -> dict[str, Any]:
        query: dict[str, Any] = {"IndexName": "by-day", "KeyConditionExpression": "gsi1pk = :p AND gsi1sk < :before"}
        return self._with_topic(query, {":p": partition, ":before": before or "~"}, topic)

    def _seller_query(self, partition: str, low: str, high: str, topic: str | None) -> dict[str, Any]:
        query: dict[str, Any] = {"KeyConditionExpression": "pk = :p AND sk BETWEEN :low AND :high"}
        return self._with_topic(query, {":p": partition, ":low": low, ":high": high}, topic)

    def _with_topic(self, query: dict[str, Any], values: dict[str, str], topic: str | None) -> dict[str, Any]:
        if topic is not None:
            query["FilterExpression"] = "topic = :topic"
            values = {**values, ":topic": topic}
        return {**query, "TableName": self._table, "ScanIndexForward": False, "ExpressionAttributeValues": to_attributes(values)}

    def _merge(
        self, queries: list[dict[str, Any]], limit: int, sort_key: str, exclude: str | None = None
    ) -> tuple[list[dict[str, Any]], str | None]:
        """The newest `limit` items of all `queries`, and the boundary below which a cut-short shard was not read.

        A shard either gave its newest `limit` matches (nothing older of it can be in the page) or was read to its end;
        one whose filter kept too few in MAX_PAGES_PER_SHARD pages is cut short: the page then ends at the newest
        point where such a shard stopped, and the cursor continues from there.
        """
        results = self._parallel(lambda query: self._read_shard(query, limit, sort_key), queries)
        boundaries = [boundary for _, boundary in results if boundary is not None]
        boundary = max(boundaries) if boundaries else None
        merged = sorted((item for items, _ in results for item in items), key=lambda item: str(item[sort_key]), reverse=True)
        merged = [item for item in merged if item[sort_key] != exclude and (boundary is None or item[sort_key] >= boundary)]
        return merged[:limit], (boundary if len(merged) < limit else None)

    def _read_shard(self, query: dict[str, Any], limit: int, sort_key: str) -> tuple[list[dict[str, Any]], str | None]:
        items: list[dict[str, Any]] = []
        start: dict[str, Any] | None = None
        for _ in range(MAX_PAGES_PER_SHARD):
            page = self._call(self._db.query, **query, Limit=limit + 1, **({"ExclusiveStartKey": start} if start else {}))
            items += [from_attributes(item) for item in page.get("Items", [])]
            start = page.get("LastEvaluatedKey")
            if start is None or len(items) > limit:
                return items, None
        return items, str(from_attributes(start or {}).get(sort_key, ""))

    def outcomes_of(self, requests: list[tuple[str, str]]) -> dict[tuple[str, str], dict[str, Any]]:
        """The outcome items of a page's (request_id, seller_id) pairs, by key: one BatchGetItem for up to 100 rows."""
        wanted = [keys.request_outcome_key(request_id, seller_id) for request_id, seller_id in dict.fromkeys(requests)]
        return {
            (str(item["pk"]).removeprefix("REQUEST#"), str(item["sk"]).removeprefix("OUTCOME#")): item for item in self._items(wanted)
        }

    # ------------------------------------------------------------ the daily roll-up

    def day_totals(self, days: list[date]) -> dict[date, list[dict[str, Any]]]:
        """Each day's TOTALS shards (a day without any: an empty list)."""
        found = by_day(self._items([key for day in days for key in keys.rollup_totals_keys(day.isoformat())]), lambda pk: pk.split("#")[1])
        return {day: found.get(day.isoformat(), []) for day in days}

    def answer_totals(self, days: list[date]) -> list[dict[str, Any]]:
        """Every per-answer outcome item of those days (one per answer, day and shard): a query per shard and month."""
        months: dict[str, list[str]] = {}
        for day in days:
            months.setdefault(day.isoformat()[:7], []).append(day.isoformat())
        queries = [
            {
                "TableName": self._table,
                "KeyConditionExpression": "pk = :p AND sk BETWEEN :low AND :high",
                "ExpressionAttributeValues": to_attributes({":p": partition, ":low": min(in_month), ":high": max(in_month) + "~"}),
            }
            for month, in_month in months.items()
            for partition in keys.rollup_answer_partitions(month)
        ]
        return [item for items in self._parallel(self._query_all, queries) for item in items]

    # ------------------------------------------------------------ settings history

    def changes_of_seller(self, seller_id: str, before: str | None, limit: int) -> tuple[list[dict[str, Any]], str | None]:
        """Settings and restriction changes (sk CHG#<occurred_at>#<id>), newest first; the cursor is the last sk."""
        page = self._call(
            self._db.query,
            TableName=self._table,
            KeyConditionExpression="pk = :p AND sk BETWEEN :low AND :high",
            ExpressionAttributeValues=to_attributes({":p": keys.seller_changes_key(seller_id), ":low": "CHG#", ":high": before or "CHG#~"}),
            ScanIndexForward=False,
            Limit=limit + 2,  # the cursor's own item (BETWEEN includes it), and one to tell whether more follow
        )
        items = [from_attributes(item) for item in page.get("Items", [])]
        items = [item for item in items if item["sk"] != before]
        more = len(items) > limit or page.get("LastEvaluatedKey") is not None
        items = items[:limit]
        return items, (str(items[-1]["sk"]) if more and items else None)


class ConversationFigures(_Reader):
    """The conversations table's roll-up (conversations/rules.py) and a seller's daily reply counts."""

    def day_totals(self, days: list[date]) -> dict[date, list[dict[str, Any]]]:
        return self._shards_by_day(conversation_rules.day_totals_key, days)

    def gauges(self) -> list[dict[str, Any]]:
        wanted = [dict(zip(("pk", "sk"), conversation_rules.gauges_key(shard), strict=True)) for shard in range(conversation_rules.ROLLUP_SHARDS)]
        return self._items(wanted)

    def hours(self, days: list[date]) -> dict[date, list[dict[str, Any]]]:
        return self._shards_by_day(conversation_rules.hours_key, days)

    def _shards_by_day(
        self, key_of: Callable[[str, int], tuple[str, str]], days: list[date]
    ) -> dict[date, list[dict[str, Any]]]:
        """Every shard of a per-day roll-up item (`key_of(day, shard)`) of those days, grouped by day."""
        wanted = [
            dict(zip(("pk", "sk"), key_of(day.isoformat(), shard), strict=True))
            for day in days for shard in range(conversation_rules.ROLLUP_SHARDS)
        ]
        found = by_day(self._items(wanted), lambda pk: pk.split("#")[2])
        return {day: found.get(day.isoformat(), []) for day in days}

    def oldest_escalated(self, now: datetime) -> datetime | None:
        """When the longest-escalated conversation went to support: the first item of each by_escalated shard (sparse:
        only escalated conversations are in it) that has not expired at `now` (an expired one stays in the index until
        TTL deletes it, and can no longer be opened), a Query of a few items per shard."""
        def first(shard: int) -> str | None:
            query: dict[str, Any] = {
                "TableName": self._table, "IndexName": "by_escalated",
                "KeyConditionExpression": "escalated_shard = :s", "FilterExpression": "expires_at > :now",
                "ExpressionAttributeValues": {
                    ":s": {"S": conversation_rules.escalated_partition(shard)}, ":now": {"N": str(int(now.timestamp()))},
                },
                "ProjectionExpression": "escalated_at", "ScanIndexForward": True, "Limit": OLDEST_READ_AHEAD,
            }
            while True:  # the filter applies after the limit: a page of expired ones only is followed by the next
                page = self._call(self._db.query, **query)
                items = page.get("Items", [])
                if items or "LastEvaluatedKey" not in page:
                    return str(items[0]["escalated_at"]["S"]) if items else None
                query["ExclusiveStartKey"] = page["LastEvaluatedKey"]

        found = [at for at in self._parallel(first, range(conversation_rules.ROLLUP_SHARDS)) if at]
        return datetime.fromisoformat(min(found)) if found else None

    def seller_days(self, seller_id: str, days: list[date]) -> list[dict[str, Any]]:
        """The seller's reply counts of those days (conversations/store.py: stats#<seller_id> / day#<date>)."""
        return self._items([{"pk": f"stats#{seller_id}", "sk": f"day#{day.isoformat()}"} for day in days])


class QueueReader:
    """Depth of the support queue and its dead-letter queue: GetQueueAttributes only."""

    ATTRIBUTES = ("ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed")

    def __init__(self, sqs: Any, queue_url: str) -> None:
        self._sqs = sqs
        self._queue_url = queue_url

    def depths(self) -> tuple[dict[str, Any], dict[str, Any]]:
        queue = self._attributes(self._queue_url, [*self.ATTRIBUTES, "RedrivePolicy"])
        dlq_url = dlq_url_from(self._queue_url, queue.get("RedrivePolicy"))
        return {"url": self._queue_url, **queue}, {"url": dlq_url, **self._attributes(dlq_url, list(self.ATTRIBUTES))}

    def _attributes(self, url: str, names: list[str]) -> dict[str, Any]:
        try:
            return dict(self._sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names).get("Attributes", {}))
        except (BotoCoreError, ClientError) as exc:
            raise OperationsUnavailable(type(exc).__name__) from exc


class QueueAgeReader:
    """The queues' oldest message age: CloudWatch's ApproximateAgeOfOldestMessage (SQS itself does not report it).

    One GetMetricData for both queues over the last METRIC_MINUTES; the newest datapoint of each. SQS publishes the
    metric on AWS only: a queue without a datapoint (moto, or a queue idle for hours) is left out of the answer."""

    METRIC_MINUTES = 15

    def __init__(self, cloudwatch: Any, clock: Callable[[], datetime]) -> None:
        self._cloudwatch = cloudwatch
        self._clock = clock

    def oldest_ages(self, queue_names: list[str]) -> dict[str, tuple[int, datetime]]:
        """Queue name -> (seconds, when CloudWatch measured it) for each queue that has a datapoint."""
        now = self._clock()
        queries = [
            {
                "Id": f"q{n}",
                "MetricStat": {
                    "Metric": {"Namespace": "AWS/SQS", "MetricName": "ApproximateAgeOfOldestMessage",
                               "Dimensions": [{"Name": "QueueName", "Value": name}]},
                    "Period": 60, "Stat": "Maximum",
                },
                "ReturnData": True,
            }
            for n, name in enumerate(queue_names)
        ]
        try:
            answer = self._cloudwatch.get_metric_data(
                MetricDataQueries=queries, StartTime=now - timedelta(minutes=self.METRIC_MINUTES), EndTime=now,
                ScanBy="TimestampDescending",
            )
        except (BotoCoreError, ClientError) as exc:
            raise OperationsUnavailable(type(exc).__name__) from exc
        ages: dict[str, tuple[int, datetime]] = {}
        for result in answer.get("MetricDataResults", []):
            index = int(str(result.get("Id", "q-1"))[1:])
            points = sorted(zip(result.get("Timestamps", []), result.get("Values", []), strict=False), reverse=True)
            if 0 <= index < len(queue_names) and points:
                at, value = points[0]
                ages[queue_names[index]] = (int(value), at.astimezone(UTC))
        return ages


def dlq_url_from(queue_url: str, redrive_policy: str | None) -> str:
    """The DLQ's URL from the queue's redrive policy (its ARN's last part is the queue name, next to the main queue)."""
    if not redrive_policy:
        raise OperationsUnavailable("the support queue has no redrive policy")
    name = str(json.loads(redrive_policy)["deadLetterTargetArn"]).rsplit(":", 1)[-1]
    return f"{queue_url.rsplit('/', 1)[0]}/{name}"

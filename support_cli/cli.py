"""Support CLI: recent contact requests, per-seller statistics, a seller's change history, the dead-letter queue.

    contact-support recent [--seller ID] [--buyer ID] [--topic T] [--channel C] [--since TIME] [--limit N] [--jsonl]
    contact-support stats [--days 7] [--top 10] [--jsonl]
    contact-support history --seller ID [--since TIME] [--limit N] [--jsonl]
    contact-support dlq [--redrive] [--max N]
    contact-support dlq --discard MESSAGE_ID [--yes]
    contact-support conversations --seller ID | --buyer ID [--status S] [--limit N] [--jsonl]
    contact-support conversation ID [--jsonl]

Works against AWS (your usual credentials and region) or the local stack (AWS_ENDPOINT_URL).
Never imported by the API.
"""

from __future__ import annotations

import argparse
import contextlib
import heapq
import json
import os
import re
import signal
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from itertools import chain, islice
from typing import Any, TypeVar

from botocore.exceptions import BotoCoreError, ClientError, ConnectTimeoutError, EndpointConnectionError, ReadTimeoutError
from pydantic import ValidationError

from chalicelib.models.common import MAX_SUB_CHARS, SELLER_ID_PATTERN, Channel, Topic
from chalicelib.shared.aws import client
from chalicelib.shared.dynamo import from_attributes
from chalicelib.support import keys as keys
from chalicelib.support.ingest import parse_event
from chalicelib.support.store import COUNTER_TTL, REQUEST_TTL
from support_cli import conversations

QUEUE_NAME = "support-contact-requests"
SHARD_READERS = 16  # parallel queries when a reader fans out over a day's shards


def _query(table: str, **kwargs: Any) -> Iterator[dict[str, Any]]:
    for page in client("dynamodb").get_paginator("query").paginate(TableName=table, **kwargs):
        for item in page["Items"]:
            yield from_attributes(item)


def _query_shards(
    table: str, partitions: list[str], key: str = "pk", sort_key: str = "sk", condition: str = "", **kwargs: Any
) -> Iterator[dict[str, Any]]:
    """Every item of the write-sharded `partitions` (chalicelib/support/keys.py), merged as one partition would be.

    Each shard is a query of its own; their first pages are read in parallel, then items come out in sort-key
    order (newest first with ScanIndexForward=False), lazily, so a reader that stops early stops reading.
    """
    values = kwargs.pop("ExpressionAttributeValues", {})
    newest_first = kwargs.get("ScanIndexForward") is False

    def shard(partition: str) -> Iterator[dict[str, Any]]:
        return _query(
            table,
            KeyConditionExpression=f"{key} = :partition" + (f" AND {condition}" if condition else ""),
            ExpressionAttributeValues={**values, ":partition": {"S": partition}},
            **kwargs,
        )

    failed = threading.Event()

    def first_page(items: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        # One shard failing fails the command. map() cancels the queued shards only once the failure reaches us;
        # a worker freed by a failed shard would start the next one first, and the command would wait its timeouts.
        if failed.is_set():
            return iter(())
        try:
            return _first_page(items)
        except BaseException:
            failed.set()
            raise

    pool = ThreadPoolExecutor(max_workers=SHARD_READERS)
    try:
        started = list(pool.map(first_page, [shard(partition) for partition in partitions]))
    finally:  # on Ctrl-C or a failure, not waiting for the reads still running (a hung AWS holds them its timeouts)
        pool.shutdown(wait=False, cancel_futures=True)
    yield from heapq.merge(*started, key=lambda item: str(item.get(sort_key, "")), reverse=newest_first)


def _first_page(items: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Read the first item now (in a worker thread), the rest lazily."""
    first = next(items, None)
    return iter(()) if first is None else chain([first], items)


def _since(text: str | None, default_days: int = 7) -> datetime:
    """--since as a UTC moment: stored keys and day buckets are UTC, so an offset is converted, not dropped."""
    if not text:
        return datetime.now(UTC) - timedelta(days=default_days)
    moment = datetime.fromisoformat(text)
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def _seller_id(text: str) -> str:
    """argparse type for --seller: an empty or malformed id would read as "every seller" or find nothing silently."""
    if not re.fullmatch(SELLER_ID_PATTERN, text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a seller id (letters, digits, - and _, 1-64, starting with a letter or digit)")
    return text


def _buyer_id(text: str) -> str:
    """argparse type for --buyer: a buyer id is a token's `sub`, which the authorizer takes only as 1-255 characters,
    not blank, without control characters; anything else can have no stored request, so it is an error, not "none"."""
    if not text.strip() or len(text) > MAX_SUB_CHARS or any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F or 0xD800 <= ord(c) <= 0xDFFF for c in text):
        raise argparse.ArgumentTypeError(f"{text[:80]!r} is not a buyer id (a token's sub: 1-{MAX_SUB_CHARS} characters, not blank, no control characters)")
    return text


def _at_least_one(text: str) -> int:
    """argparse type for --limit/--max: 0 or less would mean "show nothing", which nobody asks for on purpose."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


T = TypeVar("T")


def _with_progress(steps: Iterable[T], total: int, label: str) -> Iterator[T]:
    """Yield `steps`, showing `label k/total` on stderr while it is a terminal (never in a pipe or a log)."""
    shown = sys.stderr.isatty() and total > 1
    try:
        for done, step in enumerate(steps, 1):
            if shown:
                print(f"\r{label} {done}/{total}", end="", file=sys.stderr, flush=True)
            yield step
    finally:
        if shown:
            print("\r\033[K", end="", file=sys.stderr, flush=True)  # clear the line for what comes next


def _days(text: str) -> int:
    """argparse type for stats --days: daily counters are kept COUNTER_TTL; each day is a few hundred queries."""
    value = int(text)
    if not 1 <= value <= COUNTER_TTL.days:
        raise argparse.ArgumentTypeError(f"must be from 1 to {COUNTER_TTL.days} (counters are kept {COUNTER_TTL.days} days), not {value}")
    return value


def _table(rows: list[dict[str, Any]], columns: list[str]) -> str:
    cells = [[", ".join(map(str, v)) if isinstance(v, list) else str(v) for v in (row.get(c, "") for c in columns)] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))]
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in cells]
    return "\n".join(lines)


# ---------------------------------------------------------------- recent


def recent_requests(
    table: str, seller: str | None, topic: str | None, channel: str | None, since: datetime, limit: int, buyer: str | None = None
) -> list[dict[str, Any]]:
    """Newest first, at most `limit`, filtered as asked.

    A buyer's requests come from the by-buyer copies the ingest writes (chalicelib/support_keys.py): requests stored
    before that index existed are not found that way.
    """
    if limit < 1:
        return []

    def wanted(item: dict[str, Any]) -> bool:
        return (
            (topic is None or item["topic"] == topic)
            and (channel is None or item["primary_channel"] == channel)
            and (buyer is None or item.get("buyer_id") == buyer)
            and (seller is None or item["seller_id"] == seller)
        )

    since_key = {":from": {"S": f"REQ#{since.isoformat()}"}, ":to": {"S": "REQ#~"}}
    if buyer:  # a buyer has few requests: read theirs, then filter by seller (if asked) as by topic
        pages: Iterable[Iterator[dict[str, Any]]] = [
            _query_shards(
                table, keys.buyer_requests_keys(buyer), condition="sk BETWEEN :from AND :to",
                ExpressionAttributeValues=since_key, ScanIndexForward=False,
            )
        ]
    elif seller:
        pages = [
            _query_shards(
                table,
                keys.seller_requests_keys(seller),
                condition="sk BETWEEN :from AND :to",
                ExpressionAttributeValues=since_key,
                ScanIndexForward=False,
            )
        ]
    else:
        today = datetime.now(UTC).date()
        first_day = max(since.date(), oldest_request_day())  # older days hold nothing: no 65 queries a day for them
        days = [today - timedelta(days=n) for n in range((today - first_day).days + 1)]
        pages = (  # a generator: an older day's shards are only read if the newer days did not fill `limit`
            _query_shards(
                table,
                keys.day_index_keys(day.isoformat()),
                key="gsi1pk",
                sort_key="gsi1sk",
                condition="gsi1sk >= :from",
                IndexName="by-day",
                ExpressionAttributeValues={":from": {"S": since.isoformat()}},
                ScanIndexForward=False,
            )
            for day in days
        )
        pages = _with_progress(pages, len(days), "recent: reading day")
    found: list[dict[str, Any]] = []
    for page in pages:  # lazily: stop reading DynamoDB once `limit` rows are found
        for item in page:
            if wanted(item):
                found.append(item)
                if len(found) >= limit:
                    return found
    return found


RECENT_COLUMNS = ["occurred_at", "seller_id", "topic", "primary_channel", "offered", "degraded", "event_id"]


def oldest_request_day() -> date:
    """The oldest UTC day whose contact requests are still stored (they expire REQUEST_TTL after they occurred)."""
    return datetime.now(UTC).date() - REQUEST_TTL


def cmd_recent(args: argparse.Namespace) -> int:
    since = _since(args.since)
    if since.date() < oldest_request_day():
        print(f"note: contact requests are kept {REQUEST_TTL.days} days; reading from {oldest_request_day()}", file=sys.stderr)
    rows = recent_requests(args.table, args.seller, args.topic, args.channel, since, args.limit, buyer=args.buyer)
    if args.buyer and not rows:
        print("note: --buyer finds only requests stored since the ingest writes its by-buyer index; older ones: use"
              " --seller, or no filter and look for buyer_id in --jsonl", file=sys.stderr)
    if args.jsonl:
        for row in rows:
            print(json.dumps({c: row.get(c) for c in [*RECENT_COLUMNS, "support_reason", "buyer_id", "request_id"]}))
    else:
        print(_table(rows, RECENT_COLUMNS) if rows else "no requests match")
        print(f"\n{len(rows)} request(s)", file=sys.stderr)
    return 0


# ---------------------------------------------------------------- stats


def _days_back(days: int, label: str) -> Iterator[str]:
    """Today and the `days - 1` UTC days before it (ISO dates), newest first, with progress on a terminal."""
    today = datetime.now(UTC).date()
    for n in _with_progress(range(days), days, label):
        yield (today - timedelta(days=n)).isoformat()


def daily_counters(table: str, days: int) -> Iterator[tuple[str, dict[str, Any]]]:
    for day in _days_back(days, "stats: counters of day"):
        for item in _query_shards(table, keys.stats_keys(day)):
            yield day, item


def statistics(table: str, days: int, top: int) -> dict[str, Any]:
    """Buyer demand apart from support's own lookups; sellers without channels apart from unknown seller ids."""
    per_channel: Counter[str] = Counter()
    no_channel: Counter[str] = Counter()
    no_channel_detail: dict[str, Counter[str]] = defaultdict(Counter)
    unknown: Counter[str] = Counter()
    total = support_lookups = 0
    for day, item in daily_counters(table, days):
        total += item.get("requests", 0)
        support_lookups += item.get("support_lookups", 0)
        for channel in Channel:
            per_channel[channel.value] += item.get(f"primary_{channel.value}", 0)
        seller = item["seller_id"]
        if item.get("unknown_seller"):
            unknown[seller] += item["unknown_seller"]
        if item.get("no_channel"):
            no_channel[seller] += item["no_channel"]
            no_channel_detail[seller][f"day {day}"] += item["no_channel"]
            for topic in Topic:
                if item.get(f"no_channel_{topic.value}"):
                    no_channel_detail[seller][topic.value] += item[f"no_channel_{topic.value}"]
    return {
        "days": days,
        "requests": total,
        "buyer_requests": total - support_lookups,  # events from before roles were recorded count as buyers
        "support_lookups": support_lookups,
        "requests_per_primary_channel": dict(per_channel),
        "top_sellers_without_channels": [
            {"seller_id": seller, "sent_to_support": count, "by_topic_and_day": dict(no_channel_detail[seller])}
            for seller, count in no_channel.most_common(top)
        ],
        "top_unknown_sellers": [{"seller_id": seller, "requests": count} for seller, count in unknown.most_common(top)],
    }


def cmd_stats(args: argparse.Namespace) -> int:
    result = statistics(args.table, args.days, args.top)
    result.update(outcome_statistics(args.table, args.days, args.top))
    if args.jsonl:
        print(json.dumps(result))
        return 0
    print(
        f"last {result['days']} day(s): {result['requests']} contact request(s): "
        f"{result['buyer_requests']} from buyers, {result['support_lookups']} support lookup(s)\n"
    )
    channels = [{"primary_channel": c, "requests": n} for c, n in sorted(result["requests_per_primary_channel"].items())]
    print(_table(channels, ["primary_channel", "requests"]))
    print("\nsellers whose buyers were sent to platform support because the seller offers no channel:")
    rows = [
        {"seller_id": r["seller_id"], "sent_to_support": r["sent_to_support"],
         "by_topic_and_day": [f"{k}: {v}" for k, v in sorted(r["by_topic_and_day"].items())]}
        for r in result["top_sellers_without_channels"]
    ]
    print(_table(rows, ["seller_id", "sent_to_support", "by_topic_and_day"]) if rows else "none")
    print("\nseller ids asked for that have no settings (unknown, mistyped, or never set up):")
    unknown = result["top_unknown_sellers"]
    print(_table(unknown, ["seller_id", "requests"]) if unknown else "none")
    print_outcome_statistics(result)
    return 0


# ---------------------------------------------------------------- history

# Fields every stored change event carries: the rest is what changed, shown by the event type's summary.
ENVELOPE_FIELDS = {"pk", "sk", "expires_at", "schema_version", "event_id", "occurred_at", "request_id", "seller_id", "type", "changed_by"}


def _settings_changed(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "version": f"{item['old_version']} -> {item['new_version']}",
        "changed": item.get("changed_channels", []),
        "enabled_now": item.get("enabled_channels", []),
    }


def _generic_change(item: dict[str, Any]) -> dict[str, Any]:
    """Any other change type (e.g. seller_restriction_changed): its own fields as key=value, versions if it has them."""
    row: dict[str, Any] = {}
    if "old_version" in item and "new_version" in item:
        row["version"] = f"{item['old_version']} -> {item['new_version']}"
    details = {k: v for k, v in item.items() if k not in ENVELOPE_FIELDS | {"old_version", "new_version"}}
    row["changed"] = [f"{k}={json.dumps(v) if isinstance(v, dict | list) else v}" for k, v in sorted(details.items())]
    return row


def _restriction_changed(item: dict[str, Any]) -> dict[str, Any]:
    modes = f"{item.get('old_mode') or 'none'} -> {item.get('new_mode') or 'lifted'}"
    return {"changed": [f"restriction {modes}", *([f"note: {item['note']}"] if item.get("note") else [])]}


def _policy_changed(item: dict[str, Any]) -> dict[str, Any]:
    return {"version": f"{item['old_version']} -> {item['new_version']}", "changed": item.get("changed", [])}


# How each change type is summarised; a type without an entry is shown by _generic_change.
CHANGE_SUMMARIES: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "settings_changed": _settings_changed,
    "seller_restriction_changed": _restriction_changed,
    "policy_changed": _policy_changed,
}
HISTORY_COLUMNS = ["occurred_at", "type", "changed_by", "version", "changed", "enabled_now", "event_id"]


def change_history(table: str, seller: str | None, since: datetime, limit: int) -> list[dict[str, Any]]:
    """Every change stored for `seller` (None: the platform policy) since `since` (sk CHG#<occurred_at>#<id>), newest first."""
    if limit < 1:
        return []
    partition = keys.seller_changes_key(seller) if seller else keys.POLICY_CHANGES
    items = _query(
        table,
        KeyConditionExpression="pk = :pk AND sk BETWEEN :from AND :to",
        ExpressionAttributeValues={
            ":pk": {"S": partition}, ":from": {"S": f"CHG#{since.isoformat()}"}, ":to": {"S": "CHG#~"},
        },
        ScanIndexForward=False,
    )
    return list(islice(items, limit))  # lazily: stop reading DynamoDB once `limit` changes are found


def history_row(item: dict[str, Any]) -> dict[str, Any]:
    summary = CHANGE_SUMMARIES.get(item.get("type", ""), _generic_change)
    return {
        "occurred_at": item["occurred_at"], "type": item.get("type", "?"), "changed_by": item.get("changed_by", ""),
        "event_id": item.get("event_id", ""), **summary(item),
    }


def cmd_history(args: argparse.Namespace) -> int:
    since = _since(args.since) if args.since else datetime(1970, 1, 1, tzinfo=UTC)
    items = change_history(args.table, args.seller, since, args.limit)
    if args.jsonl:
        for item in items:  # the stored event as it was sent, without storage keys
            print(json.dumps({k: v for k, v in item.items() if k not in {"pk", "sk", "expires_at"}}, default=str))
    else:
        whose = f"seller {args.seller}" if args.seller else "the platform policy"
        print(_table([history_row(item) for item in items], HISTORY_COLUMNS) if items else f"no changes stored for {whose}")
        print(f"\n{len(items)} change(s)", file=sys.stderr)
    return 0


# ---------------------------------------------------------------- stats: answers and deflection


def outcome_statistics(table: str, days: int, top: int) -> dict[str, Any]:
    """Deflection per topic and the answers buyers most often marked as not answering their question.

    deflection_rate = answered / (answered + channel_chosen): of the buyers who reported how it ended, the share
    an answer helped. None while no outcome was reported for the topic.
    """
    per_topic: dict[str, Counter[str]] = defaultdict(Counter)
    per_answer: dict[str, Counter[str]] = defaultdict(Counter)
    for day in _days_back(days, "stats: outcomes of day"):
        for item in _query_shards(table, keys.outcome_counters_keys(day)):
            counts = {k: v for k, v in item.items() if isinstance(v, int) and k != "expires_at"}
            if item["sk"].startswith("TOPIC#"):
                per_topic[item["topic"]].update(counts)
            elif item["sk"].startswith("ANSWER#"):
                per_answer[item["answer_id"]].update(counts)
    topics = []
    for topic in sorted(per_topic):
        counts = per_topic[topic]
        concluded = counts["answered"] + counts["channel_chosen"]
        topics.append({
            "topic": topic, "answered": counts["answered"], "not_answered": counts["not_answered"],
            "channel_chosen": counts["channel_chosen"],
            "deflection_rate": round(counts["answered"] / concluded, 3) if concluded else None,
        })
    worst = sorted(per_answer.items(), key=lambda kv: (-kv[1]["not_answered"], kv[0]))
    answers = [
        {
            "answer_id": answer_id, "not_answered": counts["not_answered"], "answered": counts["answered"],
            "not_related": counts["reason_not_related"], "related_but_not_answered": counts["reason_related_but_not_answered"],
        }
        for answer_id, counts in worst[:top]
        if counts["not_answered"]
    ]
    return {"deflection_per_topic": topics, "answers_most_not_answered": answers}


def print_outcome_statistics(result: dict[str, Any]) -> None:
    print("\nanswers before channels: deflection per topic (answered / (answered + channel chosen)):")
    topics = [{**row, "deflection_rate": "-" if row["deflection_rate"] is None else f"{row['deflection_rate']:.0%}"}
              for row in result["deflection_per_topic"]]
    print(_table(topics, ["topic", "answered", "not_answered", "channel_chosen", "deflection_rate"]) if topics else "no outcomes reported")
    print("\nanswers most often marked as not answering the question:")
    columns = ["answer_id", "not_answered", "not_related", "related_but_not_answered", "answered"]
    print(_table(result["answers_most_not_answered"], columns) if result["answers_most_not_answered"] else "none")


# ---------------------------------------------------------------- dlq


def why_failed(body: str) -> str:
    """What the consumer would say about this body."""
    try:
        event = parse_event(body)
    except ValidationError as exc:
        first = exc.errors(include_input=False, include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"]) or "body"
        return f"invalid: {where}: {first['msg']} ({exc.error_count()} error(s))"
    return f"valid {event.type} event {event.event_id}: failed while storing (see support_event_store_failed logs)"


# Listed messages stay hidden this long (then `release` or the redrive ends it at once): longer than a listing of the
# most messages takes, so none comes back while we still list and a redrive never deletes with a stale handle.
LISTING_HIDE_SECONDS = 600


def dead_letters(
    dlq_url: str, limit: int, hide_seconds: int = LISTING_HIDE_SECONDS, until_seen: str | None = None
) -> list[dict[str, Any]]:
    """Receive up to `limit` messages, hidden for `hide_seconds` so each is seen once.

    Ends when the queue answers empty (a 1 s long poll: a short poll may answer empty while messages exist), a
    message comes back that was listed already (it was hidden too briefly, so everything has been seen), or the
    message with id `until_seen` has been listed; the newest receipt handle of each is kept, the only one a delete or
    visibility change still accepts.
    """
    sqs = client("sqs")
    seen: dict[str, dict[str, Any]] = {}
    shown = sys.stderr.isatty()
    try:
        while len(seen) < limit:
            batch = sqs.receive_message(
                QueueUrl=dlq_url, MaxNumberOfMessages=min(10, limit - len(seen)), VisibilityTimeout=hide_seconds,
                AttributeNames=["All"], MessageAttributeNames=["All"], WaitTimeSeconds=1,
            ).get("Messages", [])
            came_back = any(message["MessageId"] in seen for message in batch)
            seen.update((message["MessageId"], message) for message in batch)
            if shown:
                print(f"\rdlq: listed {len(seen)}", end="", file=sys.stderr, flush=True)
            if not batch or came_back or (until_seen is not None and until_seen in seen):
                break
    except BaseException:  # Ctrl-C or an AWS error mid-listing: nothing stays hidden for the listing's sake
        with contextlib.suppress(BotoCoreError, ClientError):
            release(dlq_url, list(seen.values()))
        raise
    finally:
        if shown:
            print("\r\033[K", end="", file=sys.stderr, flush=True)
    return list(seen.values())


def _receives_before_listing(message: dict[str, Any]) -> int | str:
    """SQS counts every receive, our listing's too: report the count as it was before we looked."""
    count = message.get("Attributes", {}).get("ApproximateReceiveCount")
    return int(count) - 1 if count is not None else "?"


def release(dlq_url: str, messages: list[dict[str, Any]]) -> None:
    """Make listed messages visible again at once (listing must not hide them)."""
    sqs = client("sqs")
    for start in range(0, len(messages), 10):
        chunk = messages[start : start + 10]
        sqs.change_message_visibility_batch(
            QueueUrl=dlq_url,
            Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 0} for i, m in enumerate(chunk)],
        )


def redrive(
    dlq_url: str, queue_url: str, messages: list[dict[str, Any]], stop: list[bool], moved_ids: list[str] | None = None
) -> int:
    """Move each message back: send to the main queue, then delete from the DLQ; returns how many moved, and adds
    each moved message's id to `moved_ids`.

    Ctrl-C is only honoured between messages, so none is half-moved. A crash between send and
    delete leaves a copy in both queues; the consumer de-duplicates by event_id.
    """
    sqs = client("sqs")
    moved = moved_ids if moved_ids is not None else []
    for message in _with_progress(messages, len(messages), "redriving"):
        if stop:
            print(f"\rinterrupted: {len(moved)} moved, {len(messages) - len(moved)} left in the DLQ", file=sys.stderr)
            break
        attributes = {
            name: {"DataType": value["DataType"], "StringValue": value["StringValue"]}
            for name, value in message.get("MessageAttributes", {}).items()
            if "StringValue" in value
        }
        sqs.send_message(QueueUrl=queue_url, MessageBody=message["Body"], MessageAttributes=attributes)
        sqs.delete_message(QueueUrl=dlq_url, ReceiptHandle=message["ReceiptHandle"])
        moved.append(message["MessageId"])
    return len(moved)


def cmd_dlq(args: argparse.Namespace) -> int:
    if args.yes and not args.discard:
        print("error: --yes only goes with --discard (a redrive asks nothing)", file=sys.stderr)
        return 2
    dlq_url = args.dlq_url or _queue_url(f"{QUEUE_NAME}-dlq")
    messages = dead_letters(dlq_url, args.max, until_seen=args.discard)
    if not messages and not args.discard:
        print("the dead-letter queue is empty")
        return 0
    moved: list[str] = []  # ids of the messages the redrive (or the discard) took out of the DLQ
    try:
        if args.discard:
            return _discard(args, dlq_url, messages, moved)
        return _show_and_redrive(args, dlq_url, messages, moved)
    finally:  # however it ended (done, a reader gone, Ctrl-C, an AWS error): the rest is visible again at once
        gone = set(moved)
        left = [message for message in messages if message["MessageId"] not in gone]
        with contextlib.suppress(BotoCoreError, ClientError):  # else they reappear when the hide ends; the error
            release(dlq_url, left)  # that ended us is the one reported


def _show_and_redrive(args: argparse.Namespace, dlq_url: str, messages: list[dict[str, Any]], moved: list[str]) -> int:
    rows = [
        {
            "message_id": m["MessageId"],
            "sent_at": datetime.fromtimestamp(int(m["Attributes"]["SentTimestamp"]) / 1000, UTC).isoformat(timespec="seconds"),
            "receives_before": _receives_before_listing(m),
            "why": why_failed(m["Body"]),
        }
        for m in messages
    ]
    print(_table(rows, ["message_id", "sent_at", "receives_before", "why"]))
    print("\nreceives_before: times the message was received before this listing (by the consumer, and by earlier listings);"
          " this listing's own receive is not counted", file=sys.stderr)
    if not args.redrive:
        print(f"\n{len(messages)} dead-lettered message(s); --redrive moves them back to the main queue", file=sys.stderr)
        return 0
    stop: list[bool] = []
    previous = signal.signal(signal.SIGINT, lambda *_: stop.append(True))
    try:
        redrive(dlq_url, args.queue_url or _queue_url(QUEUE_NAME), messages, stop, moved)
    finally:
        signal.signal(signal.SIGINT, previous)
    print(f"moved {len(moved)} of {len(messages)} message(s) back to the main queue")
    return 0 if len(moved) == len(messages) else 130


def _discard(args: argparse.Namespace, dlq_url: str, messages: list[dict[str, Any]], deleted: list[str]) -> int:
    """Delete the one listed message whose id is `args.discard`, after a confirmation (or --yes); nothing else.

    Only that message's own, newest receipt handle is ever passed to DeleteMessage. The listing keeps it hidden
    while the agent reads the prompt; past that hide, it may be in someone's hands (a redrive), so nothing is deleted.
    """
    listed = time.monotonic()
    message = next((m for m in messages if m["MessageId"] == args.discard), None)
    if message is None:
        more = f" (only {len(messages)} listed: raise --max)" if len(messages) >= args.max else ""
        print(f"error: no message {args.discard} in the dead-letter queue{more}; nothing deleted", file=sys.stderr)
        return 1
    sent_at = datetime.fromtimestamp(int(message["Attributes"]["SentTimestamp"]) / 1000, UTC).isoformat(timespec="seconds")
    print(f"message {args.discard}, sent {sent_at}: {why_failed(message['Body'])}", file=sys.stderr)
    print(f"body: {message['Body'][:300]!r}{' ...' if len(message['Body']) > 300 else ''}", file=sys.stderr)  # repr: no escapes
    if not args.yes and not _confirmed(f"delete message {args.discard} from the dead-letter queue for good? [y/N] "):
        print("nothing deleted", file=sys.stderr)
        return 1
    if time.monotonic() - listed > LISTING_HIDE_SECONDS - DISCARD_MARGIN_SECONDS:
        print("error: the answer came after the listing's hold on the message ended; nothing deleted: run it again", file=sys.stderr)
        return 1
    client("sqs").delete_message(QueueUrl=dlq_url, ReceiptHandle=message["ReceiptHandle"])
    deleted.append(message["MessageId"])
    print(f"deleted message {args.discard} from the dead-letter queue")
    return 0


DISCARD_MARGIN_SECONDS = 30  # a discard confirmed this close to the end of the listing's hold is refused


def _confirmed(question: str) -> bool:
    """Ask on stderr, read the answer from stdin: only y or yes (any case) is a yes; end of input is a no."""
    print(question, end="", file=sys.stderr, flush=True)
    answer = sys.stdin.readline()
    if not answer:
        print(file=sys.stderr)
    return answer.strip().lower() in ("y", "yes")


def _message_id(text: str) -> str:
    """argparse type for --discard: an SQS message id (a UUID), as `contact-support dlq` lists it."""
    if not re.fullmatch(r"[A-Za-z0-9-]{1,100}", text):
        raise argparse.ArgumentTypeError(f"{text[:80]!r} is not a message id (copy it from the message_id column of `contact-support dlq`)")
    return text


def _queue_url(name: str) -> str:
    return str(client("sqs").get_queue_url(QueueName=name)["QueueUrl"])


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="contact-support", description=__doc__.splitlines()[0])
    root.add_argument("--table", default=os.environ.get("SUPPORT_REQUESTS_TABLE_NAME", "support-requests"),
                      help="the support-requests table (default: $SUPPORT_REQUESTS_TABLE_NAME or support-requests)")
    commands = root.add_subparsers(dest="command", required=True)

    recent = commands.add_parser("recent", help="newest contact requests")
    recent.add_argument("--seller", type=_seller_id, help="only this seller's requests (default: every seller, day by day)")
    recent.add_argument("--buyer", type=_buyer_id,
                        help="only this buyer's requests (their token's sub); finds only requests stored since the ingest writes its by-buyer index")
    recent.add_argument("--topic", choices=[t.value for t in Topic], help="only requests about this topic")
    recent.add_argument("--channel", choices=[c.value for c in Channel], help="primary channel")
    recent.add_argument("--since", help=f"ISO date or time; UTC unless it has an offset (default: 7 days ago; requests are kept {REQUEST_TTL.days} days)")
    recent.add_argument("--limit", type=_at_least_one, default=20, help="at most this many, newest first (default 20)")
    recent.add_argument("--jsonl", action="store_true", help="one JSON object per line")
    recent.set_defaults(run=cmd_recent)

    stats = commands.add_parser("stats", help="sellers sent to support for lack of channels; requests per channel")
    stats.add_argument("--days", type=_days, default=7, help=f"today and the days before it, 1 to {COUNTER_TTL.days} (default 7)")
    stats.add_argument("--top", type=_at_least_one, default=10, help="sellers and answers listed per ranking (default 10)")
    stats.add_argument("--jsonl", action="store_true", help="the whole result as one JSON object")
    stats.set_defaults(run=cmd_stats)

    history = commands.add_parser("history", help="a seller's changes (settings, restriction) or the policy's, newest first")
    whose = history.add_mutually_exclusive_group(required=True)
    whose.add_argument("--seller", type=_seller_id, help="a seller's settings and restriction changes")
    whose.add_argument("--policy", action="store_true", help="the platform policy's changes (who, versions, changed paths)")
    history.add_argument("--since", help="ISO date or time; UTC unless it has an offset (default: everything stored)")
    history.add_argument("--limit", type=_at_least_one, default=50, help="at most this many changes, newest first (default 50)")
    history.add_argument("--jsonl", action="store_true", help="one stored event per line")
    history.set_defaults(run=cmd_history)

    dlq = commands.add_parser("dlq", help="list dead-lettered messages and why they failed")
    action = dlq.add_mutually_exclusive_group()
    action.add_argument("--redrive", action="store_true", help="move them back to the main queue")
    action.add_argument("--discard", metavar="MESSAGE_ID", type=_message_id,
                        help="delete this one message (known to be bad) from the DLQ for good, after a confirmation")
    dlq.add_argument("--yes", action="store_true", help="with --discard: no confirmation prompt")
    dlq.add_argument("--max", type=_at_least_one, default=1000, help="list (and move) at most this many (default 1000)")
    dlq.add_argument("--dlq-url", default=os.environ.get("SUPPORT_DLQ_URL"),
                     help=f"default: $SUPPORT_DLQ_URL, else the queue named {QUEUE_NAME}-dlq")
    dlq.add_argument("--queue-url", default=os.environ.get("SUPPORT_QUEUE_URL"),
                     help=f"where --redrive moves them; default: $SUPPORT_QUEUE_URL, else the queue named {QUEUE_NAME}")
    dlq.set_defaults(run=cmd_dlq)

    conversations.add_commands(commands, _at_least_one)
    return root


def aws_error_line(exc: BotoCoreError | ClientError) -> str:
    """One line for an AWS failure a support agent can act on; never a stack trace."""
    if isinstance(exc, ReadTimeoutError | ConnectTimeoutError):
        return f"AWS did not answer in time, retries included ({exc}); is the endpoint up and not hung?"
    if isinstance(exc, EndpointConnectionError):
        local = " (the local stack: is `make run` running, on MOTO_PORT?)" if os.environ.get("AWS_ENDPOINT_URL") else ""
        return f"{exc}{local}"
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code, message = error.get("Code", "?"), error.get("Message", "")
        hint = " (check --table / SUPPORT_REQUESTS_TABLE_NAME, the queue URLs and the region)" if "NotFound" in code or "NonExistent" in code else ""
        return f"AWS refused {exc.operation_name}: {code}: {message}{hint}"
    return str(exc)  # no region, no credentials, ...


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        status = int(args.run(args))
        sys.stdout.flush()  # here, not at exit: a reader that went away is then a BrokenPipeError handled below
        return status
    except ValueError as exc:  # e.g. --since that is not a date
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (BotoCoreError, ClientError) as exc:
        print(f"error: {aws_error_line(exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `contact-support recent --jsonl | head`: the reader has all it wanted
        try:  # and the interpreter's own flush of stdout at exit must not fail again
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        return 141  # 128 + SIGPIPE, what a tool killed by the broken pipe reports


def console() -> None:
    """The `contact-support` script: main(), and after Ctrl-C an exit at once. Shard reads still waiting on a hung
    AWS would otherwise hold the interpreter's exit for their timeouts (it joins every worker thread)."""
    status = main()
    if status == 130:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(130)
    sys.exit(status)


if __name__ == "__main__":
    console()

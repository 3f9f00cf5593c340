"""Support CLI: recent contact requests, per-seller statistics, and the dead-letter queue.

    python -m support_cli recent [--seller ID] [--topic T] [--channel C] [--since DATE] [--jsonl]
    python -m support_cli stats [--days 7] [--top 10] [--jsonl]
    python -m support_cli dlq [--redrive] [--max N]

Works against AWS (your usual credentials and region) or the local stack (AWS_ENDPOINT_URL).
Never imported by the API.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import ValidationError

from chalicelib.attributes import from_attributes
from chalicelib.aws import client
from chalicelib.ingest import parse_event
from chalicelib.models import Channel, Topic

QUEUE_NAME = "support-contact-requests"


def _query(table: str, **kwargs: Any) -> Iterator[dict[str, Any]]:
    for page in client("dynamodb").get_paginator("query").paginate(TableName=table, **kwargs):
        for item in page["Items"]:
            yield from_attributes(item)


def _since(text: str | None, default_days: int = 7) -> datetime:
    if not text:
        return datetime.now(UTC) - timedelta(days=default_days)
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _table(rows: list[dict[str, Any]], columns: list[str]) -> str:
    cells = [[", ".join(map(str, v)) if isinstance(v, list) else str(v) for v in (row.get(c, "") for c in columns)] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))]
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in cells]
    return "\n".join(lines)


# ---------------------------------------------------------------- recent


def recent_requests(table: str, seller: str | None, topic: str | None, channel: str | None, since: datetime, limit: int) -> list[dict[str, Any]]:
    """Newest first, at most `limit`, filtered as asked."""

    def wanted(item: dict[str, Any]) -> bool:
        return (topic is None or item["topic"] == topic) and (channel is None or item["primary_channel"] == channel)

    if seller:
        pages = [
            _query(
                table,
                KeyConditionExpression="pk = :pk AND sk BETWEEN :from AND :to",
                ExpressionAttributeValues={
                    ":pk": {"S": f"SELLER#{seller}"}, ":from": {"S": f"REQ#{since.isoformat()}"}, ":to": {"S": "REQ#~"},
                },
                ScanIndexForward=False,
            )
        ]
    else:
        today = datetime.now(UTC).date()
        days = [today - timedelta(days=n) for n in range((today - since.date()).days + 1)]
        pages = [
            _query(
                table,
                IndexName="by-day",
                KeyConditionExpression="gsi1pk = :day AND gsi1sk >= :from",
                ExpressionAttributeValues={":day": {"S": f"DAY#{day.isoformat()}"}, ":from": {"S": since.isoformat()}},
                ScanIndexForward=False,
            )
            for day in days
        ]
    found: list[dict[str, Any]] = []
    for page in pages:  # lazily: stop reading DynamoDB once `limit` rows are found
        for item in page:
            if wanted(item):
                found.append(item)
                if len(found) >= limit:
                    return found
    return found


RECENT_COLUMNS = ["occurred_at", "seller_id", "topic", "primary_channel", "offered", "degraded", "event_id"]


def cmd_recent(args: argparse.Namespace) -> int:
    rows = recent_requests(args.table, args.seller, args.topic, args.channel, _since(args.since), args.limit)
    if args.jsonl:
        for row in rows:
            print(json.dumps({c: row.get(c) for c in [*RECENT_COLUMNS, "buyer_id", "request_id"]}))
    else:
        print(_table(rows, RECENT_COLUMNS) if rows else "no requests match")
        print(f"\n{len(rows)} request(s)", file=sys.stderr)
    return 0


# ---------------------------------------------------------------- stats


def daily_counters(table: str, days: int) -> Iterator[tuple[str, dict[str, Any]]]:
    today = datetime.now(UTC).date()
    for n in range(days):
        day = (today - timedelta(days=n)).isoformat()
        for item in _query(table, KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": {"S": f"STATS#{day}"}}):
            yield day, item


def statistics(table: str, days: int, top: int) -> dict[str, Any]:
    per_channel: Counter[str] = Counter()
    no_channel: Counter[str] = Counter()
    no_channel_detail: dict[str, Counter[str]] = defaultdict(Counter)
    total = 0
    for day, item in daily_counters(table, days):
        total += item.get("requests", 0)
        for channel in Channel:
            per_channel[channel.value] += item.get(f"primary_{channel.value}", 0)
        if item.get("no_channel"):
            seller = item["seller_id"]
            no_channel[seller] += item["no_channel"]
            no_channel_detail[seller][f"day {day}"] += item["no_channel"]
            for topic in Topic:
                if item.get(f"no_channel_{topic.value}"):
                    no_channel_detail[seller][topic.value] += item[f"no_channel_{topic.value}"]
    return {
        "days": days,
        "requests": total,
        "requests_per_primary_channel": dict(per_channel),
        "top_sellers_without_channels": [
            {"seller_id": seller, "sent_to_support": count, "by_topic_and_day": dict(no_channel_detail[seller])}
            for seller, count in no_channel.most_common(top)
        ],
    }


def cmd_stats(args: argparse.Namespace) -> int:
    result = statistics(args.table, args.days, args.top)
    result.update(outcome_statistics(args.table, args.days, args.top))
    if args.jsonl:
        print(json.dumps(result))
        return 0
    print(f"last {result['days']} day(s): {result['requests']} contact request(s)\n")
    channels = [{"primary_channel": c, "requests": n} for c, n in sorted(result["requests_per_primary_channel"].items())]
    print(_table(channels, ["primary_channel", "requests"]))
    print("\nsellers whose buyers were sent to platform support because the seller offers no channel:")
    rows = [
        {"seller_id": r["seller_id"], "sent_to_support": r["sent_to_support"],
         "by_topic_and_day": [f"{k}: {v}" for k, v in sorted(r["by_topic_and_day"].items())]}
        for r in result["top_sellers_without_channels"]
    ]
    print(_table(rows, ["seller_id", "sent_to_support", "by_topic_and_day"]) if rows else "none")
    print_outcome_statistics(result)
    return 0


# ---------------------------------------------------------------- stats: answers and deflection


def outcome_statistics(table: str, days: int, top: int) -> dict[str, Any]:
    """Deflection per topic and the answers buyers most often marked as not answering their question.

    deflection_rate = answered / (answered + channel_chosen): of the buyers who reported how it ended, the share
    an answer helped. None while no outcome was reported for the topic.
    """
    per_topic: dict[str, Counter[str]] = defaultdict(Counter)
    per_answer: dict[str, Counter[str]] = defaultdict(Counter)
    today = datetime.now(UTC).date()
    for n in range(days):
        day = (today - timedelta(days=n)).isoformat()
        for item in _query(table, KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": {"S": f"OUTCOMES#{day}"}}):
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


def dead_letters(dlq_url: str, limit: int, hide_seconds: int = 30) -> list[dict[str, Any]]:
    """Receive up to `limit` messages, hidden for `hide_seconds` so each is seen once."""
    sqs = client("sqs")
    seen: dict[str, dict[str, Any]] = {}
    while len(seen) < limit:
        batch = sqs.receive_message(
            QueueUrl=dlq_url, MaxNumberOfMessages=min(10, limit - len(seen)), VisibilityTimeout=hide_seconds,
            AttributeNames=["All"], MessageAttributeNames=["All"], WaitTimeSeconds=0,
        ).get("Messages", [])
        if not batch:
            break
        for message in batch:
            seen.setdefault(message["MessageId"], message)
    return list(seen.values())


def release(dlq_url: str, messages: list[dict[str, Any]]) -> None:
    """Make listed messages visible again at once (listing must not hide them)."""
    sqs = client("sqs")
    for start in range(0, len(messages), 10):
        chunk = messages[start : start + 10]
        sqs.change_message_visibility_batch(
            QueueUrl=dlq_url,
            Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 0} for i, m in enumerate(chunk)],
        )


def redrive(dlq_url: str, queue_url: str, messages: list[dict[str, Any]], stop: list[bool]) -> int:
    """Move each message back: send to the main queue, then delete from the DLQ.

    Ctrl-C is only honoured between messages, so none is half-moved. A crash between send and
    delete leaves a copy in both queues; the consumer de-duplicates by event_id.
    """
    sqs = client("sqs")
    moved = 0
    for message in messages:
        if stop:
            print(f"\ninterrupted: {moved} moved, {len(messages) - moved} left in the DLQ", file=sys.stderr)
            break
        attributes = {
            name: {"DataType": value["DataType"], "StringValue": value["StringValue"]}
            for name, value in message.get("MessageAttributes", {}).items()
            if "StringValue" in value
        }
        sqs.send_message(QueueUrl=queue_url, MessageBody=message["Body"], MessageAttributes=attributes)
        sqs.delete_message(QueueUrl=dlq_url, ReceiptHandle=message["ReceiptHandle"])
        moved += 1
        print(f"\rredriven {moved}/{len(messages)}", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    return moved


def cmd_dlq(args: argparse.Namespace) -> int:
    dlq_url = args.dlq_url or _queue_url(f"{QUEUE_NAME}-dlq")
    messages = dead_letters(dlq_url, args.max)
    if not messages:
        print("the dead-letter queue is empty")
        return 0
    rows = [
        {
            "message_id": m["MessageId"],
            "sent_at": datetime.fromtimestamp(int(m["Attributes"]["SentTimestamp"]) / 1000, UTC).isoformat(timespec="seconds"),
            "receives": m["Attributes"].get("ApproximateReceiveCount", "?"),
            "why": why_failed(m["Body"]),
        }
        for m in messages
    ]
    print(_table(rows, ["message_id", "sent_at", "receives", "why"]))
    if not args.redrive:
        release(dlq_url, messages)
        print(f"\n{len(messages)} dead-lettered message(s); --redrive moves them back to the main queue", file=sys.stderr)
        return 0
    stop: list[bool] = []
    previous = signal.signal(signal.SIGINT, lambda *_: stop.append(True))
    try:
        moved = redrive(dlq_url, args.queue_url or _queue_url(QUEUE_NAME), messages, stop)
    finally:
        signal.signal(signal.SIGINT, previous)
    release(dlq_url, messages[moved:])
    print(f"moved {moved} of {len(messages)} message(s) back to the main queue")
    return 0 if moved == len(messages) else 130


def _queue_url(name: str) -> str:
    return str(client("sqs").get_queue_url(QueueName=name)["QueueUrl"])


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="python -m support_cli", description=__doc__.splitlines()[0])
    root.add_argument("--table", default=os.environ.get("SUPPORT_REQUESTS_TABLE_NAME", "support-requests"))
    commands = root.add_subparsers(dest="command", required=True)

    recent = commands.add_parser("recent", help="newest contact requests")
    recent.add_argument("--seller")
    recent.add_argument("--topic", choices=[t.value for t in Topic])
    recent.add_argument("--channel", choices=[c.value for c in Channel], help="primary channel")
    recent.add_argument("--since", help="ISO date or time, UTC unless given (default: 7 days ago)")
    recent.add_argument("--limit", type=int, default=20)
    recent.add_argument("--jsonl", action="store_true", help="one JSON object per line")
    recent.set_defaults(run=cmd_recent)

    stats = commands.add_parser("stats", help="sellers sent to support for lack of channels; requests per channel")
    stats.add_argument("--days", type=int, default=7)
    stats.add_argument("--top", type=int, default=10)
    stats.add_argument("--jsonl", action="store_true")
    stats.set_defaults(run=cmd_stats)

    dlq = commands.add_parser("dlq", help="list dead-lettered messages and why they failed")
    dlq.add_argument("--redrive", action="store_true", help="move them back to the main queue")
    dlq.add_argument("--max", type=int, default=1000)
    dlq.add_argument("--dlq-url", default=os.environ.get("SUPPORT_DLQ_URL"))
    dlq.add_argument("--queue-url", default=os.environ.get("SUPPORT_QUEUE_URL"))
    dlq.set_defaults(run=cmd_dlq)
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return int(args.run(args))
    except ValueError as exc:  # e.g. --since that is not a date
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

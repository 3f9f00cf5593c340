"""contact-support conversations / conversation: a seller's or buyer's conversations, and one conversation's transcript.

    contact-support conversations --seller S | --buyer B [--status ST] [--limit N] [--jsonl]
    contact-support conversation ID [--jsonl]

The conversations table (CONVERSATIONS_TABLE_NAME): a conversation is pk `conversation#<id>`, sk `conversation`; its
messages share the pk, sk `message#<created_at>#<message_id>`, so one Query reads a transcript in time order. The
by_seller and by_buyer indexes list a party's conversations by last_message_at. Message text is printed for the
support agent who asked, and never logged; control characters in it are shown escaped, so a message cannot drive the
agent's terminal.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any

from chalicelib.models.common import SELLER_ID_PATTERN
from chalicelib.shared.aws import client
from chalicelib.shared.dynamo import from_attributes

DEFAULT_TABLE = "conversations"
STATUSES = ("waiting_seller", "waiting_buyer", "escalated", "closed")
CONVERSATION_SK = "conversation"
# Buyer ids are the identity provider's subjects: printable, no spaces (UUIDs, "auth0|…", e-mail-like ids).
BUYER_ID_PATTERN = r"^[!-~]{1,128}$"
CONVERSATION_ID_PATTERN = r"^[A-Za-z0-9_-]{1,128}$"
LIST_COLUMNS = ["id", "buyer", "seller", "status", "last_message", "due"]
# What a terminal would act on: C0 controls but newline and tab, DEL, C1 controls, and the bidi overrides that
# reorder what is shown.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def conversations_table() -> str:
    return os.environ.get("CONVERSATIONS_TABLE_NAME", DEFAULT_TABLE)


def _checked(pattern: str, what: str) -> Any:
    def parse(text: str) -> str:
        if not re.fullmatch(pattern, text):
            raise argparse.ArgumentTypeError(f"{text!r} is not a {what}")
        return text

    return parse


seller_id = _checked(SELLER_ID_PATTERN, "seller id (letters, digits, - and _, 1-64, starting with a letter or digit)")
buyer_id = _checked(BUYER_ID_PATTERN, "buyer id (1-128 printable characters, no spaces)")
conversation_id = _checked(CONVERSATION_ID_PATTERN, "conversation id (letters, digits, - and _, 1-128)")


def shown_safely(text: str) -> str:
    """`text` with what a terminal would interpret written out as \\x.. / \\u.... escapes."""
    return _UNSAFE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def _counted(items: Iterable[dict[str, Any]], label: str) -> Iterator[dict[str, Any]]:
    """Yield `items`, showing `label N` on stderr while it is a terminal (never in a pipe or a log)."""
    shown = sys.stderr.isatty()
    count = 0
    try:
        for item in items:
            count += 1
            if shown and count % 25 == 0:
                print(f"\r{label} {count}", end="", file=sys.stderr, flush=True)
            yield item
    finally:
        if shown:
            print("\r\033[K", end="", file=sys.stderr, flush=True)


def _query(table: str, **kwargs: Any) -> Iterator[dict[str, Any]]:
    for page in client("dynamodb").get_paginator("query").paginate(TableName=table, **kwargs):
        for item in page["Items"]:
            yield from_attributes(item)


def list_conversations(table: str, *, seller: str | None, buyer: str | None, status: str | None, limit: int) -> list[dict[str, Any]]:
    """A party's conversations, newest last message first (index by_seller or by_buyer), at most `limit`."""
    if (seller is None) == (buyer is None):
        raise ValueError("give exactly one of seller and buyer")
    index, key, value = ("by_seller", "seller_id", seller) if seller is not None else ("by_buyer", "buyer_id", buyer)
    items = _query(
        table, IndexName=index, KeyConditionExpression="#party = :party", ExpressionAttributeNames={"#party": key},
        ExpressionAttributeValues={":party": {"S": str(value)}}, ScanIndexForward=False,
    )
    wanted = (
        item for item in _counted(items, "conversations: read")
        if item.get("sk") == CONVERSATION_SK and (status is None or item.get("status") == status)
    )
    return list(islice(wanted, limit))  # lazily: stop reading DynamoDB once `limit` are found


def transcript(table: str, conversation: str) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """The conversation item and its messages, oldest first (one Query on its partition)."""
    found: dict[str, Any] | None = None
    messages = []
    items = _query(
        table, KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": {"S": f"conversation#{conversation}"}},
        ConsistentRead=True,
    )
    for item in _counted(items, "conversation: read"):
        if item.get("sk") == CONVERSATION_SK:
            found = item
        elif str(item.get("sk", "")).startswith("message#"):
            messages.append(item)
    return found, messages


def list_row(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": item.get("conversation_id", ""), "buyer": item.get("buyer_id", ""), "seller": item.get("seller_id", ""),
        "status": item.get("status", ""), "last_message": item.get("last_message_at", ""),
        "due": item.get("seller_reply_due_at") or "-",
    }


def _table(rows: list[dict[str, Any]], columns: list[str]) -> str:
    cells = [[shown_safely(str(row.get(c, ""))) for c in columns] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip()]
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    return "\n".join(lines)


TRANSCRIPT_COLUMNS = ["time", "author_role", "via", "redacted"]


def transcript_lines(messages: list[dict[str, Any]]) -> list[str]:
    """One block per message: time, author_role, via, redacted kinds, then the text, its later lines indented."""
    cells = [
        [shown_safely(str(v)) for v in (m.get("created_at", ""), m.get("author_role", ""), m.get("via", ""),
                                        ", ".join(m.get("redacted") or []) or "-")]
        for m in messages
    ]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(TRANSCRIPT_COLUMNS)]
    indent = " " * (sum(widths) + 2 * len(widths))
    lines = ["".join(c.ljust(w + 2) for c, w in zip(TRANSCRIPT_COLUMNS, widths, strict=True)) + "text"]
    for row, message in zip(cells, messages, strict=True):
        first, *rest = shown_safely(str(message.get("text", ""))).split("\n")
        lines.append("".join(v.ljust(w + 2) for v, w in zip(row, widths, strict=True)) + first)
        lines += [indent + line for line in rest]
    return lines


def cmd_conversations(args: argparse.Namespace) -> int:
    rows = list_conversations(args.conversations_table, seller=args.seller, buyer=args.buyer, status=args.status, limit=args.limit)
    if args.jsonl:
        for item in rows:
            print(json.dumps({k: v for k, v in item.items() if k not in {"pk", "sk"}}, default=str))
        return 0
    print(_table([list_row(item) for item in rows], LIST_COLUMNS) if rows else "no conversations match")
    print(f"\n{len(rows)} conversation(s), newest last message first", file=sys.stderr)
    return 0


def cmd_conversation(args: argparse.Namespace) -> int:
    conversation, messages = transcript(args.conversations_table, args.id)
    if conversation is None:
        print(f"error: no conversation {args.id} (it expires 180 days after its last message)", file=sys.stderr)
        return 1
    if args.jsonl:
        for item in [conversation, *messages]:
            print(json.dumps({k: v for k, v in item.items() if k not in {"pk", "sk", "expires_at"}}, default=str))
        return 0
    fields = ["conversation_id", "buyer_id", "seller_id", "status", "topic", "order_id", "created_at", "last_message_at",
              "seller_reply_due_at", "relay_address"]
    for field in fields:
        value = conversation.get(field)
        print(f"{field}: {shown_safely(str(value)) if value not in (None, '') else '-'}")
    print()
    print("\n".join(transcript_lines(messages)) if messages else "no messages")
    print(f"\n{len(messages)} message(s), oldest first", file=sys.stderr)
    return 0


def add_commands(commands: Any, at_least_one: Any) -> None:
    """Register `conversations` and `conversation` on the CLI's subparsers."""
    table_help = f"the conversations table (default: $CONVERSATIONS_TABLE_NAME or {DEFAULT_TABLE})"

    listing = commands.add_parser("conversations", help="a seller's or a buyer's conversations, newest last message first")
    party = listing.add_mutually_exclusive_group(required=True)
    party.add_argument("--seller", type=seller_id, help="the seller's conversations (index by_seller)")
    party.add_argument("--buyer", type=buyer_id, help="the buyer's conversations (index by_buyer)")
    listing.add_argument("--status", choices=STATUSES, help="only conversations in this status")
    listing.add_argument("--limit", type=at_least_one, default=50, help="at most this many (default 50)")
    listing.add_argument("--jsonl", action="store_true", help="one stored conversation per line")
    listing.add_argument("--conversations-table", default=conversations_table(), help=table_help)
    listing.set_defaults(run=cmd_conversations)

    one = commands.add_parser("conversation", help="one conversation and its transcript, oldest message first")
    one.add_argument("id", type=conversation_id, help="the conversation id")
    one.add_argument("--jsonl", action="store_true", help="the conversation, then each message, one per line")
    one.add_argument("--conversations-table", default=conversations_table(), help=table_help)
    one.set_defaults(run=cmd_conversation)

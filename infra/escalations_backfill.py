"""Give every conversation escalated before the release that records `escalated_at` its time: once, after deploying it.

    AWS_DEFAULT_REGION=... python infra/escalations_backfill.py --table conversations   (make escalations-backfill TABLE=...)

The console lists escalated conversations, and finds the longest-escalated one, through the sparse `by_escalated`
index (chalicelib/conversations/store.py), which holds only items with `escalated_at`. Conversations escalated
before that release have none: the figures count them, the list and the oldest age miss them. This scans the table
once (conversation items only) and sets `escalated_at` to the conversation's last message, the latest moment known to
be before the escalation: the age shown is then at least the true one, never less. Safe to run again: only items
still escalated and still without the field are written (a condition on each).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from chalicelib.conversations.records import CONVERSATION_SK
from chalicelib.conversations.rules import escalated_shard


def backfill(dynamodb: Any, table: str) -> list[str]:
    """Set `escalated_at` and `escalated_shard` on every escalated conversation without them; returns their ids."""
    done: list[str] = []
    pages = dynamodb.get_paginator("scan").paginate(
        TableName=table,
        FilterExpression="sk = :conversation AND #status = :escalated AND attribute_not_exists(escalated_at)",
        ExpressionAttributeNames={"#status": "status"},
        ExpressionAttributeValues={":conversation": {"S": CONVERSATION_SK}, ":escalated": {"S": "escalated"}},
        ProjectionExpression="pk, sk, conversation_id, last_message_at",
    )
    for page in pages:
        for item in page.get("Items", []):
            conversation_id = item["conversation_id"]["S"]
            try:
                dynamodb.update_item(
                    TableName=table,
                    Key={"pk": item["pk"], "sk": item["sk"]},
                    UpdateExpression="SET escalated_at = :at, escalated_shard = :shard",
                    ConditionExpression="#status = :escalated AND attribute_not_exists(escalated_at)",
                    ExpressionAttributeNames={"#status": "status"},
                    ExpressionAttributeValues={
                        ":at": item["last_message_at"], ":shard": {"S": escalated_shard(conversation_id)}, ":escalated": {"S": "escalated"},
                    },
                )
            except dynamodb.exceptions.ConditionalCheckFailedException:
                continue  # closed, or escalated again by the API, since the scan read it: nothing to add
            done.append(conversation_id)
    return done


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--table", default="conversations", help="the stack's conversations table (output ConversationsTableName)")
    args = parser.parse_args(argv)
    import boto3

    done = backfill(boto3.client("dynamodb"), args.table)
    print(f"recorded when {len(done)} escalated conversation(s) went to support (their last message)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

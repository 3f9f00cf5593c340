"""Write every owner's answers digests from the answers stored: once, after deploying the release that reads digests.

    AWS_DEFAULT_REGION=... python infra/answer_digests.py --table answers      (make answer-digests TABLE=...)

Resolutions read answers from digests that the API keeps with every answer write (chalicelib/answers/store.py);
answers stored before that release have none, and a missing digest reads as no answers. This scans the table for
the owners (one pass, projecting `owner`) and rebuilds each owner's digests. Safe to run again: a digest written
meanwhile by an answer write is replaced by one built from the same stored answers.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from chalicelib.answers.store import DynamoAnswersStore


def owners(dynamodb: Any, table: str) -> list[str]:
    """Every owner with an answer (digest items have no `owner`)."""
    found: set[str] = set()
    for page in dynamodb.get_paginator("scan").paginate(TableName=table, ProjectionExpression="#owner", ExpressionAttributeNames={"#owner": "owner"}):
        found.update(item["owner"]["S"] for item in page.get("Items", []) if "owner" in item)
    return sorted(found)


def backfill(dynamodb: Any, table: str) -> list[str]:
    """Rebuild the digests of every owner; returns the owners."""
    store = DynamoAnswersStore(dynamodb, table)
    done = owners(dynamodb, table)
    for owner in done:
        store.rebuild_digests(owner)
    return done


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--table", default="answers", help="the stack's answers table (output AnswersTableName)")
    args = parser.parse_args(argv)
    import boto3

    done = backfill(boto3.client("dynamodb"), args.table)
    print(f"rebuilt the answers digests of {len(done)} owners")
    return 0


if __name__ == "__main__":
    sys.exit(main())

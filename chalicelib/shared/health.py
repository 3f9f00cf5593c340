"""Is the settings table reachable, is the support queue reachable? `ok` or `unavailable` per dependency."""

from __future__ import annotations

import logging
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.shared.aws import resolution_client
from chalicelib.shared.config import Config
from chalicelib.shared.logs import log


def check(config: Config) -> dict[str, Any]:
    checks = {
        "seller_table": _probe(
            "seller_table", lambda: resolution_client("dynamodb").describe_table(TableName=config.seller_table_name)
        ),
        "support_queue": _probe(
            "support_queue",
            lambda: resolution_client("sqs").get_queue_attributes(
                QueueUrl=config.support_queue_url, AttributeNames=["QueueArn"]
            ),
        ),
    }
    return {"status": "ok" if all(value == "ok" for value in checks.values()) else "degraded", "checks": checks}


def _probe(name: str, call: Any) -> str:
    """The answer is public (no token): it names no exception; the log line says what failed."""
    try:
        call()
    except (ClientError, BotoCoreError) as exc:
        log(logging.WARNING, "health_check_failed", dependency=name, error=type(exc).__name__)
        return "unavailable"
    return "ok"

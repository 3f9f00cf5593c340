"""Is the settings table reachable, is the support queue reachable?"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.aws import client
from chalicelib.config import Config


def check(config: Config) -> dict[str, Any]:
    checks = {
        "seller_table": _probe(lambda: client("dynamodb").describe_table(TableName=config.seller_table_name)),
        "support_queue": _probe(
            lambda: client("sqs").get_queue_attributes(QueueUrl=config.support_queue_url, AttributeNames=["QueueArn"])
        ),
    }
    return {"status": "ok" if all(value == "ok" for value in checks.values()) else "degraded", "checks": checks}


def _probe(call: Any) -> str:
    try:
        call()
    except (ClientError, BotoCoreError) as exc:
        return f"unreachable: {type(exc).__name__}"
    return "ok"

"""boto3 clients, created lazily once per container and reused across invocations."""

from __future__ import annotations

from functools import cache
from typing import Any

from chalicelib.config import get_config

# Background work (the support ingest, the CLI, the local poller): no one waits on an answer, so botocore's
# "standard" retries (back-off with jitter) may take their time.
_PATIENT_CONFIG = {
    "connect_timeout": 2,
    "read_timeout": 3,
    "retries": {"mode": "standard", "max_attempts": 3},
}


@cache
def _session() -> Any:
    """One botocore session for all clients: each new session re-reads endpoint and service data (~20 ms)."""
    import boto3

    return boto3.session.Session()


@cache
def client(service: str) -> Any:
    """boto3 client for background work; honours AWS_ENDPOINT_URL (the local stack) like any boto3 client."""
    from botocore.config import Config

    return _session().client(service, config=Config(**_PATIENT_CONFIG))


@cache
def request_client(service: str) -> Any:
    """boto3 client for the API handler: each call fits half of AWS_CALL_BUDGET_SECONDS, attempts included.

    A resolution makes two calls (settings read, event send): with both endpoints hanging, the degraded answer
    leaves after the whole budget (3 s by default), well inside the Lambda timeout. No botocore retries: one
    back-off alone may sleep a second; the client retries a 503 after its Retry-After instead.
    """
    from botocore.config import Config

    per_call = get_config().aws_call_budget_seconds / 2
    return _session().client(
        service,
        config=Config(
            connect_timeout=per_call / 3,
            read_timeout=per_call * 2 / 3,
            retries={"mode": "standard", "total_max_attempts": 1},
        ),
    )

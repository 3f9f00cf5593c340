"""boto3 clients, created lazily once per container and reused across invocations."""

from __future__ import annotations

from functools import cache
from typing import Any

# Short timeouts: a slow dependency should turn into a degraded answer well inside
# API Gateway's 29 s, not into a gateway timeout. "standard" retries back off with jitter.
_CLIENT_CONFIG = {
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
    """boto3 client for `service`; honours AWS_ENDPOINT_URL (the local stack) like any boto3 client."""
    from botocore.config import Config

    return _session().client(service, config=Config(**_CLIENT_CONFIG))

"""boto3 clients, created lazily once per container and reused across invocations."""

from __future__ import annotations

from functools import cache
from typing import Any

from chalicelib.shared.config import get_config

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


def resolution_client(service: str) -> Any:
    """For a resolution's two calls (settings read, event send) and health: each gets half of the budget.

    With both endpoints hanging, the degraded answer leaves after AWS_CALL_BUDGET_SECONDS (3 s by default),
    well inside the Lambda timeout. The policy refresh has its own, shorter client (policy_refresh_client).
    """
    return request_client(service, get_config().aws_call_budget_seconds / 2)


POLICY_REFRESH_SHARE = 1 / 6  # of the budget: one GetItem of one small item, and a failure keeps the last good policy


def policy_refresh_client() -> Any:
    """For refreshing a policy the container already has: if DynamoDB hangs, the request that refreshes waits at most
    a sixth of the budget more (0.5 s by default) and goes on with the last good policy. Created on the first refresh,
    one TTL after the cold start, so the cold path does not pay for a third client."""
    return request_client("dynamodb", get_config().aws_call_budget_seconds * POLICY_REFRESH_SHARE)


def settings_client() -> Any:
    """For a seller's settings read and conditional write: a little more time, since a 503 there is not degraded."""
    return request_client("dynamodb", get_config().settings_call_seconds)


@cache
def request_client(service: str, seconds_per_call: float) -> Any:
    """A client whose every call ends within `seconds_per_call` (connect + read), with no botocore retries.

    One retry's back-off alone may sleep a second; the client of our API retries a 503 after its Retry-After.
    A timed-out conditional write may have succeeded: retrying it would only report a version conflict.
    """
    from botocore.config import Config

    return _session().client(
        service,
        config=Config(
            connect_timeout=seconds_per_call / 4,
            read_timeout=seconds_per_call * 3 / 4,
            retries={"mode": "standard", "total_max_attempts": 1},
        ),
    )

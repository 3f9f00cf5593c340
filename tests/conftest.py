"""Shared fixtures: fake AWS credentials, an in-process moto stack, the Chalice test client, tokens."""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterator
from typing import Any

import pytest

from devstack.stack import LOCAL_AWS_ENV, local_jwt_secret, local_stage_env

# A shell starts a background job (`make test &`, a runner's `bash .ci/run &`) with SIGINT ignored, and every process
# the suite starts would inherit that: the CLI would ignore the tests' Ctrl-C, make would not end by it. The tests
# press Ctrl-C as a terminal user does, on processes that start as a terminal starts them.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

# Before anything imports boto3: never reach for real credentials or a real endpoint.
os.environ.update(LOCAL_AWS_ENV)
os.environ.pop("AWS_ENDPOINT_URL", None)
os.environ.pop("AWS_PROFILE", None)

import app as app_module
from devstack.tokens import mint_token
from tests import policy_coverage

policy_coverage.install(app_module)

SECRET = local_jwt_secret()


def bearer(role: str, sub: str | None = None, seller_id: str | None = None, **kwargs: Any) -> dict[str, str]:
    token = mint_token(SECRET, role, sub or f"user-{role}", seller_id, **kwargs)
    return {"Authorization": f"Bearer {token}"}


BUYER = bearer("buyer", "buyer-1")
SUPPORT = bearer("support", "agent-1")


def seller_token(seller_id: str) -> dict[str, str]:
    return bearer("seller", f"owner-of-{seller_id}", seller_id)


def reset_caches() -> None:
    from chalicelib import wiring
    from chalicelib.shared.aws import client, request_client
    from chalicelib.shared.config import get_config

    client.cache_clear()
    request_client.cache_clear()
    get_config.cache_clear()
    wiring.reset()


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """moto in-process, with the tables, queues and demo sellers `make run` creates."""
    from moto import mock_aws

    from chalicelib.sellers.store import DynamoSettingsStore
    from chalicelib.shared.aws import client
    from devstack.stack import create_resources, seed_demo_answers, seed_demo_sellers

    for name, value in local_stage_env().items():  # what the local stage sets, also outside a request
        monkeypatch.setenv(name, value)
    with mock_aws():
        reset_caches()
        urls = create_resources(client("dynamodb"), client("sqs"), visibility_timeout=1)
        seed_demo_sellers(DynamoSettingsStore(client("dynamodb"), "seller-channels"))
        seed_demo_answers(client("dynamodb"))
        monkeypatch.setenv("SUPPORT_QUEUE_URL", urls["queue_url"])
        monkeypatch.setenv("SUPPORT_DLQ_URL", urls["dlq_url"])
        reset_caches()
        yield urls
    reset_caches()


@pytest.fixture
def api(aws: dict[str, str]) -> Iterator[Any]:
    """chalice.test.Client on the local stage; `api.http.get(...)` etc."""
    from chalice.test import Client

    import app

    with Client(app.app, stage_name="local") as client:
        yield client


def drain_queue(queue_url: str) -> list[dict[str, Any]]:
    """Every message on the queue (body parsed, attributes kept), deleting them as support would."""
    from chalicelib.shared.aws import client

    sqs = client("sqs")
    messages: list[dict[str, Any]] = []
    while True:
        batch = sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, MessageAttributeNames=["All"], WaitTimeSeconds=0
        ).get("Messages", [])
        if not batch:
            return messages
        for message in batch:
            try:
                body = json.loads(message["Body"])
            except ValueError:
                body = message["Body"]  # poison messages stay as sent
            messages.append({"body": body, "attributes": message.get("MessageAttributes", {})})
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])


def log_lines(captured: str) -> list[dict[str, Any]]:
    """Our JSON log lines out of captured stdout."""
    lines = []
    for line in captured.splitlines():
        if line.startswith("{"):
            try:
                lines.append(json.loads(line))
            except ValueError:
                continue
    return lines


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """On a full, green run: every AWS action each Lambda used is in its policy, and nothing more is granted."""
    config = session.config
    full_run = (
        not config.option.collectonly
        and not config.option.keyword
        and not config.option.markexpr
        and config.args in ([], ["tests"], [str(config.rootpath / "tests")])
    )
    if exitstatus != 0 or not full_run:
        return
    problems = policy_coverage.violations(policy_coverage.recorded, policy_coverage.policy_actions())
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if problems:
        for problem in problems:
            reporter.write_line(f"POLICY COVERAGE: {problem}", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    else:
        used = {name: sorted(actions) for name, actions in policy_coverage.recorded.items()}
        reporter.write_line(f"policy coverage: every AWS action used is granted and every grant is used: {used}")

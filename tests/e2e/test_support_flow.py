"""Resolutions -> queue -> local poller -> support_ingest -> support CLI; a poison message -> DLQ -> redrive."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any, TypeVar

import pytest
import requests

from devstack.stack import PROJECT_DIR
from tests.conftest import BUYER, seller_token
from tests.e2e.conftest import Stack

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
T = TypeVar("T")


def support_cli(stack: Stack, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "support_cli", *argv],
        cwd=PROJECT_DIR, env={**os.environ, **stack.env}, capture_output=True, text=True, timeout=60, check=False,
    )


def eventually(probe: Callable[[], T], done: Callable[[T], bool], timeout: float = 30) -> T:
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if done(value) or time.monotonic() > deadline:
            return value
        time.sleep(0.5)


def test_resolutions_reach_the_support_cli(stack_with_poller: Stack) -> None:
    stack = stack_with_poller
    for seller_id in ("demo-chat", "demo-none", "demo-none"):
        response = requests.get(f"{stack.api}/v1/sellers/{seller_id}/contact-options?topic=payment", headers=BUYER, timeout=10)
        assert response.status_code == 200

    def recent() -> list[dict[str, Any]]:
        return [json.loads(line) for line in support_cli(stack, "recent", "--jsonl").stdout.splitlines()]

    rows = eventually(recent, lambda rows: len(rows) >= 3)
    assert sorted(r["seller_id"] for r in rows) == ["demo-chat", "demo-none", "demo-none"]
    stats = json.loads(support_cli(stack, "stats", "--jsonl").stdout)
    assert stats["top_sellers_without_channels"][0]["seller_id"] == "demo-none"
    assert stats["top_sellers_without_channels"][0]["sent_to_support"] == 2


def test_poison_message_reaches_the_dlq_and_redrive_brings_it_back(stack_with_poller: Stack) -> None:
    sqs = stack_with_poller.client("sqs")
    sqs.send_message(QueueUrl=stack_with_poller.env["SUPPORT_QUEUE_URL"], MessageBody='{"schema_version": 1, "type": "poison"}')

    def dead() -> int:
        attributes = sqs.get_queue_attributes(
            QueueUrl=stack_with_poller.env["SUPPORT_DLQ_URL"], AttributeNames=["ApproximateNumberOfMessages"]
        )["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"])

    assert eventually(dead, lambda n: n == 1) == 1
    listing = support_cli(stack_with_poller, "dlq")
    assert listing.returncode == 0 and "invalid" in listing.stdout and "type" in listing.stdout

    moved = support_cli(stack_with_poller, "dlq", "--redrive")
    assert moved.returncode == 0 and "moved 1 of 1" in moved.stdout
    assert dead() == 0
    # still poison: the poller fails it again and SQS dead-letters it again, nothing is lost
    assert eventually(dead, lambda n: n == 1) == 1


def make_support(stack: Stack, args: str) -> subprocess.CompletedProcess[str]:
    """`make support ARGS=...` as the README shows it: the installed contact-support script against this stack."""
    moto_port = stack.env["AWS_ENDPOINT_URL"].rsplit(":", 1)[1]
    return subprocess.run(
        ["make", "-s", "support", f"ARGS={args}"], cwd=PROJECT_DIR, env={**os.environ, "MOTO_PORT": moto_port},
        capture_output=True, text=True, timeout=120, check=False,
    )


def test_a_sellers_patch_shows_up_in_make_support_history(stack_with_poller: Stack) -> None:
    stack = stack_with_poller
    token = seller_token("demo-chat")
    etag = requests.get(f"{stack.api}/v1/sellers/demo-chat/channels", headers=token, timeout=10).headers["ETag"]
    changed = requests.patch(
        f"{stack.api}/v1/sellers/demo-chat/channels", json={"email": {"enabled": False}},
        headers={**token, "If-Match": etag}, timeout=10,
    )
    assert changed.status_code == 200
    new_version = changed.json()["version"]

    def history() -> list[dict[str, Any]]:
        return [json.loads(line) for line in make_support(stack, "history --seller demo-chat --jsonl").stdout.splitlines()]

    rows = eventually(history, lambda rows: any(r["new_version"] == new_version for r in rows))
    [row] = [r for r in rows if r["new_version"] == new_version]
    assert row["type"] == "settings_changed" and row["changed_channels"] == ["email"]
    assert row["old_version"] == new_version - 1 and row["changed_by"] == "owner-of-demo-chat"
    table = make_support(stack, "history --seller demo-chat")
    assert table.returncode == 0 and f"{new_version - 1} -> {new_version}" in table.stdout


def test_the_support_cli_line_make_run_prints_works_when_pasted(stack: Stack, capsys: Any) -> None:
    """Was: `make support ARGS="recent"` without the port: on any MOTO_PORT but 5000 it failed, or read another stack."""
    from devstack.stack import print_banner

    print_banner(stack.api, stack.env)
    [line] = [line for line in capsys.readouterr().out.splitlines() if line.startswith("Support CLI on this stack:")]
    command = line.split(":", 1)[1].split("   (or", 1)[0].strip()
    environment = {name: value for name, value in os.environ.items() if name != "MOTO_PORT"}
    pasted = subprocess.run(  # the line is pasted into a shell, as a developer would
        command, shell=True, cwd=PROJECT_DIR, env=environment, capture_output=True, text=True, timeout=120, check=False
    )
    assert pasted.returncode == 0, pasted.stderr

"""The local stack's moto server runs DynamoDB requests one at a time, as DynamoDB's conditional writes are atomic."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

from devstack.moto_server import serialise_dynamodb


def two_requests_meet(target: str, wait_seconds: float) -> bool:
    """Whether two requests sent at once are ever inside the app together (they wait for each other there)."""
    inside_together = threading.Barrier(2, timeout=wait_seconds)
    met: list[bool] = []

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        try:
            inside_together.wait()
            met.append(True)
        except threading.BrokenBarrierError:
            met.append(False)
        return [b"{}"]

    serve = serialise_dynamodb(app)
    threads = [
        threading.Thread(target=lambda: list(serve({"HTTP_X_AMZ_TARGET": target}, lambda *_: None))) for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return all(met) and len(met) == 2


def test_dynamodb_requests_never_overlap() -> None:
    # Serialised, the first request waits alone until the barrier gives up: they can never meet.
    assert not two_requests_meet("DynamoDB_20120810.UpdateItem", wait_seconds=0.5)


def test_other_services_stay_concurrent() -> None:
    """An SQS long poll must not hold up other calls: two SQS requests are inside at once (waits up to 30 s)."""
    assert two_requests_meet("AmazonSQS.ReceiveMessage", wait_seconds=30)

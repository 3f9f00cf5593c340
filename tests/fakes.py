"""Fakes the tests share: scripted AWS clients, injected botocore faults, a one-item table."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from botocore.exceptions import ReadTimeoutError

from chalicelib.shared.aws import policy_refresh_client, resolution_client, settings_client


class FakeHttpResponse:
    def __init__(self, status_code: int) -> None:
        self.status_code = status_code


def inject(service: str, operation: str, fault: str) -> None:
    """Make every `operation` call on the app's `service` client fail, after botocore's own retries."""

    def fail(**_kwargs: Any) -> Any:
        if fault == "timeout":
            raise ReadTimeoutError(endpoint_url="http://127.0.0.1")
        return FakeHttpResponse(400), {"Error": {"Code": fault, "Message": "injected"}}

    clients = [resolution_client(service)] + ([settings_client(), policy_refresh_client()] if service == "dynamodb" else [])
    for api_client in clients:  # the resolution path's, the settings path's and the policy refresh's
        api_client.meta.events.register(f"before-call.{service}.{operation}", fail)


class ScriptedClient:
    """Answers each call with the next scripted response and records what was sent."""

    def __init__(self, **scripts: list[Any]) -> None:
        self.scripts = scripts
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def __getattr__(self, operation: str) -> Any:
        def call(**kwargs: Any) -> Any:
            self.calls.append((operation, kwargs))
            return self.scripts[operation].pop(0)

        return call


class OneItemTable:
    """A DynamoDB client stand-in whose one item the test replaces between reads."""

    def __init__(self) -> None:
        self.item: dict[str, Any] = {}

    def get_item(self, **_kwargs: Any) -> dict[str, Any]:
        return {"Item": {key: dict(value) for key, value in self.item.items()}}  # a fresh dict per read, as botocore


@contextmanager
def unprocessed(table: str) -> Iterator[None]:
    """Every BatchGetItem leaves `table`'s keys unprocessed (what DynamoDB answers when that table alone is throttled),
    and reads the other tables' keys as usual."""
    from botocore.client import BaseClient

    original = BaseClient._make_api_call

    def throttled(self: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        if operation != "BatchGetItem" or table not in params.get("RequestItems", {}):
            return original(self, operation, params)
        rest = {name: keys for name, keys in params["RequestItems"].items() if name != table}
        response = original(self, operation, {**params, "RequestItems": rest}) if rest else {"Responses": {}}
        return {**response, "UnprocessedKeys": {table: params["RequestItems"][table]}}

    BaseClient._make_api_call = throttled  # type: ignore[method-assign]
    try:
        yield
    finally:
        BaseClient._make_api_call = original  # type: ignore[method-assign]

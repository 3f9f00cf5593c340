"""What one request really costs in AWS calls, read/write units and SQS requests, counted on boto3's own events.

A recorder is attached to the clients the Lambdas use (chalicelib.shared.aws.client); the test in
tests/tools/test_capacity_counts.py drives each operation through the real handlers on moto and
commits the counts to capacity/counts.json, which the model reads. Units follow DynamoDB's sizing rules:
a strongly consistent read is one unit per 4 KB (at least one), a write one unit per KB, twice that inside a
transaction, and a write to an item with an index key also writes the index copy.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from capacity.simulate import item_size

COUNTS_FILE = Path(__file__).resolve().parent / "counts.json"
SQS_CHUNK = 64 * 1024  # SQS bills one request per 64 KB of payload
INDEX_KEY = "gsi1pk"


def _ceil(value: float) -> int:
    return int(-(-value // 1))


@dataclass
class Work:
    calls: Counter[str] = field(default_factory=Counter)
    read_units: float = 0.0
    write_units: float = 0.0
    index_write_units: float = 0.0
    sqs_requests: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "calls": dict(sorted(self.calls.items())),
            "read_units": round(self.read_units, 2),
            "write_units": round(self.write_units, 2),
            "index_write_units": round(self.index_write_units, 2),
            "sqs_requests": self.sqs_requests,
        }


def _reads(items: list[dict[str, Any]], consistent: bool) -> float:
    per_item = [max(1, _ceil(item_size(item) / 4096)) for item in items] or [1]
    return sum(per_item) * (1 if consistent else 0.5)


def _write(item: dict[str, Any], factor: int) -> tuple[float, float]:
    units = max(1, _ceil(item_size(item) / 1024))
    return units * factor, units if INDEX_KEY in item else 0


class Recorder:
    """Counts every call and its units while `current` names the operation being measured."""

    def __init__(self) -> None:
        self.work: dict[str, Work] = {}
        self.current: str | None = None
        # A batch reads and sends from several threads at once: `+=` on shared counts would lose updates.
        self._lock = threading.Lock()

    def attach(self, client: Any) -> None:
        service = client.meta.service_model.service_id.hyphenize()
        # after-call sees the response but not the request: provide-client-params keeps it in the call's context.
        client.meta.events.register(f"provide-client-params.{service}", self._keep_params)
        client.meta.events.register(f"after-call.{service}", self._after_call)

    @staticmethod
    def _keep_params(params: dict[str, Any], context: dict[str, Any], **_kwargs: Any) -> None:
        context["capacity_params"] = dict(params)

    def _after_call(self, parsed: dict[str, Any], model: Any, context: dict[str, Any], **_kwargs: Any) -> None:
        with self._lock:
            self._count(parsed, model, context)

    def _count(self, parsed: dict[str, Any], model: Any, context: dict[str, Any]) -> None:
        if self.current is None:
            return
        work = self.work.setdefault(self.current, Work())
        params = context.get("capacity_params", {})
        service = model.service_model.endpoint_prefix
        work.calls[f"{service}:{model.name}"] += 1
        if service == "sqs":
            if model.name in ("SendMessage", "SendMessageBatch"):
                bodies = [params.get("MessageBody", "")] if model.name == "SendMessage" else [e["MessageBody"] for e in params.get("Entries", [])]
                work.sqs_requests += max(1, _ceil(sum(len(b.encode()) for b in bodies) / SQS_CHUNK))
            else:
                work.sqs_requests += 1
            return
        self._dynamodb_units(work, model.name, params, parsed)

    def _dynamodb_units(self, work: Work, operation: str, params: dict[str, Any], parsed: dict[str, Any]) -> None:
        if operation == "GetItem":
            work.read_units += _reads([parsed["Item"]] if "Item" in parsed else [], params.get("ConsistentRead", False))
        elif operation == "BatchGetItem":
            for table, items in parsed.get("Responses", {}).items():
                request = params["RequestItems"][table]
                missing = len(request["Keys"]) - len(items)  # a key with no item still costs a read unit
                work.read_units += (_reads(items, request.get("ConsistentRead", False)) if items else 0) + missing
        elif operation == "Query":
            size = sum(item_size(item) for item in parsed.get("Items", []))
            work.read_units += max(1, _ceil(size / 4096)) * (1 if params.get("ConsistentRead") else 0.5)
        elif operation in ("PutItem", "UpdateItem", "DeleteItem"):
            item = params.get("Item") or {**params.get("Key", {}), **params.get("ExpressionAttributeValues", {})}
            table_units, index_units = _write(item, 1)
            work.write_units += table_units
            work.index_write_units += index_units
        elif operation == "TransactWriteItems":
            for entry in params["TransactItems"]:
                operation_params = next(iter(entry.values()))
                item = operation_params.get("Item") or {**operation_params["Key"], **operation_params.get("ExpressionAttributeValues", {})}
                table_units, index_units = _write(item, 2)
                work.write_units += table_units
                work.index_write_units += index_units

    def measure(self, name: str) -> _Measuring:
        return _Measuring(self, name)


class _Measuring:
    def __init__(self, recorder: Recorder, name: str) -> None:
        self._recorder, self._name = recorder, name

    def __enter__(self) -> None:
        self._recorder.work.pop(self._name, None)
        self._recorder.current = self._name

    def __exit__(self, *_exc: object) -> None:
        self._recorder.current = None


def load_counts(path: Path = COUNTS_FILE) -> dict[str, Any]:
    return dict(json.loads(path.read_text()))

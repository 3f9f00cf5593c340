"""Side-by-side benchmark: every figure is a ratio of two things measured in the same run, on one moto server.

    python bench/bench.py [--quick] [--save]        (make bench [SAVE=1])

Prints a table per section, each figure beside its target; writes bench/results.json only with --save. Loopback only.
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
import math
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

PROJECT_DIR = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(PROJECT_DIR), str(PROJECT_DIR / "infra")]

from devstack import stack as local_stack  # noqa: E402

RESULTS: dict[str, Any] = {}
API_PORT: int | None = None  # chalice local's port for the load section (--port + 1), else any free one


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, math.ceil(q / 100 * len(ordered)) - 1)]


def summary(samples: list[float]) -> dict[str, float]:
    return {"median_ms": statistics.median(samples) * 1000, "p95_ms": percentile(samples, 95) * 1000, "n": len(samples)}


def interleaved(runs: int, between: Callable[[], Any], **candidates: Callable[[], Any]) -> dict[str, list[float]]:
    """Time each candidate once per round, in alternating order, so drift and noise hit all alike (wall seconds).

    `between` runs untimed after each round: it empties the queue, because moto's SQS slows down as a
    queue grows (real SQS does not), which would penalise whichever candidate sends more messages.
    """
    return interleaved_cpu(runs, between, **candidates)[0]


def interleaved_cpu(
    runs: int, between: Callable[[], Any], **candidates: Callable[[], Any]
) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """`interleaved`, with the process's CPU seconds of each run beside its wall seconds: on a shared machine the
    wall time of a run includes waiting for a core, its CPU time does not."""
    times: dict[str, list[float]] = {name: [] for name in candidates}
    cpu: dict[str, list[float]] = {name: [] for name in candidates}
    names = list(candidates)
    for round_number in range(runs):
        for name in names if round_number % 2 == 0 else reversed(names):
            start, start_cpu = time.perf_counter(), time.process_time()
            candidates[name]()
            times[name].append(time.perf_counter() - start)
            cpu[name].append(time.process_time() - start_cpu)
        between()
    return times, cpu


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def table(title: str, header: list[str], rows: list[list[Any]]) -> None:
    cells = [[f"{c:.2f}" if isinstance(c, float) else str(c) for c in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(header)]
    print(f"\n## {title}")
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    for row in cells:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))


# ---------------------------------------------------------------- the two handlers


def api_gateway_event(method: str, path: str, resource: str, params: dict[str, str], body: str | None = None) -> dict[str, Any]:
    """What API Gateway hands the api_handler Lambda, the authorizer's context already attached."""
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": {"content-type": "application/json"},
        "multiValueHeaders": {},
        "queryStringParameters": {"topic": "product_question"},
        "multiValueQueryStringParameters": {"topic": ["product_question"]},
        "pathParameters": params or None,
        "stageVariables": {},
        "requestContext": {
            "resourcePath": resource,
            "httpMethod": method,
            "path": path,
            "requestId": "bench",
            "identity": {"sourceIp": "127.0.0.1"},
            "authorizer": {"principalId": "bench-buyer", "role": "buyer", "seller_id": ""},
        },
        "body": body,
        "isBase64Encoded": False,
    }


SINGLE_EVENT = api_gateway_event(
    "GET", "/v1/sellers/demo-chat/contact-options", "/v1/sellers/{seller_id}/contact-options", {"seller_id": "demo-chat"}
)


def batch_event(seller_ids: list[str]) -> dict[str, Any]:
    body = json.dumps({"seller_ids": seller_ids, "topic": "product_question"})
    return api_gateway_event("POST", "/v1/contact-options/batch", "/v1/contact-options/batch", {}, body)


class LambdaContext:
    function_name = "api_handler"
    aws_request_id = "bench"


def make_bare_handler(env: dict[str, str]) -> Callable[[], str]:
    """The few lines someone would write instead: GetItem, SendMessage, json.dumps."""
    import boto3

    session = boto3.session.Session()
    dynamodb, sqs = session.client("dynamodb"), session.client("sqs")
    queue_url = env["SUPPORT_QUEUE_URL"]

    def handle() -> str:
        item = dynamodb.get_item(TableName="seller-channels", Key={"seller_id": {"S": "demo-chat"}}).get("Item", {})
        sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps({"seller_id": "demo-chat", "topic": "product_question"}))
        return json.dumps({"seller_id": "demo-chat", "chat": "chat" in item})

    return handle


def make_bare_batch(env: dict[str, str], seller_ids: list[str]) -> Callable[[], str]:
    """The same AWS work by hand: one BatchGetItem, SendMessageBatch per 10 events of the same size, json.dumps."""
    import boto3

    session = boto3.session.Session()
    dynamodb, sqs = session.client("dynamodb"), session.client("sqs")
    queue_url = env["SUPPORT_QUEUE_URL"]
    attributes = {name: {"DataType": "String", "StringValue": "product_question"} for name in ("schema_version", "type", "topic", "primary_channel")}
    body = json.dumps({"event_id": "0" * 36, "seller_id": "x" * 12, "topic": "product_question", "offered": ["chat", "email", "support"], "padding": "x" * 150})

    def handle() -> str:
        items = dynamodb.batch_get_item(
            RequestItems={"seller-channels": {"Keys": [{"seller_id": {"S": sid}} for sid in seller_ids]}}
        )["Responses"]["seller-channels"]
        for start in range(0, len(seller_ids), 10):
            entries = [{"Id": str(i), "MessageBody": body, "MessageAttributes": attributes} for i in range(len(seller_ids[start : start + 10]))]
            sqs.send_message_batch(QueueUrl=queue_url, Entries=entries)
        return json.dumps({"results": [item["seller_id"]["S"] for item in items]})

    return handle


_DRAINERS: dict[str, local_stack.QueueDrainer] = {}


def purge(env: dict[str, str]) -> int:
    """Empty the support queue (PurgeQueue allows one call a minute); returns how many events it held."""
    url = env["SUPPORT_QUEUE_URL"]
    if url not in _DRAINERS:  # one client for the whole run: a new one costs ~30 ms
        _DRAINERS[url] = local_stack.QueueDrainer(env)
    return _DRAINERS[url].drain()


# ---------------------------------------------------------------- sections


def app_vs_bare(title: str, samples: dict[str, list[float]], target: float) -> dict[str, Any]:
    """Print and return the app-vs-bare comparison; the ratio is of medians."""
    app_s, bare_s = summary(samples["app"]), summary(samples["bare"])
    ratio = app_s["median_ms"] / bare_s["median_ms"]
    table(
        title,
        ["handler", "median ms", "p95 ms", "n"],
        [["app", app_s["median_ms"], app_s["p95_ms"], app_s["n"]], ["bare", bare_s["median_ms"], bare_s["p95_ms"], bare_s["n"]],
         [f"ratio (target <= {target:.2f})", ratio, app_s["p95_ms"] / bare_s["p95_ms"], ""]],
    )
    return {"app": app_s, "bare": bare_s, "median_ratio": ratio, "target": target, "met": ratio <= target}


def compare(
    title: str, times: dict[str, list[float]], cpu: dict[str, list[float]], subject: str, base: str, target: float,
    others: tuple[str, ...] = (), unit: str = "ms",
) -> dict[str, Any]:
    """Print `subject` against `base` (the target's reference) and the `others` beside it: wall and CPU medians, the
    ratio and the overhead in ms, the target beside the figure. The ratio is of wall medians."""
    base_wall, base_cpu = median_ms(times[base]), median_ms(cpu[base])
    rows, figures = [], {}
    for name in (subject, base, *others):
        wall, cpu_ms = median_ms(times[name]), median_ms(cpu[name])
        figures[name] = {**summary(times[name]), "cpu_median_ms": cpu_ms, "ratio_to_" + base: wall / base_wall}
        rows.append([name, wall, percentile(times[name], 95) * 1000, cpu_ms, wall / base_wall, wall - base_wall, cpu_ms - base_cpu])
    ratio = figures[subject]["median_ms"] / base_wall
    table(title, ["handler", f"median {unit}", f"p95 {unit}", f"CPU {unit}", f"x {base}", f"+{unit} wall", f"+{unit} CPU"], rows)
    met = ratio <= target
    print(f"-> {subject} = {ratio:.2f}x {base} (target <= {target:.2f}x: {'met' if met else 'NOT met'}); overhead "
          f"{figures[subject]['median_ms'] - base_wall:+.2f} {unit} wall, {figures[subject]['cpu_median_ms'] - base_cpu:+.2f} {unit} CPU")
    return {**figures, "base": base, "median_ratio": ratio, "target": target, "met": met,
            "overhead_ms": figures[subject]["median_ms"] - base_wall, "overhead_cpu_ms": figures[subject]["cpu_median_ms"] - base_cpu}


# A stored non-default policy: every resolution goes through all three platform layers (chat is off
# platform-wide, re-opened for demo-chat as a pilot and for 10 % of buyers; delivery is support-only).
# Measured twice: with the reveal limit off (one BatchGetItem of the settings and the reply summary) and on
# (the buyer's tally rides in the same read as a third key, #13).
BENCH_POLICY = {
    "channels": {"chat": {"enabled": False, "allow_sellers": ["demo-chat"], "rollout_percent": 10}},
    "topics": {"delivery": "support_only"},
}
BENCH_REVEAL_LIMIT = 30


def store_bench_policy(env: dict[str, str], reveals_per_day: int) -> int:
    """Store BENCH_POLICY with this reveal limit as the next version; the bench's container applies it at once
    (as after a PUT there), every other container within the TTL. Returns the version."""
    from chalicelib.models.policy import PlatformPolicy
    from chalicelib.platform_policy.store import DynamoPolicyStore

    store = DynamoPolicyStore(local_stack.local_client("dynamodb", env["AWS_ENDPOINT_URL"]), local_stack.POLICY_TABLE)
    current = store.get()
    version = (current.version if current else 0) + 1
    limits = {"contact_reveals_per_buyer_per_day": reveals_per_day}
    policy = PlatformPolicy.model_validate({**BENCH_POLICY, "limits": limits, "version": version})
    store.put(policy, expected_version=version - 1)
    from chalicelib import wiring

    wiring.cached_policy().written(policy)
    return version


def the_apps_event(env: dict[str, str]) -> tuple[str, dict[str, Any]]:
    """Body and attributes of the contact event one app resolution sends, so bare handlers can send the same."""
    import app

    purge(env)
    assert app.app(SINGLE_EVENT, LambdaContext())["statusCode"] == 200
    sqs = local_stack.local_client("sqs", env["AWS_ENDPOINT_URL"])
    message = sqs.receive_message(QueueUrl=env["SUPPORT_QUEUE_URL"], MessageAttributeNames=["All"], WaitTimeSeconds=1)["Messages"][0]
    attributes = {name: {"DataType": value["DataType"], "StringValue": value["StringValue"]} for name, value in message["MessageAttributes"].items()}
    purge(env)
    return message["Body"], attributes


def make_bare_same_calls(env: dict[str, str], with_tally: bool) -> tuple[Callable[[], str], Callable[[], None]]:
    """The app's AWS work by hand: its read (a BatchGetItem of the settings and the reply summary, and the tally with
    the limit on) and
    its SendMessage of an event of the same size with the same attributes, then json.dumps.

    Returned twice: as a plain function, and behind a one-route Chalice app (the floor: what any Chalice handler
    making these calls costs before a feature of ours runs)."""
    import boto3
    from chalice.app import Chalice

    session = boto3.session.Session()
    dynamodb, sqs = session.client("dynamodb"), session.client("sqs")
    queue_url = env["SUPPORT_QUEUE_URL"]
    body, attributes = the_apps_event(env)
    # The app's one read: the settings and the seller's reply summary (its measured reply time), and with the limit on
    # the buyer's tally too.
    request = {
        "seller-channels": {"Keys": [{"seller_id": {"S": "demo-chat"}}], "ConsistentRead": True},
        "conversations": {"Keys": [{"pk": {"S": "stats#demo-chat"}, "sk": {"S": "summary"}}], "ConsistentRead": True},
    }
    if with_tally:
        request["support-requests"] = {"Keys": [{"pk": {"S": "REVEALS#bench-buyer"}, "sk": {"S": "DAY#2026-11-26"}}], "ConsistentRead": True}

    def resolve(seller_id: str) -> dict[str, Any]:
        item = dynamodb.batch_get_item(RequestItems=request)["Responses"]["seller-channels"][0]
        sqs.send_message(QueueUrl=queue_url, MessageBody=body, MessageAttributes=attributes)
        return {"seller_id": seller_id, "chat": "chat" in item}

    lean = Chalice(app_name="bench-floor")
    lean.route("/v1/sellers/{seller_id}/contact-options")(resolve)

    def lean_handler() -> None:
        assert lean(SINGLE_EVENT, LambdaContext())["statusCode"] == 200

    return lambda: json.dumps(resolve("demo-chat")), lean_handler


WARM_TARGET = 1.03  # warm single on moto: x the one-route Chalice app making the same calls (the framework floor)
STUBBED_TARGET = 2.5  # our code with AWS stubbed, no question: x that floor with AWS stubbed alike


def warm_single(env: dict[str, str], runs: int, reveals_per_day: int) -> None:
    """Section 1: the app's warm resolution against the Chalice floor making the same calls (the target), the bare
    handler and a bare handler doing the app's exact AWS calls beside it; then the same with AWS stubbed out."""
    import app
    from chalicelib.shared.aws import resolution_client as client

    policy_version = store_bench_policy(env, reveals_per_day)
    limit_on = reveals_per_day > 0
    first = app.app(SINGLE_EVENT, LambdaContext())  # checked once, untimed: the timed handlers do the same work
    assert first["statusCode"] == 200 and json.loads(first["body"])["policy_version"] == policy_version, "the stored policy is not applied"
    assert ("RateLimit" in first["headers"]) == limit_on, first["headers"]

    def app_handler() -> None:
        assert app.app(SINGLE_EVENT, LambdaContext())["statusCode"] == 200  # what the floor checks, no more

    bare = make_bare_handler(env)
    for _ in range(20):  # warm both: clients created, connections open
        app_handler()
        bare()
    calls: Counter[str] = Counter()

    def count(event_name: str, **_kwargs: Any) -> None:
        calls[event_name.rsplit(".", 1)[-1]] += 1

    for service in ("dynamodb", "sqs"):
        client(service).meta.events.register(f"before-call.{service}", count)
    for _ in range(20):
        app_handler()
    for service in ("dynamodb", "sqs"):
        client(service).meta.events.unregister(f"before-call.{service}", count)
    per_resolution = {name: n / 20 for name, n in calls.items()}
    same_calls, floor = make_bare_same_calls(env, with_tally=limit_on)
    times, cpu = interleaved_cpu(runs, lambda: purge(env), app=app_handler, bare=bare, same_calls=same_calls, chalice_floor=floor)
    key, what = ("warm_single_limit", "with the reveal limit on") if limit_on else ("warm_single", "reveal limit off")
    result = compare(
        f"1{'b' if limit_on else 'a'}. warm single resolution on moto, stored non-default policy v{policy_version}, {what}, "
        "answers shown (in-process Lambda handler)",
        times, cpu, "app", "chalice_floor", WARM_TARGET, ("same_calls", "bare"),
    )
    result["ratio_to_bare"] = result["app"]["median_ms"] / result["bare"]["median_ms"]
    print(f"   app = {result['ratio_to_bare']:.2f}x the bare GetItem+SendMessage+json.dumps handler (reported beside the target)")
    expected_read = "BatchGetItem"  # the settings and the reply summary, with the limit on the tally too: one call
    unchanged = per_resolution == {expected_read: 1.0, "SendMessage": 1.0}
    print(f"   AWS calls per warm resolution (20 resolutions): {per_resolution} "
          f"(target: one {expected_read}, one SendMessage, as the bare handler: {'met' if unchanged else 'NOT met'})")
    result["aws_calls_per_resolution"] = per_resolution
    result["aws_calls_unchanged"] = unchanged
    result["policy"] = {"version": policy_version, **BENCH_POLICY, "limits": {"contact_reveals_per_buyer_per_day": reveals_per_day}}
    RESULTS[key] = result
    purge(env)
    stubbed(key + "_stubbed", floor, limit_on, max(2000, runs * 10))


class Replay:
    """AWS stubbed out: every boto3 call answers from what the same calls answered when recorded, without a request.

    Recorded per table (a BatchGetItem answers the tables it asks for from everything recorded, so a cache that
    expires meanwhile and asks for one table more still gets its item) and per queue. What is left is our code and
    the framework's, on both sides alike (botocore's client-side work too is skipped: `_make_api_call` is replaced)."""

    def __init__(self) -> None:
        from botocore.client import BaseClient

        self._client = BaseClient
        self._original = BaseClient._make_api_call
        self.items: dict[str, list[dict[str, Any]]] = {}  # table -> items read
        self.answers: dict[tuple[str, str], Any] = {}  # (operation, table or queue) -> the last response

    def record(self, handler: Callable[[], Any]) -> None:
        original = self._original

        def recording(client: Any, operation: str, params: dict[str, Any]) -> Any:
            response = original(client, operation, params)
            if operation == "BatchGetItem":
                for table, items in response.get("Responses", {}).items():
                    known = self.items.setdefault(table, [])
                    known += [item for item in items if item not in known]
            else:
                self.answers[(operation, params.get("TableName") or params.get("QueueUrl") or "")] = response
            return response

        self._client._make_api_call = recording
        try:
            handler()
        finally:
            self._client._make_api_call = original

    def _replay(self, operation: str, params: dict[str, Any]) -> Any:
        if operation == "BatchGetItem":
            asked = params["RequestItems"]
            return {"Responses": {table: [item for item in self.items.get(table, []) if _asked_for(item, asked[table]["Keys"])]
                                  for table in asked}, "UnprocessedKeys": {}}
        return self.answers[(operation, params.get("TableName") or params.get("QueueUrl") or "")]

    def __enter__(self) -> Replay:
        def replaying(_client: Any, operation: str, params: dict[str, Any]) -> Any:
            return self._replay(operation, params)

        self._client._make_api_call = replaying
        return self

    def __exit__(self, *_exc: object) -> None:
        self._client._make_api_call = self._original


def _asked_for(item: dict[str, Any], keys: list[dict[str, Any]]) -> bool:
    return any(all(item.get(name) == value for name, value in key.items()) for key in keys)


def stubbed(key: str, floor: Callable[[], None], limit_on: bool, rounds: int) -> None:
    """Our code per request with AWS stubbed (no question, and with one beside it) against the Chalice floor
    stubbed alike: microseconds of CPU, where the moto rows above are mostly round trips."""
    import app

    question_event = with_query(SINGLE_EVENT, q="какой размер выбрать, платье маломерит")
    from chalicelib import wiring

    replay = Replay()
    wiring.reset()  # a cold container's first request reads every item it may ever need: the policy, the digests
    replay.record(lambda: app.app(SINGLE_EVENT, LambdaContext()))
    replay.record(lambda: app.app(SINGLE_EVENT, LambdaContext()))  # and a warm one's read, with the limit off
    replay.record(floor)
    candidates = {
        "app": lambda: app.app(SINGLE_EVENT, LambdaContext()),
        "app_with_q": lambda: app.app(question_event, LambdaContext()),
        "chalice_floor": floor,
    }
    with replay:
        for candidate in candidates.values():  # warm: the question's index built, caches filled
            candidate()
        gc_was = gc.isenabled()
        gc.disable()  # a collection landing in one candidate's run would be noise of the other's allocations
        try:
            times, cpu = interleaved_cpu(rounds, lambda: None, **candidates)
        finally:
            if gc_was:
                gc.enable()
    times = {name: [t * 1000 for t in samples] for name, samples in times.items()}  # ms -> us in the table
    cpu = {name: [t * 1000 for t in samples] for name, samples in cpu.items()}
    result = compare(
        f"1{'b' if limit_on else 'a'} stubbed. our code per warm resolution with AWS stubbed ({'limit on' if limit_on else 'limit off'}; "
        "microseconds; the keys named _ms hold us)", times, cpu, "app", "chalice_floor", STUBBED_TARGET, ("app_with_q",), unit="us",
    )
    RESULTS[key] = result


BATCH_TARGET = 1.05  # a batch of 50 x the same AWS calls made by hand (moto's SQS dominates both)


def batch(env: dict[str, str], runs: int) -> None:
    import app
    from chalicelib.shared.aws import resolution_client as client

    calls: Counter[str] = Counter()

    def count(event_name: str, **_kwargs: Any) -> None:
        calls[event_name.rsplit(".", 1)[-1]] += 1

    for service in ("dynamodb", "sqs"):
        client(service).meta.events.register(f"before-call.{service}", count)

    def single() -> None:
        assert app.app(SINGLE_EVENT, LambdaContext())["statusCode"] == 200

    rows: list[list[Any]] = []
    results: dict[Any, Any] = {}
    for size in (1, 10, 50, 100):
        seller_ids = ["demo-chat", "demo-email", "demo-phone", "demo-none"][: min(size, 4)] + [f"bench-{i}" for i in range(size - min(size, 4))]
        event = batch_event(seller_ids)
        calls.clear()
        assert app.app(event, LambdaContext())["statusCode"] == 200
        first = dict(calls)  # uncached: the sellers' answers digests ride in the same reads
        calls.clear()
        assert app.app(event, LambdaContext())["statusCode"] == 200
        per_request = dict(calls)

        def one_batch(event: dict[str, Any] = event) -> None:
            assert app.app(event, LambdaContext())["statusCode"] == 200

        times, cpu = interleaved_cpu(runs, lambda: purge(env), batch=one_batch, single=single, bare=make_bare_batch(env, seller_ids))
        batch_s, single_s, bare_s = summary(times["batch"]), summary(times["single"]), summary(times["bare"])
        sends = per_request.get("SendMessageBatch", 0) + per_request.get("SendMessage", 0)
        # +1: the buyer's reveal tally rides in the same BatchGetItem as the settings
        calls_ok = per_request.get("BatchGetItem", 0) == math.ceil((size + 1) / 100) and sends == math.ceil(size / 10)
        calls_ok = calls_ok and "Query" not in first and "Query" not in per_request
        ratio = batch_s["median_ms"] / single_s["median_ms"]
        to_bare = batch_s["median_ms"] / bare_s["median_ms"]
        cpu_per_seller_us = (median_ms(cpu["batch"]) - median_ms(cpu["bare"])) * 1000 / size
        rows.append([size, batch_s["median_ms"], batch_s["p95_ms"], ratio, bare_s["median_ms"], to_bare, cpu_per_seller_us,
                     per_request.get("BatchGetItem", 0), first.get("BatchGetItem", 0), sends, first.get("Query", 0), "yes" if calls_ok else "NO"])
        results[size] = {
            "batch": batch_s, "single": single_s, "bare_batch": bare_s, "ratio_to_single": ratio, "ratio_to_bare_batch": to_bare,
            "our_cpu_per_seller_us": cpu_per_seller_us, "aws_calls": per_request, "aws_calls_first": first, "calls_as_targeted": calls_ok,
        }
        purge(env)
    table(
        f"2. batch (targets: ceil((N+1)/100) BatchGetItem warm, ceil(N/10) sends, no Query; 50 sellers <= {BATCH_TARGET:.2f}x the same "
        "calls by hand; our CPU per seller = (app CPU - by-hand CPU) / N)",
        ["sellers", "median ms", "p95 ms", "x single", "by hand ms", "x by hand", "our CPU us/seller", "BatchGetItem",
         "BatchGetItem first", "send calls", "Query first", "calls on target"],
        rows,
    )
    RESULTS["batch"] = results
    RESULTS["batch"]["50_target"] = BATCH_TARGET
    RESULTS["batch"]["50_met"] = results[50]["ratio_to_bare_batch"] <= BATCH_TARGET
    print(f"-> 50 sellers = {results[50]['ratio_to_bare_batch']:.2f}x the same calls by hand (target <= {BATCH_TARGET:.2f}x: "
          f"{'met' if RESULTS['batch']['50_met'] else 'NOT met'}); {results[50]['ratio_to_single']:.2f}x one single (moto-bound, reported only)")


def ingest(env: dict[str, str], runs: int) -> None:
    """support_ingest storing a batch of 10 contact events (the capacity model's ingest duration)."""
    import app
    from chalicelib.shared.aws import client
    from chalicelib.shared.logs import LOGGER_NAME
    from devstack.poller import lambda_record

    sqs = client("sqs")
    batches = []
    for _ in range(runs):
        assert app.app(batch_event([f"ingest-{i}" for i in range(10)]), LambdaContext())["statusCode"] == 200
        messages: list[dict[str, Any]] = []
        while len(messages) < 10:
            messages += sqs.receive_message(QueueUrl=env["SUPPORT_QUEUE_URL"], MaxNumberOfMessages=10).get("Messages", [])
        batches.append({"Records": [lambda_record(m, "arn:aws:sqs:eu-central-1:123456789012:bench", "eu-central-1") for m in messages[:10]]})
        purge(env)
    durations = []
    logger = logging.getLogger(LOGGER_NAME)
    level = logger.level
    logger.setLevel(logging.WARNING)  # one INFO line per stored event would drown the tables
    try:
        for event in batches:
            start = time.perf_counter()
            result = app.support_ingest(event, LambdaContext())
            durations.append(time.perf_counter() - start)
            assert result == {"batchItemFailures": []}, result
    finally:
        logger.setLevel(level)
    stats = summary(durations)
    table("ingest: support_ingest storing a batch of 10 contact events", ["median ms", "p95 ms", "n"], [[stats["median_ms"], stats["p95_ms"], stats["n"]]])
    RESULTS["ingest_batch_of_10"] = stats


# Each cold child times its phases: import, clients (boto3's import, session and clients), calls (time inside
# botocore's _make_api_call) and code (the rest of the first request), wall and CPU, from the interpreter's start.
COLD_CLOCK = """
import time
def clock():
    return time.perf_counter(), time.process_time()
def since(a, b):
    return [b[0] - a[0], b[1] - a[1]]
start = clock()
"""

COLD_CALL_TIMER = """
from botocore.client import BaseClient
spent, made = [0.0, 0.0], []
_call = BaseClient._make_api_call
def _timed(self, operation, params):
    before = clock()
    try:
        return _call(self, operation, params)
    finally:
        after = clock()
        spent[0] += after[0] - before[0]
        spent[1] += after[1] - before[1]
        made.append(operation)
BaseClient._make_api_call = _timed
"""

COLD_APP = COLD_CLOCK + """
import json, sys
import app
imported = clock()
from chalicelib import wiring
wiring.resolution_service()  # the clients and the service, as the first request would build them
clients = clock()
""" + COLD_CALL_TIMER + """
response = app.app(json.loads({event!r}), type("Ctx", (), {{"function_name": "api_handler", "aws_request_id": "cold"}})())
end = clock()
assert response["statusCode"] == 200, response
request = since(clients, end)
print(json.dumps({{"import": since(start, imported), "clients": since(imported, clients), "calls": spent,
                  "code": [request[0] - spent[0], request[1] - spent[1]], "total": since(start, end), "made": made,
                  "auth_modules": sorted({{"jwt", "cryptography"}} & set(sys.modules)),
                  "policy_version": json.loads(response["body"])["policy_version"]}}))
"""

COLD_BARE = COLD_CLOCK + """
import json, boto3
imported = clock()
session = boto3.session.Session()
dynamodb, sqs = session.client("dynamodb"), session.client("sqs")
clients = clock()
item = dynamodb.get_item(TableName="seller-channels", Key={{"seller_id": {{"S": "demo-chat"}}}}).get("Item", {{}})
sqs.send_message(QueueUrl={queue!r}, MessageBody=json.dumps({{"seller_id": "demo-chat"}}))
called = clock()
body = json.dumps({{"seller_id": "demo-chat", "chat": "chat" in item}})
end = clock()
print(json.dumps({{"import": since(start, imported), "clients": since(imported, clients), "calls": since(clients, called),
                  "code": since(called, end), "total": since(start, end), "made": ["GetItem", "SendMessage"], "auth_modules": []}}))
"""

# The cold floor: a one-route Chalice app that imports pydantic, validates the settings item with one model and makes
# the bare handler's calls. What any Chalice + pydantic handler pays before a feature of ours.
COLD_FLOOR = COLD_CLOCK + """
import json, boto3, pydantic
from chalice.app import Chalice

class Settings(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="allow")
    seller_id: str
    version: int

floor = Chalice(app_name="cold-floor")
aws = {{}}

@floor.route("/v1/sellers/{{seller_id}}/contact-options")
def resolve(seller_id):
    item = aws["dynamodb"].get_item(TableName="seller-channels", Key={{"seller_id": {{"S": seller_id}}}})["Item"]
    settings = Settings.model_validate({{name: next(iter(value.values())) for name, value in item.items()}})
    aws["sqs"].send_message(QueueUrl={queue!r}, MessageBody=json.dumps({{"seller_id": seller_id}}))
    return {{"seller_id": seller_id, "version": settings.version}}

imported = clock()
session = boto3.session.Session()
aws["dynamodb"], aws["sqs"] = session.client("dynamodb"), session.client("sqs")
clients = clock()
""" + COLD_CALL_TIMER + """
response = floor(json.loads({event!r}), type("Ctx", (), {{"function_name": "api_handler", "aws_request_id": "cold"}})())
end = clock()
assert response["statusCode"] == 200, response
request = since(clients, end)
print(json.dumps({{"import": since(start, imported), "clients": since(imported, clients), "calls": spent,
                  "code": [request[0] - spent[0], request[1] - spent[1]], "total": since(start, end), "made": made,
                  "auth_modules": []}}))
"""

COLD_TARGET_BARE = 1.30  # cold (import + first request, what ships) x the bare handler ...
COLD_TARGET_FLOOR = 1.10  # ... or x the cold floor, if that allows more
COLD_PHASES = ("import", "clients", "calls", "code")
RUNTIME_PACKAGES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six.py")


class Shipped:
    """`make package STAGE=prod` built once per run and unpacked as Lambda sees it: as chalice builds it, and with the
    bytecode `make package` adds; plus boto3 with its bytecode, as the Lambda runtime provides it (this machine's
    venv has none, and PYTHONDONTWRITEBYTECODE=1 would make every child compile botocore again)."""

    def __init__(self, root: Path) -> None:
        import compileall
        import py_compile
        import shutil
        import zipfile

        import boto3
        import package as infra_package

        self.plain, self.compiled, self.runtime = root / "chalice", root / "precompiled", root / "runtime"
        with open(os.devnull, "w") as quiet:
            stdout, sys.stdout = sys.stdout, quiet
            try:
                infra_package.package("prod", self.plain, precompile=False)
            finally:
                sys.stdout = stdout
        self.compiled.mkdir()
        shutil.copy(self.plain / "deployment.zip", self.compiled / "deployment.zip")
        infra_package.precompile_api_path(self.compiled / "deployment.zip")
        for folder in (self.plain, self.compiled):
            with zipfile.ZipFile(folder / "deployment.zip") as archive:
                archive.extractall(folder / "task")
        site = Path(boto3.__file__).resolve().parent.parent
        self.runtime.mkdir()
        for name in RUNTIME_PACKAGES:
            if (site / name).is_dir():
                shutil.copytree(site / name, self.runtime / name, ignore=shutil.ignore_patterns("data", "__pycache__"))
                if (site / name / "data").is_dir():  # botocore's service models: read, never compiled
                    (self.runtime / name / "data").symlink_to(site / name / "data")
            else:
                shutil.copy(site / name, self.runtime / name)
        compileall.compile_dir(str(self.runtime), quiet=1, invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)

    def child_env(self, env: dict[str, str], task: Path | None = None) -> dict[str, str]:
        """A cold child's environment: the package first, then the runtime's boto3, and no bytecode written (Lambda's
        /var/task is read-only)."""
        task = task or self.compiled / "task"
        return {**os.environ, **local_stack.local_stage_env(), **env, "PYTHONPATH": f"{task}{os.pathsep}{self.runtime}",
                "PYTHONDONTWRITEBYTECODE": "1"}


def cold_start(env: dict[str, str], runs: int, shipped: Shipped) -> None:
    """Section 3: a fresh interpreter per run on the unpacked package with its bytecode: import + first request of the
    app, the bare handler and the cold floor, alternating; the queue drained between runs."""
    task = shipped.compiled / "task"
    store_bench_policy(env, BENCH_REVEAL_LIMIT)  # a stored policy, limit on: what a cold container reads along
    scripts = {
        "app": COLD_APP.format(event=json.dumps(SINGLE_EVENT)),
        "bare": COLD_BARE.format(queue=env["SUPPORT_QUEUE_URL"]),
        "cold_floor": COLD_FLOOR.format(queue=env["SUPPORT_QUEUE_URL"], event=json.dumps(SINGLE_EVENT)),
    }
    outputs: dict[str, list[dict[str, Any]]] = {name: [] for name in scripts}
    names = list(scripts)
    for round_number in range(runs):
        for name in names if round_number % 2 == 0 else list(reversed(names)):
            output = subprocess.run([sys.executable, "-c", scripts[name]], cwd=task, env=shipped.child_env(env), capture_output=True, text=True, check=False)
            if output.returncode != 0:
                raise SystemExit(f"cold {name} failed:\n{output.stderr[-2000:]}")
            outputs[name].append(json.loads(output.stdout.strip().splitlines()[-1]))
            purge(env)
    first_app = outputs["app"][0]
    assert first_app["policy_version"] > 1, "a cold container must read the stored policy"
    times = {name: [run["total"][0] for run in runs_of] for name, runs_of in outputs.items()}
    cpu = {name: [run["total"][1] for run in runs_of] for name, runs_of in outputs.items()}
    bare_ms, floor_ms = median_ms(times["bare"]), median_ms(times["cold_floor"])
    base, target = ("bare", COLD_TARGET_BARE) if bare_ms * COLD_TARGET_BARE >= floor_ms * COLD_TARGET_FLOOR else ("cold_floor", COLD_TARGET_FLOOR)
    result = compare(
        f"3. cold start on the unpacked deployment package with its bytecode (fresh interpreter: import + first request; "
        f"interpreter start-up excluded; target <= {COLD_TARGET_BARE:.2f}x bare or <= {COLD_TARGET_FLOOR:.2f}x the cold floor, "
        "whichever allows more)",
        times, cpu, "app", base, target, tuple(name for name in ("bare", "cold_floor") if name != base),
    )
    result["ratio_to_bare"] = result["app"]["median_ms"] / bare_ms
    result["ratio_to_cold_floor"] = result["app"]["median_ms"] / floor_ms
    phases = {
        name: {phase: {"wall_ms": statistics.median(run[phase][0] for run in runs_of) * 1000,
                       "cpu_ms": statistics.median(run[phase][1] for run in runs_of) * 1000} for phase in COLD_PHASES}
        for name, runs_of in outputs.items()
    }
    table("3. per phase (medians; wall / CPU ms)", ["handler", *COLD_PHASES, "AWS calls"],
          [[name, *(f"{phases[name][p]['wall_ms']:.1f} / {phases[name][p]['cpu_ms']:.1f}" for p in COLD_PHASES),
            " + ".join(outputs[name][0]["made"])] for name in outputs])
    calls_as_bare = len(first_app["made"]) == 2 and all(len(run["made"]) == 2 for run in outputs["app"])
    print(f"   AWS calls of the app's first request: {first_app['made']} (target: the bare handler's two: "
          f"{'met' if calls_as_bare else 'NOT met'})")
    auth_modules = sorted({module for run in outputs["app"] for module in run["auth_modules"]})
    print(f"   modules of the authorizer imported by a fresh api_handler serving a resolution: {auth_modules or 'none'}")
    RESULTS["cold_start"] = {**result, "phases": phases, "aws_calls": first_app["made"], "calls_as_bare": calls_as_bare,
                             "api_handler_imports_jwt_or_cryptography": auth_modules, "runs": runs}


def import_from_package(task_dir: Path, shipped: Shipped) -> float:
    """Seconds for `import app` from an unpacked deployment.zip that Python may not write to (like /var/task)."""
    code = "import time; t = time.perf_counter(); import app; print(time.perf_counter() - t)"
    output = subprocess.run([sys.executable, "-c", code], cwd=task_dir, env=shipped.child_env({}, task_dir), capture_output=True, text=True, check=True)
    return float(output.stdout.strip())


def deployment_size(runs: int, shipped: Shipped) -> None:
    import package as infra_package

    imports: dict[str, list[float]] = {"chalice": [], "precompiled": []}
    folders = {"chalice": shipped.plain, "precompiled": shipped.compiled}
    for round_number in range(runs):
        for name in ("chalice", "precompiled") if round_number % 2 == 0 else ("precompiled", "chalice"):
            imports[name].append(import_from_package(folders[name] / "task", shipped))
    zip_path = shipped.compiled / "deployment.zip"
    size, plain_size = zip_path.stat().st_size, (shipped.plain / "deployment.zip").stat().st_size
    heaviest = infra_package.heaviest_packages(zip_path)
    problems = infra_package.check_zip(zip_path)
    plain_ms, compiled_ms = (statistics.median(imports[n]) * 1000 for n in ("chalice", "precompiled"))
    goal_mb, guard_mb = infra_package.ZIP_GOAL_BYTES / 1e6, infra_package.MAX_ZIP_BYTES / 1e6
    table(
        "4. deployment size (make package STAGE=prod) and import app from it, read-only like /var/task",
        ["what", "MB", "import app ms"],
        [
            ["deployment.zip as chalice builds it", plain_size / 1e6, plain_ms],
            [f"+ bytecode of the API path (shipped; goal <= {goal_mb:.0f} MB, guard {guard_mb:.0f} MB)", size / 1e6, compiled_ms],
            ["  over (+) or under (-) the goal", (size - infra_package.ZIP_GOAL_BYTES) / 1e6, ""],
            *[[f"  {name}", s / 1e6, ""] for name, s in heaviest],
        ],
    )
    RESULTS["deployment"] = {
        "zip_mb": size / 1e6, "zip_mb_without_bytecode": plain_size / 1e6, "heaviest": heaviest, "target_mb": goal_mb, "guard_mb": guard_mb,
        "met": not problems and size <= infra_package.ZIP_GOAL_BYTES, "problems": problems,
        "import_app_ms": {"chalice_zip": plain_ms, "precompiled": compiled_ms, "runs": runs},
    }


def load(env: dict[str, str], clients: int, seconds: float) -> None:
    import requests

    from devstack.tokens import mint_token

    purge(env)
    port = API_PORT or local_stack.free_port()
    api = local_stack.start_api(port, env, quiet=True)
    drainer = local_stack.QueueDrainer(env)  # support reading along keeps moto's queue shallow
    drainer.start()
    token = mint_token(local_stack.local_jwt_secret(), "buyer", "load-buyer")
    url = f"http://127.0.0.1:{port}/v1/sellers/demo-chat/contact-options?topic=product_question"
    latencies: list[float] = []
    failures: list[int] = []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client_loop() -> None:
        with requests.Session() as http:
            while time.monotonic() < deadline:
                start = time.perf_counter()
                status = http.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=10).status_code
                with lock:
                    latencies.append(time.perf_counter() - start)
                    if status != 200:
                        failures.append(status)

    try:
        started = time.perf_counter()
        threads = [threading.Thread(target=client_loop) for _ in range(clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
    finally:
        api.terminate()
        api.wait(timeout=10)
    events = drainer.stop()
    requests_done = len(latencies)
    table(
        f"5. load ({clients} concurrent clients for {seconds:.0f} s against chalice local, loopback)",
        ["requests", "per second", "p50 ms", "p99 ms", "non-200", "events on queue"],
        [[requests_done, requests_done / elapsed, percentile(latencies, 50) * 1000, percentile(latencies, 99) * 1000, len(failures), events]],
    )
    RESULTS["load"] = {
        "clients": clients, "requests": requests_done, "per_second": requests_done / elapsed,
        "p50_ms": percentile(latencies, 50) * 1000, "p99_ms": percentile(latencies, 99) * 1000,
        "non_200": len(failures), "events_on_queue": events, "every_request_answered_with_an_event": not failures and events == requests_done,
    }


# ---------------------------------------------------------------- answers before channels


def with_query(event: dict[str, Any], **params: str) -> dict[str, Any]:
    query = {**event["queryStringParameters"], **params}
    return {**event, "queryStringParameters": query, "multiValueQueryStringParameters": {k: [v] for k, v in query.items()}}


def answers_resolution(env: dict[str, str], runs: int) -> None:
    """Warm resolution with answers (cached), without and with a question, against the bare handler, and against
    the same app with answers, texts and feedback tokens switched off (what they add, measured in the same run)."""
    import app
    from chalicelib import wiring
    from chalicelib.contacts.resolution import ResolutionService
    from chalicelib.sellers.store import DynamoSettingsStore
    from chalicelib.shared.aws import client
    from chalicelib.shared.config import get_config

    built = wiring.resolution_service  # the cached builder itself: put back at the end, so wiring.reset() still works
    with_answers = built()
    plain = ResolutionService(DynamoSettingsStore(client("dynamodb"), get_config().seller_table_name), wiring.support_publisher())
    question_event = with_query(SINGLE_EVENT, q="какой размер выбрать, платье маломерит")

    def run(service: ResolutionService, event: dict[str, Any], expect: str) -> None:
        wiring.resolution_service = lambda: service  # type: ignore[assignment]  # the bench swaps the container's service
        response = app.app(event, LambdaContext())
        assert response["statusCode"] == 200 and expect in response["body"], response

    candidates = {
        "app": lambda: run(with_answers, SINGLE_EVENT, '"answers":[{'),
        "with_q": lambda: run(with_answers, question_event, "demo-chat-sizes-ru"),
        "no_answers": lambda: run(plain, SINGLE_EVENT, '"answers":[]'),
        "bare": make_bare_handler(env),
    }
    try:
        for _ in range(20):
            for candidate in candidates.values():
                candidate()
        times = interleaved(runs, lambda: purge(env), **candidates)
    finally:
        wiring.resolution_service = built  # the real one back, cache and all
    result = app_vs_bare("answers a. warm resolution with answers, no q (vs bare)", {"app": times["app"], "bare": times["bare"]}, 1.10)
    bare_median = result["bare"]["median_ms"]
    rows = []
    for name, label in (("with_q", "app with answers and q"), ("no_answers", "app, answers/texts/token off")):
        figures = summary(times[name])
        result[name] = {**figures, "median_ratio_to_bare": figures["median_ms"] / bare_median}
        rows.append([label, figures["median_ms"], figures["p95_ms"], figures["median_ms"] / bare_median])
    result["answers_cost_ms"] = result["app"]["median_ms"] - result["no_answers"]["median_ms"]
    rows.append(["what answers add (median, app - app off)", result["answers_cost_ms"], "", ""])
    table("answers b. the same run: with q, and without the answers step", ["handler", "median ms", "p95 ms", "ratio to bare"], rows)
    RESULTS["answers_warm"] = result
    purge(env)


def answers_service_cost(rounds: int = 2000) -> None:
    """What answers, texts and the token add per resolution in the service alone (no AWS, no HTTP): CPU time only,
    so it is stable on a busy machine where the end-to-end ratios above are not."""
    from datetime import UTC, datetime

    from chalicelib.answers.shown import ShownAnswers
    from chalicelib.contacts.resolution import ResolutionService
    from chalicelib.models.common import Caller, Role, Topic
    from chalicelib.models.settings import ChannelSettingsInput, SellerSettings

    corpus = local_stack.demo_answers()
    settings = SellerSettings(
        seller_id="demo-chat", **ChannelSettingsInput.model_validate(local_stack.DEMO_SELLERS["demo-chat"]).model_dump(),
        version=1, updated_at=datetime.now(UTC), updated_by="bench",
    )

    class Store:
        def get(self, seller_id: str) -> SellerSettings:
            return settings

    class Publisher:
        def publish(self, events: Any) -> int:
            return len(events)

    class Answers:
        def published(self, owner: str, topic: Topic) -> list[Any]:
            return [a for a in corpus if a.owner == owner and topic in a.topics]

    caller = Caller(sub="bench", role=Role.BUYER)
    plain = ResolutionService(Store(), Publisher())  # type: ignore[arg-type]
    full = ResolutionService(Store(), Publisher(), answers=ShownAnswers(Answers()), feedback_key="k" * 32)  # type: ignore[arg-type]
    candidates = {
        "off": lambda: plain.resolve_one("demo-chat", Topic.PRODUCT_QUESTION, caller, "r")[0].model_dump_json(),
        "on": lambda: full.resolve_one("demo-chat", Topic.PRODUCT_QUESTION, caller, "r")[0].model_dump_json(),
        "on_q": lambda: full.resolve_one("demo-chat", Topic.PRODUCT_QUESTION, caller, "r", question="какой размер выбрать")[0].model_dump_json(),
    }
    times = interleaved(rounds, lambda: None, **candidates)
    medians = {name: statistics.median(samples) * 1e6 for name, samples in times.items()}
    table(
        "answers e. service alone, per resolution (fakes for DynamoDB/SQS; microseconds)",
        ["what", "median us"],
        [["answers, texts, token off", medians["off"]], ["on, no q", medians["on"]], ["on, with q", medians["on_q"]],
         ["added, no q", medians["on"] - medians["off"]], ["added, with q", medians["on_q"] - medians["off"]]],
    )
    RESULTS["answers_service_us"] = medians


def answers_search_scale(total: int = 10_000) -> None:
    """Search time per question with the demo corpus scaled to `total` answers in one set (no topic filter)."""
    from chalicelib.answers.suggest import AnswerSet, suggest
    from chalicelib.models.answers import Locale
    from devstack.answers_eval import EVAL_SET

    corpus = local_stack.demo_answers()
    scaled = tuple(
        corpus[n % len(corpus)].model_copy(
            update={"id": f"{corpus[n % len(corpus)].id}-{n}", "keywords": [*corpus[n % len(corpus)].keywords, f"sku{n}"]}
        )
        for n in range(total)
    )
    answer_set = AnswerSet(scaled)
    start = time.perf_counter()
    answer_set.search_index()
    build = time.perf_counter() - start
    cases = [json.loads(line) for line in EVAL_SET.read_text().splitlines() if line.strip()]
    samples = []
    for _ in range(3):
        for case in cases:
            start = time.perf_counter()
            suggest([AnswerSet(()), answer_set], Locale(case["locale"]), case["question"])
            samples.append(time.perf_counter() - start)
    per_question = summary(samples)
    table(
        f"answers c. search per question, corpus scaled to {total} answers (one set; index built once per cache entry)",
        ["what", "median ms", "p95 ms", "n"],
        [["search + rank + top 3", per_question["median_ms"], per_question["p95_ms"], per_question["n"]],
         ["index build (once per cache fill)", build * 1000, build * 1000, 1]],
    )
    RESULTS["answers_search_10k"] = {"answers": total, "per_question": per_question, "index_build_ms": build * 1000}


def snowball_import_cost(runs: int) -> None:
    """What a question adds to a cold start: importing snowballstemmer and building the ru/en stemmers."""
    code = "import time; t=time.perf_counter(); import chalicelib.answers.search as s; s.terms('посылка delivery'); print(time.perf_counter()-t)"
    samples = [
        float(subprocess.run([sys.executable, "-c", code], cwd=PROJECT_DIR, capture_output=True, text=True, check=True).stdout)
        for _ in range(runs)
    ]
    result = summary(samples)
    table("answers d. first question in a fresh process: import search + snowballstemmer, stem", ["median ms", "p95 ms", "n"],
          [[result["median_ms"], result["p95_ms"], result["n"]]])
    RESULTS["answers_search_import"] = result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds (a smoke run, noisier)")
    parser.add_argument("--answers", action="store_true", help="only the answers sections")
    parser.add_argument("--warm", action="store_true", help="only the warm single resolutions (1a, 1b)")
    parser.add_argument("--cold", action="store_true", help="only the cold start and the package (3, 4)")
    parser.add_argument("--save", action="store_true", help="write bench/results.json (make bench SAVE=1); else the tree stays clean")
    parser.add_argument("--port", type=int, help="moto's loopback port (chalice local takes the next); default: any free one")
    args = parser.parse_args()
    runs = 60 if args.quick else 300
    only = args.answers or args.warm or args.cold
    moto_port = args.port or local_stack.free_port()
    global API_PORT
    API_PORT = args.port + 1 if args.port else None
    moto = local_stack.start_moto(moto_port)
    try:
        env = local_stack.provision(f"http://127.0.0.1:{moto_port}")
        os.environ.update({**local_stack.local_stage_env(), **env})
        print(textwrap.dedent(f"""
            Contact Resolver benchmark: {runs} interleaved rounds per comparison, moto server on {env['AWS_ENDPOINT_URL']}.
            Ratios compare things measured side by side in this run; absolute figures vary by machine.
            Load when it started: {os.getloadavg()[0]:.2f} (1 min) on {os.cpu_count()} cores."""))
        if not only or args.warm:
            warm_single(env, runs, reveals_per_day=0)
        if not only or args.answers:
            store_bench_policy(env, reveals_per_day=0)  # the answers sections measure answers, not the reveal limit
            answers_resolution(env, runs)
        if not only or args.warm:
            warm_single(env, runs, reveals_per_day=BENCH_REVEAL_LIMIT)
        if not only:
            batch(env, max(20, runs // 10))
            ingest(env, max(10, runs // 10))
        if not only or args.cold:
            with tempfile.TemporaryDirectory() as tmp:
                shipped = Shipped(Path(tmp))
                cold_start(env, 15, shipped)  # >= 15 even in a quick run: fewer make a median of noise
                deployment_size(3 if args.quick else 7, shipped)
        if not only:
            load(env, clients=8, seconds=5 if args.quick else 15)
        if not only or args.answers:
            answers_service_cost()
            answers_search_scale()
            snowball_import_cost(5 if args.quick else 15)
    finally:
        moto.terminate()
        try:
            moto.wait(timeout=10)
        except subprocess.TimeoutExpired:  # a loaded moto server may not finish its requests in time
            moto.kill()
            moto.wait()
    print(f"\nload when it ended: {os.getloadavg()[0]:.2f} (1 min)")
    if not args.save:
        print("bench/results.json left as it was (make bench SAVE=1 writes it)")
        return 0
    results_file = PROJECT_DIR / "bench" / "results.json"
    if only and results_file.exists():  # keep the other sections' figures of the last full run
        RESULTS.update({k: v for k, v in json.loads(results_file.read_text()).items() if k not in RESULTS})
    results_file.write_text(json.dumps(RESULTS, indent=2, default=str) + "\n")
    print(f"wrote {Path('bench') / 'results.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

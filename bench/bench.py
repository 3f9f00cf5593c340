"""Side-by-side benchmark: every figure is a ratio of two things measured in the same run, on one moto server.

    python bench/bench.py [--quick]        (make bench)

Prints a table per section and writes bench/results.json. Loopback only.
"""

from __future__ import annotations

import argparse
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


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, math.ceil(q / 100 * len(ordered)) - 1)]


def summary(samples: list[float]) -> dict[str, float]:
    return {"median_ms": statistics.median(samples) * 1000, "p95_ms": percentile(samples, 95) * 1000, "n": len(samples)}


def interleaved(runs: int, between: Callable[[], Any], **candidates: Callable[[], Any]) -> dict[str, list[float]]:
    """Time each candidate once per round, in alternating order, so drift and noise hit all alike.

    `between` runs untimed after each round: it empties the queue, because moto's SQS slows down as a
    queue grows (real SQS does not), which would penalise whichever candidate sends more messages.
    """
    times: dict[str, list[float]] = {name: [] for name in candidates}
    names = list(candidates)
    for round_number in range(runs):
        for name in names if round_number % 2 == 0 else reversed(names):
            start = time.perf_counter()
            candidates[name]()
            times[name].append(time.perf_counter() - start)
        between()
    return times


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


# A stored non-default policy: every resolution goes through all three platform layers (chat is off
# platform-wide, re-opened for demo-chat as a pilot and for 10 % of buyers; delivery is support-only).
# Measured twice: with the reveal limit off (a plain GetItem of the settings, what #11 and #12 add) and on
# (the buyer's tally rides in the same read: one BatchGetItem of two tables instead of a GetItem, #13).
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
    """The app's AWS work by hand: its read (GetItem, or BatchGetItem of settings and tally with the limit on) and
    its SendMessage of an event of the same size with the same attributes, then json.dumps.

    Returned twice: as a plain function, and behind a one-route Chalice app (the floor: what any Chalice handler
    making these calls costs before a feature of ours runs)."""
    import boto3
    from chalice.app import Chalice

    session = boto3.session.Session()
    dynamodb, sqs = session.client("dynamodb"), session.client("sqs")
    queue_url = env["SUPPORT_QUEUE_URL"]
    body, attributes = the_apps_event(env)
    request = {
        "seller-channels": {"Keys": [{"seller_id": {"S": "demo-chat"}}], "ConsistentRead": True},
        "support-requests": {"Keys": [{"pk": {"S": "REVEALS#bench-buyer"}, "sk": {"S": "DAY#2026-11-26"}}], "ConsistentRead": True},
    }

    def resolve(seller_id: str) -> dict[str, Any]:
        if with_tally:
            item = dynamodb.batch_get_item(RequestItems=request)["Responses"]["seller-channels"][0]
        else:
            item = dynamodb.get_item(TableName="seller-channels", Key={"seller_id": {"S": seller_id}}, ConsistentRead=True)["Item"]
        sqs.send_message(QueueUrl=queue_url, MessageBody=body, MessageAttributes=attributes)
        return {"seller_id": seller_id, "chat": "chat" in item}

    lean = Chalice(app_name="bench-floor")
    lean.route("/v1/sellers/{seller_id}/contact-options")(resolve)

    def lean_handler() -> None:
        assert lean(SINGLE_EVENT, LambdaContext())["statusCode"] == 200

    return lambda: json.dumps(resolve("demo-chat")), lean_handler


def warm_single(env: dict[str, str], runs: int, reveals_per_day: int) -> None:
    """Section 1: the app's warm resolution against the bare handler, and against a bare handler doing the app's
    exact AWS calls (the difference to that one is what the service's own Python code adds)."""
    import app
    from chalicelib.shared.aws import resolution_client as client

    policy_version = store_bench_policy(env, reveals_per_day)
    limit_on = reveals_per_day > 0

    def app_handler() -> None:
        response = app.app(SINGLE_EVENT, LambdaContext())
        assert response["statusCode"] == 200, response
        assert json.loads(response["body"])["policy_version"] == policy_version, "the stored policy is not applied"
        assert ("RateLimit" in response["headers"]) == limit_on, response["headers"]

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
    times = interleaved(runs, lambda: purge(env), app=app_handler, bare=bare, same_calls=same_calls, chalice_floor=floor)
    key, what = ("warm_single_limit", "with the reveal limit on") if limit_on else ("warm_single", "reveal limit off")
    result = app_vs_bare(
        f"1{'b' if limit_on else 'a'}. warm single resolution, stored non-default policy v{policy_version}, {what}, answers shown "
        "(in-process Lambda handler vs bare GetItem+SendMessage+json.dumps)",
        times,
        1.10,
    )
    same = summary(times["same_calls"])
    result["bare_same_calls"] = same
    result["ratio_to_bare_same_calls"] = result["app"]["median_ms"] / same["median_ms"]
    result["same_calls_to_bare"] = same["median_ms"] / result["bare"]["median_ms"]
    read = "BatchGetItem of settings + tally" if limit_on else "GetItem"
    print(f"bare doing the app's own AWS calls ({read}, SendMessage of the app's event): median {same['median_ms']:.2f} ms, "
          f"{result['same_calls_to_bare']:.2f}x bare; app / that = {result['ratio_to_bare_same_calls']:.2f} (what the service's own code adds)")
    lean = summary(times["chalice_floor"])
    result["chalice_floor"] = lean
    result["chalice_floor_to_bare"] = lean["median_ms"] / result["bare"]["median_ms"]
    result["ratio_to_chalice_floor"] = result["app"]["median_ms"] / lean["median_ms"]
    print(f"floor, a one-route Chalice app making those calls: median {lean['median_ms']:.2f} ms, {result['chalice_floor_to_bare']:.2f}x bare; "
          f"app / floor = {result['ratio_to_chalice_floor']:.2f} (what the service's features add)")
    expected_read = "BatchGetItem" if limit_on else "GetItem"
    unchanged = per_resolution == {expected_read: 1.0, "SendMessage": 1.0}
    print(f"AWS calls per warm resolution (20 resolutions within the policy TTL): {per_resolution} "
          f"(target: one {expected_read}, one SendMessage, no policy read: {'met' if unchanged else 'NOT met'})")
    result["aws_calls_per_resolution"] = per_resolution
    result["aws_calls_unchanged"] = unchanged
    result["policy"] = {"version": policy_version, **BENCH_POLICY, "limits": {"contact_reveals_per_buyer_per_day": reveals_per_day}}
    RESULTS[key] = result
    purge(env)


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
        per_request = dict(calls)

        def one_batch(event: dict[str, Any] = event) -> None:
            assert app.app(event, LambdaContext())["statusCode"] == 200

        times = interleaved(runs, lambda: purge(env), batch=one_batch, single=single, bare=make_bare_batch(env, seller_ids))
        batch_s, single_s, bare_s = summary(times["batch"]), summary(times["single"]), summary(times["bare"])
        sends = per_request.get("SendMessageBatch", 0) + per_request.get("SendMessage", 0)
        # +1: the buyer's reveal tally rides in the same BatchGetItem as the settings
        calls_ok = per_request.get("BatchGetItem", 0) == math.ceil((size + 1) / 100) and sends == math.ceil(size / 10)
        ratio = batch_s["median_ms"] / single_s["median_ms"]
        to_bare = batch_s["median_ms"] / bare_s["median_ms"]
        rows.append([size, batch_s["median_ms"], batch_s["p95_ms"], ratio, bare_s["median_ms"], to_bare, per_request.get("BatchGetItem", 0), sends,
                     per_request.get("Query", 0), "yes" if calls_ok else "NO"])
        results[size] = {
            "batch": batch_s, "single": single_s, "bare_batch": bare_s, "ratio_to_single": ratio, "ratio_to_bare_batch": to_bare,
            "aws_calls": per_request, "calls_as_targeted": calls_ok,
        }
        purge(env)
    table(
        "2. batch (target: ceil((N+1)/100) BatchGetItem, ceil(N/10) sends; 50 sellers <= 2x one single)",
        ["sellers", "median ms", "p95 ms", "x single", "bare batch ms", "x bare batch", "BatchGetItem", "send calls",
         "answers Query (first, uncached)", "calls on target"],
        rows,
    )
    RESULTS["batch"] = results
    RESULTS["batch"]["50_within_2x_single"] = results[50]["ratio_to_single"] <= 2.0


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


COLD_APP = """
import time; start = time.perf_counter()
import json, sys
sys.path.insert(0, {project!r})
import app
import chalicelib.platform_policy.cached as policy_service
load_policy, policy_seconds = policy_service.CachedPolicy._load, []
def timed_load(self, key):  # the first request's policy read: GetItem + parse, what a cold container pays
    t = time.perf_counter()
    try:
        return load_policy(self, key)
    finally:
        policy_seconds.append(time.perf_counter() - t)
policy_service.CachedPolicy._load = timed_load
event = json.loads({event!r})
response = app.app(event, type("Ctx", (), {{"function_name": "api_handler", "aws_request_id": "cold"}})())
assert response["statusCode"] == 200, response
elapsed = time.perf_counter() - start
print(json.dumps({{"seconds": elapsed, "auth_modules": sorted({{"jwt", "cryptography"}} & set(sys.modules)),
                  "policy_read_seconds": sum(policy_seconds), "policy_version": json.loads(response["body"])["policy_version"]}}))
"""

COLD_BARE = """
import time; start = time.perf_counter()
import json, boto3
session = boto3.session.Session()
dynamodb, sqs = session.client("dynamodb"), session.client("sqs")
item = dynamodb.get_item(TableName="seller-channels", Key={{"seller_id": {{"S": "demo-chat"}}}}).get("Item", {{}})
sqs.send_message(QueueUrl={queue!r}, MessageBody=json.dumps({{"seller_id": "demo-chat"}}))
body = json.dumps({{"seller_id": "demo-chat", "chat": "chat" in item}})
print(json.dumps({{"seconds": time.perf_counter() - start, "auth_modules": []}}))
"""


def cold_start(env: dict[str, str], runs: int) -> None:
    child_env = {**os.environ, **local_stack.local_stage_env(), **env}
    scripts = {
        "app": COLD_APP.format(project=str(PROJECT_DIR), event=json.dumps(SINGLE_EVENT)),
        "bare": COLD_BARE.format(queue=env["SUPPORT_QUEUE_URL"]),
    }
    samples: dict[str, list[float]] = {"app": [], "bare": []}
    auth_modules: set[str] = set()
    policy_reads: list[float] = []
    for round_number in range(runs):
        for name in ("app", "bare") if round_number % 2 == 0 else ("bare", "app"):
            output = subprocess.run([sys.executable, "-c", scripts[name]], env=child_env, capture_output=True, text=True, check=True)
            result = json.loads(output.stdout.strip().splitlines()[-1])
            samples[name].append(result["seconds"])
            auth_modules |= set(result["auth_modules"])
            if name == "app":
                assert result["policy_version"] > 1, "a cold container must read the stored policy"
                policy_reads.append(result["policy_read_seconds"])
    RESULTS["cold_start"] = app_vs_bare(
        "3. cold start (fresh interpreter: import + first request; interpreter start-up excluded for both)", samples, 1.30
    )
    print(f"modules of the authorizer imported by a fresh api_handler serving a resolution: {sorted(auth_modules) or 'none'}")
    policy_read = summary(policy_reads)
    print(f"cold container's policy read (one GetItem + parse, in the first request): median {policy_read['median_ms']:.2f} ms, "
          f"p95 {policy_read['p95_ms']:.2f} ms; {policy_read['median_ms'] / RESULTS['cold_start']['app']['median_ms']:.1%} of the cold request")
    RESULTS["cold_start"]["api_handler_imports_jwt_or_cryptography"] = sorted(auth_modules)
    RESULTS["cold_start"]["policy_read"] = policy_read
    purge(env)


def import_from_package(task_dir: Path) -> float:
    """Seconds for `import app` from an unpacked deployment.zip that Python may not write to (like /var/task)."""
    code = "import time; t = time.perf_counter(); import app; print(time.perf_counter() - t)"
    env = {**os.environ, "PYTHONPATH": str(task_dir), "PYTHONDONTWRITEBYTECODE": "1"}
    output = subprocess.run([sys.executable, "-c", code], cwd=task_dir, env=env, capture_output=True, text=True, check=True)
    return float(output.stdout.strip())


def deployment_size(runs: int) -> None:
    import shutil
    import zipfile

    import package as infra_package

    with tempfile.TemporaryDirectory() as tmp:
        plain_dir, compiled_dir = Path(tmp) / "chalice", Path(tmp) / "precompiled"
        with open(os.devnull, "w") as quiet:
            stdout, sys.stdout = sys.stdout, quiet
            try:
                infra_package.package("prod", plain_dir, precompile=False)
            finally:
                sys.stdout = stdout
        compiled_dir.mkdir()
        shutil.copy(plain_dir / "deployment.zip", compiled_dir / "deployment.zip")
        infra_package.precompile_api_path(compiled_dir / "deployment.zip")
        imports: dict[str, list[float]] = {"chalice": [], "precompiled": []}
        for folder in (plain_dir, compiled_dir):
            with zipfile.ZipFile(folder / "deployment.zip") as archive:
                archive.extractall(folder / "task")
        for round_number in range(runs):
            for name in ("chalice", "precompiled") if round_number % 2 == 0 else ("precompiled", "chalice"):
                imports[name].append(import_from_package(Path(tmp) / name / "task"))
        zip_path = compiled_dir / "deployment.zip"
        size, plain_size = zip_path.stat().st_size, (plain_dir / "deployment.zip").stat().st_size
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
    port = local_stack.free_port()
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

    with_answers = wiring.resolution_service()
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
    for _ in range(20):
        for candidate in candidates.values():
            candidate()
    times = interleaved(runs, lambda: purge(env), **candidates)
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
    wiring.resolution_service = lambda: with_answers  # type: ignore[assignment]  # and puts the real one back
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
    args = parser.parse_args()
    runs = 60 if args.quick else 300
    moto_port = local_stack.free_port()
    moto = local_stack.start_moto(moto_port)
    try:
        env = local_stack.provision(f"http://127.0.0.1:{moto_port}")
        os.environ.update({**local_stack.local_stage_env(), **env})
        print(textwrap.dedent(f"""
            Contact Resolver benchmark: {runs} interleaved rounds per comparison, moto server on {env['AWS_ENDPOINT_URL']}.
            Ratios compare two things measured side by side in this run; absolute figures vary by machine."""))
        if not args.answers:
            warm_single(env, runs, reveals_per_day=0)
        if not args.warm:
            store_bench_policy(env, reveals_per_day=0)  # the answers sections measure answers, not the reveal limit
            answers_resolution(env, runs)
        if not args.answers:
            warm_single(env, runs, reveals_per_day=BENCH_REVEAL_LIMIT)
        if not (args.answers or args.warm):
            batch(env, max(20, runs // 10))
            ingest(env, max(10, runs // 10))
            cold_start(env, 5 if args.quick else 15)
            deployment_size(3 if args.quick else 7)
            load(env, clients=8, seconds=5 if args.quick else 15)
        if not args.warm:
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
    results_file = PROJECT_DIR / "bench" / "results.json"
    if (args.answers or args.warm) and results_file.exists():  # keep the other sections' figures of the last full run
        RESULTS.update({k: v for k, v in json.loads(results_file.read_text()).items() if k not in RESULTS})
    results_file.write_text(json.dumps(RESULTS, indent=2, default=str) + "\n")
    print(f"\nwrote {Path('bench') / 'results.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

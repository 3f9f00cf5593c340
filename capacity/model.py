"""Capacity and cost for a given load, from measured per-request work (counts.json) and measured durations (bench).

Every per-request figure comes from a file the code produced: capacity/counts.json (AWS calls and units, counted
on the real handlers by tests/tools/test_capacity_counts.py), bench/results.json (`make bench`: warm and
cold handler durations), .chalice/config.json (memory, reserved concurrency) and infra/ (ingest concurrency,
API throttling). Prices are list prices written down with their date below; assumptions are named parameters.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from capacity.simulate import SAFE_SHARE, KeyLoad, Load
from capacity.work import load_counts
from chalicelib.answers.shown import ANSWERS_CACHE_SECONDS
from chalicelib.models.common import Topic

PROJECT_DIR = Path(__file__).resolve().parent.parent
DAYS_PER_MONTH = 30

# us-east-1 list prices, as published on 2026-11-26 (DynamoDB on-demand after the 2024-11-01 reduction).
PRICES_AS_OF = "2026-11-26, us-east-1 list prices"
PRICE = {
    "api_gateway_rest_per_million": 3.50,  # first 333 M requests a month
    "lambda_per_million_requests": 0.20,
    "lambda_per_gb_second": 0.0000166667,  # x86
    "dynamodb_per_million_write_units": 0.625,  # on-demand
    "dynamodb_per_million_read_units": 0.125,
    "dynamodb_per_gb_month": 0.25,
    "sqs_per_million_requests": 0.40,  # standard queue, per 64 KB chunk
    "logs_per_gb_ingested": 0.50,
    "xray_per_million_traces": 5.00,
}

# AWS limits that apply per account and region unless raised (soft limits, raised by a support case).
API_GATEWAY_ACCOUNT_RPS = 10_000
LAMBDA_ACCOUNT_CONCURRENCY = 1_000
SQS_IN_FLIGHT = 120_000
BATCH_GET_BYTES = 16 * 1024 * 1024
CACHE_REFRESH_SECONDS = 30  # the shorter of the two per-container TTLs (policy 30 s, answers 60 s)
POLICY_READ_UNITS = 1  # the cold resolution's policy item: one strongly consistent read of a small item
DIGESTS_PER_COLD_RESOLUTION = 2  # the seller's answers digest and the platform's for the topic


@dataclass(frozen=True)
class Assumptions:
    """What the load does besides tapping, and what AWS adds to the local measurements."""

    settings_writes_per_tap: float = 0.001  # sellers rarely change their channels
    authorizer_cache_miss: float = 0.5  # API Gateway caches a token's verdict 60 s; half the taps need the authorizer
    cold_start_share: float = 0.005  # containers are reused; about one resolution in 200 starts one
    aws_call_ms: float = 8.0  # a DynamoDB or SQS call in AWS on top of what the loopback benchmark measured
    authorizer_ms: float = 5.0  # RS256 verify, warm
    log_bytes_per_tap: int = 900  # access log line + Lambda START/END/REPORT + an INFO line at most
    stored_bytes_per_event: int = 1_400  # request record + index copy + share of counters, 90 days
    xray_sampled_share: float = 0.05  # default sampling: 1 request/s plus 5 %


@dataclass
class Deployment:
    """The limits this deployment sets for itself (read from the repository)."""

    memory_gb: float
    api_reserved_concurrency: int | None
    ingest_max_concurrency: int
    api_stage_rate_limit: float | None

    @classmethod
    def from_repository(cls) -> Deployment:
        config = json.loads((PROJECT_DIR / ".chalice" / "config.json").read_text())
        prod = config["stages"]["prod"]
        reserved = prod.get("lambda_functions", {}).get("api_handler", {}).get("reserved_concurrency")
        resources = json.loads((PROJECT_DIR / "infra" / "resources.json").read_text())
        parameters = resources.get("Parameters", {})
        ingest = parameters["SupportIngestMaxConcurrency"]["Default"]
        rate = parameters.get("ApiThrottlingRateLimit", {}).get("Default")
        return cls(
            memory_gb=int(prod.get("lambda_memory_size", config.get("lambda_memory_size", 128))) / 1024,
            api_reserved_concurrency=reserved,
            ingest_max_concurrency=int(ingest),
            api_stage_rate_limit=float(rate) if rate is not None else None,
        )


@dataclass
class Estimate:
    load: Load
    peak_rps: float
    per_request: dict[str, Any]
    monthly_cost: dict[str, float]
    limits: list[dict[str, Any]] = field(default_factory=list)

    @property
    def total_monthly(self) -> float:
        return sum(self.monthly_cost.values())

    @property
    def per_million_taps(self) -> float:
        return self.total_monthly / (self.load.taps_per_day * DAYS_PER_MONTH / 1e6)

    @property
    def first_limit(self) -> dict[str, Any]:
        return max(self.limits, key=lambda limit: limit["used"])


def bench_durations() -> dict[str, float]:
    results = json.loads((PROJECT_DIR / "bench" / "results.json").read_text())
    return {
        # With the reveal limit on, as the built-in default policy has it (30 a day); older results lack that section.
        "warm_ms": results.get("warm_single_limit", results["warm_single"])["app"]["median_ms"],
        "cold_ms": results["cold_start"]["app"]["median_ms"],
        # moto's transactions are slower than DynamoDB's: the measured batch is an upper bound.
        "ingest_batch_ms": results.get("ingest_batch_of_10", {}).get("median_ms", 250.0),
    }


def seller_answers_cached_share(load: Load, ttl_seconds: float) -> float:
    """Share of resolutions whose seller's answers for the topic the serving container still holds (cached
    `ttl_seconds`, keyed by seller and topic).

    A busy container serves n = ttl / seconds_per_resolution resolutions per TTL; it holds seller i's answers for a
    topic if one of them was that seller and topic: with Zipf popularity p_i and the topics equally likely (k of
    them), p_i (1 - exp(-p_i n / k)) summed over sellers. Optimistic in containers (requests spread over the fewest;
    more warm containers only lower it), pessimistic in topics (buyers favour a few, which raises it). The rest read
    the seller's answers digest in the resolution's BatchGetItem: read units, no call.
    """
    per_ttl = ttl_seconds / load.seconds_per_resolution / len(Topic)
    weights = [1 / rank**load.zipf_s for rank in range(1, load.sellers + 1)]
    total = sum(weights)
    return float(sum(w / total * -math.expm1(-w / total * per_ttl) for w in weights))


def estimate(load: Load, assumptions: Assumptions, key_loads: dict[str, KeyLoad] | None = None) -> Estimate:
    counts = load_counts()
    deployment = Deployment.from_repository()
    durations = bench_durations()
    resolution, ingest, write = counts["resolution"], counts["ingest_contact_event"], counts["settings_write"]

    taps_month = load.taps_per_day * DAYS_PER_MONTH
    writes_month = taps_month * assumptions.settings_writes_per_tap
    outcomes_month = taps_month * load.outcome_share
    events_month = taps_month + writes_month + outcomes_month
    calls_per_resolution = sum(resolution["calls"].values())
    # counts.json's warm resolution had the seller's answers cached; a long tail of sellers mostly has not.
    answers_missed = 1 - seller_answers_cached_share(load, ANSWERS_CACHE_SECONDS)
    cold = counts["resolution_cold"]
    digest_units = (cold["read_units"] - resolution["read_units"] - POLICY_READ_UNITS) / DIGESTS_PER_COLD_RESOLUTION
    api_ms = durations["warm_ms"] + calls_per_resolution * assumptions.aws_call_ms  # a digest adds keys, not calls
    api_billed_s = math.ceil(api_ms + assumptions.cold_start_share * durations["cold_ms"]) / 1000
    ingest_batch_s = durations["ingest_batch_ms"] / 1000  # batches of 10

    gb_seconds = (
        (taps_month + outcomes_month) * api_billed_s
        + (taps_month + outcomes_month) * assumptions.authorizer_cache_miss * assumptions.authorizer_ms / 1000
        + events_month / 10 * ingest_batch_s
    ) * deployment.memory_gb
    lambda_requests = (taps_month + outcomes_month) * (1 + assumptions.authorizer_cache_miss) + events_month / 10
    # Per-container caches: each warm container re-reads the policy once per TTL and each owner's answers once per
    # answers TTL; what that costs beyond a warm resolution is the cold resolution's extra reads.
    containers = load.taps_per_day / 86_400 * load.seconds_per_resolution
    refreshes_month = containers * DAYS_PER_MONTH * 86_400 / CACHE_REFRESH_SECONDS
    cold_extra_reads = counts["resolution_cold"]["read_units"] - resolution["read_units"]
    read_units = (
        taps_month * (resolution["read_units"] + answers_missed * digest_units)
        + writes_month * write["read_units"]
        + refreshes_month * cold_extra_reads  # the policy and the platform's answers, per container
    )
    outcome_ingest = counts["ingest_outcome_event"]
    write_units = (
        (taps_month + writes_month) * (ingest["write_units"] + ingest["index_write_units"])
        + outcomes_month * (outcome_ingest["write_units"] + outcome_ingest["index_write_units"])
        + writes_month * write["write_units"]
    )
    sqs_requests = (
        taps_month * resolution["sqs_requests"] + writes_month * write["sqs_requests"]
        + outcomes_month * counts["outcome"]["sqs_requests"] + events_month / 10 * 2  # the event source: receive, delete
    )
    stored_gb = load.taps_per_day * 90 * assumptions.stored_bytes_per_event / 1e9
    monthly = {
        "API Gateway (REST)": (taps_month + outcomes_month) / 1e6 * PRICE["api_gateway_rest_per_million"],
        "Lambda requests": lambda_requests / 1e6 * PRICE["lambda_per_million_requests"],
        "Lambda GB-seconds": gb_seconds * PRICE["lambda_per_gb_second"],
        "DynamoDB reads": read_units / 1e6 * PRICE["dynamodb_per_million_read_units"],
        "DynamoDB writes": write_units / 1e6 * PRICE["dynamodb_per_million_write_units"],
        "DynamoDB storage (90-day requests)": stored_gb * PRICE["dynamodb_per_gb_month"],
        "SQS requests": sqs_requests / 1e6 * PRICE["sqs_per_million_requests"],
        "CloudWatch Logs": taps_month * assumptions.log_bytes_per_tap / 1e9 * PRICE["logs_per_gb_ingested"],
        "X-Ray traces": taps_month * assumptions.xray_sampled_share / 1e6 * PRICE["xray_per_million_traces"],
    }
    peak = load.peak_per_second
    api_concurrency = peak * api_ms / 1000
    ingest_capacity = deployment.ingest_max_concurrency * 10 / ingest_batch_s
    limits = [
        {"limit": "API Gateway account throttle (10,000 req/s)", "demand": peak, "capacity": API_GATEWAY_ACCOUNT_RPS},
        {"limit": "Lambda account concurrency (1,000)", "demand": api_concurrency + deployment.ingest_max_concurrency, "capacity": LAMBDA_ACCOUNT_CONCURRENCY},
        {"limit": "support_ingest MaximumConcurrency (events/s it can store)", "demand": peak * (1 + load.outcome_share), "capacity": ingest_capacity},
        {"limit": "SQS in-flight messages (120,000)", "demand": deployment.ingest_max_concurrency * 10, "capacity": SQS_IN_FLIGHT},
        # A 100-seller batch reads at most read_units x 4 KB in one response; BatchGetItem returns at most 16 MB.
        {"limit": "BatchGetItem response size (16 MB), 100-seller batch", "demand": counts["batch_100"]["read_units"] * 4096, "capacity": BATCH_GET_BYTES},
    ]
    if deployment.api_reserved_concurrency:
        limits.append({"limit": f"api_handler reserved concurrency ({deployment.api_reserved_concurrency})", "demand": api_concurrency, "capacity": deployment.api_reserved_concurrency})
    if deployment.api_stage_rate_limit:
        limits.append({"limit": f"API stage throttling rate ({deployment.api_stage_rate_limit:,.0f} req/s)", "demand": peak, "capacity": deployment.api_stage_rate_limit})
    for key_load in (key_loads or {}).values():
        key, units = key_load.busiest()
        limits.append({"limit": f"busiest partition key: {key_load.name} ({key})", "demand": units, "capacity": key_load.limit * SAFE_SHARE * 2})
    for limit in limits:
        limit["used"] = limit["demand"] / limit["capacity"]
    per_request = {
        "resolution": resolution,
        "resolution_cold": counts["resolution_cold"],
        "batch_10": counts["batch_10"],
        "batch_100": counts["batch_100"],
        "settings_write": write,
        "ingest_contact_event": ingest,
        "outcome": counts["outcome"],
        "ingest_outcome_event": outcome_ingest,
        "api_handler_ms_in_aws": api_ms,
        "seller_answers_cached_share": 1 - answers_missed,
    }
    return Estimate(load, peak, per_request, monthly, limits)


def render(estimate: Estimate) -> list[str]:
    load = estimate.load
    lines = [
        f"load: {load.taps_per_day:,.0f} taps/day, peak x{load.peak_factor:g} = {estimate.peak_rps:,.0f} resolutions/s",
        "",
        "per request (counted on the real handlers, capacity/counts.json):",
    ]
    for name in ("resolution", "resolution_cold", "batch_10", "batch_100", "settings_write", "outcome", "ingest_contact_event", "ingest_outcome_event"):
        work = estimate.per_request[name]
        calls = ", ".join(f"{count} {call}" for call, count in work["calls"].items())
        lines.append(
            f"  {name:22} {calls:58} RU {work['read_units']:5g}  WU {work['write_units'] + work['index_write_units']:5g}  SQS {work['sqs_requests']}"
        )
    cached = estimate.per_request["seller_answers_cached_share"]
    lines.append(
        f"  seller's answers for the topic cached in the container for {cached:.0%} of resolutions ({load.sellers:,} sellers, Zipf "
        f"s={load.zipf_s:g}); the other {1 - cached:.0%} read its answers digest in the same BatchGetItem (read units, no call; "
        f"{estimate.per_request['api_handler_ms_in_aws']:.1f} ms per resolution in AWS)"
    )
    lines += ["", f"monthly cost ({PRICES_AS_OF}):"]
    for component, cost in estimate.monthly_cost.items():
        lines.append(f"  {component:36} ${cost:12,.2f}")
    lines += [
        f"  {'total':36} ${estimate.total_monthly:12,.2f}   = ${estimate.per_million_taps:,.2f} per million taps",
        "",
        "limits (share used at peak; the first one to hit is marked):",
    ]
    first = estimate.first_limit
    for limit in sorted(estimate.limits, key=lambda item: -item["used"]):
        mark = "<- first" if limit is first else ""
        over = " OVER" if limit["used"] > 1 else ""
        lines.append(f"  {limit['used']:7.1%}{over:5} {limit['limit']}  ({limit['demand']:,.0f} of {limit['capacity']:,.0f}) {mark}")
    return lines

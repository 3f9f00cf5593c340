"""One synthetic peak hour pushed through the real key functions: the busiest partition key of each table and index.

Sellers get a Zipf popularity (rank k has weight 1/k**s), buyers are uniform over a large population. Each
contact event is a real `ContactRequestEvent` handed to the support ingest's own write builder, so the keys
counted are exactly the keys the ingest writes. An hour at peak is tens of millions of events; it is sampled
(`sample` events drawn from the same distribution) and every count scaled back to the full hour's rate, which
keeps the simulation to seconds while the busiest keys still see thousands of sampled writes each.
"""

from __future__ import annotations

import bisect
import itertools
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

PARTITION_WRITE_LIMIT = 1000  # write units per second per partition (DynamoDB)
PARTITION_READ_LIMIT = 3000  # strongly consistent read units per second per partition
SAFE_SHARE = 0.5  # a key may use at most half its partition's limit: Poisson bursts and uneven splits need room


@dataclass(frozen=True)
class Load:
    taps_per_day: float
    peak_factor: float = 8.0  # peak-hour rate over the day's average rate
    sellers: int = 300_000
    buyers: int = 30_000_000
    zipf_s: float = 1.0
    reveal_share: float = 0.5  # taps whose answer showed the seller's e-mail or phone
    outcome_share: float = 0.3  # taps after which the app reports an outcome
    seconds_per_resolution: float = 0.03  # API handler time per resolution in AWS (bench median + two AWS calls)

    @property
    def peak_per_second(self) -> float:
        return self.taps_per_day / 86_400 * self.peak_factor


@dataclass
class KeyLoad:
    """Writes (or reads) per second on each partition key of one table or index, at the peak."""

    name: str
    limit: int
    per_key: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))  # rates are fractional

    def busiest(self) -> tuple[str, float]:
        if not self.per_key:
            return "-", 0.0
        key = max(self.per_key, key=self.per_key.__getitem__)
        return key, self.per_key[key]

    @property
    def within_margin(self) -> bool:
        return self.busiest()[1] <= self.limit * SAFE_SHARE


def zipf_cumulative(sellers: int, s: float) -> list[float]:
    return list(itertools.accumulate(1 / rank**s for rank in range(1, sellers + 1)))


def simulate(load: Load, sample: int = 200_000, seed: int = 20261126) -> dict[str, KeyLoad]:
    """Per-key rates at peak for every keyed write the service makes, and the reads of the hot path.

    Each sampled tap is one resolution: a read of the seller's settings (and, for a limited buyer, of the buyer's
    reveal tally in the same BatchGetItem), a contact event through the ingest's own transaction builder (and its
    tally update, adding the seller when e-mail or phone was revealed), and with `outcome_share` an outcome event. The
    per-container caches add reads per container, not per tap: the policy item once per TTL, each owner's answers
    once per answers TTL.
    """
    from chalicelib.answers.shown import ANSWERS_CACHE_SECONDS
    from chalicelib.models.common import Channel, Topic
    from chalicelib.models.events import ContactOutcomeEvent, ContactRequestEvent
    from chalicelib.shared.config import Config
    from chalicelib.support.store import SupportRequestStore

    rng = random.Random(seed)
    cumulative = zipf_cumulative(load.sellers, load.zipf_s)
    total_weight = cumulative[-1]
    scale = load.peak_per_second / sample  # each sampled event stands for this many events per second
    store = SupportRequestStore(None, "support-requests")
    occurred = datetime(2026, 11, 26, 18, 30, tzinfo=UTC)
    loads = {
        name: KeyLoad(name, limit)
        for name, limit in (
            ("support-requests (table)", PARTITION_WRITE_LIMIT),
            ("support-requests by-day (index)", PARTITION_WRITE_LIMIT),
            ("support-requests reads (reveal tallies)", PARTITION_READ_LIMIT),
            ("seller-channels reads", PARTITION_READ_LIMIT),
            ("platform-policy reads", PARTITION_READ_LIMIT),
            ("answers by-owner reads", PARTITION_READ_LIMIT),
        )
    }
    table, index, tally_reads, settings_reads, policy_reads, answer_reads = (loads[name].per_key for name in loads)
    for _ in range(sample):
        rank = bisect.bisect_left(cumulative, rng.random() * total_weight)
        buyer, seller = f"buyer-{rng.randrange(load.buyers)}", f"seller-{rank}"
        revealed = [Channel.EMAIL] if rng.random() < load.reveal_share else []
        request_id = f"{rng.getrandbits(64):016x}"  # each tap its own, as the API's: a request's outcome item is keyed by it
        events: list[Any] = [
            ContactRequestEvent.model_construct(
                schema_version=1, event_id=f"{rng.getrandbits(128):032x}", occurred_at=occurred, request_id=request_id,
                buyer_id=buyer, seller_id=seller, topic=Topic.PRODUCT_QUESTION, primary_channel=Channel.CHAT,
                offered=[Channel.CHAT, Channel.EMAIL, Channel.SUPPORT], degraded=False, revealed=revealed,
            )
        ]
        if rng.random() < load.outcome_share:
            events.append(
                ContactOutcomeEvent.model_construct(
                    schema_version=1, event_id=f"{rng.getrandbits(128):032x}", occurred_at=occurred, request_id=request_id,
                    seller_id=seller, buyer_id=buyer, topic=Topic.PRODUCT_QUESTION, outcome="not_answered",
                    answer_id=f"answer-{rank % 50}", channel=None, reason="not_related",
                )
            )
        for event in events:
            for write, in_transaction in written_items(store, event):
                # Writes inside a transaction cost two units per KB; the index copy is an ordinary write.
                table[write["pk"]["S"]] += scale * (2 if in_transaction else 1) * write_units(write)
                if "gsi1pk" in write:
                    index[write["gsi1pk"]["S"]] += scale * write_units(write)
        settings_reads[f"seller_id={seller}"] += scale  # strongly consistent, an item under 4 KB: one unit
        tally_reads[f"REVEALS#{buyer}"] += scale
    containers = load.peak_per_second * load.seconds_per_resolution  # concurrent API containers at peak
    policy_reads["policy_id=platform"] = containers / Config.policy_ttl_seconds
    # The platform's answers of each topic are queried once per container and TTL; a seller's at most as often.
    answer_reads["owner=platform"] = containers * len(Topic) / ANSWERS_CACHE_SECONDS
    busiest_seller_rate = load.peak_per_second / total_weight
    answer_reads["owner=seller-0"] = min(busiest_seller_rate, containers * len(Topic) / ANSWERS_CACHE_SECONDS)
    return loads


def written_items(store: Any, event: Any) -> list[tuple[dict[str, Any], bool]]:
    """Every item the ingest writes for `event` (marker included), as DynamoDB attribute values, and whether the
    write is in the transaction.

    For an update, the key plus the values it sets: what the item holds after the write, near enough for its size.
    """
    operations = [(next(iter(entry.values())), True) for entry in store.transaction_items(event)]
    if (tally := store.tally_update(event)) is not None:
        operations.append((tally, False))
    return [
        (operation.get("Item") or {**operation["Key"], **operation.get("ExpressionAttributeValues", {})}, in_transaction)
        for operation, in_transaction in operations
    ]


def attribute_size(value: dict[str, Any]) -> int:
    """Bytes DynamoDB bills for one attribute value (its documented sizing rules, rounded up)."""
    kind, content = next(iter(value.items()))
    if kind in ("S", "B"):
        return len(content.encode() if isinstance(content, str) else content)
    if kind == "N":
        return len(content.lstrip("-").replace(".", "")) // 2 + 2
    if kind in ("BOOL", "NULL"):
        return 1
    if kind in ("SS", "NS", "BS"):
        return sum(attribute_size({kind[0]: element}) for element in content)
    if kind == "L":
        return 3 + sum(1 + attribute_size(element) for element in content)
    return 3 + sum(1 + len(name.encode()) + attribute_size(element) for name, element in content.items())  # M


def item_size(item: dict[str, Any]) -> int:
    return sum(len(name.encode()) + attribute_size(value) for name, value in item.items())


def write_units(item: dict[str, Any]) -> int:
    return -(-item_size(item) // 1024)


def report(load: Load, loads: dict[str, KeyLoad]) -> list[str]:
    lines = [
        f"peak: {load.peak_per_second:,.0f} contact events/s ({load.taps_per_day:,.0f} taps/day x {load.peak_factor:g}); "
        f"{load.sellers:,} sellers, Zipf s={load.zipf_s:g}",
        f"{'table / index':40} {'busiest key':28} {'units/s':>9} {'limit':>6}  within half the limit",
    ]
    for key_load in loads.values():
        key, rate = key_load.busiest()
        lines.append(f"{key_load.name:40} {key[:28]:28} {rate:9,.0f} {key_load.limit:6}  {'yes' if key_load.within_margin else 'NO'}")
    return lines

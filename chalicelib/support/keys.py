"""Keys of the support-requests table, write-sharded so that no partition key takes more than a few hundred writes/s.

A DynamoDB partition takes about 1,000 write units per second. At the largest reference load in docs/capacity.md
(200 M taps a day, peak 8x the average: ~18,500 contact events/s, the busiest seller ~1,400/s under a Zipf
popularity), one key per day or per seller would throttle. So the hot keys carry a shard picked from the event id
(stable, so a redelivered event lands on the same keys), and readers fan out over every shard:

    pk                                 sk                           what
    EVENT#<event_id>                   EVENT                        de-duplication marker
    SELLER#<seller_id>#R<nn>           REQ#<occurred_at>#<id>       a contact request (GSI by-day:
                                                                    DAY#<date>#<nn>, <occurred_at>#<id>)
    SELLER#<seller_id>#R<nn>           OUT#<occurred_at>#<id>       a contact outcome (did an answer help)
    SELLER#<seller_id>                 CHG#<occurred_at>#<id>       a settings or restriction change (rare: unsharded)
    POLICY                             CHG#<occurred_at>#<id>       a platform policy change (rare: unsharded)
    STATS#<date>#<nn>                  SELLER#<seller_id>#<m>       per-seller-per-day counters (nn: 00..255)
    OUTCOMES#<date>#<nn>               TOPIC#<topic>, ANSWER#<id>   outcome counters per topic and per answer
    REVEALS#<buyer_id>                 DAY#<date>                   sellers shown to that buyer that UTC day
    BUYER#<buyer_id>#B<nn>             REQ#<occurred_at>#<id>       a copy of a contact request, by buyer (written by
                                                                    the ingest since this index exists; older: not there)
    DAILY#<date>#<nn>                  TOTALS                       the day's roll-up for every seller together (nn:
                                                                    00..127): what the console's figures read by key
    ANSWERS#<month>#<nn>               <date>#ANSWER#<answer_id>    a day's outcomes per answer (nn: 00..31, by event;
                                                                    a month a partition: one query per shard reads
                                                                    any range of its days)
    REQUEST#<request_id>               OUTCOME#<seller_id>          how that request ended for that seller (the console's
                                                                    requests page reads it by key, BatchGetItem)

Data written before sharding (REQ# under SELLER#<id>, DAY#<date>, STATS#<date>) stays readable: the readers
query those legacy keys too (`*_keys` functions below list them last).
"""

from __future__ import annotations

import hashlib

POLICY_CHANGES = "POLICY"  # the platform policy's audit trail: a few items a year
DAY_SHARDS = 64  # the by-day index: every contact event of a day
SELLER_REQUEST_SHARDS = 16  # a seller's requests and outcomes: the busiest seller's ~1,800 writes/s become ~115/s per key
OUTCOME_SHARDS = 128  # outcome counters: six topics and the most read answers would otherwise be a few hot items
STATS_SHARDS = 256  # the daily counters of all sellers (transactional updates: 2 units each)
SELLER_COUNTER_SHARDS = 16  # counter items per seller and day, on consecutive STATS shards
# A buyer's requests: one person's taps are few, but one token scripted up to the API's rate limit (500/s, 2 units
# each in the ingest's transaction) would fill a partition; 4 shards keep that key at ~250 units/s.
BUYER_REQUEST_SHARDS = 4
# The daily roll-up (the console's figures, chalicelib/operations/): 2 write units per transactional ADD; at the
# largest reference load (~18,500 events/s, docs/capacity.md) 128 shards by event keep each under half a partition's
# 1,000 units/s (tests/tools/test_capacity_model.py). 30 days are 30 x 128 known keys: 39 BatchGetItem calls.
ROLLUP_SHARDS = 128
# Outcomes naming an answer, by event too: a popular answer's outcomes spread over every shard (each shard holds one
# item per answer and day). A month's days share a partition, so 30 days of weak answers are 2 x 32 queries.
ROLLUP_ANSWER_SHARDS = 32
ROLLUP_TOTALS_SK = "TOTALS"


def shard_of(value: str, shards: int) -> int:
    """A stable shard in range(shards): the same event always lands on the same keys (idempotent retries)."""
    digest = hashlib.blake2b(value.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % shards


def seller_requests_key(seller_id: str, event_id: str) -> str:
    return f"SELLER#{seller_id}#R{shard_of(event_id, SELLER_REQUEST_SHARDS):02d}"


def seller_requests_keys(seller_id: str) -> list[str]:
    """Every partition holding a seller's requests; the legacy unsharded one last."""
    return [f"SELLER#{seller_id}#R{shard:02d}" for shard in range(SELLER_REQUEST_SHARDS)] + [seller_changes_key(seller_id)]


def buyer_requests_key(buyer_id: str, event_id: str) -> str:
    """The by-buyer copy of a contact request. The shard suffix has a fixed length, so no two buyers share a key."""
    return f"BUYER#{buyer_id}#B{shard_of(event_id, BUYER_REQUEST_SHARDS):02d}"


def buyer_requests_keys(buyer_id: str) -> list[str]:
    """Every partition holding a buyer's requests (no legacy key: requests stored before this index are not copied)."""
    return [f"BUYER#{buyer_id}#B{shard:02d}" for shard in range(BUYER_REQUEST_SHARDS)]


def seller_changes_key(seller_id: str) -> str:
    return f"SELLER#{seller_id}"


def day_index_key(day: str, event_id: str) -> str:
    return f"DAY#{day}#{shard_of(event_id, DAY_SHARDS):02d}"


def day_index_keys(day: str) -> list[str]:
    return [f"DAY#{day}#{shard:02d}" for shard in range(DAY_SHARDS)] + [f"DAY#{day}"]


def stats_key(day: str, seller_id: str, event_id: str) -> tuple[str, str]:
    """(pk, sk) of the counter item this event adds to.

    A seller's counters are split into SELLER_COUNTER_SHARDS items by event, placed on consecutive STATS shards
    from the seller's own: a hot seller's updates spread over several partitions, a quiet seller has 1-2 items.
    """
    counter = shard_of(event_id, SELLER_COUNTER_SHARDS)
    partition = (shard_of(seller_id, STATS_SHARDS) + counter) % STATS_SHARDS
    return f"STATS#{day}#{partition:02d}", f"SELLER#{seller_id}#{counter}"


def stats_keys(day: str) -> list[str]:
    return [f"STATS#{day}#{shard:02d}" for shard in range(STATS_SHARDS)] + [f"STATS#{day}"]


def outcome_counters_key(day: str, event_id: str) -> str:
    return f"OUTCOMES#{day}#{shard_of(event_id, OUTCOME_SHARDS):02d}"


def outcome_counters_keys(day: str) -> list[str]:
    return [f"OUTCOMES#{day}#{shard:02d}" for shard in range(OUTCOME_SHARDS)] + [f"OUTCOMES#{day}"]


def rollup_totals_key(day: str, event_id: str) -> dict[str, str]:
    """The TOTALS item of the day's roll-up this event adds to (by event: a hot seller spreads over every shard)."""
    return {"pk": f"DAILY#{day}#{shard_of(event_id, ROLLUP_SHARDS):02d}", "sk": ROLLUP_TOTALS_SK}


def rollup_totals_keys(day: str) -> list[dict[str, str]]:
    return [{"pk": f"DAILY#{day}#{shard:02d}", "sk": ROLLUP_TOTALS_SK} for shard in range(ROLLUP_SHARDS)]


def rollup_answer_key(day: str, answer_id: str, event_id: str) -> dict[str, str]:
    """By event: a popular answer's outcomes spread over the shards; a reader adds its items up."""
    return {"pk": f"ANSWERS#{day[:7]}#{shard_of(event_id, ROLLUP_ANSWER_SHARDS):02d}", "sk": f"{day}#ANSWER#{answer_id}"}


def rollup_answer_partitions(month: str) -> list[str]:
    """Every partition of a month's (YYYY-MM) per-answer outcomes."""
    return [f"ANSWERS#{month}#{shard:02d}" for shard in range(ROLLUP_ANSWER_SHARDS)]


def topic_counter(measure: str, topic: str) -> str:
    """A per-topic counter's name in a TOTALS item: `requests@delivery`, `answered@payment`."""
    return f"{measure}@{topic}"


def request_outcome_key(request_id: str, seller_id: str) -> dict[str, str]:
    """Where a request's outcome is kept, found from what both events carry (the request record's own key holds its
    random event id and time, which an outcome does not know). A batch shares one request id, hence the seller."""
    return {"pk": f"REQUEST#{request_id}", "sk": f"OUTCOME#{seller_id}"}

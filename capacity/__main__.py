"""make capacity [ARGS="--taps-per-day 20000000 --peak-factor 8"]: capacity, cost and the busiest partition keys.

Without --taps-per-day it prints the three reference loads of docs/capacity.md.
"""

from __future__ import annotations

import argparse
import math
import sys

from capacity.model import Assumptions, estimate, render
from capacity.simulate import Load, report, simulate

REFERENCE_LOADS = (1_000_000, 20_000_000, 200_000_000)
MAX_SELLERS = 20_000_000  # ~45 bytes a seller in the simulation: about 1 GB
MAX_SAMPLE = 2_000_000  # ~90 µs a sampled event: about 3 minutes a load; beyond that the busiest keys stop moving


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make capacity", description=__doc__.splitlines()[0])
    parser.add_argument("--taps-per-day", type=float, help="resolutions a day (default: the three reference loads)")
    parser.add_argument("--peak-factor", type=float, default=8.0, help="peak-hour rate over the daily average (default 8)")
    parser.add_argument("--sellers", type=int, default=300_000)
    parser.add_argument("--zipf", type=float, default=1.0, help="seller popularity exponent (default 1.0: long tail)")
    parser.add_argument(
        "--sample", type=int, default=100_000, help=f"events sampled for the peak-hour simulation (1,000 to {MAX_SAMPLE:,})"
    )
    parser.add_argument("--markdown", action="store_true", help="one summary table (docs/capacity.md) instead of the full print")
    args = parser.parse_args(argv)
    if args.taps_per_day is not None and not (math.isfinite(args.taps_per_day) and args.taps_per_day > 0):
        parser.error("--taps-per-day must be positive")
    if not (math.isfinite(args.peak_factor) and args.peak_factor >= 1):
        parser.error("--peak-factor must be at least 1 (the peak hour's rate over the day's average)")
    if not 1 <= args.sellers <= MAX_SELLERS:
        parser.error(f"--sellers must be from 1 to {MAX_SELLERS:,} (the simulation holds one weight per seller in memory)")
    if not (math.isfinite(args.zipf) and args.zipf >= 0):
        parser.error("--zipf must be 0 (every seller equally popular) or more")
    if not 1_000 <= args.sample <= MAX_SAMPLE:
        parser.error(f"--sample must be from 1,000 to {MAX_SAMPLE:,} (~90 µs an event, per load)")
    loads = [args.taps_per_day] if args.taps_per_day else REFERENCE_LOADS
    if args.markdown:
        print(summary_table([Load(taps, args.peak_factor, sellers=args.sellers, zipf_s=args.zipf) for taps in loads], args.sample))
        return 0
    for number, taps in enumerate(loads):
        load = Load(taps, args.peak_factor, sellers=args.sellers, zipf_s=args.zipf)
        print(f"\n=== {taps:,.0f} taps a day ({number + 1}/{len(loads)}) ===", flush=True)
        key_loads = simulate(load, sample=args.sample)
        print("\n".join(render(estimate(load, Assumptions(), key_loads))))
        print("\npeak-hour simulation, busiest partition key per table and index:")
        print("\n".join("  " + line for line in report(load, key_loads)))
    return 0


def summary_table(loads: list[Load], sample: int) -> str:
    rows = [
        "| taps a day | peak resolutions/s | monthly cost | per million taps | busiest partition key (share of its limit) | first limit at peak |",
        "|---|---|---|---|---|---|",
    ]
    for load in loads:
        key_loads = simulate(load, sample=sample)
        result = estimate(load, Assumptions(), key_loads)
        hottest = max(key_loads.values(), key=lambda key_load: key_load.busiest()[1] / key_load.limit)
        key, rate = hottest.busiest()
        first = result.first_limit
        rows.append(
            f"| {load.taps_per_day / 1e6:,.0f} M | {result.peak_rps:,.0f} | ${result.total_monthly:,.0f} | "
            f"${result.per_million_taps:,.2f} | {hottest.name}: `{key}` ({rate / hottest.limit:.0%}) | "
            f"{first['limit']}: {first['used']:.0%} |"
        )
    return "\n".join(rows)


if __name__ == "__main__":
    sys.exit(main())

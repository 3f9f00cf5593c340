"""Capacity and cost model, and the peak-hour partition simulation (make capacity). Tooling: never shipped."""

"""The wall clock, read only by use cases (services) and handed to pure code as `now`."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    return datetime.now(UTC)

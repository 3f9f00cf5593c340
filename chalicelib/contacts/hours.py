"""Opening hours across clock changes: is a phone open at an instant, and when does it open next. Pure.

The one rule: a range is open at exactly the instants whose local wall-clock time (weekday and time of day in
the seller's zone) falls inside it. So a range inside a spring-forward gap is not open that day, a range that
starts inside the gap opens when the clocks jump into it, and a repeated autumn hour is open both times.
`next_opening` only returns instants `is_open` accepts: the two agree by construction.
"""

from __future__ import annotations

import math
import zoneinfo
from datetime import UTC, date, datetime, time, timedelta
from functools import cache

from chalicelib.models.common import WEEKDAYS
from chalicelib.models.settings import OpeningHours

# The bundled tzdata package is the one source of zones, as it is for validating names (known_zones):
# Lambda's and a laptop's /usr/share/zoneinfo differ in version and content.
zoneinfo.reset_tzpath(to=[])

SEARCH_DAYS = 15  # a range in a gap opens a week later at the latest; two weeks bound every weekly schedule
_SAMPLE_STEP = timedelta(hours=6)  # offset samples between which a clock change is searched for


@cache
def zone(name: str) -> zoneinfo.ZoneInfo:
    """The zone named `name`, loaded once per container (raises for a name tzdata does not have)."""
    return zoneinfo.ZoneInfo(name)


def _seconds_of_day(local: datetime) -> int:
    return local.hour * 3600 + local.minute * 60 + local.second


def is_open(hours: OpeningHours, now: datetime) -> bool:
    """Whether `now` (aware) falls inside a range of its local weekday."""
    local = now.astimezone(zone(hours.timezone))
    clock = _seconds_of_day(local)
    return any(r.start * 60 <= clock < r.end * 60 for r in hours.ranges_on(WEEKDAYS[local.weekday()]))


def next_opening(hours: OpeningHours, now: datetime) -> datetime | None:
    """The earliest instant at or after `now` at which the phone is open, in UTC; None if none within two weeks.

    The open instants begin either where local time reaches a range's start, or at a clock change that jumps
    into a range. Both kinds of candidate are collected and the earliest one `is_open` accepts wins.
    """
    tz = zone(hours.timezone)
    now = now.astimezone(UTC)
    if is_open(hours, now):
        return now
    first_day = now.astimezone(tz).date()
    candidates = [*_range_starts(hours, tz, first_day), *_clock_changes(tz, now, now + timedelta(days=SEARCH_DAYS))]
    opening = [t for t in candidates if t > now and is_open(hours, t)]
    return min(opening) if opening else None


def _range_starts(hours: OpeningHours, tz: zoneinfo.ZoneInfo, first_day: date) -> list[datetime]:
    """Every instant whose local time is a range's start, over the search window (both of a repeated hour)."""
    starts = []
    for offset in range(SEARCH_DAYS + 1):
        day = first_day + timedelta(days=offset)
        for clock_range in hours.ranges_on(WEEKDAYS[day.weekday()]):
            wall = datetime.combine(day, time(clock_range.start // 60, clock_range.start % 60))
            for fold in (0, 1):
                instant = wall.replace(tzinfo=tz, fold=fold).astimezone(UTC)
                if instant.astimezone(tz).replace(tzinfo=None) == wall:  # else the wall time is in a gap
                    starts.append(instant)
    return starts


def _clock_changes(tz: zoneinfo.ZoneInfo, start: datetime, end: datetime) -> list[datetime]:
    """The first instant of each new UTC offset in [start, end], to the second."""
    changes = []
    before = start
    while before < end:
        after = min(before + _SAMPLE_STEP, end)
        if before.astimezone(tz).utcoffset() != after.astimezone(tz).utcoffset():
            changes.append(_first_instant_of_new_offset(tz, before, after))
        before = after
    return changes


def _first_instant_of_new_offset(tz: zoneinfo.ZoneInfo, low: datetime, high: datetime) -> datetime:
    """Bisect over whole seconds (clock changes happen on them): low has the old offset, high the new one."""
    old = low.astimezone(tz).utcoffset()
    low_s, high_s = math.floor(low.timestamp()), math.ceil(high.timestamp())
    while high_s - low_s > 1:
        middle = (low_s + high_s) // 2
        if datetime.fromtimestamp(middle, tz).utcoffset() == old:
            low_s = middle
        else:
            high_s = middle
    return datetime.fromtimestamp(high_s, UTC)

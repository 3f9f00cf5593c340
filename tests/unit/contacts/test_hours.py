"""Opening hours across clock changes: the issue's examples, and next_opening against a minute-by-minute search."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from chalicelib.contacts.hours import is_open, next_opening
from chalicelib.models.settings import OpeningHours

MINUTE = timedelta(minutes=1)


def hours(timezone: str, weekly: dict[str, list[str]]) -> OpeningHours:
    return OpeningHours.model_validate({"timezone": timezone, "weekly": weekly})


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("zone", "weekly", "now", "expected"),
    [
        # Berlin springs forward 02:00 -> 03:00 on Sunday 2026-03-29: 02:00-03:00 never happens that day.
        ("Europe/Berlin", {"sun": ["02:00-03:00"]}, utc(2026, 3, 29, 0, 30), utc(2026, 4, 5, 0, 0)),
        # A range starting inside the gap opens when the clocks jump into it (03:00 CEST = 01:00Z).
        ("Europe/Berlin", {"sun": ["02:30-05:00"]}, utc(2026, 3, 29, 0, 30), utc(2026, 3, 29, 1, 0)),
        # New York's repeated 01:00-02:00 on 2026-11-01: 05:45Z is 01:45 EDT; 06:00Z is 01:00 EST, open again.
        ("America/New_York", {"sun": ["01:00-01:30"]}, utc(2026, 11, 1, 5, 45), utc(2026, 11, 1, 6, 0)),
        ("America/New_York", {"sun": ["02:00-02:30"]}, utc(2026, 3, 8, 6, 0), utc(2026, 3, 15, 6, 0)),
        # Lord Howe moves 30 minutes: 02:00 -> 02:30 on 2026-10-04.
        ("Australia/Lord_Howe", {"sun": ["02:00-02:20"]}, utc(2026, 10, 3, 14, 0), utc(2026, 10, 10, 15, 0)),
        ("Australia/Lord_Howe", {"sun": ["02:10-03:00"]}, utc(2026, 10, 3, 14, 0), utc(2026, 10, 3, 15, 30)),
        # Santiago springs forward at midnight: Sunday 2026-09-06 starts at 01:00.
        ("America/Santiago", {"sun": ["00:00-00:30"]}, utc(2026, 9, 6, 3, 0), utc(2026, 9, 13, 3, 0)),
        ("America/Santiago", {"sun": ["00:30-02:00"]}, utc(2026, 9, 6, 3, 0), utc(2026, 9, 6, 4, 0)),
        # Dublin: winter time is the "negative" DST; clocks go back 02:00 -> 01:00 on 2026-10-25.
        ("Europe/Dublin", {"sun": ["01:00-01:15"]}, utc(2026, 10, 25, 0, 20), utc(2026, 10, 25, 1, 0)),
        ("Europe/Dublin", {"sun": ["01:00-02:00"]}, utc(2026, 3, 29, 0, 30), utc(2026, 4, 5, 0, 0)),
    ],
)
def test_next_opening_around_clock_changes(zone: str, weekly: dict[str, list[str]], now: datetime, expected: datetime) -> None:
    schedule = hours(zone, weekly)
    assert not is_open(schedule, now)
    opening = next_opening(schedule, now)
    assert opening == expected
    assert is_open(schedule, expected) and not is_open(schedule, expected - timedelta(seconds=1))


def test_repeated_autumn_hour_is_open_both_times() -> None:
    schedule = hours("America/New_York", {"sun": ["01:00-01:30"]})
    assert is_open(schedule, utc(2026, 11, 1, 5, 10))  # 01:10 EDT
    assert not is_open(schedule, utc(2026, 11, 1, 5, 45))  # 01:45 EDT
    assert is_open(schedule, utc(2026, 11, 1, 6, 10))  # 01:10 EST


def test_next_opening_of_an_open_phone_is_now_and_of_a_schedule_without_days_is_none() -> None:
    now = utc(2026, 11, 26, 12, 0)
    assert next_opening(hours("UTC", {"thu": ["09:00-18:00"]}), now) == now
    assert next_opening(hours("UTC", {}), now) is None


def test_a_range_ending_at_midnight_is_open_until_then() -> None:
    schedule = hours("Europe/Moscow", {"thu": ["20:00-24:00"]})
    assert is_open(schedule, utc(2026, 11, 26, 20, 59))  # 23:59 MSK
    assert not is_open(schedule, utc(2026, 11, 26, 21, 0))  # Friday 00:00 MSK


ZONES = ["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "America/Santiago", "Europe/Dublin", "Africa/Casablanca"]


SEARCH = timedelta(days=2)  # each case's schedule opens within hours of the transition, or a week later


def transitions(zone: str, start: datetime, end: datetime) -> list[datetime]:
    """Instants where the UTC offset changes: hourly scan, then minute by minute inside the hour (test-only code)."""
    tz = ZoneInfo(zone)
    found = []
    hour = start
    while hour < end:
        if hour.astimezone(tz).utcoffset() != (hour + timedelta(hours=1)).astimezone(tz).utcoffset():
            minute = hour
            while minute.astimezone(tz).utcoffset() == hour.astimezone(tz).utcoffset():
                minute += MINUTE
            found.append(minute)
        hour += timedelta(hours=1)
    return found


def first_open_minute(schedule: OpeningHours, now: datetime, limit: timedelta) -> datetime | None:
    """The earliest whole minute at or after `now` at which is_open holds, searched one minute at a time."""
    moment = now
    while moment <= now + limit:
        if is_open(schedule, moment):
            return moment
        moment += MINUTE
    return None


def schedules_around(zone: str, transition: datetime) -> list[OpeningHours]:
    """Ranges on the transition's local weekday that start, end or sit inside the hours around it."""
    local = transition.astimezone(ZoneInfo(zone))
    day = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"][local.weekday()]
    base = local.hour * 60 + local.minute
    result = []
    for start_offset in (-90, -60, -30, -15, 0, 15, 30, 45):
        for length in (15, 30, 90):
            start = min(max(base + start_offset, 0), 24 * 60 - 15)
            end = min(start + length, 24 * 60)
            text = f"{start // 60:02d}:{start % 60:02d}-{end // 60:02d}:{end % 60:02d}"
            result.append(hours(zone, {day: [text]}))
    return result


@pytest.mark.parametrize("zone", ZONES)
def test_next_opening_is_the_first_open_minute_around_every_transition(zone: str) -> None:
    """Two years of transitions; `now` from 3 h before to 2 h after each one, every 25 minutes."""
    checked = 0
    for transition in transitions(zone, utc(2026, 1, 1), utc(2028, 1, 1)):
        for schedule in schedules_around(zone, transition)[::3]:
            for step in range(-7, 6):
                now = transition + step * timedelta(minutes=25)
                expected = first_open_minute(schedule, now, SEARCH)
                opening = next_opening(schedule, now)
                if expected is not None:
                    assert opening == expected, (zone, schedule.weekly, now)
                else:  # not within two days: later, really open, and the search saw nothing before
                    assert opening is not None and opening > now + SEARCH and is_open(schedule, opening)
                checked += 1
    assert checked > 0

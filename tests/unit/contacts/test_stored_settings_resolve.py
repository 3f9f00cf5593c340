"""Every settings item the store accepts resolves: one seller's data never turns a lookup into a 500."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from chalicelib.contacts.resolution import ResolutionService
from chalicelib.models.common import Caller, Reason, Role, Topic
from chalicelib.models.events import ContactRequestEvent, SettingsChangedEvent
from chalicelib.models.resolution import BatchRequest
from chalicelib.models.settings import ChannelSettingsInput, SellerSettings
from chalicelib.sellers.store import from_item, to_item

BUYER = Caller(sub="buyer-1", role=Role.BUYER)


NOW = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)


# Valid values, and the same values with what slipped through before: newlines, NUL, spaces, other digits.
JUNK = ["\n", "\r\n", " ", "\t", "\x00", "\u2028", "\u0660", "/", ".."]


RANGES = ["09:00-18:00", "00:00-24:00", "23:59-24:00", "02:00-03:00", "02:30-05:00", "01:00-01:30"]


ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "America/Santiago", "Europe/Dublin",
         "Europe", "America/Indiana", "localtime", "Factory", "posixrules", "posix/Europe/Berlin", "right/UTC",
         "EST5EDT", "Etc/GMT+14", "../etc/passwd", "Europe/Berlin\n", "x" * 300, ""]


def mutated(values: Sequence[str]) -> st.SearchStrategy[str]:
    base = st.sampled_from(values)
    return st.one_of(
        base,
        st.tuples(base, st.sampled_from(JUNK)).map(lambda pair: pair[0] + pair[1]),
        st.tuples(st.sampled_from(JUNK), base).map(lambda pair: pair[0] + pair[1]),
        base.map(lambda text: text.replace("0", "\u0660")),  # Arabic-Indic zero matches \d
        st.text(max_size=12),
    )


time_ranges = mutated(RANGES)


zones = mutated(ZONES)


weekly = st.dictionaries(st.sampled_from(["mon", "tue", "wed", "thu", "fri", "sat", "sun"]),
                         st.lists(time_ranges, max_size=3), max_size=7)


raw_channels = st.fixed_dictionaries(
    {
        "chat": st.fixed_dictionaries({"enabled": st.booleans()}),
        "email": st.fixed_dictionaries(
            {"enabled": st.booleans(), "address": mutated(["shop@example.com", "a.b@example.org"])}
        ),
        "phone": st.fixed_dictionaries(
            {
                "enabled": st.booleans(),
                "number": mutated(["+49 30 1234567", "+7 495 123-45-67 ext. 9", "+1 212 555 0100"]),
                "hours": st.none() | st.fixed_dictionaries({"timezone": zones, "weekly": weekly}),
            }
        ),
    }
)


moments = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2028, 1, 1), timezones=st.just(UTC))


class OneItemStore:
    def __init__(self, settings: SellerSettings | None) -> None:
        self._settings = settings

    def get(self, seller_id: str) -> SellerSettings | None:
        return self._settings

    def get_many(self, seller_ids: Sequence[str]) -> tuple[dict[str, SellerSettings], set[str]]:
        found = {sid: self._settings for sid in seller_ids if sid == "poison" and self._settings is not None}
        return found, set()

    def put(self, settings: SellerSettings, expected_version: int) -> None:
        raise AssertionError("not used")


class Publisher:
    def __init__(self) -> None:
        self.events: list[ContactRequestEvent | SettingsChangedEvent] = []

    def publish(self, events: Sequence[ContactRequestEvent | SettingsChangedEvent]) -> int:
        self.events.extend(events)
        return len(events)


def stored(channels: dict[str, Any]) -> SellerSettings:
    """As the store writes and reads it back: through DynamoDB attributes."""
    settings = SellerSettings(seller_id="poison", **channels, version=1, updated_at=NOW, updated_by="owner")
    return from_item(to_item(settings))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw_channels, moments, st.sampled_from(Topic))
def test_every_accepted_write_resolves_without_degrading(raw: dict[str, Any], now: datetime, topic: Topic) -> None:
    """What the API accepts (strict JSON, as PUT parses it) resolves normally at any moment."""
    try:
        accepted = ChannelSettingsInput.model_validate_json(json.dumps(raw), strict=True)
    except ValidationError:
        return
    item = stored(accepted.model_dump(include={"chat", "email", "phone"}))
    service = ResolutionService(OneItemStore(item), Publisher(), clock=lambda: now)
    result = service.resolve_one("poison", topic, BUYER, "r1")[0]
    assert result.degraded is False
    phone = next((o for o in result.options if o.channel.value == "phone"), None)
    if phone is not None and phone.next_available_at is not None:
        assert now < phone.next_available_at <= now + timedelta(days=15)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw_channels, moments, st.sampled_from(Topic))
def test_every_item_the_store_reads_resolves_and_a_bad_one_degrades_only_its_seller(
    raw: dict[str, Any], now: datetime, topic: Topic
) -> None:
    """A hand-edited item (no write-path checks) that still parses never fails a lookup or the rest of a batch."""
    try:
        item = stored(raw)
    except ValidationError:
        return  # the store itself refuses it: reads treat that as unavailable (tests/integration/contacts/test_aws_faults.py)
    publisher = Publisher()
    service = ResolutionService(OneItemStore(item), publisher, clock=lambda: now)
    single = service.resolve_one("poison", topic, BUYER, "r1")[0]
    if single.degraded:
        assert single.primary.reason is Reason.SETTINGS_UNAVAILABLE
    batch = service.resolve_batch(BatchRequest(seller_ids=["poison", "other"], topic=topic), BUYER, "r2")[0]
    assert [r.seller_id for r in batch.results] == ["poison", "other"]
    assert batch.results[1].degraded is False and batch.results[1].primary.reason is Reason.SELLER_SETTINGS_MISSING
    assert len(publisher.events) == 3  # every seller's event is still sent


def test_a_time_range_with_a_trailing_newline_is_refused_on_write() -> None:
    raw = {"phone": {"enabled": True, "number": "+49 30 1234567",
                     "hours": {"timezone": "UTC", "weekly": {"mon": ["09:00-18:00\n"]}}}}
    try:
        ChannelSettingsInput.model_validate_json(json.dumps(raw), strict=True)
    except ValidationError as exc:
        assert exc.errors()[0]["loc"][:3] == ("phone", "hours", "weekly")
    else:
        raise AssertionError("accepted a range with a trailing newline")

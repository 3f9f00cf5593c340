"""The console's figures from roll-up items (fakes in place of the stores), its cursors, and what ships with it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from chalicelib.models.common import Caller, Role
from chalicelib.operations.service import OperationsService, decode_cursor, encode_cursor, sum_counters
from chalicelib.shared.errors import ApiError, BadRequest

NOW = datetime(2026, 12, 7, 10, 30, tzinfo=UTC)
SUPPORT = Caller(sub="agent", role=Role.SUPPORT)


class Figures:
    """Both read ports at once, holding roll-up items as the stores return them."""

    def __init__(self, totals: dict[date, list[dict[str, Any]]] | None = None, gauges: list[dict[str, Any]] | None = None,
                 hours: dict[date, list[dict[str, Any]]] | None = None, seller_days: list[dict[str, Any]] | None = None) -> None:
        self.totals, self._gauges, self._hours, self._seller_days = totals or {}, gauges or [], hours or {}, seller_days or []
        self.escalated_since: datetime | None = None

    def day_totals(self, days: list[date]) -> dict[date, list[dict[str, Any]]]:
        return {day: self.totals.get(day, []) for day in days}

    def answer_totals(self, days: list[date]) -> list[dict[str, Any]]:
        return []

    def gauges(self) -> list[dict[str, Any]]:
        return self._gauges

    def hours(self, days: list[date]) -> dict[date, list[dict[str, Any]]]:
        return {day: self._hours.get(day, []) for day in days}

    def seller_days(self, seller_id: str, days: list[date]) -> list[dict[str, Any]]:
        return self._seller_days

    def oldest_escalated(self, now: datetime) -> datetime | None:
        return self.escalated_since


def service(support: Figures | None = None, conversations: Figures | None = None) -> OperationsService:
    return OperationsService(support or Figures(), conversations or Figures(), queues=None, clock=lambda: NOW)  # type: ignore[arg-type]


def test_shards_of_a_day_add_up_and_keys_labels_and_expiry_do_not_count() -> None:
    items = [{"pk": "DAILY#2026-12-07#01", "sk": "TOTALS", "requests": 2, "expires_at": 99, "flag": True},
             {"pk": "DAILY#2026-12-07#02", "sk": "TOTALS", "requests": 3, "reveals_withheld": 1}]
    assert sum_counters(items) == {"requests": 5, "reveals_withheld": 1}


def test_todays_figures_and_the_window_total() -> None:
    today, yesterday = NOW.date(), NOW.date() - timedelta(days=1)
    support = Figures(totals={
        today: [{"requests": 3, "buyer_requests": 3, "reveals": 1, "reveals_withheld": 2, "answered@delivery": 3, "channel_chosen@delivery": 1}],
        yesterday: [{"requests": 4}],
    })
    stats = service(support).stats(SUPPORT, days=2)
    assert [day.day for day in stats.per_day] == [today, yesterday]
    assert stats.per_day[0].reveals_withheld == 2 and stats.per_day[0].deflection_rate == 0.75
    assert stats.totals.requests == 7 and stats.totals.day == yesterday


def test_waiting_conversations_at_risk_past_due_and_the_oldest_from_the_hour_buckets() -> None:
    today = NOW.date()
    conversations = Figures(
        gauges=[{"state_waiting_seller": 3, "state_escalated": 1}, {"state_waiting_seller": 1, "state_waiting_buyer": -1}],
        hours={
            today: [{"due_h09": 1, "due_h12": 2, "due_h20": 1, "waiting_h08": 1, "waiting_h10": 0}],
            today - timedelta(days=2): [{"waiting_h23": 1, "waiting_h22": 0, "due_h01": 0}],
        },
    )
    now = service(conversations=conversations).stats(SUPPORT, days=1).conversations
    assert (now.waiting_seller, now.escalated, now.waiting_buyer) == (4, 1, 0)  # a gauge never shows below zero
    assert now.replies_past_due == 1 and now.replies_at_risk == 2  # 12:00 is within 4 h of 10:30; 20:00 is not
    assert now.oldest_waiting_seller_since == datetime.combine(today - timedelta(days=2), datetime.min.time(), UTC).replace(hour=23)


def test_a_sellers_on_time_share_over_7_and_30_days() -> None:
    days = [{"sk": f"day#{(NOW.date() - timedelta(days=n)).isoformat()}", "replies": 2, "replies_on_time": 1} for n in (0, 10)]
    replies = service(conversations=Figures(seller_days=days)).seller_replies(SUPPORT, "demo-chat")
    assert (replies.last_7_days.replies, replies.last_7_days.on_time_share) == (2, 0.5)
    assert (replies.last_30_days.replies, replies.last_30_days.median_reply_hours) == (4, None)


def test_a_cursor_reads_back_what_it_wrote_and_anything_else_is_a_400() -> None:
    position = decode_cursor(encode_cursor(date(2026, 12, 6), "2026-12-06T10:00:00+00:00#e-1"))
    assert (position.day, position.before) == (date(2026, 12, 6), "2026-12-06T10:00:00+00:00#e-1")
    for bad in ("!!", "bm90IGEgY3Vyc29y", encode_cursor(None, None) + "x"):
        with pytest.raises(BadRequest):
            decode_cursor(bad)


@pytest.mark.parametrize("role", [Role.BUYER, Role.SELLER])
def test_only_support_and_admin_read_figures(role: Role) -> None:
    with pytest.raises(ApiError):
        service().stats(Caller(sub="x", role=role, seller_id="demo-chat" if role is Role.SELLER else None), days=1)


def test_the_package_allow_list_ships_exactly_the_files_the_console_serves() -> None:
    from chalicelib.api import console
    from infra.package import SHIPPED_ASSETS

    assert {f"chalicelib/console/{name}" for name in console.ASSETS} == SHIPPED_ASSETS
    assert {path.name for path in Path(console.ASSET_DIR).iterdir()} == set(console.ASSETS)


def test_the_console_script_builds_no_markup_from_strings() -> None:
    from chalicelib.api import console

    script = (Path(console.ASSET_DIR) / "console.js").read_text()
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
        assert sink not in script, sink


class Depths:
    def depths(self) -> tuple[dict[str, Any], dict[str, Any]]:
        return ({"url": "http://q/1/support", "ApproximateNumberOfMessages": "4"}, {"url": "http://q/1/support-dlq", "ApproximateNumberOfMessages": "2"})


class Ages:
    def __init__(self, ages: dict[str, tuple[int, datetime]] | None = None, fail: bool = False) -> None:
        self.ages, self.fail = ages or {}, fail

    def oldest_ages(self, queue_names: list[str]) -> dict[str, tuple[int, datetime]]:
        from chalicelib.shared.errors import StoreUnavailable

        if self.fail:
            raise StoreUnavailable("ClientError")
        assert queue_names == ["support", "support-dlq"]
        return self.ages


ADMIN = Caller(sub="root", role=Role.ADMIN)


def queues_with(ages: Ages) -> Any:
    return OperationsService(Figures(), Figures(), Depths(), lambda: NOW, ages).queues(ADMIN)  # type: ignore[arg-type]


def test_a_queues_age_shows_with_its_time_and_a_queue_without_a_datapoint_says_so() -> None:
    shown = queues_with(Ages({"support": (754, NOW - timedelta(minutes=1))}))
    assert (shown.queue.visible, shown.queue.oldest_age_seconds, shown.queue.oldest_age_measured_at) == (4, 754, NOW - timedelta(minutes=1))
    assert (shown.dlq.visible, shown.dlq.oldest_age_seconds, shown.dlq.oldest_age_missing) == (2, None, "no_datapoint")


def test_when_cloudwatch_fails_the_depths_still_show() -> None:
    shown = queues_with(Ages(fail=True))
    assert (shown.queue.visible, shown.dlq.visible) == (4, 2)
    assert shown.queue.oldest_age_missing == shown.dlq.oldest_age_missing == "cloudwatch_unavailable"


def test_the_oldest_escalation_comes_from_the_conversation_figures() -> None:
    conversations = Figures(gauges=[{"state_escalated": 2}])
    conversations.escalated_since = NOW - timedelta(hours=30)
    now = service(conversations=conversations).stats(SUPPORT, days=1).conversations
    assert (now.escalated, now.oldest_escalated_since) == (2, NOW - timedelta(hours=30))

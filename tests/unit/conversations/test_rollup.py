"""The conversations' roll-up: what one change of a conversation adds to the gauges, the hour buckets and its day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from chalicelib.conversations.rules import ReplyClock, gauges_key, hours_key, message_day_counts, rollup_changes
from chalicelib.models.common import Topic
from chalicelib.models.conversations import Conversation, ConversationStatus

NOW = datetime(2026, 12, 7, 10, 30, tzinfo=UTC)


def conversation(status: ConversationStatus, due: datetime | None = None) -> Conversation:
    return Conversation(conversation_id="c" * 26, buyer_id="b", seller_id="demo-chat", status=status, created_at=NOW,
                        last_message_at=NOW, seller_reply_due_at=due, topic=Topic.DELIVERY)


def adds(changes: list) -> dict[tuple[str, str], dict[str, int]]:  # type: ignore[type-arg]
    return {(change.pk, change.sk): change.counts for change in changes}


def test_a_new_conversation_waiting_for_the_seller_counts_its_state_due_hour_waiting_hour_and_day() -> None:
    due = NOW + timedelta(hours=24)
    after = (conversation(ConversationStatus.WAITING_SELLER, due), ReplyClock(NOW, due))
    changes = adds(rollup_changes("c" * 26, None, after, NOW, {"started": 1}))
    shard = int(next(pk for pk, _ in changes if pk.startswith("rollup#gauges#")).rsplit("#", 1)[1])
    assert changes[gauges_key(shard)] == {"state_waiting_seller": 1}
    assert changes[hours_key("2026-12-08", shard)] == {"due_h10": 1}
    assert changes[hours_key("2026-12-07", shard)] == {"waiting_h10": 1}
    assert changes[(f"rollup#day#2026-12-07#{shard:02d}", "totals")] == {"started": 1}


def test_a_seller_reply_moves_the_conversation_between_gauges_and_out_of_the_hour_buckets() -> None:
    due = NOW + timedelta(hours=2)
    before = (conversation(ConversationStatus.WAITING_SELLER, due), ReplyClock(NOW - timedelta(hours=3), due))
    after = (conversation(ConversationStatus.WAITING_BUYER), ReplyClock())
    changes = rollup_changes("c" * 26, before, after, NOW, message_day_counts([]))
    counts = {name: value for change in changes for name, value in change.counts.items()}
    assert counts == {"state_waiting_buyer": 1, "state_waiting_seller": -1, "due_h12": -1, "waiting_h07": -1, "messages": 1}


def test_an_unchanged_state_writes_only_its_day() -> None:
    same = (conversation(ConversationStatus.ESCALATED), ReplyClock())
    changes = rollup_changes("c" * 26, same, same, NOW, message_day_counts(["email", "phone"]))
    assert [change.counts for change in changes] == [{"messages": 1, "messages_redacted": 1, "removed_email": 1, "removed_phone": 1}]
    assert changes[0].expires_at is not None


def test_closing_leaves_every_gauge_and_the_gauges_never_expire() -> None:
    before = (conversation(ConversationStatus.ESCALATED), ReplyClock())
    changes = rollup_changes("c" * 26, before, (conversation(ConversationStatus.CLOSED), ReplyClock()), NOW, {"closed": 1})
    gauge = next(change for change in changes if change.pk.startswith("rollup#gauges#"))
    assert gauge.counts == {"state_escalated": -1} and gauge.expires_at is None

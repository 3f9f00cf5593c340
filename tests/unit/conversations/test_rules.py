"""The conversation rules, with plain values and a `now` passed in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.conversations import rules
from chalicelib.conversations.rules import Access, ReplyClock, RuleViolation
from chalicelib.models.common import Caller, Role, Topic
from chalicelib.models.conversations import AuthorRole, Conversation, ConversationStatus

NOW = datetime(2026, 12, 1, 10, tzinfo=UTC)


def conversation(status: ConversationStatus = ConversationStatus.WAITING_BUYER) -> Conversation:
    return Conversation(conversation_id=rules.conversation_id("k" * 32, "b1", "s1"), buyer_id="b1", seller_id="s1", status=status,
                        created_at=NOW, last_message_at=NOW, topic=Topic.OTHER)


def test_one_id_per_pair_unguessable_without_the_key() -> None:
    first = rules.conversation_id("k" * 32, "b1", "s1")
    assert first == rules.conversation_id("k" * 32, "b1", "s1") and len(first) == 26
    assert first != rules.conversation_id("k" * 32, "b1", "s2") != rules.conversation_id("x" * 32, "b1", "s1")
    assert rules.conversation_id("k", "b1x", "s1") != rules.conversation_id("k", "b1", "xs1")


@pytest.mark.parametrize(
    ("caller", "expected"),
    [
        (Caller(sub="b1", role=Role.BUYER), Access.BUYER),
        (Caller(sub="b2", role=Role.BUYER), None),
        (Caller(sub="x", role=Role.SELLER, seller_id="s1"), Access.SELLER),
        (Caller(sub="x", role=Role.SELLER, seller_id="s2"), None),
        (Caller(sub="a", role=Role.SUPPORT), Access.SUPPORT),
        (Caller(sub="a", role=Role.ADMIN), Access.ADMIN),
    ],
)
def test_who_reaches_a_conversation(caller: Caller, expected: Access | None) -> None:
    assert rules.access(caller, conversation()) is expected


def test_admins_read_but_do_not_post() -> None:
    with pytest.raises(RuleViolation):
        rules.author_role(Access.ADMIN)


def test_a_buyer_message_starts_the_clock_and_the_seller_answer_stops_and_times_it() -> None:
    posted = rules.post(conversation(), ReplyClock(), AuthorRole.BUYER, NOW, 24)
    assert posted.conversation.status is ConversationStatus.WAITING_SELLER
    assert posted.conversation.seller_reply_due_at == NOW + timedelta(hours=24)
    again = rules.post(posted.conversation, posted.clock, AuthorRole.BUYER, NOW + timedelta(hours=3), 24)
    assert again.clock == posted.clock  # a second buyer message does not restart the clock
    answered = rules.post(again.conversation, again.clock, AuthorRole.SELLER, NOW + timedelta(hours=5), 24)
    assert answered.conversation.status is ConversationStatus.WAITING_BUYER and answered.conversation.seller_reply_due_at is None
    assert answered.reply_seconds == 5 * 3600 and answered.on_time is True


def test_a_closed_conversation_reopens_only_for_the_buyer() -> None:
    closed = rules.close(conversation(ConversationStatus.WAITING_SELLER))
    with pytest.raises(RuleViolation) as refused:
        rules.post(closed, ReplyClock(), AuthorRole.SELLER, NOW, 24)
    assert refused.value.code == "conversation_closed"
    reopened = rules.post(closed, ReplyClock(), AuthorRole.BUYER, NOW, 24)
    assert reopened.reopened and reopened.conversation.status is ConversationStatus.WAITING_SELLER
    with pytest.raises(RuleViolation):
        rules.escalate(closed, NOW)


def test_escalated_stays_with_support_and_keeps_when_it_went_there() -> None:
    escalated = rules.escalate(rules.post(conversation(), ReplyClock(), AuthorRole.BUYER, NOW, 24).conversation, NOW)
    assert escalated.seller_reply_due_at is None and escalated.escalated_at == NOW
    assert rules.escalate(escalated, NOW + timedelta(hours=5)).escalated_at == NOW  # escalating again moves nothing
    for author in AuthorRole:
        later = rules.post(escalated, ReplyClock(), author, NOW + timedelta(hours=1), 24).conversation
        assert later.status is ConversationStatus.ESCALATED and later.escalated_at == NOW
    closed = rules.close(escalated)
    assert closed.escalated_at is None
    assert rules.post(closed, ReplyClock(), AuthorRole.BUYER, NOW + timedelta(hours=2), 24).conversation.escalated_at is None


def test_a_restricted_sellers_buyer_escalates_at_the_messages_time() -> None:
    later = NOW + timedelta(minutes=7)
    posted = rules.post(conversation(), ReplyClock(), AuthorRole.BUYER, later, 24, seller_restricted=True)
    assert posted.escalated and posted.conversation.escalated_at == later


@pytest.mark.parametrize("status", [ConversationStatus.WAITING_BUYER, ConversationStatus.WAITING_SELLER, ConversationStatus.ESCALATED])
def test_with_the_seller_restricted_the_seller_may_not_post_and_a_buyer_message_goes_to_support(status: ConversationStatus) -> None:
    open_one = conversation(status)
    with pytest.raises(RuleViolation) as refused:
        rules.post(open_one, ReplyClock(), AuthorRole.SELLER, NOW, 24, seller_restricted=True)
    assert refused.value.code == "seller_restricted"
    by_buyer = rules.post(open_one, ReplyClock(NOW, NOW), AuthorRole.BUYER, NOW, 24, seller_restricted=True)
    assert by_buyer.conversation.status is ConversationStatus.ESCALATED and by_buyer.conversation.seller_reply_due_at is None
    assert by_buyer.escalated is (status is not ConversationStatus.ESCALATED)  # escalated once, not again
    by_support = rules.post(open_one, ReplyClock(), AuthorRole.SUPPORT, NOW, 24, seller_restricted=True)
    assert by_support.conversation.status is not ConversationStatus.CLOSED


def test_overdue_only_when_waiting_for_the_seller_past_the_due_time() -> None:
    waiting = rules.post(conversation(), ReplyClock(), AuthorRole.BUYER, NOW, 2).conversation
    assert not rules.overdue(waiting, NOW + timedelta(hours=1, minutes=59))
    assert rules.overdue(waiting, NOW + timedelta(hours=2))
    assert not rules.overdue(rules.escalate(waiting, NOW), NOW + timedelta(hours=3))


def test_the_median_reply_time_needs_five_replies() -> None:
    four = rules.ReplyStats(replies=4, buckets=(("le_1h", 4),))
    assert four.median_hours() is None
    five = rules.ReplyStats(replies=5, buckets=(("le_1h", 2), ("le_4h", 2), ("le_24h", 1)))
    assert five.median_hours() == 4
    assert rules.reply_bucket(30) == "le_1h" and rules.reply_bucket(3 * 3600) == "le_4h" and rules.reply_bucket(9e6) == "gt_168h"


def test_due_shards_spread_and_windows() -> None:
    shards = {rules.due_shard(rules.conversation_id("k", f"b{i}", "s")) for i in range(200)}
    assert shards == {f"due#{i}" for i in range(10)}
    assert rules.seconds_to_next_hour(NOW + timedelta(minutes=59, seconds=30)) == 30
    assert rules.rate_limit_headers("messages", 30, 31, 3600, 5) == {"RateLimit-Policy": '"messages";q=30;w=3600', "RateLimit": '"messages";r=0;t=5'}

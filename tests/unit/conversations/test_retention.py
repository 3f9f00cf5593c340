"""Retention, with plain values: the TTL arithmetic (180 days after the conversation's last message, pushed by every
message) and the stream consumer's choice of records, with a fake store."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.conversations import rules
from chalicelib.conversations.records import ConversationsUnavailable
from chalicelib.conversations.retention import delete_expired_conversations, expired_conversation
from chalicelib.conversations.rules import ExpiredConversation, ReplyClock
from chalicelib.models.common import Topic
from chalicelib.models.conversations import AuthorRole, Conversation, ConversationStatus
from chalicelib.shared.dynamo import to_attributes

NOW = datetime(2026, 12, 1, 10, tzinfo=UTC)
CID = "a" * 26
TTL = {"type": "Service", "principalId": "dynamodb.amazonaws.com"}


def test_a_conversation_expires_180_days_after_its_last_message_to_the_second() -> None:
    assert rules.expires_at(NOW) == int(NOW.timestamp()) + 180 * 86400
    assert not rules.expired(NOW, NOW + timedelta(days=180) - timedelta(seconds=1))
    assert rules.expired(NOW, NOW + timedelta(days=180))


@pytest.mark.parametrize("author", [AuthorRole.BUYER, AuthorRole.SELLER, AuthorRole.SUPPORT])
def test_every_message_pushes_the_expiry_whoever_writes_it(author: AuthorRole) -> None:
    conversation = Conversation(conversation_id=CID, buyer_id="b1", seller_id="s1", status=ConversationStatus.WAITING_SELLER,
                                created_at=NOW, last_message_at=NOW, topic=Topic.OTHER)
    later = NOW + timedelta(days=179)
    posted = rules.post(conversation, ReplyClock(NOW, NOW + timedelta(hours=24)), author, later, 24)
    assert rules.expires_at(posted.conversation.last_message_at) == rules.expires_at(later) > rules.expires_at(NOW)
    # a year of messages, one every 179 days: the first never expires while the conversation goes on
    assert not rules.expired(posted.conversation.last_message_at, NOW + timedelta(days=358))


def test_reopening_without_a_message_does_not_push_the_expiry() -> None:
    closed = Conversation(conversation_id=CID, buyer_id="b1", seller_id="s1", status=ConversationStatus.CLOSED,
                          created_at=NOW, last_message_at=NOW, topic=Topic.OTHER)
    reopened = rules.reopen(closed, Topic.DELIVERY, "A-1")
    assert reopened.status is ConversationStatus.WAITING_BUYER and reopened.last_message_at == NOW


def record(seq: str, *, event: str = "REMOVE", identity: dict[str, str] | None = TTL, sk: str = "conversation",
           image: dict[str, Any] | None = None) -> dict[str, Any]:
    old = image if image is not None else {
        "pk": f"conversation#{CID}", "sk": "conversation", "conversation_id": CID, "buyer_id": "b1",
        "last_message_at": "2026-06-01T10:00:00.000000Z", "relay_address": "r" * 24 + "@relay.example",
        "buyer_mask": "m" * 24 + "@relay.example", "buyer_email": "buyer@mail.example",
    }
    plain: dict[str, Any] = {
        "eventID": seq, "eventName": event, "eventSource": "aws:dynamodb", "awsRegion": "eu-central-1",
        "dynamodb": {"Keys": to_attributes({"pk": f"conversation#{CID}", "sk": sk}), "OldImage": to_attributes(old),
                     "SequenceNumber": seq, "SizeBytes": 100, "StreamViewType": "OLD_IMAGE", "ApproximateCreationDateTime": 1.8e9},
    }
    if identity is not None:
        plain["userIdentity"] = identity
    return plain


def test_a_ttl_removal_names_the_conversation_its_last_message_and_its_relay_addresses() -> None:
    assert expired_conversation(record("1")) == ExpiredConversation(
        CID, datetime(2026, 6, 1, 10, tzinfo=UTC), ("r" * 24, "m" * 24)
    )
    chat_only = {"pk": f"conversation#{CID}", "sk": "conversation", "last_message_at": "2026-06-01T10:00:00.000000Z"}
    assert expired_conversation(record("1", image=chat_only)) == ExpiredConversation(CID, datetime(2026, 6, 1, 10, tzinfo=UTC))


@pytest.mark.parametrize(
    "other",
    [
        record("1", identity=None),  # a person's or a program's delete (the purge of a restart, support)
        record("1", identity={"type": "Service", "principalId": "other.amazonaws.com"}),
        record("1", event="MODIFY"),
        record("1", event="INSERT"),
        record("1", sk="message#2026-06-01T10:00:00.000000Z#x"),  # items of other kinds expire by TTL too
    ],
)
def test_anything_but_a_ttl_removal_of_a_conversation_item_is_skipped(other: dict[str, Any]) -> None:
    assert expired_conversation(other) is None


class FakeStore:
    def __init__(self, fail_on: set[str] = frozenset()) -> None:  # type: ignore[assignment]
        self.fail_on = fail_on
        self.deleted: list[ExpiredConversation] = []

    def delete_expired(self, expired: ExpiredConversation) -> int:
        if expired.conversation_id in self.fail_on:
            raise ConversationsUnavailable("ProvisionedThroughputExceededException")
        self.deleted.append(expired)
        return 3


def named(seq: str, cid: str) -> dict[str, Any]:
    plain = record(seq)
    plain["dynamodb"]["Keys"]["pk"] = {"S": f"conversation#{cid}"}
    return plain


def test_the_first_failed_record_is_reported_and_nothing_after_it_is_done() -> None:
    store = FakeStore(fail_on={"b" * 26})
    batch = [named("100", "x" * 26), record("150", identity=None), named("200", "b" * 26), named("300", "c" * 26)]
    assert delete_expired_conversations(batch, store) == {"batchItemFailures": [{"itemIdentifier": "200"}]}
    assert [e.conversation_id for e in store.deleted] == ["x" * 26]  # "c..." waits for the retry from 200
    assert delete_expired_conversations(batch[3:], store) == {"batchItemFailures": []}


def test_a_removal_without_its_old_image_is_a_failure_not_a_silent_skip() -> None:
    assert delete_expired_conversations([record("7", image={"pk": "conversation#x", "sk": "conversation"})], FakeStore()) == {
        "batchItemFailures": [{"itemIdentifier": "7"}]
    }


def test_the_logs_carry_ids_and_counts_only(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO):
        delete_expired_conversations([record("1")], FakeStore())
        delete_expired_conversations([record("2")], FakeStore(fail_on={CID}))
    text = caplog.text + json.dumps([r.__dict__ for r in caplog.records], default=str)
    assert CID in text and "conversation_expired" in text and "conversation_retention_failed" in text
    assert "@" not in text and "relay.example" not in text and "rrrrrrrr" not in text

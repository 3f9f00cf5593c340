"""What the warm path reuses instead of recomputing must never serve a stale or foreign value."""

from __future__ import annotations

from datetime import UTC, datetime

from chalicelib.answers import feedback
from chalicelib.answers.suggest import AnswerSet, suggest
from chalicelib.models.answers import Answer, Locale
from chalicelib.models.common import Topic
from chalicelib.models.restriction import SellerRestriction
from chalicelib.models.settings import SellerSettings
from chalicelib.sellers.store import DynamoSettingsStore, to_item
from chalicelib.shared.dynamo import to_attributes
from tests.fakes import OneItemTable

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def settings(version: int, chat: bool) -> SellerSettings:
    return SellerSettings.model_validate(
        {"seller_id": "memo-seller", "chat": {"enabled": chat}, "version": version, "updated_at": NOW, "updated_by": "test"}
    )


def test_an_unchanged_item_is_not_parsed_again_and_any_change_is_seen_at_once() -> None:
    table = OneItemTable()
    store = DynamoSettingsStore(table, "seller-channels")
    table.item = to_item(settings(1, chat=True))
    first = store.get("memo-seller")
    assert first is not None and store.get("memo-seller") is first  # same stored item: the parsed settings are reused
    table.item = to_item(settings(2, chat=False))
    changed = store.get("memo-seller")
    assert changed is not None and changed.version == 2 and not changed.chat.enabled
    # An admin's restriction changes the item without a new settings version: it must still be seen.
    restriction = SellerRestriction.model_validate({"mode": "support_only", "note": "n", "set_at": NOW, "set_by": "admin"})
    table.item = {**to_item(settings(2, chat=False)), **to_attributes({"restriction": restriction.model_dump(mode="json")})}
    restricted = store.get("memo-seller")
    assert restricted is not None and restricted.restriction is not None


def test_feedback_tokens_under_different_keys_differ_and_each_verifies_only_under_its_own() -> None:
    token_a = feedback.issue("key-a" * 8, "req-1", "buyer-1", "seller-1", Topic.OTHER, 1_800_000_000)
    token_b = feedback.issue("key-b" * 8, "req-1", "buyer-1", "seller-1", Topic.OTHER, 1_800_000_000)
    assert token_a != token_b
    assert feedback.verify("key-a" * 8, token_a, "req-1", "buyer-1", "seller-1", 1_800_000_000).topic is Topic.OTHER
    for key, token in (("key-a" * 8, token_b), ("key-b" * 8, token_a)):
        try:
            feedback.verify(key, token, "req-1", "buyer-1", "seller-1", 1_800_000_000)
        except feedback.TokenRejected:
            continue
        raise AssertionError("a token verified under another key")


def answer(answer_id: str, locale: str, updated: int) -> Answer:
    return Answer.model_validate(
        {"id": answer_id, "owner": "platform", "topics": ["other"], "locale": locale, "title": f"Title {answer_id}",
         "body": "Body", "keywords": [], "status": "published", "version": 1,
         "updated_at": datetime(2026, 1, updated, tzinfo=UTC), "updated_by": "t"}
    )


def test_reused_suggestions_follow_the_language_asked_for_each_time() -> None:
    answers = AnswerSet((answer("a-ru", "ru", 1), answer("b-en", "en", 2)))
    assert [s.id for s in suggest([answers], Locale.RU, None)] == ["a-ru", "b-en"]
    assert [s.id for s in suggest([answers], Locale.EN, None)] == ["b-en", "a-ru"]
    assert [s.id for s in suggest([answers], Locale.RU, None)] == ["a-ru", "b-en"]

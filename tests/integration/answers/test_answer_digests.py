"""The answers digests a resolution reads in its one BatchGetItem: every answer write keeps them true.

Each check resolves in a new container (nothing cached), as a buyer served by another Lambda would.
"""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.shared.aws import resolution_client
from tests.calls import NEW_ANSWER, SELLER_ANSWER, body, create, resolve, send
from tests.conftest import SUPPORT, seller_token

SELLER = seller_token("demo-chat")


def shown_in_a_new_container(api: Any, seller_id: str, topic: str) -> list[str]:
    from chalicelib import wiring

    wiring.reset()
    response = resolve(api, seller_id, topic, lang="ru")
    assert response.status_code == 200, response.body
    return [answer["id"] for answer in body(response)["answers"]]


def test_a_sellers_answer_reaches_a_new_container_when_published_and_leaves_it_when_unpublished_or_deleted(api: Any) -> None:
    created = body(create(api, {**SELLER_ANSWER, "title": "Сроки"}, SELLER))
    assert created["id"] in shown_in_a_new_container(api, "demo-chat", "product_question")

    path = f"/v1/answers/{created['id']}"
    drafted = send(api, "PUT", path, {**SELLER_ANSWER, "title": "Сроки", "status": "draft"}, {**SELLER, "If-Match": '"1"'})
    assert drafted.status_code == 200, drafted.body
    assert created["id"] not in shown_in_a_new_container(api, "demo-chat", "product_question")

    republished = send(api, "PUT", path, {**SELLER_ANSWER, "title": "Сроки"}, {**SELLER, "If-Match": '"2"'})
    assert republished.status_code == 200, republished.body
    assert created["id"] in shown_in_a_new_container(api, "demo-chat", "product_question")

    assert api.http.request("DELETE", path, headers={**SELLER, "If-Match": '"3"'}).status_code == 204
    assert created["id"] not in shown_in_a_new_container(api, "demo-chat", "product_question")


def test_a_platform_answer_moved_to_another_topic_leaves_the_old_topics_digest(api: Any) -> None:
    answer = {**NEW_ANSWER, "locale": "ru", "topics": ["delivery"]}
    created = body(create(api, answer))
    assert created["id"] in shown_in_a_new_container(api, "demo-none", "delivery")

    moved = send(api, "PUT", f"/v1/answers/{created['id']}", {**answer, "topics": ["payment"]}, {**SUPPORT, "If-Match": '"1"'})
    assert moved.status_code == 200, moved.body
    assert created["id"] not in shown_in_a_new_container(api, "demo-none", "delivery")
    assert created["id"] in shown_in_a_new_container(api, "demo-none", "payment")


def test_a_digest_larger_than_one_item_is_written_in_pages_and_read_whole(api: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A digest near DynamoDB's 400 KB item limit is split; here the page size is made tiny to split a small one.
    Its later pages cost one BatchGetItem more: the one case where a cold resolution reads twice."""
    from chalicelib.answers import store

    monkeypatch.setattr(store, "DIGEST_PAGE_BYTES", 64)
    ids = [body(create(api, {**SELLER_ANSWER, "title": f"Ответ {n}", "body": f"Текст номер {n} " * 20}, SELLER))["id"] for n in range(3)]
    calls: list[str] = []

    def record(model: Any, **_: Any) -> None:
        calls.append(model.name)

    resolution_client("dynamodb").meta.events.register("provide-client-params.dynamodb", record)
    try:
        shown = shown_in_a_new_container(api, "demo-chat", "product_question")
    finally:
        resolution_client("dynamodb").meta.events.unregister("provide-client-params.dynamodb", record)
    assert set(ids) <= set(shown)
    assert calls == ["BatchGetItem", "BatchGetItem"]

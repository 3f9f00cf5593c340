"""What an answer may say: the documented subset, no contact values past the limit, one-line titles, no stuffing."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelib.shared.aws import client
from tests.calls import SELLER_ANSWER, assert_error, send
from tests.conftest import BUYER, SUPPORT, seller_token

NEW_ANSWER = {"owner": "platform", "topics": ["delivery"], "locale": "en", "title": "Parcels", "body": "Parcels come in 3 days."}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"body": "See ![map](https://tracker.example/pixel.png)"}, "body"),  # a remote image reports who read it
        ({"title": "a\u0000b"}, "title"),
        ({"body": "a\u0085b"}, "body"),  # C1 control
        ({"keywords": ["gro\u202eup"]}, "keywords"),  # right-to-left override: reads other than it is stored
        ({"topics": ["delivery", "delivery"]}, "topics"),
    ],
)
def test_answer_content_outside_the_documented_subset_is_refused(api: Any, changes: dict[str, Any], field: str) -> None:
    """Was: accepted (201), against "any HTML tag or entity is refused" and the Markdown subset."""
    error = assert_error(send(api, "POST", "/v1/answers", {**NEW_ANSWER, **changes}, SUPPORT), 400, "validation_error")
    assert field in [detail["field"] for detail in error["details"]]


def test_plain_text_with_angle_brackets_and_ampersands_is_an_answer(api: Any) -> None:
    """Was: "a < b and c > d" refused as HTML. A link's query string may name parameters like "copy" or "times"."""
    text = {"body": "Sizes: S < M < L, and L > M. AT&T and R&D parcels: 1 & 2 days. "
                    "[Track](https://track.example/?id=1&copy=2&times=3&region=eu)"}
    response = send(api, "POST", "/v1/answers", {**NEW_ANSWER, **text}, SUPPORT)
    assert response.status_code == 201, response.body
    assert json.loads(response.body)["body"] == text["body"]


def test_an_answer_stored_before_the_new_rules_still_reaches_buyers(api: Any, aws: dict[str, str]) -> None:
    """The new rules apply to writes: a stored answer with an image or a repeated topic is still read and shown."""
    from chalicelib.answers.store import to_item
    from chalicelib.models.answers import Answer
    from infra.answer_digests import backfill

    stored = Answer.model_validate(
        {
            **NEW_ANSWER, "topics": ["delivery", "delivery"], "body": "Track it: ![map](https://example.com/m.png)",
            "id": "old-image", "version": 1, "updated_at": "2026-01-01T00:00:00Z", "updated_by": "agent-0",
            "keywords": ["track"],
        }
    )
    client("dynamodb").put_item(TableName="answers", Item=to_item(stored))
    assert "platform" in backfill(client("dynamodb"), "answers")  # infra/answer_digests.py, as after the deploy
    response = api.http.get("/v1/sellers/demo-none/contact-options?topic=delivery&lang=en&q=track", headers=BUYER)
    assert "old-image" in [answer["id"] for answer in json.loads(response.body)["answers"]]


@pytest.mark.parametrize(
    "text",
    ["Пишите на shop-08@shop.example.com", "звоните +7 495 123-45-67", "или 8 (495) 123-45-67 в будни", "WhatsApp +1 212 555 0100"],
)
def test_a_sellers_answer_cannot_carry_an_email_or_a_phone_past_the_limit(api: Any, text: str) -> None:
    """Was: 201, and every buyer got the contact in `answers`, past the daily reveal limit, the platform's e-mail and
    phone switches and a restriction (through GET /v1/answers)."""
    answer = {**NEW_ANSWER, "owner": "demo-chat", "topics": ["product_question"], "locale": "ru", "body": text}
    error = assert_error(send(api, "POST", "/v1/answers", answer, seller_token("demo-chat")), 400, "validation_error")
    assert "body" in [detail["field"] for detail in error["details"]]
    title = {**answer, "body": "Ответим в чате", "title": text}
    assert_error(send(api, "POST", "/v1/answers", title, seller_token("demo-chat")), 400, "validation_error")


def test_sizes_dates_and_order_numbers_are_not_phone_numbers_and_the_platform_may_name_support(api: Any) -> None:
    ordinary = {**NEW_ANSWER, "owner": "demo-chat", "topics": ["product_question"], "locale": "ru",
                "body": "Размеры 44-46, рост 170-176 см, заказ 1234567, доставка 3-5 дней, с 27.11.2026"}
    assert send(api, "POST", "/v1/answers", ordinary, seller_token("demo-chat")).status_code == 201
    platform = {**NEW_ANSWER, "body": "Write to support@market.example or call 8 800 555-35-35."}
    assert send(api, "POST", "/v1/answers", platform, SUPPORT).status_code == 201


def test_a_seller_can_unpublish_and_edit_an_older_answer_that_carries_a_contact(api: Any) -> None:
    """Regression of the contact rule: an answer stored before it, with a contact, could be neither unpublished
    nor edited, only deleted. A draft reaches no buyer; publishing it again needs the contact gone."""
    from chalicelib.answers.store import to_item
    from chalicelib.models.answers import Answer

    body = "Пишите: shop@demo.ru или 8 916 123 45 67"
    old = {**NEW_ANSWER, "owner": "demo-chat", "topics": ["product_question"], "locale": "ru", "body": body}
    stored = Answer.model_validate({**old, "id": "old-contact", "version": 1, "updated_at": "2026-01-01T00:00:00Z", "updated_by": "s"})
    client("dynamodb").put_item(TableName="answers", Item=to_item(stored))
    seller = {**seller_token("demo-chat"), "If-Match": '"1"'}

    unpublished = send(api, "PUT", "/v1/answers/old-contact", {**old, "status": "draft"}, seller)
    assert unpublished.status_code == 200, unpublished.body
    edited = send(api, "PUT", "/v1/answers/old-contact", {**old, "status": "draft", "title": "Draft"}, {**seller, "If-Match": '"2"'})
    assert edited.status_code == 200, edited.body
    republished = send(api, "PUT", "/v1/answers/old-contact", {**old, "title": "Draft"}, {**seller, "If-Match": '"3"'})
    assert_error(republished, 400, "validation_error")
    fixed = {**old, "body": "Пишите в чат магазина"}
    assert send(api, "PUT", "/v1/answers/old-contact", fixed, {**seller, "If-Match": '"3"'}).status_code == 200


@pytest.mark.parametrize(
    "text",
    [
        "Пишите shop\u200b@example.com",  # a zero-width space: displays as a plain address
        "Пишите shop\uff20example.com",  # a full-width at sign
        "Пишите shop @ example.com",
        "Звоните \u2078\u2079\u00b9\u2076\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077",  # superscript digits
        "Звоните \u2467\u2468\u2460\u2465\u2460\u2461\u2462\u2463\u2464\u2465\u2466",  # circled digits
        "Пишите в телеграм t.me/demo_chat_shop",
        "WhatsApp: wa.me/74951234567",
        # review9: what the first list of invisible characters missed
        "Пишите shop\u034f@mail.ru",  # combining grapheme joiner
        "Пишите shop\ufe0f@mail.ru",  # variation selector
        "Пишите shop\U000e0041@mail.ru",  # a tag character
        "Пишите _ivan@mail.ru_ в любое время",  # review10: \b after the domain let a trailing _ or digit through
        "Пишите shop\u2065@mail.ru",  # review11: unassigned, but in the invisible operators' block
        "Звоните 8\ufff0916\ufff0123\ufff045\ufff067",  # unassigned specials
        "t\U000e0080.me/shop",  # unassigned, in the tag block
        "Пишите " + "x" * 100 + "@mail.ru",  # a local part past 64: the bounded pattern still finds its last 64
        "Пишите: ivan@mail.ru" + "Я" * 63 + " — ответим",  # review12: letters glued on past a capped last label
        "ivan@gmail.com" + "x" * 61,
        "Пишите t\u3164.me/shop",  # a Hangul filler: drawn blank
        "Звоните 8\u2800916\u2800123\u28004567",  # the braille blank
        "ig.me/demo.chat",
        "Звоните 8\u180b916\u17b41234567",  # a Mongolian variation selector and a Khmer invisible vowel in a number
        "Messenger: m.me/demo.chat",
        "wa.link/demo-chat",
    ],
)
def test_a_sellers_answer_cannot_hide_a_contact_behind_invisible_or_look_alike_characters(api: Any, text: str) -> None:
    """Was: 201: the contact filter read the text as stored, so a zero-width space, a full-width "@", spaces around
    it, superscript or circled digits, or a messenger link carried a contact past the reveal limit."""
    answer = {**SELLER_ANSWER, "body": text}
    assert_error(send(api, "POST", "/v1/answers", answer, seller_token("demo-chat")), 400, "validation_error")


def test_plain_text_that_only_looks_like_an_entity_or_an_at_sign_is_an_answer(api: Any) -> None:
    """Was: "AT&T;" was refused as HTML; only a real named entity (&amp;) is."""
    for body in (
        "Работаем с AT&T; и R&D; отделом", "Ответим @ 10:00 по Москве", "3 pairs @ 4.99 each", "2 шт @ 1.5 кг", "slots @ 10.30",
        "Размеры в наличии: 42\U0001fa7744\U0001fa7746\U0001fa7748\U0001fa7750",  # review10: an emoji newer than the runtime's Unicode is no joiner
    ):
        assert send(api, "POST", "/v1/answers", {**SELLER_ANSWER, "body": body}, seller_token("demo-chat")).status_code == 201
    assert_error(send(api, "POST", "/v1/answers", {**SELLER_ANSWER, "body": "a &amp; b"}, seller_token("demo-chat")), 400, "validation_error")


@pytest.mark.parametrize(("field", "value"), [("title", "Размеры\nи рост"), ("title", "Размеры\tрост"), ("keywords", ["размер\u2028рост"])])
def test_a_title_or_keyword_is_one_line(api: Any, field: str, value: Any) -> None:
    """Was: line breaks and tabs were let into titles and keywords (the control-character rule spared them for the body)."""
    error = assert_error(send(api, "POST", "/v1/answers", {**SELLER_ANSWER, field: value}, seller_token("demo-chat")), 400, "validation_error")
    assert field in [detail["field"].split(".")[0] for detail in error["details"]]


def test_a_keyword_repeated_to_climb_the_ranking_is_refused(api: Any) -> None:
    """Was: 30 copies of common words put a seller's answer second for every question."""
    stuffed = {**SELLER_ANSWER, "keywords": ["доставка", "Доставка", "заказ"]}
    error = assert_error(send(api, "POST", "/v1/answers", stuffed, seller_token("demo-chat")), 400, "validation_error")
    assert "keywords" in [detail["field"] for detail in error["details"]]

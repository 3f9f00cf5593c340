"""Answers before channels, without AWS: search, suggestions, catalogue, language, feedback tokens, primary."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from chalicelib.answers import feedback
from chalicelib.answers.search import Document, Index, search, terms
from chalicelib.answers.suggest import AnswerSet, snippet, suggest
from chalicelib.api.http import preferred_locale
from chalicelib.contacts.ranking import primary_option, resolve
from chalicelib.contacts.texts import LABELS, REASON_MESSAGES, localize_options
from chalicelib.models.answers import Answer, AnswerInput, Locale, OutcomeRequest
from chalicelib.models.common import Channel, Owner, Reason, Topic
from chalicelib.models.resolution import ContactOption
from chalicelib.models.settings import SellerSettings
from devstack.answers_eval import evaluate

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def answer(answer_id: str, title: str, *, owner: str = "platform", locale: str = "ru", body: str = "Текст.",
           keywords: list[str] | None = None, topics: list[str] | None = None, updated_at: datetime = NOW) -> Answer:
    return Answer(
        id=answer_id, owner=owner, topics=topics or ["delivery"], locale=locale, title=title, body=body,
        keywords=keywords or [], version=1, updated_at=updated_at, updated_by="author",
    )


@pytest.mark.parametrize(
    ("question", "document"),
    [
        ("посылку", "Посылка задерживается"),
        ("посылки", "Где моя посылка"),
        ("возвратом денег", "Возврат денег за товар"),
        ("deliveries", "Delivery times"),
        ("refunded", "Refund status"),
    ],
)
def test_different_word_forms_share_a_stem(question: str, document: str) -> None:
    assert set(terms(question)) & set(terms(document))


@pytest.mark.parametrize(
    "question", ["Подойдёт ли мне этот размер?", "Какой размер выбрать", "which size should I take"], ids=["ru-yo", "ru-short-i", "en"]
)
def test_decomposed_and_full_width_questions_mean_the_same(question: str) -> None:
    """NFD (e.g. "й" as и + U+0306) and full-width Latin are the same words to a buyer, so to the search too."""
    import unicodedata

    full_width = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in question)
    for variant in (unicodedata.normalize("NFD", question), full_width):
        assert terms(variant) == terms(question)


def test_stop_words_and_case_do_not_count() -> None:
    assert terms("Где МОЯ посылка?") == terms("где посылка")
    assert terms("where is my parcel") == terms("Where Parcel")
    assert terms("ёлка") == terms("елка")


def test_where_and_negation_count_and_contractions_mean_not() -> None:
    """Was: где/мой/where were dropped ("где мой заказ" found the cancellation FAQ first), "don't" became the word
    "don", and "hasn't arrived" read as "arrived" (the damaged-item FAQ)."""
    assert terms("где мой заказ") == terms("где заказ") != terms("заказ")
    assert terms("посылка не пришла") != terms("посылка пришла")
    assert terms("package hasn't arrived") == terms("package has not arrived") == terms("package not arrived")
    assert terms("I can't pay, it's declined") == terms("I can not pay, it declined")
    assert "don" not in terms("I don't know")


def test_a_stress_mark_or_an_invisible_character_does_not_split_a_word() -> None:
    assert terms("где посы\u0301лка") == terms("где посылка")
    assert terms("пос\u200bылка") == terms("посылка") == terms("по\u00adсылка")


def test_bm25_prefers_the_document_about_the_question() -> None:
    index = Index.build([
        Document("Способы оплаты", ["карта"], "Оплатить можно картой."),
        Document("Посылка задерживается", ["опаздывает"], "Если посылка опаздывает, подождите."),
        Document("Возврат", [], "Вернуть товар можно за 14 дней, посылку отправьте обратно."),
    ])
    ranked = search("моя посылка опаздывает", [index])
    assert [doc for _, doc, _ in ranked] == [1, 2]
    assert ranked[0][2] > ranked[1][2] > 0
    assert search("как дела", [index]) == []  # nothing in common: no answer rather than a random one


def test_split_indexes_score_like_one_corpus() -> None:
    """A seller's few answers and the platform's FAQ are scored on one scale (statistics add up)."""
    docs = [Document(f"title {i}", ["parcel"] if i % 3 == 0 else [], f"body about delivery number {i}") for i in range(9)]
    whole = search("parcel delivery", [Index.build(docs)])
    split = search("parcel delivery", [Index.build(docs[:2]), Index.build(docs[2:])])
    flat = sorted((doc if part == 0 else doc + 2, round(score, 9)) for part, doc, score in split)
    assert flat == sorted((doc, round(score, 9)) for _, doc, score in whole)


def test_suggestions_prefer_the_buyers_language_and_the_other_may_fill() -> None:
    ru = answer("track-ru", "Где посылка", keywords=["отследить"])
    en = answer("track-en", "Where is my parcel", locale="en", keywords=["track"])
    en2 = answer("late-en", "Parcel is late", locale="en")
    sets = [AnswerSet((ru, en, en2))]
    assert suggest(sets, Locale.RU, None)[0].id == "track-ru"
    assert [s.id for s in suggest(sets, Locale.EN, None)][:2] == ["track-en", "late-en"]
    # Asked in English with a Russian interface: only English answers match, and they fill the list.
    assert sorted(s.id for s in suggest(sets, Locale.RU, "where is my parcel")) == ["late-en", "track-en"]


def test_without_a_question_the_sellers_answers_come_first_then_the_most_specific() -> None:
    seller = answer("sizes", "Размеры", owner="demo-chat")
    broad = answer("broad", "Общее", topics=["delivery", "payment", "other"], updated_at=NOW + timedelta(days=1))
    narrow = answer("narrow", "Частное")
    newer = answer("newer", "Новое", updated_at=NOW + timedelta(days=2))
    result = suggest([AnswerSet((seller,)), AnswerSet((broad, narrow, newer))], Locale.RU, None)
    assert [s.id for s in result] == ["sizes", "newer", "narrow"]
    assert all(s.score == 0 for s in result) and result[0].link == "app://answers/sizes"


def test_a_question_of_stop_words_counts_as_no_question_and_an_unrelated_one_shows_nothing() -> None:
    sets = [AnswerSet((answer("a", "Где посылка"), answer("b", "Оплата картой")))]
    assert [s.id for s in suggest(sets, Locale.RU, "а как?")] == [s.id for s in suggest(sets, Locale.RU, None)] == ["a", "b"]
    assert suggest(sets, Locale.RU, "погода в москве") == []


def test_snippet_is_plain_text_cut_at_a_word() -> None:
    body = "**Важно:** откройте [Заказы](app://orders) и `нажмите` кнопку.\n- пункт " + "слово " * 60
    text = snippet(body)
    assert text.startswith("Важно: откройте Заказы и нажмите кнопку. пункт")
    assert len(text) <= 200 and text.endswith("…") and "*" not in text and "](" not in text


def test_eval_set_hit_rates_stay_above_the_floor() -> None:
    """make eval reaches top-1 92.7 %, top-3 97.6 % on 82 questions; a ranking change that loses ground fails here.

    The last 10 came from a review: "где мой заказ" ranked cancelling first (где, мой dropped as stop words) and
    "hasn't arrived" matched "The item arrived damaged" ("hasn" a word, "not" a stop word); 85.4 % top-1 then."""
    result = evaluate()
    assert result.questions >= 80
    assert {locale: counts[0] for locale, counts in result.by_locale.items()} == {"ru": 41, "en": 41}
    assert result.top3_rate >= 0.96, result.misses
    assert result.top1_rate >= 0.90, result.misses


def answer_input(**changes: object) -> AnswerInput:
    fields = {"owner": "platform", "topics": ["delivery"], "locale": "ru", "title": "Сроки", "body": "Текст"}
    return AnswerInput.model_validate({**fields, **changes})


@pytest.mark.parametrize(
    "changes",
    [
        {"body": "Нажмите <b>сюда</b>"},
        {"body": "<script>alert(1)</script>"},
        {"title": "<img src=x onerror=alert(1)>"},
        {"body": "&lt;b&gt;"},
        {"body": "[ссылка](javascript:alert(1))"},
        {"body": "&#x3C;script&#x3E;alert(1)&#x3C;/script&#x3E;"},  # hex entities
        {"body": "&#60script&#62"},  # numeric entities without the semicolon
        {"body": "[ссылка][1]\n\n[1]: javascript:alert(1)"},  # a reference-style link definition
        {"body": "[ссылка][1]\n\n  [1]: <data:text/html,x>"},
        {"body": "я" * 4097},  # 8194 bytes in UTF-8
        {"title": "t" * 201},
        {"topics": []},
        {"locale": "de"},
        {"owner": "платформа"},
        {"keywords": ["k"] * 31},
        {"status": "archived"},
        {"id": "chosen-by-client"},
    ],
)
def test_answers_refuse_html_oversize_and_unknown_values(changes: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        answer_input(**changes)


def test_markdown_subset_and_safe_links_are_fine() -> None:
    body = "**Срок**: *3 дня*.\n- пункт\n[Заказы](app://orders) и [правила](https://example.com/rules) 2 < 3, AT&T, #1\n[x]: https://ok"
    assert answer_input(body=body).body == body


def test_every_channel_and_every_reason_has_both_languages() -> None:
    for channel in Channel:
        assert all(LABELS[channel].get(locale) for locale in Locale), channel
    for reason in Reason:
        assert all(REASON_MESSAGES[reason].get(locale) for locale in Locale), reason
    assert LABELS[Channel.CHAT] == {Locale.RU: "Написать продавцу", Locale.EN: "Message the seller"}


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("", Locale.RU),
        ("en", Locale.EN),
        ("en-GB,en;q=0.9", Locale.EN),
        ("de-DE, en;q=0.5, ru;q=0.8", Locale.RU),
        ("ru;q=0.2, en;q=0.7", Locale.EN),
        ("en;q=0, fr", Locale.RU),  # q=0: English not acceptable, so the default
        ("fr, *;q=0.1", Locale.EN),  # "*" covers both alike: English, as for a language we do not speak
        ("de", Locale.EN),  # a language the service does not speak: English
        ("de-DE,fr;q=0.8", Locale.EN),
        ("ru", Locale.RU),
        (",", Locale.RU),  # nothing readable: as no header
        ("en;q=banana", Locale.RU),
        ("EN-us", Locale.EN),
        ("ru;q=0", Locale.EN),  # Russian excluded: English, not the default
        ("*;q=0.5, ru;q=0", Locale.EN),  # "*" stands for the languages not named, and ru is excluded
        ("en;q=0.5, *;q=0.9", Locale.RU),  # "*" covers ru at 0.9
        ("ru;q=0, en;q=0", Locale.RU),  # nothing acceptable: the default
        ("en;q=nan, ru;q=0.1", Locale.RU),
        ("en;q=1.5", Locale.RU),  # out of range: ignored
        ("en, ru", Locale.EN),  # a tie: the first named
    ],
)
def test_accept_language_honours_q_values(header: str, expected: Locale) -> None:
    assert preferred_locale(header) is expected


def settings(**channels: object) -> SellerSettings:
    return SellerSettings.model_validate({"seller_id": "s1", "version": 1, "updated_at": NOW, "updated_by": "x", **channels})


def test_labels_hints_and_expected_reply_times_are_localized() -> None:
    seller = settings(
        chat={"enabled": True, "reply_within_hours": 4},
        email={"enabled": True, "address": "a@example.com"},
        phone={"enabled": True, "number": "+74951234567",
               "hours": {"timezone": "Europe/Moscow", "weekly": {"mon": ["09:00-18:00"]}}},
    )
    friday_night = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)  # 23:00 in Moscow
    options = resolve("s1", seller, Topic.PRODUCT_QUESTION, friday_night).options
    en = {o.channel: o for o in localize_options(options, seller, Locale.EN, friday_night, 24)}
    ru = {o.channel: o for o in localize_options(options, seller, Locale.RU, friday_night, 24)}
    assert en[Channel.CHAT].label == "Message the seller" and ru[Channel.CHAT].label == "Написать продавцу"
    assert en[Channel.CHAT].expected_reply is not None
    assert en[Channel.CHAT].expected_reply.model_dump() == {
        "hours": 4, "text": "The seller usually replies within 4 hours", "source": "seller_declared",
    }
    assert en[Channel.EMAIL].expected_reply is None  # nothing declared
    assert en[Channel.SUPPORT].expected_reply is not None and en[Channel.SUPPORT].expected_reply.source == "platform_target"
    assert en[Channel.PHONE].hint == "Opens on Monday at 09:00 (Europe/Moscow time)"
    assert ru[Channel.PHONE].hint == "Откроется в понедельник в 09:00 (Europe/Moscow)"


def test_a_phone_opening_a_week_on_is_not_announced_as_today() -> None:
    """Was: on a Friday after the only Friday hours, "Opens on Friday at 09:01": a buyer reads it as today."""
    seller = settings(phone={"enabled": True, "number": "+74951234567",
                             "hours": {"timezone": "Europe/Moscow", "weekly": {"fri": ["09:01-10:01"]}}})
    friday_late_morning = datetime(2026, 11, 27, 7, 58, tzinfo=UTC)  # 10:58 in Moscow
    options = resolve("s1", seller, Topic.PRODUCT_QUESTION, friday_late_morning).options
    en = {o.channel: o for o in localize_options(options, seller, Locale.EN, friday_late_morning, 24)}
    ru = {o.channel: o for o in localize_options(options, seller, Locale.RU, friday_late_morning, 24)}
    assert en[Channel.PHONE].next_available_at == datetime(2026, 12, 4, 6, 1, tzinfo=UTC)
    assert en[Channel.PHONE].hint == "Opens next Friday at 09:01 (Europe/Moscow time)"
    assert ru[Channel.PHONE].hint == "Откроется в следующую пятницу в 09:01 (Europe/Moscow)"


def test_a_phone_opening_more_than_a_week_on_is_announced_with_its_date() -> None:
    """Was: "Opens next Sunday" on Saturday 28 March for Sunday 5 April (the spring-forward skipped 29 March's only
    hour): read as tomorrow."""
    seller = settings(phone={"enabled": True, "number": "+4930123456",
                             "hours": {"timezone": "Europe/Berlin", "weekly": {"sun": ["02:00-03:00"]}}})
    saturday = datetime(2026, 3, 28, 12, 0, tzinfo=UTC)
    options = resolve("s1", seller, Topic.PRODUCT_QUESTION, saturday).options
    en = {o.channel: o for o in localize_options(options, seller, Locale.EN, saturday, 24)}
    ru = {o.channel: o for o in localize_options(options, seller, Locale.RU, saturday, 24)}
    assert en[Channel.PHONE].next_available_at == datetime(2026, 4, 5, 0, 0, tzinfo=UTC)  # 02:00 CEST
    assert en[Channel.PHONE].hint == "Opens on Sunday 5 April at 02:00 (Europe/Berlin time)"
    assert ru[Channel.PHONE].hint == "Откроется в воскресенье, 5 апреля, в 02:00 (Europe/Berlin)"


def test_a_closed_phone_is_never_primary_while_support_is_open() -> None:
    """demo-phone at night: phone first in the list, but the buyer can only use support now."""
    phone_only = settings(phone={"enabled": True, "number": "+74951234567",
                                 "hours": {"timezone": "Europe/Moscow", "weekly": {"mon": ["09:00-18:00"]}}})
    options = resolve("s1", phone_only, Topic.PRODUCT_QUESTION, datetime(2026, 11, 27, 22, 0, tzinfo=UTC)).options
    assert [o.channel for o in options] == [Channel.PHONE, Channel.SUPPORT] and not options[0].available_now
    assert primary_option(options).channel is Channel.SUPPORT


def test_primary_falls_back_to_the_first_option_when_nothing_is_open() -> None:
    closed = ContactOption(channel=Channel.PHONE, owner=Owner.SELLER, available_now=False, reason=Reason.PHONE_OUTSIDE_HOURS, contact="+1")
    assert primary_option([closed]) is closed


KEY = "k" * 32


NOW_EPOCH = int(NOW.timestamp())


def test_a_feedback_token_verifies_only_for_its_buyer_request_and_seller() -> None:
    token = feedback.issue(KEY, "req-1", "buyer-1", "demo-chat", Topic.DELIVERY, NOW_EPOCH)
    assert feedback.verify(KEY, token, "req-1", "buyer-1", "demo-chat", NOW_EPOCH).topic is Topic.DELIVERY
    for request_id, buyer, seller, key in [
        ("req-2", "buyer-1", "demo-chat", KEY),
        ("req-1", "buyer-2", "demo-chat", KEY),
        ("req-1", "buyer-1", "demo-none", KEY),
        ("req-1", "buyer-1", "demo-chat", "x" * 32),
    ]:
        with pytest.raises(feedback.TokenRejected, match="signature"):
            feedback.verify(key, token, request_id, buyer, seller, NOW_EPOCH)


def test_a_feedback_token_expires_and_cannot_be_altered() -> None:
    token = feedback.issue(KEY, "req-1", "buyer-1", "demo-chat", Topic.DELIVERY, NOW_EPOCH)
    with pytest.raises(feedback.TokenRejected, match="expired"):
        feedback.verify(KEY, token, "req-1", "buyer-1", "demo-chat", NOW_EPOCH + feedback.TOKEN_TTL_SECONDS + 1)
    version, topic, expiry, shown, usable, mac = token.split(".")
    for forged in (
        f"{version}.payment.{expiry}.{shown}.{usable}.{mac}", f"{version}.{topic}.{int(expiry) + 999}.{shown}.{usable}.{mac}",
        f"{version}.{topic}.{expiry}.{feedback.answer_tag('made-up')}.{usable}.{mac}", f"{version}.{topic}.{expiry}.{shown}.cesp.{mac}",
        f"v2.{topic}.{expiry}.{shown}.{mac}", f"v1.{topic}.{expiry}.{mac}", "garbage", f"{token}x",
    ):
        with pytest.raises(feedback.TokenRejected):
            feedback.verify(KEY, forged, "req-1", "buyer-1", "demo-chat", NOW_EPOCH)


def test_a_feedback_token_has_one_spelling_only() -> None:
    """The outcome's event id comes from the token: another spelling of the expiry must not count an outcome again."""
    token = feedback.issue(KEY, "req-1", "buyer-1", "demo-chat", Topic.DELIVERY, NOW_EPOCH)
    version, topic, expiry, shown, usable, mac = token.split(".")
    arabic_indic = "".join(chr(0x660 + int(digit)) for digit in expiry)
    for respelled in (f"{version}.{topic}.0{expiry}.{shown}.{usable}.{mac}", f"{version}.{topic}.{arabic_indic}.{shown}.{usable}.{mac}"):
        with pytest.raises(feedback.TokenRejected):
            feedback.verify(KEY, respelled, "req-1", "buyer-1", "demo-chat", NOW_EPOCH)


def test_a_feedback_token_names_only_the_answers_its_result_showed() -> None:
    token = feedback.issue(KEY, "req-1", "buyer-1", "demo-chat", Topic.DELIVERY, NOW_EPOCH, ["faq-delivery-ru", "demo-chat-sizes-ru"])
    claims = feedback.verify(KEY, token, "req-1", "buyer-1", "demo-chat", NOW_EPOCH)
    assert claims.showed("faq-delivery-ru") and claims.showed("demo-chat-sizes-ru")
    assert not claims.showed("faq-warranty-ru") and not claims.showed("faq-delivery-r")
    none_shown = feedback.issue(KEY, "req-1", "buyer-1", "demo-chat", Topic.DELIVERY, NOW_EPOCH)
    assert not feedback.verify(KEY, none_shown, "req-1", "buyer-1", "demo-chat", NOW_EPOCH).showed("faq-delivery-ru")
    assert len(token) <= 200  # OutcomeRequest.token's limit, with three answers shown
    every_channel = list(feedback.CHANNEL_LETTERS)
    assert len(feedback.issue(KEY, "r" * 64, "b" * 255, "s" * 64, Topic.RETURN_REFUND, NOW_EPOCH, ["a" * 64] * 3, every_channel)) <= 200


def test_a_feedback_token_names_only_the_channels_its_result_offered_with_a_contact() -> None:
    """Was: channel_chosen was accepted for any channel, one never offered or one the reveal limit withheld."""
    token = feedback.issue(KEY, "req-1", "buyer-1", "demo-chat", Topic.DELIVERY, NOW_EPOCH, (), [Channel.CHAT, Channel.SUPPORT])
    claims = feedback.verify(KEY, token, "req-1", "buyer-1", "demo-chat", NOW_EPOCH)
    assert claims.offered(Channel.CHAT) and claims.offered(Channel.SUPPORT)
    assert not claims.offered(Channel.EMAIL) and not claims.offered(Channel.PHONE)


def test_a_v2_token_issued_before_channels_were_signed_still_verifies_until_it_expires() -> None:
    expiry = NOW_EPOCH + feedback.TOKEN_TTL_SECONDS
    tags = feedback.answer_tag("faq-delivery-ru")
    mac = feedback._mac(KEY, "v2", "req-1", "buyer-1", "demo-chat", "delivery", str(expiry), tags)
    claims = feedback.verify(KEY, f"v2.delivery.{expiry}.{tags}.{mac}", "req-1", "buyer-1", "demo-chat", NOW_EPOCH)
    assert claims.showed("faq-delivery-ru") and not claims.showed("faq-warranty-ru") and claims.offered(Channel.PHONE)


def test_a_v1_token_issued_before_answers_were_signed_still_verifies_until_it_expires() -> None:
    expiry = NOW_EPOCH + feedback.TOKEN_TTL_SECONDS
    mac = feedback._mac(KEY, "v1", "req-1", "buyer-1", "demo-chat", "delivery", str(expiry))
    claims = feedback.verify(KEY, f"v1.delivery.{expiry}.{mac}", "req-1", "buyer-1", "demo-chat", NOW_EPOCH)
    assert claims.topic is Topic.DELIVERY and claims.showed("any-answer")
    with pytest.raises(feedback.TokenRejected, match="signature"):
        feedback.verify(KEY, f"v1.delivery.{expiry}.{mac}", "req-2", "buyer-1", "demo-chat", NOW_EPOCH)


def test_the_same_outcome_gets_the_same_event_id() -> None:
    same = feedback.outcome_event_id("t", "answered", "a1")
    assert same == feedback.outcome_event_id("t", "answered", "a1")
    assert same != feedback.outcome_event_id("t2", "answered", "a1")
    assert same != feedback.outcome_event_id("t", "channel_chosen", None)
    # The deflection rate's numerator and denominator count once per result, whatever answer or channel is named.
    assert same == feedback.outcome_event_id("t", "answered", "a2")
    # Which answers did not help: per answer.
    assert feedback.outcome_event_id("t", "not_answered", "a1") != feedback.outcome_event_id("t", "not_answered", "a2")


@pytest.mark.parametrize(
    "body",
    [
        {"outcome": "answered"},  # which answer?
        {"outcome": "channel_chosen"},  # which channel?
        {"outcome": "answered", "answer_id": "a1", "reason": "not_related"},
        {"outcome": "maybe"},
        {"outcome": "not_answered", "reason": "boring"},
    ],
)
def test_outcome_reports_must_be_consistent(body: dict[str, str]) -> None:
    with pytest.raises(ValidationError):
        OutcomeRequest.model_validate({"token": "t", "seller_id": "demo-chat", **body})


HANDLER_CALL = """
import json, sys
import app
from chalicelib import wiring
from chalicelib.answers.shown import ShownAnswers
from chalicelib.contacts.resolution import ResolutionService
class Store:
    def get(self, seller_id): return None
class Publisher:
    def publish(self, events): return len(events)
class Answers:
    def published(self, owner, topic): return []
wiring.resolution_service = lambda: ResolutionService(Store(), Publisher(), answers=ShownAnswers(Answers()), feedback_key="k" * 32)
path = "/v1/sellers/s1/contact-options"
event = {
    "resource": "/v1/sellers/{seller_id}/contact-options", "path": path, "httpMethod": "GET",
    "headers": {}, "multiValueQueryStringParameters": QUERY, "pathParameters": {"seller_id": "s1"}, "stageVariables": {},
    "requestContext": {"resourcePath": "/v1/sellers/{seller_id}/contact-options", "httpMethod": "GET", "requestId": "r1",
                       "path": path, "authorizer": {"principalId": "buyer-1", "role": "buyer", "seller_id": ""}},
    "body": None, "isBase64Encoded": False,
}
response = app.app(event, None)
print(response["statusCode"], sorted({"snowballstemmer", "chalicelib.answers.search"} & set(sys.modules)))
"""


@pytest.mark.parametrize(
    ("query", "expected"),
    [("None", "200 []"), ('{"q": ["где моя посылка"]}', "200 ['chalicelib.answers.search', 'snowballstemmer']")],
)
def test_the_stemmer_and_search_are_imported_only_when_a_question_is_asked(query: str, expected: str) -> None:
    code = HANDLER_CALL.replace("QUERY", query)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip().splitlines()[-1] == expected


def test_a_cold_batch_loads_its_answer_sets_concurrently_and_leaves_out_what_failed() -> None:
    import threading
    import time

    from chalicelib.answers.shown import ShownAnswers
    from chalicelib.contacts.resolution import ResolutionService
    from chalicelib.models.common import Caller, Role
    from chalicelib.models.resolution import BatchRequest
    from chalicelib.shared.errors import StoreUnavailable

    seller_answer = answer("own", "Своё", owner="s3")
    calls: list[str] = []
    lock = threading.Lock()

    class SlowAnswers:
        def published(self, owner: str, topic: Topic) -> list[Answer]:
            with lock:
                calls.append(owner)
            time.sleep(0.05)
            if owner == "s7":
                raise StoreUnavailable("throttled")
            return [seller_answer] if owner == "s3" else []

    class Settings:
        def get_many(self, seller_ids: list[str]) -> tuple[dict[str, SellerSettings], set[str]]:
            return {}, set()

    class Publisher:
        def publish(self, events: list[object]) -> int:
            return len(events)

    service = ResolutionService(Settings(), Publisher(), lambda: NOW, answers=ShownAnswers(SlowAnswers()))  # type: ignore[arg-type]
    request = BatchRequest(seller_ids=[f"s{n}" for n in range(20)], topic=Topic.DELIVERY)
    start = time.perf_counter()
    results = service.resolve_batch(request, Caller(sub="b", role=Role.BUYER), "r")[0].results
    elapsed = time.perf_counter() - start
    assert sorted(calls) == sorted([f"s{n}" for n in range(20)] + ["platform"])  # each set loaded once
    assert elapsed < 0.6, elapsed  # one after another: 21 x 50 ms = 1.05 s
    assert [a.id for a in results[3].answers] == ["own"] and results[7].answers == []
    calls.clear()
    service.resolve_batch(request, Caller(sub="b", role=Role.BUYER), "r")[0]
    assert calls == ["s7"]  # warm: only the set that failed is tried again

"""Contacts written to slip past a filter are found: phone numbers in words, letter-spaced or spelled-out addresses,
a messenger's name and an account. Ordinary text with the same shapes (prices, sizes, dates, quantities, orders in
words, messengers named without an account) passes unchanged."""

from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.moderation.contacts import ContactKind, find_contacts, redact
from chalicelib.moderation.spelled_numbers import spelled_runs
from tests.unit.moderation.test_contact_redactor import cpu_seconds

EMAIL, PHONE, LINK, MESSENGER = ContactKind.EMAIL, ContactKind.PHONE, ContactKind.LINK, ContactKind.MESSENGER
PLATFORM = "market.example"


def found(text: str) -> list[tuple[ContactKind, str]]:
    return [(finding.kind, finding.matched) for finding in find_contacts(text, allowed_link_domain=PLATFORM)]


@pytest.mark.parametrize(
    ("text", "matched"),
    [
        ("звоните восемь девятьсот шестнадцать сто двадцать три сорок пять шестьдесят семь",
         "восемь девятьсот шестнадцать сто двадцать три сорок пять шестьдесят семь"),
        ("мой номер: восемь девять один шесть один два три четыре пять шесть семь!",
         "восемь девять один шесть один два три четыре пять шесть семь"),
        ("Восемь-девять-один-шесть-один-два-три-сорок пять-шестьдесят семь", "Восемь-девять-один-шесть-один-два-три-сорок пять-шестьдесят семь"),
        ("звони 8 девятьсот шестнадцать 123 сорок пять 67", "8 девятьсот шестнадцать 123 сорок пять 67"),
        ("плюс семь девятьсот шестнадцать 123 45 67", "плюс семь девятьсот шестнадцать 123 45 67"),
        ("call eight nine one six one two three four five six seven", "eight nine one six one two three four five six seven"),
        ("call me: plus seven nine one six one two three four five six seven", "plus seven nine one six one two three four five six seven"),
        ("Eight, nine hundred sixteen, one two three, forty five, sixty seven.", "Eight, nine hundred sixteen, one two three, forty five, sixty seven"),
        ("ring eight nine one six one two three double four six seven", "eight nine one six one two three double four six seven"),
        ("звоните 8 девять1шесть 123 45 67", "8 девять1шесть 123 45 67"),
    ],
)
def test_a_phone_number_in_words_is_a_phone_number(text: str, matched: str) -> None:
    assert found(text) == [(PHONE, matched)]


@pytest.mark.parametrize(
    ("text", "kind", "matched"),
    [
        ("пишите i v a n @ m a i l . r u", EMAIL, "i v a n @ m a i l . r u"),
        ("i  v  a  n  @  m a i l  .  r u", EMAIL, "i  v  a  n  @  m a i l  .  r u"),
        ("ivan @ m a i l . r u", EMAIL, "ivan @ m a i l . r u"),
        ("i v a n (at) m a i l (dot) r u", EMAIL, "i v a n (at) m a i l (dot) r u"),
        ("ivan (at) mail (dot) ru", EMAIL, "ivan (at) mail (dot) ru"),
        ("ivan собака mail точка ru", EMAIL, "ivan собака mail точка ru"),
        ("ivan sobaka mail tochka ru", EMAIL, "ivan sobaka mail tochka ru"),
        ("сайт s h o p . r u", LINK, "s h o p . r u"),
        ("w w w . s h o p . c o m", LINK, "w w w . s h o p . c o m"),
        ("ник @ i v a n _ p e t r o v", MESSENGER, "@ i v a n _ p e t r o v"),
    ],
)
def test_a_letter_spaced_or_spelled_out_address_is_found_whole(text: str, kind: ContactKind, matched: str) -> None:
    assert found(text) == [(kind, matched)]


@pytest.mark.parametrize(
    ("text", "matched"),
    [
        ("tg ivan_petrov", "tg ivan_petrov"),
        ("TG ivanpetrov", "TG ivanpetrov"),
        ("telegram: ivanpetrov", "telegram: ivanpetrov"),
        ("пишите в телегу ivan_shop, отвечу", "телегу ivan_shop"),
        ("мой телеграмм - shop.moda.", "телеграмм - shop.moda"),
        ("мой ник в инсте shop.moda", "инсте shop.moda"),
        ("skype: ivan.petrov", "skype: ivan.petrov"),
        ("вк id123456", "вк id123456"),
        ("telegram username ivan_petrov", "telegram username ivan_petrov"),
        ("в инсте ник: shop.moda", "инсте ник: shop.moda"),
        ("ватсап 123-45-67", "ватсап 123-45-67"),
        ("viber: 123 45 67", "viber: 123 45 67"),
    ],
)
def test_a_messengers_name_with_an_account_is_a_messenger_contact(text: str, matched: str) -> None:
    assert found(text) == [(MESSENGER, matched)]


def test_an_account_found_on_its_own_keeps_its_kind_after_a_messengers_name() -> None:
    assert found("ватсап 8 9 1 6 1 2 3 4 5 6 7") == [(PHONE, "8 9 1 6 1 2 3 4 5 6 7")]
    assert found("WhatsApp +7 916 123-45-67") == [(PHONE, "+7 916 123-45-67")]
    assert found("телеграм t.me/shop") == [(MESSENGER, "t.me/shop")]
    assert found("ватсап восемь девять один шесть один два три четыре пять шесть семь") == [
        (PHONE, "восемь девять один шесть один два три четыре пять шесть семь")
    ]


def test_redaction_replaces_each_obfuscated_contact_and_names_its_kind() -> None:
    text = "Звоните восемь девятьсот шестнадцать сто двадцать три сорок пять шестьдесят семь, или tg ivan_petrov, или i v a n @ m a i l . r u"
    result = redact(text, "ru", PLATFORM)
    assert result.text == "Звоните [контакт скрыт], или [контакт скрыт], или [контакт скрыт]"
    assert result.removed == (EMAIL, MESSENGER, PHONE)


@pytest.mark.parametrize(
    "text",
    [
        # prices, quantities, sizes and dates in words
        "цена девятьсот девяносто девять рублей, скидка сто пятьдесят",
        "размеры сорок два, сорок четыре, сорок шесть и сорок восемь",
        "доставка через три-пять дней, отправим двадцать пятого ноября, три пары по двести",
        "two pairs for ninety nine, size forty two, delivery in three to five days",
        "one two three four five six seven eight nine ten",
        "Заказ номер сто двадцать три от двенадцатого числа, в коробке десять штук по пять",
        "в две тысячи двадцать шестом году, в девять тридцать утра",
        "оценка пять из пяти, пять звёзд, пять пять пять",
        # numbers as shops write them
        "цены 9 990 ₽, 12 490 ₽ и 7 990 ₽; с 27.11.2026 по 03.12.2026; размеры 44-46",
        # messengers named without an account
        "пишите в чат, не в телеграм",
        "we answer on WhatsApp or Telegram today",
        "Our Telegram channel and WhatsApp business are closed",
        "инста 1000000 подписчиков, вк 5 тысяч",
        "whatsapp 24/7, telegram: no",
        "В телеге пишут, что доставка задерживается",
        "I sent you a message on Telegram yesterday; my Instagram account is private",
        "when the signal went to its group, a shell shows 128 + its number",
        # letter-spaced words that are no contact
        "Размеры S M L XL, я и ты, а б в г",
        "т. е. и т. д., г. Москва, ул. Ленина, д. 5",
    ],
)
def test_ordinary_text_with_the_same_shapes_passes_unchanged(text: str) -> None:
    assert found(text) == []
    assert redact(text, "ru", PLATFORM).text == text


def test_several_numbers_dictated_in_one_breath_are_each_found() -> None:
    text = "eight nine one six one two three four five six seven, восемь девятьсот шестнадцать сто двадцать три сорок пять шестьдесят семь"
    assert [kind for kind, _ in found(text)] == [PHONE, PHONE]
    assert redact(text, "en").text == "[contact removed], [contact removed]"


def test_a_long_hostile_text_of_these_shapes_costs_linear_time() -> None:
    """Eight times the text costs about eight times the work (a backtracking pattern would cost about 64 times)."""
    find_contacts("warm up восемь 916 tg ivan")
    for unit, repeats in (("один ", 256), ("a ", 512), ("a . ", 256), ("tg ", 512), ("tg 1", 256), ("восемь-", 256), ("i v ", 256)):
        short, long = cpu_seconds(unit * repeats), cpu_seconds(unit * repeats * 8)
        assert long < max(short, 0.002) * 24, (unit, short, long)


def test_the_rules_for_words_and_messenger_names_load_on_a_first_text_not_at_import() -> None:
    code = (
        "import sys\n"
        "import chalicelib.moderation.contacts as c, chalicelib.models.answers\n"
        "assert not {'chalicelib.moderation.mentions', 'chalicelib.moderation.spelled_numbers'} & set(sys.modules)\n"
        "c.find_contacts('tg ivan_petrov')\n"
        "assert {'chalicelib.moderation.mentions', 'chalicelib.moderation.spelled_numbers'} <= set(sys.modules)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)



def test_this_conversations_order_number_in_words_is_not_a_phone_number() -> None:
    text = "заказ восемь девять один шесть один два три четыре пять шесть семь"
    assert find_contacts(text, order_numbers=["89161234567"]) == []
    assert [finding.kind for finding in find_contacts(text)] == [PHONE]


def test_words_are_read_as_the_groups_a_person_dictates() -> None:
    [run] = spelled_runs("восемь девятьсот шестнадцать сто двадцать три сорок пять шестьдесят семь")
    assert [group.digits for group in run.groups] == ["8", "916", "123", "45", "67"]
    [run] = spelled_runs("nine hundred five, double seven, twenty three, one, two")
    assert [group.digits for group in run.groups] == ["905", "77", "23", "1", "2"]
    assert list(spelled_runs("9 990 ₽ и 12 490 ₽")) == []  # digits alone are the phone parser's


# Properties ----------------------------------------------------------------------------------------------------

OBFUSCATED = st.sampled_from(
    [
        "восемь девятьсот шестнадцать сто двадцать три сорок пять шестьдесят семь", "eight nine one six one two three four five six seven",
        "i v a n @ m a i l . r u", "i v a n (at) m a i l (dot) r u", "ivan sobaka mail tochka ru", "tg ivan_petrov",
        "telegram: ivanpetrov", "ватсап 123-45-67", "s h o p . r u",
    ]
)
FILLER = st.sampled_from(
    [
        "Здравствуйте", "hello", "размер сорок два", "цена девятьсот девяносто", "три пары", "заказ 1234567", "доставка 3-5 дней",
        "в телеграм", "on WhatsApp", "👍", "!", ",", "и", "and", "я и ты",
    ]
)


@st.composite
def messages(draw: st.DrawFn) -> tuple[str, bool]:
    parts, any_contact = [], False
    for _ in range(draw(st.integers(1, 5))):
        if draw(st.booleans()):
            parts.append(draw(OBFUSCATED))
            any_contact = True
        else:
            parts.append(draw(FILLER))
    return draw(st.sampled_from([" . ", " | ", " ", ", "])).join(parts), any_contact


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(messages(), st.sampled_from(["ru", "en"]))
def test_redacted_text_never_contains_a_finding_and_only_contacts_change_it(message: tuple[str, bool], language: str) -> None:
    text, any_contact = message
    result = redact(text, language, PLATFORM)
    assert find_contacts(result.text, allowed_link_domain=PLATFORM) == [], (text, result.text)
    assert result.changed == any_contact, text

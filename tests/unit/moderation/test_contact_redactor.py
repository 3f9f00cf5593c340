"""The contact detector and redactor shared by answers (refuse) and conversations (redact)."""

from __future__ import annotations

import subprocess
import sys
import time
from itertools import pairwise

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.moderation.contacts import ContactKind, Finding, find_contacts, normalise, placeholder, redact

EMAIL, PHONE, LINK, MESSENGER = ContactKind.EMAIL, ContactKind.PHONE, ContactKind.LINK, ContactKind.MESSENGER
PLATFORM = "market.example"


def kinds(text: str, **options: object) -> list[ContactKind]:
    return [finding.kind for finding in find_contacts(text, **options)]  # type: ignore[arg-type]


def only(text: str) -> Finding:
    findings = find_contacts(text, allowed_link_domain=PLATFORM)
    assert len(findings) == 1, findings
    return findings[0]


@pytest.mark.parametrize(
    ("text", "kind", "matched"),
    [
        ("Пишите на shop-08@shop.example.com сегодня", EMAIL, "shop-08@shop.example.com"),
        ("Пишите shop @ example.com", EMAIL, "shop @ example.com"),
        ("Пишите shop\uff20example.com", EMAIL, "shop\uff20example.com"),
        ("mail me: ivan (at) mail (dot) ru", EMAIL, "ivan (at) mail (dot) ru"),
        ("mail me: ivan [at] mail.ru", EMAIL, "ivan [at] mail.ru"),
        ("ivan собака mail точка ru", EMAIL, "ivan собака mail точка ru"),
        ("пишите ivan{собака}yandex.ru", EMAIL, "ivan{собака}yandex.ru"),
        ("write ivan at gmail dot com", EMAIL, "ivan at gmail dot com"),
        ("Пишите _ivan@mail.ru_ в любое время", EMAIL, "_ivan@mail.ru"),
        ("e-mail: иван@почта.рф", EMAIL, "иван@почта.рф"),
        ("звоните +7 495 123-45-67", PHONE, "+7 495 123-45-67"),
        ("или 8 (495) 123-45-67 в будни", PHONE, "8 (495) 123-45-67"),
        ("WhatsApp +1 212 555 0100", PHONE, "+1 212 555 0100"),
        ("8 9 1 6 1 2 3 4 5 6 7 звони", PHONE, "8 9 1 6 1 2 3 4 5 6 7"),
        ("тел. 8.916.123.45.67", PHONE, "8.916.123.45.67"),
        ("тел 8🔥916🔥123🔥45🔥67!", PHONE, "8🔥916🔥123🔥45🔥67"),
        ("тел 8_916_123_45_67", PHONE, "8_916_123_45_67"),
        ("тел +7🙂916🙂1234567", PHONE, "+7🙂916🙂1234567"),
        ("Звоните \u2078\u2079\u00b9\u2076\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077", PHONE, "\u2078\u2079\u00b9\u2076\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077"),
        ("see https://evil.example/x?y=1.", LINK, "https://evil.example/x?y=1"),
        ("see http://shop.ru", LINK, "http://shop.ru"),
        ("see www.shop.com, thanks", LINK, "www.shop.com"),
        ("see x.ru/path now", LINK, "x.ru/path"),
        ("наш сайт магазин.рф", LINK, "магазин.рф"),
        ("(see https://en.wikipedia.org/wiki/Foo_(bar))", LINK, "https://en.wikipedia.org/wiki/Foo_(bar)"),
        ("[sizes](https://evil.example/sizes)", LINK, "https://evil.example/sizes"),
        ("Пишите в телеграм t.me/demo_chat_shop", MESSENGER, "t.me/demo_chat_shop"),
        ("https://t.me/shop?start=1", MESSENGER, "https://t.me/shop?start=1"),
        ("WhatsApp: wa.me/74951234567", MESSENGER, "wa.me/74951234567"),
        ("wa.link/demo-chat", MESSENGER, "wa.link/demo-chat"),
        ("Messenger: m.me/demo.chat", MESSENGER, "m.me/demo.chat"),
        ("ig.me/demo.chat", MESSENGER, "ig.me/demo.chat"),
        ("vk.me/demo", MESSENGER, "vk.me/demo"),
        ("tg://resolve?domain=shop", MESSENGER, "tg://resolve?domain=shop"),
        ("viber://chat?number=%2B79161234567", MESSENGER, "viber://chat?number=%2B79161234567"),
        ("whatsapp://send?phone=1", MESSENGER, "whatsapp://send?phone=1"),
        ("пишите @ivan_petrov в телеге", MESSENGER, "@ivan_petrov"),
        ("insta: @shop.moda.", MESSENGER, "@shop.moda"),
    ],
)
def test_each_kind_is_found_where_it_is_written(text: str, kind: ContactKind, matched: str) -> None:
    finding = only(text)
    assert (finding.kind, finding.matched) == (kind, matched)
    assert text[finding.start : finding.end] == matched


@pytest.mark.parametrize(
    "text",
    [
        "Ответим @ 10:00 по Москве",
        "3 pairs @ 4.99 each",
        "2 шт @ 1.5 кг",
        "slots @ 10.30",
        "price @4.99",
        "Размеры 44-46, рост 170-176 см, заказ 1234567, доставка 3-5 дней, с 27.11.2026",
        "Размеры в наличии: 42\U0001fa7744\U0001fa7746\U0001fa7748\U0001fa7750",
        "Размеры в наличии: 42🔥44🔥46🔥48🔥50",
        "цены 9 990 ₽, 12 490 ₽ и 7 990 ₽",
        "27.11.2026 10:30, 28.11.2026 11:45",
        "Mr.Smith said т.е. и т.д. см. file.pdf, г.Москва, v1.2.3",
        "Работаем с AT&T; и R&D; отделом",
        "look at the table at the top",
        "see [sizes](https://market.example/sizes) or https://help.market.example/a",
        "Total: 1 000 000 руб. for 250 pcs.",
        "",
        "   ",
    ],
)
def test_ordinary_text_has_no_contact(text: str) -> None:
    assert find_contacts(text, allowed_link_domain=PLATFORM) == []
    assert redact(text, "ru", PLATFORM).text == text


def test_the_platforms_own_domain_and_its_subdomains_are_not_contacts_but_look_alikes_are() -> None:
    assert kinds("https://market.example/x https://m.market.example/y", allowed_link_domain=PLATFORM) == []
    for text in ("https://market.example.evil.com/x", "https://evilmarket.example/x", "https://market.example@evil.com/x"):
        assert kinds(text, allowed_link_domain=PLATFORM) != [], text
    assert kinds("https://market.example/x") == [LINK]  # no allowed domain: every link


def test_this_conversations_order_numbers_are_not_phone_numbers_other_numbers_are() -> None:
    text = "Заказ 89161234567 и № 7 916 765 43 21 отправлены; звоните 8 903 123-45-67"
    findings = find_contacts(text, order_numbers=["89161234567", "79167654321"])
    assert [finding.matched for finding in findings] == ["8 903 123-45-67"]
    assert [f.kind for f in find_contacts(text)] == [PHONE, PHONE, PHONE]
    assert find_contacts("order ORD-8916123456 is ready", order_numbers=["ORD-8916123456"]) == []


@pytest.mark.parametrize("hidden", ["\u200b", "\u200d", "\ufeff", "\u00ad", "\u034f", "\ufe0f", "\U000e0041", "\u2065", "\u3164", "\u2800"])
def test_an_invisible_character_hides_nothing_and_the_finding_covers_it(hidden: str) -> None:
    for contact, kind in (("shop@mail.ru", EMAIL), ("t.me/shop", MESSENGER), ("89161234567", PHONE), ("www.shop.com", LINK)):
        text = f"Пишите {contact[:2]}{hidden}{contact[2:]} скорее"
        finding = only(text)
        assert finding.kind is kind, (contact, hidden)
        assert finding.matched == f"{contact[:2]}{hidden}{contact[2:]}"
        assert redact(text, "ru").text == "Пишите [контакт скрыт] скорее"


def test_positions_are_in_the_original_text_after_characters_nfkc_widens_or_drops() -> None:
    text = "½\u200b¼ ① then ivan\uff20mail.ru and ﬁ"
    finding = only(text)
    assert text[finding.start : finding.end] == "ivan\uff20mail.ru"
    shown, origin = normalise(text)
    assert len(shown) == len(origin) and origin == sorted(origin)
    assert "\u200b" not in shown and "1⁄2" in shown


def test_a_long_local_part_is_removed_whole_and_letters_glued_on_do_not_hide_an_address() -> None:
    assert redact("Пишите " + "x" * 100 + "@mail.ru", "ru").text == "Пишите [контакт скрыт]"
    assert kinds("Пишите: ivan@mail.ru" + "Я" * 63 + " — ответим") == [EMAIL]
    assert kinds("ivan@gmail.com" + "x" * 61) == [EMAIL]


def test_overlapping_findings_become_one_of_the_most_telling_kind() -> None:
    assert [(f.kind, f.matched) for f in find_contacts("e-mail ivan @mail.ru")] == [(EMAIL, "ivan @mail.ru")]
    assert [(f.kind, f.matched) for f in find_contacts("https://shop.ru/?tel=89161234567 ok")] == [(PHONE, "https://shop.ru/?tel=89161234567")]
    assert kinds("https://www.t.me/shop") == [MESSENGER]


def test_redact_replaces_each_finding_and_names_the_kinds_once_sorted() -> None:
    text = "Звоните 8 916 123-45-67, пишите ivan@mail.ru или t.me/ivan, сайт https://shop.ru, и ещё 8 903 123-45-67"
    result = redact(text, "ru", PLATFORM)
    assert result.text == "Звоните [контакт скрыт], пишите [контакт скрыт] или [контакт скрыт], сайт [контакт скрыт], и ещё [контакт скрыт]"
    assert result.removed == (EMAIL, LINK, MESSENGER, PHONE) and result.changed
    english = redact("call 8 916 123-45-67", "en")
    assert (english.text, english.removed) == ("call [contact removed]", (PHONE,))
    assert redact("nothing here", "en").removed == () and not redact("nothing here", "en").changed


def test_the_placeholder_follows_the_authors_language() -> None:
    assert placeholder("ru") == placeholder("ru-RU") == placeholder("RU") == "[контакт скрыт]"
    assert placeholder("en") == placeholder("de") == "[contact removed]"


def test_redaction_is_idempotent() -> None:
    once = redact("ivan@mail.ru, @ivan_shop, 8 916 123 45 67", "en")
    assert redact(once.text, "en") == type(once)(once.text, ())


def test_phonenumbers_is_imported_on_a_first_digit_not_at_import() -> None:
    code = (
        "import sys\n"
        "import chalicelib.moderation.contacts as c, chalicelib.models.answers\n"
        "assert 'phonenumbers' not in sys.modules\n"
        "c.find_contacts('no digits here, ivan@mail.ru')\n"
        "assert 'phonenumbers' not in sys.modules\n"
        "c.find_contacts('call 8 916 123 45 67')\n"
        "assert 'phonenumbers' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def cpu_seconds(text: str) -> float:
    """The least CPU time of three runs: CPU time, not wall time, so a loaded machine does not change it much."""
    runs = []
    for _ in range(3):
        started = time.process_time()
        find_contacts(text)
        runs.append(time.process_time() - started)
    return min(runs)


def test_a_long_hostile_text_costs_linear_time() -> None:
    """Eight times the text costs about eight times the work (a backtracking pattern would cost about 64 times)."""
    find_contacts("warm up 8 916 123 45 67")
    for unit, repeats in (("a", 1024), ("a.", 512), ("a@", 512), ("1 ", 512), ("@a", 512), ("x (at) ", 146), ("8🔥", 512), ("a-", 512)):
        short, long = cpu_seconds(unit * repeats), cpu_seconds(unit * repeats * 8)
        assert long < max(short, 0.002) * 24, (unit, short, long)


# Properties ----------------------------------------------------------------------------------------------------

CONTACTS = st.sampled_from(
    [
        "ivan@mail.ru", "ivan @ mail.ru", "ivan (at) mail (dot) ru", "8 916 123-45-67", "+7 495 123 45 67", "8🔥916🔥123🔥45🔥67",
        "t.me/shop", "wa.me/79161234567", "@ivan_shop", "https://evil.example/x", "www.shop.com", "shop.ru/catalog",
        "tg://resolve?domain=x", "иван@почта.рф",
    ]
)
HIDING = st.sampled_from(["", "", "\u200b", "\u00ad", "\ufe0f", "\u2800"])
FILLER = st.sampled_from(
    [
        "Здравствуйте", "hello", "размер 44-46", "3 pairs @ 4.99", "Ответим @ 10:00", "доставка 3-5 дней", "с 27.11.2026",
        "цена 9 990 ₽,", "заказ 1234567", "see [sizes](https://market.example/sizes)", "т.е.", "👍", "!", ",", "и", "and",
    ]
)


@st.composite
def messages(draw: st.DrawFn) -> str:
    parts = []
    for _ in range(draw(st.integers(1, 6))):
        if draw(st.booleans()):
            contact = draw(CONTACTS)
            at = draw(st.integers(0, len(contact)))
            parts.append(contact[:at] + draw(HIDING) + contact[at:])
        else:
            parts.append(draw(FILLER))
    return " ".join(parts)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(messages(), st.sampled_from(["ru", "en"]))
def test_redacted_text_never_contains_a_finding(text: str, language: str) -> None:
    result = redact(text, language, PLATFORM)
    assert find_contacts(result.text, allowed_link_domain=PLATFORM) == []
    assert bool(result.removed) == (result.text != text)


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=200))
def test_any_text_redacts_to_text_without_a_finding_and_findings_are_ordered_slices(text: str) -> None:
    findings = find_contacts(text)
    for finding in findings:
        assert text[finding.start : finding.end] == finding.matched
    assert all(a.end <= b.start for a, b in pairwise(findings))
    assert find_contacts(redact(text).text) == []


@st.composite
def ordinary(draw: st.DrawFn) -> str:
    """Text without a contact: words, and numbers as shops write them (separated by words)."""
    phrases = st.one_of(
        st.sampled_from(["Здравствуйте", "thank you", "доставка", "в наличии", "размер", "и", "or", "👍"]),
        st.builds(lambda n, p: f"{n} pairs @ {p}.99", st.integers(1, 99), st.integers(1, 999)),
        st.builds(lambda a: f"размеры {a}-{a + 2}", st.integers(36, 60)),
        st.builds(lambda d, m, y: f"с {d:02}.{m:02}.{y}", st.integers(1, 28), st.integers(1, 12), st.integers(2020, 2030)),
        st.builds(lambda h, m: f"в {h:02}:{m:02}", st.integers(0, 23), st.integers(0, 59)),
        st.builds(lambda n: f"{n} шт.", st.integers(1, 10_000)),
        st.builds(lambda n: f"цена {n} ₽", st.integers(1, 99_999)),
        st.builds(lambda n: f"заказ {n}", st.integers(10**9, 10**11)),
    )
    return " — ".join(draw(st.lists(phrases, min_size=1, max_size=6)))


@settings(max_examples=200, deadline=None)
@given(ordinary(), st.sampled_from(["ru", "en"]))
def test_text_with_no_contact_passes_unchanged(text: str, language: str) -> None:
    orders = [word for word in text.split() if word.isdigit() and len(word) >= 10]  # the conversation's own orders
    assert redact(text, language, PLATFORM, orders) == type(redact("", language))(text, ())

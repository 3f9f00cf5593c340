"""Only the author's new text of a mail reply is carried: the quoted history below it (a trailing ">" block and its
attribution, in the forms of Gmail, Apple Mail, Thunderbird, Outlook, Yandex and Mail.ru, English and Russian) is cut
before it is stored, redacted and counted against the 4,000 characters; a reply of quotes alone is refused with why.
Ordinary text that looks a little like a quote stays."""

from __future__ import annotations

import pytest

from chalicelib.relay.addresses import RelayMapping, Side
from chalicelib.relay.inbound import parse_inbound
from chalicelib.relay.quoted import strip_quoted
from chalicelib.relay.receive import Received, receive
from chalicelib.relay.refusals import Refusal

RELAY = "relay.market.example"
MASK = "a" * 24
PARTY = "ivan@mail.example"
QUOTE = "> It ships today\n> Call us: +7 495 123-45-67\n"


@pytest.mark.parametrize(
    "attribution",
    [
        "On Mon, 7 Dec 2026 at 09:00, demo-chat <cvog@relay.marketplace.test> wrote:",  # Gmail
        "On 7 Dec 2026, at 09:00, demo-chat <cvog@relay.marketplace.test> wrote:",  # Apple Mail
        "On Mon, 7 Dec 2026 at 09:00, demo-chat <\ncvog@relay.marketplace.test> wrote:",  # Gmail, folded
        "пн, 7 дек. 2026 г. в 09:00, demo-chat <cvog@relay.marketplace.test>:",  # Gmail in Russian
        "7 дек. 2026 г., в 09:00, demo-chat <cvog@relay.marketplace.test> написал(а):",  # Apple Mail in Russian
        "07.12.2026 09:00, demo-chat пишет:",  # Thunderbird in Russian
        '07.12.2026, 09:00, "demo-chat" <cvog@relay.marketplace.test>:',  # Yandex
        "Понедельник, 7 декабря 2026, 9:00 +03:00 от demo-chat <cvog@relay.marketplace.test>:",  # Mail.ru
    ],
)
def test_a_trailing_quote_and_its_attribution_are_cut(attribution: str) -> None:
    for gap in ("\n", "\n\n"):
        assert strip_quoted(f"Thanks, got it!\n\n{attribution}{gap}{QUOTE}") == ("Thanks, got it!", True)


@pytest.mark.parametrize(
    "history",
    [
        "-----Original Message-----\nFrom: demo-chat\nSent: Monday\n\nIt ships today",
        "----- Исходное сообщение -----\nОт: demo-chat\nОтправлено: понедельник\n\nОтправим сегодня",
        "________________________________\nFrom: demo-chat <cvog@relay.marketplace.test>\nSent: Monday, December 7, 2026 9:00 AM\n"
        "To: buyer\nSubject: Order 123\n\nIt ships today",  # Outlook
        "От: demo-chat <cvog@relay.marketplace.test>\nОтправлено: 7 декабря 2026 г. 9:00\nКому: buyer\nТема: Заказ\n\nОтправим",
    ],
)
def test_history_after_a_separator_or_outlooks_header_block_is_cut(history: str) -> None:
    assert strip_quoted(f"Fine, thank you\n\n{history}\n") == ("Fine, thank you", True)


@pytest.mark.parametrize(
    "text",
    [
        "> Is it blue?\nYes, it is.\n> And the size?\n42.",  # answered line by line: the author's message
        "Sizes: 42, 43\nPrice > 100 is fine",
        "Delivery:\nFrom: Moscow\nDate: tomorrow",  # one label or two are text, not Outlook's header block
        "Order 123 arrived.\nOn Monday I wrote: the box was torn.",
    ],
)
def test_text_that_only_looks_like_a_quote_stays_whole(text: str) -> None:
    assert strip_quoted(text) == (text, False)


def test_the_authors_text_above_a_folded_attribution_stays() -> None:
    text = f"Order 123 arrived\nOn Mon, 7 Dec 2026 at 09:00, demo-chat\n<cvog@relay.marketplace.test> wrote:\n{QUOTE}"
    assert strip_quoted(text) == ("Order 123 arrived", True)


class Lookup:
    def relay_mapping(self, local_part: str) -> RelayMapping | None:
        return RelayMapping("c-1", Side.SELLER, PARTY) if local_part == MASK else None


def mail(body: str, subject: str = "Re: Order 123") -> bytes:
    lines = [f"From: {PARTY}", f"Subject: {subject}", "Content-Type: text/plain; charset=utf-8", "", body]
    return "\r\n".join(lines).encode()


def placed(body: str) -> Received | Refusal:
    return receive(mail(body), [f"{MASK}@{RELAY}"], RELAY, Lookup(), mail_from=PARTY)


def test_the_mail_carries_only_the_new_text() -> None:
    parsed = parse_inbound(mail(f"Thanks, got it!\n\nOn Mon, 7 Dec 2026 at 09:00, demo-chat <x@{RELAY}> wrote:\n{QUOTE}"))
    assert parsed.text == "Thanks, got it!" and parsed.quoted


def test_only_the_new_text_counts_against_the_limit() -> None:
    result = placed("ok\n\nOn Mon, 7 Dec 2026 at 09:00, demo-chat wrote:\n" + "> earlier words\n" * 400)
    assert isinstance(result, Received) and result.mail.text == "ok"


def test_a_reply_of_quotes_alone_is_refused_with_why_never_stored_empty() -> None:
    for body in (f"On Mon, 7 Dec 2026 at 09:00, demo-chat wrote:\n{QUOTE}", QUOTE, "\n\n-----Original Message-----\nFrom: x\n"):
        assert placed(body) is Refusal.ONLY_QUOTED
    assert Refusal.ONLY_QUOTED.permanent and Refusal.ONLY_QUOTED.smtp_reply.startswith("550 5.6.0 ")
    assert "no new text" in Refusal.ONLY_QUOTED.text


def test_an_empty_body_without_a_quote_is_not_refused_as_quoted() -> None:
    assert isinstance(placed(""), Received)


def test_an_html_only_replys_blockquote_is_cut_with_its_attribution() -> None:
    html = (
        '<div dir="ltr">Thanks, got it!</div><div class="gmail_quote"><div class="gmail_attr">On Mon, 7 Dec 2026 at 09:00, '
        "demo-chat &lt;cvog@relay.marketplace.test&gt; wrote:<br></div><blockquote>It ships today<br>Call us: +7 495 123-45-67"
        "<blockquote>older</blockquote></blockquote></div>"
    )
    lines = [f"From: {PARTY}", "Subject: Re", "Content-Type: text/html; charset=utf-8", "", html]
    parsed = parse_inbound("\r\n".join(lines).encode())
    assert parsed.text == "Thanks, got it!" and parsed.quoted

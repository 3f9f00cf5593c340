"""The e-mail relay's pure core: reading inbound mail, building the mail sent on, relay addresses and refusals."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email import policy
from email.header import decode_header, make_header
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.moderation.contacts import ContactKind, find_contacts
from chalicelib.relay.addresses import (
    LOCAL_PART,
    RelayMapping,
    RelayRoute,
    RelayStoreUnavailable,
    Side,
    new_local_part,
    new_relay_address,
    relay_local_part,
    route,
)
from chalicelib.relay.html_text import html_to_text
from chalicelib.relay.inbound import MailVerdicts, attachment_note, parse_inbound, verdicts_from_receipt
from chalicelib.relay.outbound import build_outgoing, display_name, own_message_ids
from chalicelib.relay.receive import Received, receive
from chalicelib.relay.refusals import Refusal, RelayVerdict

RELAY = "relay.market.example"
NOW = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
SELLER_MASK = "a" * 24  # relay_address: stands for the seller, the buyer writes to it
BUYER_MASK = "b" * 24  # stands for the buyer, the seller writes to it


def raw_mail(*headers: str, body: str = "Hello", content_type: str = "text/plain; charset=utf-8") -> bytes:
    lines = [*headers, f"Content-Type: {content_type}", "MIME-Version: 1.0", "", body]
    return "\r\n".join(lines).encode()


def multipart(html: str | None, plain: str | None, attachments: int = 0) -> bytes:
    message = EmailMessage()
    message["From"] = "Ivan Petrov <ivan@mail.example>"
    message["To"] = f"{SELLER_MASK}@{RELAY}"
    message["Subject"] = "Вопрос по заказу"
    if plain is not None:
        message.set_content(plain)
    if html is not None:
        if plain is None:
            message.set_content(html, subtype="html")
        else:
            message.add_alternative(html, subtype="html")
    for number in range(attachments):
        message.add_attachment(b"%PDF-1.4 ...", maintype="application", subtype="pdf", filename=f"invoice-{number}.pdf")
    return message.as_bytes()


# Inbound -------------------------------------------------------------------------------------------------------


def test_a_plain_mail_is_read_into_sender_recipients_subject_and_text() -> None:
    mail = parse_inbound(
        raw_mail(
            "Received: from mx.mail.example (ivan@mail.example) by inbound",
            "From: =?utf-8?b?0JjQstCw0L0=?= <Ivan@Mail.Example>",
            f"To: Shop <{SELLER_MASK}@{RELAY}>",
            "Cc: friend@other.example",
            "Subject: =?utf-8?q?=D0=92=D0=BE=D0=BF=D1=80=D0=BE=D1=81?=",
            "Message-ID: <CAx123@mail.example>",
            "In-Reply-To: <0123456789abcdef0123@relay.market.example>",
            "References: <x@mail.example> <0123456789abcdef0123@relay.market.example>",
            body="Добрый день!\r\nГде мой заказ?\r\n",
        )
    )
    assert mail.sender == "Ivan@mail.example"  # the domain lowercased, the local part as written
    assert mail.recipients == (f"{SELLER_MASK}@{RELAY}", "friend@other.example")
    assert mail.subject == "Вопрос"
    assert mail.text == "Добрый день!\nГде мой заказ?"
    assert (mail.attachments, mail.automatic) == (0, False)
    assert mail.message_id == "CAx123@mail.example"
    assert mail.in_reply_to == ("0123456789abcdef0123@relay.market.example",)
    assert mail.references == ("x@mail.example", "0123456789abcdef0123@relay.market.example")


@pytest.mark.parametrize(
    ("encoding", "payload"),
    [
        ("quoted-printable", "=D0=9F=D1=80=D0=B8=D0=B2=D0=B5=D1=82, =\r\n=D0=BC=D0=B8=D1=80"),
        ("base64", "0J/RgNC40LLQtdGCLCDQvNC40YA="),
    ],
)
def test_transfer_encodings_are_decoded(encoding: str, payload: str) -> None:
    raw = raw_mail("From: a@mail.example", f"Content-Transfer-Encoding: {encoding}", body=payload)
    assert parse_inbound(raw).text == "Привет, мир"


def test_a_charset_other_than_utf8_is_decoded_and_an_unknown_one_does_not_fail() -> None:
    body = "Привет".encode("koi8-r")
    raw = b"From: a@mail.example\r\nContent-Type: text/plain; charset=koi8-r\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + body
    assert parse_inbound(raw).text == "Привет"
    unknown = b"From: a@mail.example\r\nContent-Type: text/plain; charset=x-unknown-42\r\n\r\nhello"
    assert parse_inbound(unknown).text == "hello"


def test_the_plain_part_is_carried_else_the_html_turned_into_text() -> None:
    both = parse_inbound(multipart("<p>HTML <b>version</b></p>", "Plain version"))
    assert both.text == "Plain version"
    html_only = parse_inbound(multipart("<html><head><style>p{color:red}</style></head><body><p>Only&nbsp;HTML</p><script>x()</script></body></html>", None))
    assert html_only.text == "Only HTML"


def test_attachments_are_dropped_and_counted_and_the_note_speaks_the_authors_language() -> None:
    mail = parse_inbound(multipart("<p>see files</p>", "see files", attachments=2))
    assert (mail.text, mail.attachments) == ("see files", 2)
    assert mail.carried_text("en") == "see files\n\n[2 attachments removed]"
    assert mail.carried_text("ru") == "see files\n\n[вложений удалено: 2]"
    assert attachment_note(1, "en") == "[1 attachment removed]" and attachment_note(0, "ru") == ""
    no_text = EmailMessage()
    no_text["From"] = "a@mail.example"
    no_text.set_content(b"\x89PNG", maintype="image", subtype="png", disposition="attachment", filename="photo.png")
    only_file = parse_inbound(no_text.as_bytes())
    assert (only_file.text, only_file.attachments, only_file.carried_text("en")) == ("", 1, "[1 attachment removed]")


def test_a_forwarded_mail_is_one_attachment_and_its_text_is_not_carried() -> None:
    inner = EmailMessage()
    inner["From"] = "someone@else.example"
    inner.set_content("inner secret text")
    outer = EmailMessage()
    outer["From"] = "a@mail.example"
    outer.set_content("see below")
    outer.add_attachment(inner)
    mail = parse_inbound(outer.as_bytes())
    assert (mail.text, mail.attachments) == ("see below", 1)


@pytest.mark.parametrize(
    "headers",
    [
        ("From: a@mail.example, b@mail.example",),
        ("From: not an address",),
        (),
        ("From: <>",),
        ("From: =?utf-8?q?broken <a@@b>",),
    ],
)
def test_a_mail_without_exactly_one_from_address_has_no_sender_and_does_not_fail(headers: tuple[str, ...]) -> None:
    assert parse_inbound(raw_mail(*headers)).sender is None


def test_garbage_is_read_without_raising() -> None:
    for raw in (b"", b"\x00\xff\xfe", b"Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n", b"Subject: \xff\xfe\r\n\r\nbody"):
        parse_inbound(raw)


def test_auto_replies_bounces_and_list_mail_are_marked_automatic() -> None:
    assert parse_inbound(raw_mail("From: a@mail.example", "Auto-Submitted: auto-replied")).automatic
    assert parse_inbound(raw_mail("From: a@mail.example", "Precedence: bulk")).automatic
    assert parse_inbound(raw_mail("From: a@mail.example", "Auto-Submitted: no")).automatic is False


SES_TRACE = (
    "Return-Path: <ivan@mail.example>",
    "Received: from mx.mail.example by inbound-smtp.eu-west-1.amazonaws.com with SMTP id abc for x@relay;",
    "X-SES-Spam-Verdict: PASS",
    "X-SES-Virus-Verdict: PASS",
    "Received-SPF: pass (spfCheck: domain of mail.example designates 192.0.2.1 as permitted sender) client-ip=192.0.2.1;",
    "Authentication-Results: amazonses.com;\r\n spf=pass (spfCheck: domain of mail.example designates 192.0.2.1 as permitted sender) client-ip=192.0.2.1;\r\n dkim=pass header.i=@mail.example;\r\n dmarc=pass header.from=mail.example;",
    "X-SES-RECEIPT: AEFBQUFB",
)


def test_ses_verdicts_are_read_from_its_own_headers_only() -> None:
    mail = parse_inbound(raw_mail(*SES_TRACE, "From: ivan@mail.example"))
    assert mail.verdicts == MailVerdicts(spam="pass", virus="pass", spf="pass", dkim="pass", dmarc="pass")
    assert not mail.verdicts.failed

    failing = [line.replace("dmarc=pass", "dmarc=fail").replace("X-SES-Spam-Verdict: PASS", "X-SES-Spam-Verdict: FAIL") for line in SES_TRACE]
    forged = "Authentication-Results: amazonses.com; spf=pass; dkim=pass; dmarc=pass"
    mail = parse_inbound(raw_mail(*failing, forged, "X-SES-Spam-Verdict: PASS", "From: ivan@mail.example"))
    assert (mail.verdicts.dmarc, mail.verdicts.spam) == ("fail", "fail")
    assert mail.verdicts.failures() == ("spam", "dmarc")

    # A sender's own copy below the first ordinary header is never read; another server's authserv-id neither.
    assert parse_inbound(raw_mail("From: ivan@mail.example", forged, "X-SES-Spam-Verdict: PASS")).verdicts == MailVerdicts()
    assert parse_inbound(raw_mail("Authentication-Results: mx.evil.example; dmarc=pass", "From: a@b.example")).verdicts == MailVerdicts()


def test_verdicts_from_an_ses_receipt_and_what_counts_as_failed() -> None:
    receipt = {
        "spamVerdict": {"status": "PASS"}, "virusVerdict": {"status": "PASS"}, "spfVerdict": {"status": "FAIL"},
        "dkimVerdict": {"status": "FAIL"}, "dmarcVerdict": {"status": "GRAY"}, "dmarcPolicy": "none",
    }
    verdicts = verdicts_from_receipt(receipt)
    assert verdicts == MailVerdicts(spam="pass", virus="pass", spf="fail", dkim="fail", dmarc="gray")
    assert verdicts.failures() == ("spf_dkim",)
    assert not MailVerdicts(spf="fail", dkim="pass", dmarc="pass").failed  # a forwarder breaks SPF alone
    assert MailVerdicts(virus="fail").failures() == ("virus",)
    assert verdicts_from_receipt({"spfVerdict": "PASS"}) == MailVerdicts()


# HTML to text --------------------------------------------------------------------------------------------------


def test_html_becomes_readable_text() -> None:
    html = (
        "<html><head><title>t</title></head><body><h1>Title</h1><p>Hello&nbsp;<b>there</b> &amp; welcome,</p>"
        "<div>line<br>two</div><ul><li>one</li><li>two</li></ul><table><tr><td>a</td><td>b</td></tr></table>"
        '<p><a href="https://shop.example/x">our shop</a> <a href="mailto:ivan@mail.example">mail</a> <a href="#top">top</a></p>'
        '<img src="cid:logo" alt="Logo"><!-- a comment --></body></html>'
    )
    assert html_to_text(html) == (
        "Title\n\nHello there & welcome,\n\nline\ntwo\n\n- one\n- two\n\na b\n\n"
        "our shop (https://shop.example/x) mail (ivan@mail.example) top\n[Logo]"
    )


def test_a_link_target_hidden_in_html_reaches_the_redactor() -> None:
    text = html_to_text('<a href="https://t.me/ivan_shop">write to us</a>')
    assert [finding.kind for finding in find_contacts(text)] == [ContactKind.MESSENGER]


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=300))
def test_any_html_is_turned_into_text_without_raising(html: str) -> None:
    html_to_text(html)


# Outbound ------------------------------------------------------------------------------------------------------


def outgoing(**changes: object) -> EmailMessage:
    arguments: dict[str, object] = {
        "from_address": f"{BUYER_MASK}@{RELAY}",
        "name": display_name(Side.BUYER, buyer_alias="Покупатель 4812", shop_name="Shop", platform_name="Маркет", language="ru"),
        "to": "seller@shop.example",
        "subject": "Вопрос: звоните 8 916 123-45-67",
        "text": "Мой телефон 8 916 123-45-67, почта ivan@mail.example",
        "relay_domain": RELAY,
        "now": NOW,
        "language": "ru",
        "in_reply_to": ["0123456789abcdef0123@relay.market.example"],
        "references": ["CAx+ivan@mail.example", "0123456789abcdef0123@relay.market.example", "zz@relay.market.example"],
        "message_token": "f" * 32,
        **changes,
    }
    mail = build_outgoing(**arguments)  # type: ignore[arg-type]
    return BytesParser(policy=policy.default).parsebytes(mail.as_bytes())  # type: ignore[return-value]


def test_the_mail_sent_on_comes_from_the_relay_under_a_name_that_is_no_persons() -> None:
    message = outgoing()
    assert message["From"].addresses[0].addr_spec == f"{BUYER_MASK}@{RELAY}"
    # As a mail client reads it: decode_header joins encoded words as RFC 2047 says (policy.default's address parser
    # puts a space between two, so it would read "Марк ет").
    raw_from = BytesParser(policy=policy.compat32).parsebytes(message.as_bytes())["From"]
    assert str(make_header(decode_header(raw_from))) == f"Покупатель 4812 через Маркет <{BUYER_MASK}@{RELAY}>"
    assert message["Reply-To"].addresses[0].addr_spec == f"{BUYER_MASK}@{RELAY}"
    assert message["To"].addresses[0].addr_spec == "seller@shop.example"
    assert message["Message-ID"] == f"<{'f' * 32}@{RELAY}>"
    assert message["Date"] == "Tue, 01 Dec 2026 09:30:00 +0000"
    assert message["In-Reply-To"] == "<0123456789abcdef0123@relay.market.example>"
    assert message["References"] == "<0123456789abcdef0123@relay.market.example>"  # not the sender's, nor a malformed own


def test_the_subject_name_and_text_are_redacted_and_the_kinds_reported() -> None:
    mail = build_outgoing(
        from_address=f"{SELLER_MASK}@{RELAY}", name="Shop ivan@mail.example", to="buyer@mail.example", subject="Re: call 8 916 123-45-67",
        text="Write to t.me/shop or see https://market.example/p/1", relay_domain=RELAY, now=NOW, language="en",
        allowed_link_domain="market.example",
    )
    message = BytesParser(policy=policy.default).parsebytes(mail.as_bytes())
    assert message["Subject"] == "Re: call [contact removed]"
    assert message["From"].addresses[0].display_name == "Shop contact removed"
    assert message.get_content().strip() == "Write to [contact removed] or see https://market.example/p/1"  # type: ignore[attr-defined]
    assert mail.removed == (ContactKind.EMAIL, ContactKind.MESSENGER, ContactKind.PHONE)


def test_no_header_carries_a_real_address_and_nothing_of_the_inbound_mail_passes() -> None:
    raw = build_outgoing(
        from_address=f"{BUYER_MASK}@{RELAY}", name="Buyer 1 via Market", to="seller@shop.example", subject="Hi",
        text="Hello", relay_domain=RELAY, now=NOW, language="en", in_reply_to=["x+ivan@mail.example"],
        references=["ivan@mail.example"],
    ).as_bytes()
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert set(message.keys()) <= {"From", "To", "Reply-To", "Subject", "Date", "Message-ID", "In-Reply-To", "References", "MIME-Version", "Content-Type", "Content-Transfer-Encoding"}
    assert "Received" not in message
    for name, value in message.items():
        addresses = [address for _, address in getaddresses([str(value)])] if name != "To" else []
        assert all(address.endswith(RELAY) or "@" not in address for address in addresses), (name, value)
    assert b"ivan" not in raw


def test_the_mail_sent_on_is_seven_bit_clean_and_decodes_to_the_text() -> None:
    raw = build_outgoing(
        from_address=f"{BUYER_MASK}@{RELAY}", name="Покупатель через Маркет", to="seller@shop.example", subject="Привет",
        text="Добрый день\nвторая строка", relay_domain=RELAY, now=NOW, language="ru",
    ).as_bytes()
    assert raw.isascii()
    assert parse_inbound(raw).text == "Добрый день\nвторая строка"
    assert parse_inbound(raw).subject == "Привет"


def test_a_sender_off_the_relay_domain_or_a_naive_clock_is_refused() -> None:
    with pytest.raises(ValueError, match="relay address"):
        build_outgoing(from_address="ivan@mail.example", name="x", to="s@shop.example", subject="", text="", relay_domain=RELAY, now=NOW, language="en")
    with pytest.raises(ValueError, match="timezone"):
        build_outgoing(from_address=f"{BUYER_MASK}@{RELAY}", name="x", to="s@shop.example", subject="", text="", relay_domain=RELAY, now=datetime(2026, 1, 1), language="en")


def test_a_line_break_in_a_subject_or_name_cannot_add_a_header() -> None:
    raw = build_outgoing(
        from_address=f"{BUYER_MASK}@{RELAY}", name="Shop\r\nBcc: x@evil.example", to="s@shop.example",
        subject="Hi\r\nBcc: victim@evil.example", text="t", relay_domain=RELAY, now=NOW, language="en",
    ).as_bytes()
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert "Bcc" not in message and b"evil.example" not in raw


def test_the_display_name_of_each_side() -> None:
    assert display_name(Side.BUYER, buyer_alias="Buyer 7", shop_name="Shop", platform_name="Market", language="en") == "Buyer 7 via Market"
    assert display_name(Side.SELLER, buyer_alias="Buyer 7", shop_name="Обувь у дома", platform_name="Market", language="ru") == "Обувь у дома"


def test_only_the_relays_own_message_ids_are_kept() -> None:
    ids = ["0123456789abcdef@RELAY.market.example", "ivan@mail.example", "short@relay.market.example", "<0123456789abcdef0000@relay.market.example>"]
    assert own_message_ids(ids, RELAY) == ["0123456789abcdef@relay.market.example", "0123456789abcdef0000@relay.market.example"]


# Addresses and routing -----------------------------------------------------------------------------------------


def test_relay_addresses_are_unguessable_lowercase_base32_on_the_relay_domain() -> None:
    local_parts = {new_local_part() for _ in range(200)}
    assert len(local_parts) == 200
    assert all(LOCAL_PART.match(part) for part in local_parts)
    assert len(next(iter(local_parts))) * 5 >= 80  # base32: 5 bits a character
    assert new_relay_address("Relay.Market.Example", lambda size: bytes(size)) == "a" * 24 + "@relay.market.example"


def test_a_relay_address_is_read_case_insensitively_and_anything_else_is_not_one() -> None:
    assert relay_local_part(f"{'A' * 24}@RELAY.market.example", RELAY) == "a" * 24
    assert relay_local_part(f"<{'a' * 24}+tag@{RELAY}>", RELAY) == "a" * 24
    for address in (f"{'a' * 24}@other.example", f"{'a' * 23}@{RELAY}", f"{'a' * 23}1@{RELAY}", "postmaster@" + RELAY, RELAY, ""):
        assert relay_local_part(address, RELAY) is None, address


class FakeLookup:
    def __init__(self, mappings: dict[str, RelayMapping], down: bool = False) -> None:
        self.mappings, self.down, self.asked = mappings, down, list[str]()

    def relay_mapping(self, local_part: str) -> RelayMapping | None:
        self.asked.append(local_part)
        if self.down:
            raise RelayStoreUnavailable
        return self.mappings.get(local_part)


LOOKUP = FakeLookup(
    {
        SELLER_MASK: RelayMapping("c-1", Side.SELLER, "ivan@mail.example"),
        BUYER_MASK: RelayMapping("c-1", Side.BUYER, "orders@shop.example"),
        "c" * 24: RelayMapping("c-2", Side.SELLER, "ivan@mail.example", closed=True),
    }
)


def test_route_tells_the_conversation_and_the_sides() -> None:
    assert route(f"{SELLER_MASK}@{RELAY}", "Ivan@mail.example", RELAY, LOOKUP) == RelayRoute("c-1", Side.BUYER, Side.SELLER, SELLER_MASK)
    assert route(f"{BUYER_MASK}@{RELAY}", "orders@shop.example", RELAY, LOOKUP) == RelayRoute("c-1", Side.SELLER, Side.BUYER, BUYER_MASK)


def test_route_refuses_with_the_reason() -> None:
    assert route(f"{'d' * 24}@{RELAY}", "ivan@mail.example", RELAY, LOOKUP) is Refusal.UNKNOWN_ADDRESS
    assert route("ivan@mail.example", "ivan@mail.example", RELAY, LOOKUP) is Refusal.UNKNOWN_ADDRESS
    assert route(f"{SELLER_MASK}@{RELAY}", "stranger@mail.example", RELAY, LOOKUP) is Refusal.NOT_THE_PARTY
    assert route(f"{SELLER_MASK}@{RELAY}", None, RELAY, LOOKUP) is Refusal.NOT_THE_PARTY
    assert route(f"{SELLER_MASK}@{RELAY}", "orders@shop.example", RELAY, LOOKUP) is Refusal.NOT_THE_PARTY  # the seller to its own mask
    assert route(f"{'c' * 24}@{RELAY}", "stranger@mail.example", RELAY, LOOKUP) is Refusal.NOT_THE_PARTY  # a stranger learns nothing
    assert route(f"{'c' * 24}@{RELAY}", "ivan@mail.example", RELAY, LOOKUP) is Refusal.CONVERSATION_CLOSED
    assert route(f"{SELLER_MASK}@{RELAY}", "ivan@mail.example", RELAY, FakeLookup({}, down=True)) is Refusal.TEMPORARILY_UNAVAILABLE


def test_a_malformed_address_is_refused_without_asking_the_store() -> None:
    lookup = FakeLookup({})
    assert route("postmaster@" + RELAY, "ivan@mail.example", RELAY, lookup) is Refusal.UNKNOWN_ADDRESS
    assert lookup.asked == []


# Refusals ------------------------------------------------------------------------------------------------------


def test_each_refusal_has_its_smtp_code_an_enhanced_status_and_no_address() -> None:
    codes = {refusal: refusal.smtp_code for refusal in Refusal}
    assert codes == {
        Refusal.UNKNOWN_ADDRESS: 550, Refusal.NOT_THE_PARTY: 550, Refusal.CONVERSATION_CLOSED: 550, Refusal.SELLER_RESTRICTED: 550,
        Refusal.UNAUTHENTICATED: 550, Refusal.ONLY_QUOTED: 550, Refusal.TOO_LONG: 552, Refusal.TEMPORARILY_UNAVAILABLE: 451,
    }
    for refusal in Refusal:
        assert re.fullmatch(rf"{refusal.smtp_code} {str(refusal.smtp_code)[0]}\.\d\.\d+ [^@\r\n]+", refusal.smtp_reply)
        assert refusal.permanent is (refusal.smtp_code >= 500)
    assert Refusal.NOT_THE_PARTY.text.startswith("5.7.1 ")


def test_a_verdict_is_a_reply() -> None:
    assert RelayVerdict.accepted().smtp_reply == "250 OK" and RelayVerdict.accepted().ok
    refused = RelayVerdict.refused(Refusal.CONVERSATION_CLOSED)
    assert not refused.ok and refused.smtp_reply.startswith("550 5.7.1 This conversation is closed")


# Receive: parse, check and route in one ----------------------------------------------------------------------


def test_receive_places_a_mail_from_the_party_by_its_envelope_recipient() -> None:
    raw = raw_mail("From: Ivan <ivan@mail.example>", f"To: {SELLER_MASK}@{RELAY}", "Subject: Q", body="Где заказ?")
    received = receive(raw, ["other@elsewhere.example", f"{SELLER_MASK}@{RELAY}"], RELAY, LOOKUP, mail_from="ivan@mail.example")
    assert isinstance(received, Received)
    assert received.route == RelayRoute("c-1", Side.BUYER, Side.SELLER, SELLER_MASK)
    assert (received.mail.subject, received.mail.text) == ("Q", "Где заказ?")


def test_receive_refuses_a_stranger_a_closed_conversation_no_relay_recipient_and_failed_verdicts() -> None:
    stranger = raw_mail("From: eve@mail.example", body="hi")
    assert receive(stranger, [f"{SELLER_MASK}@{RELAY}"], RELAY, LOOKUP, mail_from="eve@mail.example") is Refusal.NOT_THE_PARTY
    ivan = raw_mail("From: ivan@mail.example", body="hi")
    envelope = "ivan@mail.example"
    assert receive(ivan, [f"{'c' * 24}@{RELAY}"], RELAY, LOOKUP, mail_from=envelope) is Refusal.CONVERSATION_CLOSED
    assert receive(ivan, ["ivan@mail.example"], RELAY, LOOKUP, mail_from=envelope) is Refusal.UNKNOWN_ADDRESS
    assert receive(ivan, [f"{SELLER_MASK}@{RELAY}"], RELAY, LOOKUP, MailVerdicts(dmarc="fail"), mail_from=envelope) is Refusal.UNAUTHENTICATED
    spam = raw_mail(*[line.replace("X-SES-Spam-Verdict: PASS", "X-SES-Spam-Verdict: FAIL") for line in SES_TRACE], "From: ivan@mail.example")
    assert receive(spam, [f"{SELLER_MASK}@{RELAY}"], RELAY, LOOKUP, mail_from=envelope) is Refusal.UNAUTHENTICATED
    assert receive(ivan, [f"{SELLER_MASK}@{RELAY}"], RELAY, FakeLookup({}, down=True), mail_from=envelope) is Refusal.TEMPORARILY_UNAVAILABLE

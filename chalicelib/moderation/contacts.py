"""Finds direct contacts (e-mail addresses, phone numbers, links, messengers) in text, and redacts them.

One detector for two uses: a seller's answer is refused on a finding, a conversation's message is redacted and
still delivered. Pure: no I/O, no clock. `phonenumbers` (~25 ms to import) and the rules for dictated numbers and
messenger names (mentions.py, spelled_numbers.py: ~6 ms) are imported on the first call only.

Detection runs on a normalised copy of the text (what hides a contact dropped, the rest read through NFKC) and
every finding's `start`/`end` index the ORIGINAL text, through a map kept while normalising. Addresses, links and
handles are looked for a second time with letter-spaced runs closed up ("i v a n @ m a i l . r u"); phone numbers
are read in words too (spelled_numbers.py), and a messenger's name followed by an account is one (mentions.py).

No library was taken for the obfuscations: the PII scrubbers on PyPI (scrubadub and the like) read English only, know
no dictated Russian numbers, and would add their import to every Lambda that loads the models; these rules are a
few dozen lines, linear in the text, and tested with the ordinary text that must pass (prices, sizes, dates, orders).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Final


class ContactKind(StrEnum):
    EMAIL = "email"
    PHONE = "phone"
    LINK = "link"
    MESSENGER = "messenger"


@dataclass(frozen=True)
class Finding:
    """One contact: its kind, where it is in the original text (`text[start:end] == matched`), and that text."""

    kind: ContactKind
    start: int
    end: int
    matched: str


@dataclass(frozen=True)
class Redaction:
    text: str
    removed: tuple[ContactKind, ...]  # the kinds removed, each once, sorted by value

    @property
    def changed(self) -> bool:
        return bool(self.removed)


PLACEHOLDERS: Final = {"ru": "[контакт скрыт]", "en": "[contact removed]"}

# What a contact is hidden with, dropped before looking: every character that shows nothing or only changes the one
# before it (Unicode categories Cf: format, Mn/Me: combining marks; zero-width spaces and joiners, variation
# selectors, tag characters, the soft hyphen, the BOM) and what is drawn blank (Hangul fillers, the braille blank,
# the invisible-operator and tag blocks). The rest is read through NFKC (the full-width at sign U+FF20, superscript
# or circled digits become "@" and digits). Of the code points this runtime's Unicode does not know (Cn), only the
# ranges kept for invisible characters: the newest emoji are Cn here too, and "42🩷44🩷46" must not join into one number.
INVISIBLE_CATEGORIES: Final = frozenset({"Cf", "Mn", "Me"})
BLANK: Final = re.compile("[\u115f\u1160\u2065\u2800\u3164\uffa0\ufff0-\ufff8\U000e0000-\U000e0fff]")

# E-mail addresses. The quantifiers that can backtrack are bounded (RFC 5321: 64 before the "@", 63 a label) so a
# long run of letters costs linear time; not the last label's: it runs to the first non-letter, so letters glued on
# cannot hide an address. The domain ends in a name of letters (or an IDN's xn--): "3 pairs @ 4.99" is a price.
_LOCAL = r"[\w.%+-]{1,64}"
_LABEL = r"[\w-]{1,63}"
_TLD = r"(?:[^\W\d_]{2,}|xn--[\w-]+)(?![^\W\d_])"
_OPEN, _CLOSE = r"[(\[{<]", r"[)\]}>]"
# "@" with or without spaces; "(at)", "[at]", "{собака}"; "собака"/"собачка" between spaces.
_AT = rf"(?:\s{{0,3}}@\s{{0,3}}|\s{{0,3}}{_OPEN}\s{{0,3}}(?:at|собака|собачка|sobaka)\s{{0,3}}{_CLOSE}\s{{0,3}}|\s{{1,3}}(?:собака|собачка|sobaka)\s{{1,3}})"
_WORD_DOT = rf"(?:\s{{0,3}}{_OPEN}\s{{0,3}}(?:dot|точка|tochka)\s{{0,3}}{_CLOSE}\s{{0,3}}|\s{{1,3}}(?:dot|точка|tochka)\s{{1,3}})"
_DOT = rf"(?:\.|{_WORD_DOT})"
_EMAIL: Final = re.compile(rf"{_LOCAL}{_AT}{_LABEL}(?:{_DOT}{_LABEL}){{0,8}}{_DOT}{_TLD}", re.IGNORECASE)
# A plain " at " is a word too often ("look at shop.ru"): only with a spelled-out dot ("ivan at mail dot ru").
_EMAIL_SPELLED: Final = re.compile(
    rf"{_LOCAL}\s{{1,3}}at\s{{1,3}}{_LABEL}(?:{_WORD_DOT}{_LABEL}){{0,8}}{_WORD_DOT}{_TLD}", re.IGNORECASE
)
_LOCAL_CHAR: Final = re.compile(r"[\w.%+-]")
# The local part of a relay mask (chalicelib/relay/addresses.py LOCAL_PART: 120 random bits, base32, 24 characters),
# repeated here because this module imports nothing of ours; a relay test holds the two together.
_RELAY_LOCAL_PART: Final = re.compile(r"[a-z2-7]{24}", re.IGNORECASE)

# Messenger links hand out a direct contact just as an address does (with or without a scheme or www.).
_MESSENGER: Final = re.compile(
    r"(?<![\w-])(?:(?:t|telegram|tx|wa|vk|m|ig)\.me|telegram\.dog|wa\.link|(?:api|chat)\.whatsapp\.com|invite\.viber\.com)/[^\s<>\"'`]*"
    r"|(?<![\w-])(?:tg|viber|whatsapp)://[^\s<>\"'`]*",
    re.IGNORECASE,
)
# A bare @handle: "@" after no address character, then 4+ name characters with at least one letter ("@ 10:00" and
# "@4.99" are times and prices, "ivan@mail.ru" is an address).
_HANDLE: Final = re.compile(r"(?<![\w.%+@-])@(?=[\w.]{0,64}?[^\W\d_])\w[\w.]{2,63}\w")

# Links: any http(s) URL, and a bare domain that says it is one (www., a path, or a well-known top-level domain).
_URL: Final = re.compile(r"\b(?:https?|ftp)://[^\s<>\"'`]+", re.IGNORECASE)
_BARE: Final = re.compile(
    r"(?<![\w@.\-/:])(?P<www>www\.)?(?P<host>(?:[^\W_](?:[\w-]{0,61}[^\W_])?\.){1,8}(?P<tld>[^\W\d_]{2,63}|xn--[\w-]{1,59}))"
    r"(?![\w-])(?::\d{1,5})?(?P<path>[/?#][^\s<>\"'`]*)?",
    re.IGNORECASE,
)
# Top-level domains a bare "name.tld" is taken as a link for (with www. or a path, any is). Not "москва": "г.Москва".
_LINK_TLDS: Final = frozenset(
    "ru рф su рус com net org info biz io me co cc tv ly to gg ai app dev pro xyz top club online site shop store "
    "website space link click live life fun tech blog email page uno by kz ua uz kg tj am az ge md lt lv ee pl de "
    "uk us eu fr it es nl cz tr cn in ca au".split()
)
_TRAILING: Final = ".,;:!?'\"»)]}>…"

# Letter-spacing: "i v a n @ m a i l . r u", "s h o p . r u". A run of two or more one-character tokens (a comma or
# a full stop may end one), a few spaces apart, is closed up before addresses, links and handles are looked for again. Closing up "S M L" or "я и ты"
# finds nothing, so ordinary text is not changed by it; phone numbers need no second look (their parser reads spaces).
_SPACED: Final = re.compile(r"(?<!\S)\S[.,;:!?…]?(?:[ \t]{1,3}\S[.,;:!?…]?)+(?!\S)")  # "r u," ends a sentence

# Digits split by what a phone-number parser does not read as a separator (emoji, underscores, stars): runs of
# digits with gaps of up to 3 separator characters. Not commas, colons or currency: "9 990 ₽, 12 490 ₽" is prices.
_SPLIT_DIGITS: Final = re.compile(r"\+?\d+(?:(?:_|[^\w,;:!?%$€₽£¥\n\r]){1,3}\d+)+")
_SEPARATOR_CATEGORIES: Final = frozenset({"So", "Sk", "Sm", "Cn", "Co", "Zs", "Pd", "Pc", "Ps", "Pe", "Po"})
_NOT_SEPARATORS: Final = frozenset(",;:!?%@&'\"\\")

# Overlapping findings become one, of the most telling kind: "https://t.me/x" is a messenger, "@mail.ru" after
# "ivan " is part of an address, a phone number in a link's path is a phone number.
_PRIORITY: Final = {ContactKind.EMAIL: 0, ContactKind.MESSENGER: 1, ContactKind.PHONE: 2, ContactKind.LINK: 3}
_HANDLE_PRIORITY: Final = 2.5  # a bare @handle (kind messenger) gives way to an address or a phone number


def placeholder(language: str) -> str:
    """What replaces a contact: `[контакт скрыт]` for Russian ("ru", "ru-RU"), `[contact removed]` otherwise."""
    return PLACEHOLDERS["ru"] if language.lower().startswith("ru") else PLACEHOLDERS["en"]


def normalise(text: str) -> tuple[str, list[int]]:
    """The text as detection reads it, and for each of its characters the index it came from in `text`."""
    shown: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        if BLANK.match(char) or unicodedata.category(char) in INVISIBLE_CATEGORIES:
            continue
        for read in unicodedata.normalize("NFKC", char):
            if unicodedata.category(read) in INVISIBLE_CATEGORIES:  # NFKC can leave a combining mark (U+309B)
                continue
            shown.append(read)
            origin.append(index)
    return "".join(shown), origin


def find_contacts(
    text: str, *, allowed_link_domain: str | None = None, order_numbers: Iterable[str] = (), relay_domain: str | None = None
) -> list[Finding]:
    """Every contact in `text`, in order, none overlapping another.

    Links to `allowed_link_domain` (the platform's own, and its subdomains) are not contacts, nor are the numbers of
    `order_numbers` (this conversation's orders) phone numbers. Nor are addresses written plainly on `relay_domain`
    (the masked relay's: each stands for a party and reveals nothing; a reply's attribution line names one) and links
    to it. Spelled out ("x at relay dot ...") one is still a contact: no client writes a relay address that way."""
    shown, origin = normalise(text)
    if not shown:
        return []
    candidates = _written(shown, allowed_link_domain, relay_domain)
    closed, closed_origin = _close_up(shown)
    if closed != shown:  # the same search on the letter-spaced runs closed up, mapped back to `shown`
        candidates += [
            (closed_origin[start], closed_origin[end - 1] + 1, priority, kind)
            for start, end, priority, kind in _written(closed, allowed_link_domain, relay_domain)
        ]
    # The rules for dictated numbers and messenger names (~6 ms to import, their patterns compiled) load on a first
    # text, not with the models that every Lambda imports.
    from chalicelib.moderation.mentions import messenger_mentions

    orders = _Orders.find(shown, order_numbers)
    if any(char.isdigit() for char in shown):
        candidates += [(start, end, _PRIORITY[ContactKind.PHONE], ContactKind.PHONE) for start, end in _phones(shown, orders)]
    candidates += [(start, end, _PRIORITY[ContactKind.PHONE], ContactKind.PHONE) for start, end in _spelled_phones(shown, orders)]
    # "tg ivan_petrov": a messenger's name and an account no other rule finds. When the account is found on its own
    # ("WhatsApp +7 916 ...", "telegram t.me/x", "insta: @shop"), that finding stands, with its kind.
    candidates += [
        (start, end, _PRIORITY[ContactKind.MESSENGER], ContactKind.MESSENGER)
        for start, end in messenger_mentions(shown)
        if not any(start < other_end and other_start < end for other_start, other_end, _, _ in candidates)
    ]
    return [
        Finding(kind, origin[start], origin[end - 1] + 1, text[origin[start] : origin[end - 1] + 1])
        for start, end, kind in _merge(candidates)
    ]


def _written(shown: str, allowed_link_domain: str | None, relay_domain: str | None) -> list[tuple[int, int, float, ContactKind]]:
    """Addresses, messenger links, @handles and links as written in `shown`."""
    candidates: list[tuple[int, int, float, ContactKind]] = []
    relay_addresses = [(start, end) for start, end in _emails(shown) if _on_relay_domain(shown[start:end], relay_domain)]
    candidates += [
        (start, end, _PRIORITY[ContactKind.EMAIL], ContactKind.EMAIL) for start, end in _emails(shown) if (start, end) not in relay_addresses
    ]
    candidates += [
        (match.start(), _trim(shown, match.start(), match.end()), _PRIORITY[ContactKind.MESSENGER], ContactKind.MESSENGER)
        for match in _MESSENGER.finditer(shown)
    ]
    candidates += [(match.start(), match.end(), _HANDLE_PRIORITY, ContactKind.MESSENGER) for match in _HANDLE.finditer(shown)]
    candidates += [(start, end, _PRIORITY[ContactKind.LINK], ContactKind.LINK) for start, end in _links(shown, allowed_link_domain, relay_domain)]
    # Nothing inside a relay address is a contact of its own (its domain read as a bare link, its "@local" as a handle).
    return [candidate for candidate in candidates if not any(start <= candidate[0] and candidate[1] <= end for start, end in relay_addresses)]


def _on_relay_domain(address: str, relay_domain: str | None) -> bool:
    """`address` is a relay mask written plainly: a local part of the relay's own shape ("local@domain", no spaces, no
    "(at)"), exactly `relay_domain` after the "@". The shape matters: any other local part is free text a sender
    could put a phone number or a name in ("79161234567@relay...")."""
    if not relay_domain or address.count("@") != 1:
        return False
    local, _, domain = address.partition("@")
    return bool(_RELAY_LOCAL_PART.fullmatch(local)) and domain.lower().rstrip(".") == relay_domain.lower().strip(".")


def _close_up(shown: str) -> tuple[str, list[int]]:
    """`shown` with the spaces inside letter-spaced runs removed, and for each character its index in `shown`."""
    kept: list[str] = []
    origin: list[int] = []
    at = 0
    for match in _SPACED.finditer(shown):
        for start, end in _spaced_segments(shown, match.start(), match.end()):
            kept.append(shown[at:start])
            origin += range(at, start)
            for index in range(start, end):
                if shown[index] not in " \t":
                    kept.append(shown[index])
                    origin.append(index)
            at = end
    kept.append(shown[at:])
    origin += range(at, len(shown))
    return "".join(kept), origin


def _spaced_segments(shown: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    """The parts of a letter-spaced run to close up: split where the letters change script ("s h o p . r u и" is an
    address and a Russian "и"), without the punctuation or emoji at their edges ("👍 . s h o p" ends a sentence
    first), an "@" kept in front (a handle), each of two or more tokens."""
    tokens = [index for index in range(start, end) if not shown[index].isspace()]
    segment: list[int] = []
    script: str | None = None
    for index in tokens:
        char_script = _script(shown[index])
        if char_script is not None and script is not None and char_script != script:
            yield from _trimmed(shown, segment)
            segment = []
        segment.append(index)
        script = char_script or script
    yield from _trimmed(shown, segment)


def _script(char: str) -> str | None:
    if not char.isalpha():
        return None
    return "cyrillic" if "\u0400" <= char <= "\u04ff" else "other"


def _trimmed(shown: str, segment: list[int]) -> Iterator[tuple[int, int]]:
    first, last = 0, len(segment)
    while first < last and not (shown[segment[first]].isalnum() or shown[segment[first]] == "@"):
        first += 1
    while last > first and not shown[segment[last - 1]].isalnum():
        last -= 1
    if last - first >= 2:
        yield segment[first], segment[last - 1] + 1


def redact(
    text: str, language: str = "en", allowed_link_domain: str | None = None, order_numbers: Iterable[str] = (),
    *, relay_domain: str | None = None,
) -> Redaction:
    """`text` with every contact replaced by the placeholder of `language`, and the kinds removed (what is not a
    contact: `find_contacts`).

    Looks again at what it wrote until nothing is found (a removal can join what was around it), at most 4 times."""
    orders = tuple(order_numbers)
    marker = placeholder(language)
    removed: set[ContactKind] = set()
    for _ in range(4):
        findings = find_contacts(text, allowed_link_domain=allowed_link_domain, order_numbers=orders, relay_domain=relay_domain)
        if not findings:
            break
        removed.update(finding.kind for finding in findings)
        text = _replace(text, findings, marker)
    return Redaction(text, tuple(sorted(removed, key=lambda kind: kind.value)))


def _replace(text: str, findings: Sequence[Finding], marker: str) -> str:
    parts: list[str] = []
    at = 0
    for finding in findings:
        parts += [text[at : finding.start], marker]
        at = finding.end
    parts.append(text[at:])
    return "".join(parts)


def _emails(shown: str) -> list[tuple[int, int]]:
    spans = []
    for pattern in (_EMAIL, _EMAIL_SPELLED):
        for match in pattern.finditer(shown):
            start = match.start()
            while start > 0 and _LOCAL_CHAR.match(shown[start - 1]):  # a local part past 64: remove all of it
                start -= 1
            spans.append((start, match.end()))
    return spans


def _trim(shown: str, start: int, end: int) -> int:
    """The end of a link without the punctuation that closes the sentence around it (and an unopened ")")."""
    while end > start + 1 and shown[end - 1] in _TRAILING:
        closing = shown[end - 1]
        if closing == ")" and shown.count("(", start, end) >= shown.count(")", start, end):
            break
        end -= 1
    return end


def _links(shown: str, allowed_domain: str | None, relay_domain: str | None = None) -> list[tuple[int, int]]:
    spans = []
    for match in _URL.finditer(shown):
        end = _trim(shown, match.start(), match.end())
        authority = re.split(r"[/?#]", shown[match.start() : end].split("://", 1)[1], maxsplit=1)[0]
        host = authority.rsplit("@", 1)[-1].split(":", 1)[0]
        if not (_allowed(host, allowed_domain) or _allowed(host, relay_domain)):
            spans.append((match.start(), end))
    for match in _BARE.finditer(shown):
        if not (match["www"] or match["path"] or match["tld"].lower() in _LINK_TLDS):
            continue
        if _allowed(match["host"], allowed_domain) or _allowed(match["host"], relay_domain):
            continue
        spans.append((match.start(), _trim(shown, match.start(), match.end())))
    return spans


def _allowed(host: str, allowed_domain: str | None) -> bool:
    if not allowed_domain:
        return False
    host, domain = host.lower().rstrip("."), allowed_domain.lower().strip(".")
    return host == domain or host.endswith("." + domain)


def _digits(value: str) -> str:
    return "".join(char for char in value if char.isdigit())


@dataclass(frozen=True)
class _Orders:
    digits: tuple[str, ...]  # each order number's digits: "№ 1234 5678" is order 12345678 written apart
    spans: tuple[tuple[int, int], ...]  # where an order number is written as given

    @classmethod
    def find(cls, shown: str, order_numbers: Iterable[str]) -> _Orders:
        digits, spans = [], []
        folded = shown.casefold()
        for number in order_numbers:
            written = unicodedata.normalize("NFKC", number).strip().casefold()
            if not _digits(written):
                continue
            digits.append(_digits(written))
            at = folded.find(written)
            while at >= 0:
                spans.append((at, at + len(written)))
                at = folded.find(written, at + 1)
        return cls(tuple(digits), tuple(spans))

    def cover(self, shown: str, start: int, end: int) -> bool:
        """Whether shown[start:end] is (a part of) one of the orders' numbers."""
        number = _digits(shown[start:end])
        return any(number in digits for digits in self.digits) or any(s <= start and end <= e for s, e in self.spans)


def _phones(shown: str, orders: _Orders) -> list[tuple[int, int]]:
    import phonenumbers  # ~25 ms: only when a text has a digit, never at import

    spans = [
        (match.start, match.end)
        for match in phonenumbers.PhoneNumberMatcher(shown, "RU", leniency=phonenumbers.Leniency.VALID)
        if not orders.cover(shown, match.start, match.end)
    ]
    for match in _SPLIT_DIGITS.finditer(shown):
        if not _only_separators(match.group()):
            continue
        found = _split_phone(match.group())
        if found is not None:
            start, end = match.start() + found[0], match.start() + found[1]
            if not orders.cover(shown, start, end):
                spans.append((start, end))
    return spans


def _only_separators(run: str) -> bool:
    return all(
        char.isdigit() or char == "+" or (char not in _NOT_SEPARATORS and unicodedata.category(char) in _SEPARATOR_CATEGORIES)
        for char in run
    )


def _split_phone(run: str) -> tuple[int, int] | None:
    """Where in a run of digit groups a phone number is written, if one is (see _phones_in_groups)."""
    groups = [(match.start(), match.end(), _digits(match.group()), match.group().startswith("+")) for match in re.finditer(r"\+?\d+", run)]
    found = next(_phones_in_groups(groups), None)
    return None if found is None else (found[0], found[1])


def _spelled_phones(shown: str, orders: _Orders) -> list[tuple[int, int]]:
    """Phone numbers dictated in words ("восемь девятьсот шестнадцать ...", "eight nine one ..."), digits mixed in."""
    from chalicelib.moderation.spelled_numbers import spelled_runs

    spans = []
    for run in spelled_runs(shown):
        groups = [(group.start, group.end, group.digits, index == 0 and run.plus_at is not None) for index, group in enumerate(run.groups)]
        for start, end, digits in _phones_in_groups(groups):
            if any(digits in order for order in orders.digits):
                continue
            spans.append((run.plus_at if run.plus_at is not None and start == run.groups[0].start else start, end))
    return spans


def _phones_in_groups(groups: Sequence[tuple[int, int, str, bool]]) -> Iterator[tuple[int, int, str]]:
    """Where in a run of digit groups (start, end, digits, after a plus) phone numbers are written, one after another:
    each from a group's start to a group's end, with "+" and a country code, or as Russia writes them (8 or 7 and 10
    digits, or a mobile's 10 digits from 9); with its digits. Stricter than the parser's own rule, as digits split by
    emoji are sizes as often as numbers ("42🩷44🩷46🩷48")."""
    first = 0
    while first < len(groups):
        found = _phone_from(groups, first)
        if found is None:
            first += 1
            continue
        last, digits = found
        yield groups[first][0], groups[last][1], digits
        first = last + 1


def _phone_from(groups: Sequence[tuple[int, int, str, bool]], first: int) -> tuple[int, str] | None:
    """The index of the group a phone number starting at group `first` ends with, and its digits; None if none does."""
    international = groups[first][3]
    digits = ""
    for last in range(first, len(groups)):
        digits += groups[last][2]
        if len(digits) > 15:
            break
        russian = (len(digits) == 11 and digits[0] in "78") or (len(digits) == 10 and digits[0] == "9")
        if not (len(digits) >= 8 if international else russian):
            continue
        import phonenumbers  # only for a run that has a phone number's length (~25 ms, once)

        try:
            number = phonenumbers.parse("+" + digits if international else digits, None if international else "RU")
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return last, digits
    return None


def _merge(candidates: list[tuple[int, int, float, ContactKind]]) -> list[tuple[int, int, ContactKind]]:
    """Overlapping spans joined into one, of the kind with the highest priority among them."""
    merged: list[tuple[int, int, float, ContactKind]] = []
    for start, end, priority, kind in sorted(candidates):
        if end <= start:
            continue
        if merged and start < merged[-1][1]:
            last_start, last_end, last_priority, last_kind = merged[-1]
            if priority < last_priority:
                last_priority, last_kind = priority, kind
            merged[-1] = (last_start, max(last_end, end), last_priority, last_kind)
        else:
            merged.append((start, end, priority, kind))
    return [(start, end, kind) for start, end, _, kind in merged]

"""Numbers written in words (Russian and English), read as the digit groups a person dictating a phone number means.

"восемь девятьсот шестнадцать сто двадцать три сорок пять шестьдесят семь" is dictated as 8 / 916 / 123 / 45 / 67;
"eight nine one six ..." as one digit a word; "double five" as 55. Digits written as digits may be mixed in
("8 девятьсот 16 ..."). Pure; what a run of groups means (a phone number or not) is the caller's rule.

Only cardinal words from zero to nine hundred: "тысяча", "million", ordinals ("пятого") and every other word end a run,
so "три пары по двести" or "двадцать пятого ноября" never become one long number.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

_RU: Final = {
    "ноль": 0, "нуль": 0, "один": 1, "одна": 1, "одно": 1, "два": 2, "две": 2, "три": 3, "четыре": 4, "пять": 5,
    "шесть": 6, "семь": 7, "восемь": 8, "девять": 9,
    "десять": 10, "одиннадцать": 11, "двенадцать": 12, "тринадцать": 13, "четырнадцать": 14, "пятнадцать": 15,
    "шестнадцать": 16, "семнадцать": 17, "восемнадцать": 18, "девятнадцать": 19,
    "двадцать": 20, "тридцать": 30, "сорок": 40, "пятьдесят": 50, "шестьдесят": 60, "семьдесят": 70,
    "восемьдесят": 80, "девяносто": 90,
    "сто": 100, "двести": 200, "триста": 300, "четыреста": 400, "пятьсот": 500, "шестьсот": 600, "семьсот": 700,
    "восемьсот": 800, "девятьсот": 900,
}
_EN: Final = {
    "zero": 0, "oh": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
    "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
}
NUMBER_WORDS: Final = {**_RU, **_EN}
_HUNDRED: Final = frozenset({"hundred"})  # English says "nine hundred sixteen": the unit before it times 100
_REPEAT: Final = {"double": 2, "triple": 3}  # British dictation: "double five" is 55
_PLUS: Final = frozenset({"плюс", "plus"})  # "плюс семь ...": an international number

# A token is a run of digits or of letters; between two tokens of one run, at most 3 characters that are neither
# (spaces, hyphens, commas, dots, brackets, emoji) and no line break.
_TOKEN: Final = re.compile(r"\d+|[^\W\d_]+")
_GAP: Final = re.compile(r"[^\w\n\r]{0,3}")


@dataclass(frozen=True)
class Group:
    """One dictated group: where it is written (`start`, `end` in the text read) and its digits."""

    start: int
    end: int
    digits: str
    spelled: bool  # written (at least partly) in words


@dataclass(frozen=True)
class Run:
    """Groups written one after another; `plus_at`: where the "plus" that starts the run is written, if one does
    (its first group is then a country code)."""

    groups: tuple[Group, ...]
    plus_at: int | None

    @property
    def spelled(self) -> bool:
        return any(group.spelled for group in self.groups)


@dataclass
class _Building:
    start: int
    end: int
    value: int
    stage: int  # 1: hundreds written, 2: tens, 3: units or teens (nothing more can be added)


def spelled_runs(text: str) -> Iterator[Run]:
    """Every run of number words and digit groups in `text` that has at least one word. Linear in the text."""
    tokens: list[tuple[int, int, str]] = []
    previous_end: int | None = None
    for match in _TOKEN.finditer(text):
        word = match.group().lower()
        known = word.isdigit() or word in NUMBER_WORDS or word in _HUNDRED or word in _REPEAT or word in _PLUS
        joined = previous_end is not None and _GAP.fullmatch(text, previous_end, match.start()) is not None
        if tokens and (not known or not joined):
            yield from _read(tokens)
            tokens = []
        if known:
            tokens.append((match.start(), match.end(), word))
        previous_end = match.end()
    if tokens:
        yield from _read(tokens)


def _read(tokens: list[tuple[int, int, str]]) -> Iterator[Run]:
    """The groups a run of known tokens dictates (a number word adds to the group being written while it can: a
    hundred takes tens and a unit, tens take a unit), if it has a word."""
    plus_at = None
    if tokens[0][2] in _PLUS:
        plus_at, tokens = tokens[0][0], tokens[1:]
    groups: list[Group] = []
    building: _Building | None = None
    repeat = 1

    def flush() -> None:
        nonlocal building
        if building is not None:
            groups.append(Group(building.start, building.end, str(building.value), True))
            building = None

    for start, end, word in tokens:
        if word.isdigit():
            flush()
            groups.append(Group(start, end, word, False))
            repeat = 1
        elif word in _REPEAT:
            flush()
            repeat = _REPEAT[word]
        elif word in _HUNDRED:
            if building is not None and building.stage == 3 and building.value < 10:
                building.value, building.stage, building.end = building.value * 100, 1, end
            else:
                flush()
        elif word in _PLUS:
            flush()
        else:
            value = NUMBER_WORDS[word]
            if repeat > 1 and value < 10:
                flush()
                groups.append(Group(start, end, str(value) * repeat, True))
                repeat = 1
                continue
            repeat = 1
            stage = 1 if value >= 100 else 2 if value >= 20 else 3
            adds = building is not None and (
                (building.stage == 1 and stage > 1) or (building.stage == 2 and stage == 3 and 0 < value < 10)
            )
            if adds and building is not None:
                building.value, building.stage, building.end = building.value + value, stage, end
            else:
                flush()
                building = _Building(start, end, value, stage)
    flush()
    run = Run(tuple(groups), plus_at)
    if run.groups and run.spelled:
        yield run

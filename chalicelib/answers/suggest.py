"""Which answers a resolution shows before the channels: at most 3, in the buyer's language first.

Pure. With a question, answers are ranked by `chalicelib.answers.search` (imported only then) and only answers sharing
a word with it are shown; without one (or with only stop words), the seller's own auto-answers come before the
platform's, the more specific (fewer topics) and newer first.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, TypeVar

from chalicelib.models.answers import MAX_SUGGESTED_ANSWERS, Answer, Locale, SuggestedAnswer

SNIPPET_CHARS = 200
_MARKDOWN = re.compile(r"\*\*|\*|`|^\s*-\s+", re.MULTILINE)
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_SPACE = re.compile(r"\s+")
T = TypeVar("T")


@dataclass
class AnswerSet:
    """One owner's published answers for one topic (a cache entry); its search index is built on first question."""

    answers: tuple[Answer, ...]
    _index: Any = field(default=None, repr=False)
    _plain: list[tuple[Answer, SuggestedAnswer]] | None = field(default=None, repr=False)
    _translations: dict[tuple[str, Locale], Answer] | None = field(default=None, repr=False)

    def in_language(self, answer: Answer, locale: Locale) -> Answer:
        """`answer`'s translation into `locale` from this set if there is one, else `answer` itself."""
        if answer.locale == locale or not answer.translation_key:
            return answer
        if self._translations is None:
            self._translations = {(a.translation_key, a.locale): a for a in self.answers if a.translation_key}
        return self._translations.get((answer.translation_key, locale), answer)

    def without_question(self) -> list[tuple[Answer, SuggestedAnswer]]:
        """The answers in their order for no question, each with its suggestion (built once per cache entry)."""
        if self._plain is None:
            self._plain = [(answer, _suggestion(answer, 0.0)) for answer in _by_specificity(self.answers)]
        return self._plain

    def search_index(self) -> Any:
        if self._index is None:
            from chalicelib.answers.search import Document, Index

            self._index = Index.build([Document(a.title, a.keywords, a.body) for a in self.answers])
        return self._index


def suggest(sets: Sequence[AnswerSet], locale: Locale, question: str | None) -> list[SuggestedAnswer]:
    """Up to 3 answers out of `sets` (the seller's set first, then the platform's)."""
    if question and question.strip():
        from chalicelib.answers.search import ranked, terms

        if not terms(question):  # only stop words or punctuation: as good as no question
            return suggest(sets, locale, None)
        hits = ranked(question, [answer_set.search_index() for answer_set in sets])
        return [_suggestion(answer, score) for answer, score in _best_in_language(sets, hits, locale)]
    plain = [pair for answer_set in sets for pair in answer_set.without_question()]
    return [suggestion for _, suggestion in _language_first(plain, locale)]


def _best_in_language(sets: Sequence[AnswerSet], hits: Iterable[tuple[int, int, float]], locale: Locale) -> list[tuple[Answer, float]]:
    """`_language_first` over the hits, reading them only until 3 are in the buyer's language.

    A question typed in the other language finds answers in it: the buyer gets their own language's version of each
    (with that hit's score), the first hit of an answer counting. Only when fewer than 3 are in the buyer's language
    are all hits read, and then answers in the other language (not translations of one listed) fill the list.
    """
    seen: set[str] = set()
    own: list[tuple[Answer, float]] = []
    other: list[tuple[Answer, float]] = []
    for set_number, number, score in hits:
        answer_set = sets[set_number]
        answer = answer_set.in_language(answer_set.answers[number], locale)
        if answer.id in seen:
            continue
        seen.add(answer.id)
        if answer.locale == locale:
            own.append((answer, score))
            if len(own) == MAX_SUGGESTED_ANSWERS:
                return own
        else:
            other.append((answer, score))
    return _language_first(own + other, locale)


def _language_first(ranked: list[tuple[Answer, T]], locale: Locale) -> list[tuple[Answer, T]]:
    """The first 3 in the buyer's language; an answer only in the other language may fill the list (not the
    translation of one already listed). Stable: the relevance order holds within each language."""
    listed = {answer.translation_key for answer, _ in ranked if answer.locale == locale and answer.translation_key}
    kept = [pair for pair in ranked if pair[0].locale == locale or not pair[0].translation_key or pair[0].translation_key not in listed]
    kept.sort(key=lambda pair: pair[0].locale != locale)
    return kept[:MAX_SUGGESTED_ANSWERS]


def _by_specificity(answers: Sequence[Answer]) -> list[Answer]:
    newest_first = sorted(answers, key=lambda answer: answer.updated_at, reverse=True)
    return sorted(newest_first, key=lambda answer: len(answer.topics))


def _suggestion(answer: Answer, score: float) -> SuggestedAnswer:
    return SuggestedAnswer(
        id=answer.id, owner=answer.owner, title=answer.title, snippet=snippet(answer.body), score=round(score, 3),
        link=f"app://answers/{answer.id}",
    )


@lru_cache(maxsize=4096)  # the same few answers are shown again and again: strip their Markdown once
def snippet(body: str) -> str:
    """The body's start as plain text, cut at a word boundary."""
    text = _SPACE.sub(" ", _MARKDOWN.sub("", _LINK.sub(r"\1", body))).strip()
    if len(text) <= SNIPPET_CHARS:
        return text
    return text[: SNIPPET_CHARS - 1].rsplit(" ", 1)[0] + "…"

"""Which answers a resolution shows before the channels: at most 3, in the buyer's language first.

Pure. With a question, answers are ranked by `chalicelib.search` (imported only then) and only answers sharing
a word with it are shown; without one (or with only stop words), the seller's own auto-answers come before the
platform's, the more specific (fewer topics) and newer first.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from chalicelib.models import Answer, Locale, SuggestedAnswer
from chalicelib.models.answers import MAX_SUGGESTED_ANSWERS

SNIPPET_CHARS = 200
_MARKDOWN = re.compile(r"\*\*|\*|`|^\s*-\s+", re.MULTILINE)
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_SPACE = re.compile(r"\s+")


@dataclass
class AnswerSet:
    """One owner's published answers for one topic (a cache entry); its search index is built on first question."""

    answers: tuple[Answer, ...]
    _index: Any = field(default=None, repr=False)

    def search_index(self) -> Any:
        if self._index is None:
            from chalicelib.search import Document, Index

            self._index = Index.build([Document(a.title, a.keywords, a.body) for a in self.answers])
        return self._index


def suggest(sets: Sequence[AnswerSet], locale: Locale, question: str | None) -> list[SuggestedAnswer]:
    """Up to 3 answers out of `sets` (the seller's set first, then the platform's)."""
    if question and question.strip():
        from chalicelib.search import search, terms

        if not terms(question):  # only stop words or punctuation: as good as no question
            return suggest(sets, locale, None)
        hits = search(question, [answer_set.search_index() for answer_set in sets])
        ranked = [(sets[set_number].answers[number], score) for set_number, number, score in hits]
    else:
        ranked = [(answer, 0.0) for answer_set in sets for answer in _by_specificity(answer_set.answers)]
    # The buyer's language first; an answer only in the other language may fill the list (not the translation of
    # one already listed).
    listed = {answer.translation_key for answer, _ in ranked if answer.locale == locale and answer.translation_key}
    ranked = [pair for pair in ranked if pair[0].locale == locale or pair[0].translation_key not in listed or not pair[0].translation_key]
    ranked.sort(key=lambda pair: pair[0].locale != locale)  # stable: keeps the relevance order within each language
    return [_suggestion(answer, score) for answer, score in ranked[:MAX_SUGGESTED_ANSWERS]]


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

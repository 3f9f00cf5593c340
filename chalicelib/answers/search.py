"""Rank answers by relevance to a buyer's question: BM25 over title, keywords and body, Snowball-stemmed (ru, en).

Pure: no I/O. Imported only when a question is asked (snowballstemmer costs ~8 ms to import). An `Index` is
built once per cached answer set; `search` scores a question over several indexes as if they were one corpus
(document counts, lengths and document frequencies add up), so a seller's few auto-answers and the platform's
FAQ compete on one scale.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import snowballstemmer

K1 = 1.2
B = 0.75
# Keywords are written to be matched (synonyms, colloquial names), titles say what the answer is about.
FIELD_WEIGHTS = (2.0, 3.0, 1.0)  # title, keywords, body

_WORD = re.compile(r"[0-9a-zа-я]+")
_CYRILLIC = re.compile(r"[а-я]")
# Marks no word is spelled with: a stress mark over a vowel (посы́лка: no precomposed form, so NFKC keeps it apart),
# zero-width spaces and joiners, bidi and invisible operators, variation selectors, tag characters, a BOM and the soft
# hyphen. Each would split one word in two. (A regex, not a Unicode category test per character: this runs on every
# question.)
_INVISIBLE = re.compile(
    "[\u0300-\u036f\u00ad\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufe00-\ufe0f\ufeff"
    "\U000e0000-\U000e007f\U000e0100-\U000e01ef]"
)
# English contractions: "don't" would split into "don" (a word of its own) and "t"; "not" carries the meaning.
_NOT = re.compile(r"(?<=[a-z])n['’]t\b")
_IRREGULAR_NOT = {"can't": "can not", "can’t": "can not", "won't": "will not", "won’t": "will not"}
_IRREGULAR_NOT_RE = re.compile("|".join(map(re.escape, _IRREGULAR_NOT)))
_CLITIC = re.compile(r"(?<=[a-z])['’](?:s|m|re|ve|ll|d)\b")  # it's, I'm, we're, I've, you'll, I'd
# Not stop words, though the usual lists have them: где/where ask where a parcel is (the tracking answer), and
# не/нет/not/no turn "arrived" into a late parcel rather than a damaged one.
STOPWORDS = frozenset(
    """
    и в во что он на я с со как а то все всё она так его но да ты к у же вы за бы по только ее её мне было вот от
    меня еще ещё о об из ему теперь когда ли если уже или ни быть был него до вас опять уж вам ведь там потом себя
    ей может они тут есть надо ней для мы тебя их чем была сам чтоб без чего раз тоже себе под будет ж тогда кто
    этот того потому этого какой какая какие каким ним здесь этом мой моя моё мое мои моего тем чтобы нее сейчас были
    куда зачем всех можно при после над тот через эти нас про всего них много эту свою этой перед том им почему
    пожалуйста здравствуйте добрый день подскажите скажите хочу хотел хотела мой
    a an the and or but if of to in on at for with by from is are was were be been being do does did i my me we our
    you your it its this that these those what which who whom how when why can could would should will shall may
    might have has had so as about into than then there here get got am please hi hello there any some
    """.split()
)


@lru_cache(maxsize=4)
def _stemmer(language: str) -> snowballstemmer.stemmer:
    return snowballstemmer.stemmer(language)


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    return str(_stemmer("russian" if _CYRILLIC.search(word) else "english").stemWord(word))


def terms(text: str) -> list[str]:
    """Lower-cased words (ё as е), stop words dropped, each stemmed in its own script's language.

    NFKC first: a decomposed "й" or "ё" (NFD, as some keyboards and copied file names send it) or full-width
    Latin letters would otherwise split words apart or drop them.
    """
    text = _INVISIBLE.sub("", unicodedata.normalize("NFKC", text).lower().replace("ё", "е"))
    text = _CLITIC.sub("", _NOT.sub(" not", _IRREGULAR_NOT_RE.sub(lambda m: _IRREGULAR_NOT[m.group()], text)))
    words = _WORD.findall(text)
    return [stem(word) for word in words if word not in STOPWORDS and (len(word) > 1 or word.isdigit())]


@dataclass(frozen=True)
class Document:
    title: str
    keywords: Sequence[str]
    body: str


@dataclass
class Index:
    """Inverted index: term -> [(document number, field-weighted term frequency)], plus document lengths."""

    postings: dict[str, list[tuple[int, float]]] = field(default_factory=dict)
    lengths: list[float] = field(default_factory=list)
    total_length: float = 0.0

    @classmethod
    def build(cls, documents: Sequence[Document]) -> Index:
        index = cls()
        for number, document in enumerate(documents):
            weighted: dict[str, float] = {}
            length = 0.0
            for weight, text in zip(FIELD_WEIGHTS, (document.title, " ".join(document.keywords), document.body), strict=True):
                found = terms(text)
                length += weight * len(found)
                for term in found:
                    weighted[term] = weighted.get(term, 0.0) + weight
            index.lengths.append(length)
            index.total_length += length
            for term, frequency in weighted.items():
                index.postings.setdefault(term, []).append((number, frequency))
        return index


def search(question: str, indexes: Sequence[Index]) -> list[tuple[int, int, float]]:
    """(index number, document number, BM25 score) for every document sharing a term with `question`, best first."""
    query = set(terms(question))
    documents = sum(len(index.lengths) for index in indexes)
    if not query or not documents:
        return []
    average_length = (sum(index.total_length for index in indexes) / documents) or 1.0
    scores: dict[tuple[int, int], float] = {}
    for term in query:
        frequency = sum(len(index.postings.get(term, ())) for index in indexes)
        if not frequency:
            continue
        idf = math.log(1 + (documents - frequency + 0.5) / (frequency + 0.5))
        for index_number, index in enumerate(indexes):
            for document, tf in index.postings.get(term, ()):
                norm = tf + K1 * (1 - B + B * index.lengths[document] / average_length)
                key = (index_number, document)
                scores[key] = scores.get(key, 0.0) + idf * tf * (K1 + 1) / norm
    ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
    return [(index_number, document, score) for (index_number, document), score in ranked]

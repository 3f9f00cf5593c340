"""Rank answers by relevance to a buyer's question: BM25 over title, keywords and body, Snowball-stemmed (ru, en).

Pure: no I/O. Imported only when a question is asked (snowballstemmer costs ~8 ms to import). An `Index` is
built once per cached answer set; `search` scores a question over several indexes as if they were one corpus
(document counts, lengths and document frequencies add up), so a seller's few auto-answers and the platform's
FAQ compete on one scale.

A question's words are read the way a buyer meant them before they are matched (`read_question`): look-alike
letters of the other script, a word typed on the other keyboard layout, Russian in Latin letters, and a typo within
1 edit (2 from 8 letters) of a word of the answers, each weighted below an exact match (chalicelib.answers.normalise).
A question most of whose weight is words no answer has shows nothing rather than an answer about one common word.
Scoring adds BM25 contributions precomputed per posting and takes the best hits off a heap, so a caller that needs
three answers does not sort ten thousand.
"""

from __future__ import annotations

import heapq
import math
import operator
import re
import unicodedata
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import snowballstemmer

from chalicelib.answers.normalise import Neighbourhood, fix_lookalikes, max_edits, other_layout, read_latin, skeleton

K1 = 1.2
B = 0.75
# Keywords are written to be matched (synonyms, colloquial names), titles say what the answer is about.
FIELD_WEIGHTS = (2.0, 3.0, 1.0)  # title, keywords, body

_WORD = re.compile(r"[0-9a-zа-я]+")
_CYRILLIC = re.compile(r"[а-я]")
_LATIN = re.compile(r"[a-z]")
_MIXED = re.compile(r"[a-z][а-яё]|[а-яё][a-z]")
# What a read word weighs against an exact one (tuned on the "tuning" half of tests/data/answers_eval_noisy.jsonl).
EXACT = 1.0  # also a look-alike letter, the other layout, a transliteration that is an answer's word
SKELETON = 0.9  # a transliteration that meets an answer's word only through `skeleton` (spelling-blind)
EDITS = {1: 0.7, 2: 0.5}  # a typo corrected by 1 or 2 edits
TRANSLIT_EDITS = 0.5  # a transliteration that is a typo away from an answer's word
# Below this share of the question's weight (idf, an unknown word counting as the rarest) found in the answers,
# nothing is shown: "где ближайшая аптека" is not about tracking a parcel. One word found must carry more of the
# question than two or more ("курьер так и не приехал в назначенный день" is about a late parcel).
MIN_COVERAGE = 0.45
MIN_COVERAGE_OF_TWO = 0.25
MAX_CANDIDATES = 3  # a typo read as at most this many words (the most frequent in the answers)
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


def clean(text: str) -> str:
    """Lower-cased (ё as е), NFKC, without invisible marks, English negations spelled out.

    NFKC first: a decomposed "й" or "ё" (NFD, as some keyboards and copied file names send it) or full-width
    Latin letters would otherwise split words apart or drop them.
    """
    text = _INVISIBLE.sub("", unicodedata.normalize("NFKC", text).lower().replace("ё", "е"))
    return _CLITIC.sub("", _NOT.sub(" not", _IRREGULAR_NOT_RE.sub(lambda m: _IRREGULAR_NOT[m.group()], text)))


def _kept(word: str) -> bool:
    return word not in STOPWORDS and (len(word) > 1 or word.isdigit())


def words(text: str) -> list[str]:
    """The words of `text` that count (stop words dropped), look-alike letters read in the word's script."""
    text = clean(text)
    found = _WORD.findall(text)
    if _MIXED.search(text):  # one test per text: most have no word mixing scripts
        found = list(map(fix_lookalikes, found))
    return [word for word in found if word not in STOPWORDS and (len(word) > 1 or word.isdigit())]


def terms(text: str) -> list[str]:
    """Lower-cased words (ё as е), stop words dropped, each stemmed in its own script's language."""
    return [stem(word) for word in words(text)]


@dataclass(frozen=True)
class Document:
    title: str
    keywords: Sequence[str]
    body: str


@dataclass
class Index:
    """Inverted index: term -> [(document number, field-weighted term frequency)], plus document lengths.

    What only some questions need is built on the first that needs it: BM25 contributions per posting (for the
    average length of the indexes searched together), the deletion neighbourhood of the vocabulary (typos) and the
    transliteration keys of its Russian words.
    """

    postings: dict[str, list[tuple[int, float]]] = field(default_factory=dict)
    lengths: list[float] = field(default_factory=list)
    total_length: float = 0.0
    surface: dict[str, str] = field(default_factory=dict)  # each word as written in the answers -> its term
    _scored: dict[tuple[float, int], dict[str, tuple[list[int], list[float], float]]] = field(default_factory=dict, repr=False)
    _neighbourhood: Neighbourhood | None = field(default=None, repr=False)
    _skeletons: dict[str, set[str]] | None = field(default=None, repr=False)

    @classmethod
    def build(cls, documents: Sequence[Document]) -> Index:
        index = cls()
        for number, document in enumerate(documents):
            weighted: dict[str, float] = {}
            length = 0.0
            for weight, text in zip(FIELD_WEIGHTS, (document.title, " ".join(document.keywords), document.body), strict=True):
                found = words(text)
                length += weight * len(found)
                for word in found:
                    term = index.surface.get(word) or index.surface.setdefault(word, stem(word))
                    weighted[term] = weighted.get(term, 0.0) + weight
            index.lengths.append(length)
            index.total_length += length
            for term, frequency in weighted.items():
                index.postings.setdefault(term, []).append((number, frequency))
        return index

    def scored(self, term: str, average_length: float, offset: int) -> tuple[list[int], list[float], float]:
        """`term`'s postings as (document numbers + offset, BM25 term-frequency parts, the largest part), once per term."""
        key = (average_length, offset)
        cache = self._scored.get(key)
        if cache is None:
            if len(self._scored) >= 4:  # the indexes searched together change only with a cache refill
                self._scored.clear()
            cache = self._scored[key] = {}
        found = cache.get(term)
        if found is None:
            postings = self.postings.get(term, ())
            lengths = self.lengths
            parts = [tf * (K1 + 1) / (tf + K1 * (1 - B + B * lengths[document] / average_length)) for document, tf in postings]
            found = cache[term] = ([document + offset for document, _ in postings], parts, max(parts, default=0.0))
        return found

    def neighbourhood(self) -> Neighbourhood:
        if self._neighbourhood is None:
            self._neighbourhood = Neighbourhood(self.postings)
        return self._neighbourhood

    def skeletons(self) -> dict[str, set[str]]:
        """Transliteration key (`skeleton`) of each Russian word and term of the answers -> those terms."""
        if self._skeletons is None:
            found: dict[str, set[str]] = {}
            for word, term in self.surface.items():
                if _CYRILLIC.search(word):
                    found.setdefault(skeleton(word), set()).add(term)
                    found.setdefault(skeleton(term), set()).add(term)
            self._skeletons = found
        return self._skeletons


# A slot is one word of the question as read: the terms it may mean, each with its weight (empty: no answer has it).
Slot = tuple[tuple[str, float], ...]


@lru_cache(maxsize=1)
def _stop_words_nearby() -> Neighbourhood:
    return Neighbourhood(STOPWORDS)


class _Reader:
    """Reads a question's words against the vocabulary of the indexes searched together."""

    def __init__(self, indexes: Sequence[Index]) -> None:
        self.indexes = indexes

    def frequency(self, term: str) -> int:
        return sum(len(index.postings.get(term, ())) for index in self.indexes)

    def known(self, word: str) -> bool:
        return any(stem(word) in index.postings for index in self.indexes)

    def exact(self, word: str) -> Slot | None:
        """() for a stop word, the word's term if an answer has it, else None."""
        if not _kept(word):
            return ()
        term = stem(word)
        return ((term, EXACT),) if self.known(word) else None

    def chunk_exact(self, found: list[str]) -> list[Slot] | None:
        """Every word of `found` a stop word or an answer's word: their slots; else None."""
        slots = []
        for word in found:
            slot = self.exact(word)
            if slot is None:
                return None
            if slot:
                slots.append(slot)
        return slots

    def transliterated(self, word: str) -> Slot | None:
        """A Cyrillic reading of a Latin word that is a stop word, an answer's word, or meets one by its key."""
        slot = self.exact(word)
        if slot is not None:
            return slot
        keys = (skeleton(word), skeleton(stem(word)))
        terms_found = {term for index in self.indexes for key in keys for term in index.skeletons().get(key, ())}
        return self._most_frequent(terms_found, SKELETON) if terms_found else None

    def corrected(self, word: str, weight_of: dict[int, float]) -> Slot | None:
        """The answers' words within the allowed edits of `word`: () if it is a misspelt stop word, None if none."""
        edits = max_edits(word)
        if not edits:
            return None
        stop_distance, _ = _stop_words_nearby().near(word, edits)
        term = stem(word)
        best, found = edits + 1, set()
        for index in self.indexes:
            distance, near = index.neighbourhood().near(term, edits)
            if near and distance < best:
                best, found = distance, set(near)
            elif near and distance == best:
                found.update(near)
        if stop_distance and stop_distance <= best:
            return ()
        return self._most_frequent(found, weight_of[best]) if found else None

    def _most_frequent(self, found: set[str], weight: float) -> Slot:
        ranked = sorted(found, key=lambda term: (-self.frequency(term), term))[:MAX_CANDIDATES]
        return tuple((term, weight) for term in ranked)


def read_question(question: str, indexes: Sequence[Index]) -> list[Slot]:
    """The question's words as the buyer meant them, one slot per word that counts (see `Slot`).

    A chunk (the text between spaces) is taken as typed if all its words are known; else as typed on the other
    layout if that makes it all known; else (Latin) as Russian transliterated; else word by word, a typo read as the
    nearest words of the answers. A chunk of 3 letters or fewer ("kb", "yt", "gde") is read on the other layout or
    transliterated only when a longer chunk of the same question was: alone it is too likely a word of its own.
    """
    reader = _Reader(indexes)
    slots: list[Slot] = []
    short: list[tuple[str, list[Slot], list[Slot]]] = []  # (how it would be read, as read, as typed)
    used: set[str] = set()
    chunks = clean(question).split()
    # A question with an English word in it is English: its unknown Latin words are not Russian in Latin letters
    # ("how tall is the eiffel tower" must not read "tower" as "товар").
    english = any(
        _LATIN.search(word) and reader.exact(word) is not None for chunk in chunks for word in _WORD.findall(chunk)
    )
    for chunk in chunks:
        typed = [fix_lookalikes(word) for word in _WORD.findall(chunk)]
        as_typed = reader.chunk_exact(typed)
        if as_typed is not None:
            slots.extend(as_typed)
            continue
        letters = sum(len(word) for word in typed if word.isalpha())
        how, as_read = _other_reading(reader, chunk)
        if as_read is not None and how:
            if letters > 3:
                used.add(how)
                slots.extend(as_read)
            else:
                short.append((how, as_read, _word_by_word(reader, typed, chunk)))
            continue
        slots.extend(_word_by_word(reader, typed, chunk, transliterate=not english))
    for how, as_read, as_typed in short:
        slots.extend(as_read if how in used else as_typed)
    return slots


def _other_reading(reader: _Reader, chunk: str) -> tuple[str, list[Slot] | None]:
    """("layout" or "translit", the chunk's slots read that way) if that reading makes every word known."""
    as_layout = reader.chunk_exact(_WORD.findall(other_layout(chunk)))
    if as_layout is not None:
        return "layout", as_layout
    if not _LATIN.search(chunk) or _CYRILLIC.search(chunk):
        return "", None
    slots = []
    for word in _WORD.findall(read_latin(chunk)):
        slot = reader.transliterated(word)
        if slot is None:
            return "", None
        if slot:
            slots.append(slot)
    return "translit", slots


def _word_by_word(reader: _Reader, typed: list[str], chunk: str, *, transliterate: bool = True) -> list[Slot]:
    slots: list[Slot] = []
    for word in typed:
        slot = reader.exact(word)
        if slot is None:
            slot = reader.corrected(word, EDITS)
        if slot is None and transliterate and _LATIN.search(word) and word.isalpha():
            reading = read_latin(word)
            slot = reader.transliterated(reading)
            if slot is None:
                slot = reader.corrected(reading, dict.fromkeys(EDITS, TRANSLIT_EDITS))
        if slot is None:
            slot = ()
            if _kept(word):
                slots.append(())  # no answer has it: it weighs in the coverage as the rarest word
        if slot:
            slots.append(slot)
    return slots


def ranked(question: str, indexes: Sequence[Index]) -> Iterator[tuple[int, int, float]]:
    """(index number, document number, BM25 score) of the documents matching `question`, best first, lazily."""
    documents = sum(len(index.lengths) for index in indexes)
    if not documents:
        return
    slots = read_question(question, indexes)
    if not slots:
        return
    average_length = (sum(index.total_length for index in indexes) / documents) or 1.0
    reader = _Reader(indexes)

    def idf(frequency: int) -> float:
        return math.log(1 + (documents - frequency + 0.5) / (frequency + 0.5))

    weights: dict[str, float] = {}
    total = found = 0.0
    matched = 0
    for slot in slots:
        if not slot:
            total += idf(0)
            continue
        idfs = [(idf(reader.frequency(term)), weight) for term, weight in slot]
        total += max(value for value, _ in idfs)
        found += max(value * weight for value, weight in idfs)
        matched += 1
        for term, weight in slot:
            weights[term] = max(weights.get(term, 0.0), weight)
    if not total or found / total < (MIN_COVERAGE if matched < 2 else MIN_COVERAGE_OF_TWO):
        return
    offsets = []
    offset = 0
    for index in indexes:
        offsets.append(offset)
        offset += len(index.lengths)
    # Each term: its factor (idf x weight), its postings per index and the most it can add to one document.
    lists = []
    for term, weight in weights.items():
        factor = weight * idf(reader.frequency(term))
        parts = [index.scored(term, average_length, start) for index, start in zip(indexes, offsets, strict=True) if term in index.postings]
        lists.append((factor * max(top for _, _, top in parts), factor, parts))
    lists.sort(key=lambda item: -item[0])
    scores, complete = _top_scores(lists)
    # `scores` holds every document scoring at least the ENOUGH-th best, so its first ENOUGH are the ENOUGH best.
    best = heapq.nsmallest(ENOUGH, zip(map(operator.neg, scores.values()), scores.keys(), strict=True))
    yield from _decoded(best, offsets)
    if len(best) == ENOUGH:  # the caller wants more: rank the rest (all of them, if some were left unscored)
        yield from _decoded(_best_first(scores if complete else _all_scores(lists), ENOUGH), offsets)


# The caller reads hits until it has 3 answers in the buyer's language; the first ENOUGH hits are found without
# scoring every document (MaxScore), and only a caller that reads past them pays for scoring them all.
ENOUGH = 12
_Lists = list[tuple[float, float, list[tuple[list[int], list[float], float]]]]


def _top_scores(lists: _Lists) -> tuple[dict[int, float], bool]:
    """Scores of a set of documents holding the ENOUGH best (MaxScore), and whether that is every match.

    Terms go from the one that can add most to the least. Once the rest could add less, together, than the
    ENOUGH-th score so far, no document outside the scores can reach the ENOUGH best: the rest only add to the
    documents that still can, by lookup. The sums run in the same order as in `_all_scores`: equal floats, equal ties.
    """
    scores: dict[int, float] = {}
    get = scores.get
    remaining = sum(bound for bound, _, _ in lists)
    for position, (bound, factor, parts) in enumerate(lists):
        remaining -= bound
        for numbers, values, _ in parts:
            for number, value in zip(numbers, values, strict=True):
                scores[number] = get(number, 0.0) + factor * value
        if position == len(lists) - 1:
            return scores, True
        if len(scores) < ENOUGH:
            continue
        threshold = heapq.nlargest(ENOUGH, scores.values())[-1]
        if remaining >= threshold:
            continue
        alive = {number: score for number, score in scores.items() if score + remaining >= threshold}
        for _, factor, parts in lists[position + 1:]:
            for numbers, values, _ in parts:
                lookup = _lookup(numbers, values)
                for number in alive:
                    part = lookup.get(number)
                    if part is not None:
                        alive[number] += factor * part
        return alive, False
    return scores, True


_LOOKUPS: dict[int, dict[int, float]] = {}


def _lookup(numbers: list[int], values: list[float]) -> dict[int, float]:
    """document -> part for one term's postings (kept while those lists live, keyed by their identity)."""
    key = id(values)
    found = _LOOKUPS.get(key)
    if found is None:
        if len(_LOOKUPS) > 4096:
            _LOOKUPS.clear()
        found = _LOOKUPS[key] = dict(zip(numbers, values, strict=True))
    return found


def _all_scores(lists: _Lists) -> dict[int, float]:
    scores: dict[int, float] = {}
    get = scores.get
    for _, factor, parts in lists:
        for numbers, values, _ in parts:
            for number, value in zip(numbers, values, strict=True):
                scores[number] = get(number, 0.0) + factor * value
    return scores


def _best_first(scores: dict[int, float], skip: int) -> Iterator[tuple[float, int]]:
    """The documents as (-score, number), best first, without the first `skip`."""
    heap = list(zip(map(operator.neg, scores.values()), scores.keys(), strict=True))
    heapq.heapify(heap)
    for _ in range(min(skip, len(heap))):
        heapq.heappop(heap)
    while heap:
        yield heapq.heappop(heap)


def _decoded(hits: Iterable[tuple[float, int]], offsets: list[int]) -> Iterator[tuple[int, int, float]]:
    for score, number in hits:
        index_number = bisect_right(offsets, number) - 1
        yield index_number, number - offsets[index_number], -score


def search(question: str, indexes: Sequence[Index]) -> list[tuple[int, int, float]]:
    """(index number, document number, BM25 score) for every document matching `question`, best first."""
    return list(ranked(question, indexes))

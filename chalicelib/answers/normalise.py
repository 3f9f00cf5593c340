"""How a buyer's mistyped word is read: look-alike letters, the other keyboard layout, Russian in Latin letters, typos.

Pure string functions and one structure (`Neighbourhood`, a SymSpell-style deletion index) with no knowledge of BM25.
Nothing here imports a third-party module at import time: the edit distance (editdistpy) is imported by
`Neighbourhood.near` on the first word that needs it, so a resolution without a question, or with only known words,
never loads it.
"""



from __future__ import annotations

import re
from collections.abc import Iterable

# ---------------------------------------------------------------- look-alike letters (after lower-casing)

# Latin letters that look like a Cyrillic one, lower-cased (H, B, M, T, K only look alike as capitals: "Hовый").
_LATIN_TO_CYRILLIC = str.maketrans("abcehkmoptxy", "авсенкмортху")
_CYRILLIC_TO_LATIN = str.maketrans("асеокрху", "aceokpxy")
_LATIN = re.compile(r"[a-z]")
_CYRILLIC = re.compile(r"[а-я]")
_LATIN_ONLY = re.compile(r"[dfgijlnqrsuvwz]")  # Latin letters with no Cyrillic twin
_CYRILLIC_ONLY = re.compile(r"[бгджзийлпфцчшщъыьэюя]")  # lower-case Cyrillic letters with no Latin twin


def fix_lookalikes(word: str) -> str:
    """A word mixing scripts, read in the script its letters without a twin are in ("пoсылкa" -> "посылка").

    Words in one script, and words with twin-less letters of both scripts (a product code), stay as they are.
    """
    if not (_LATIN.search(word) and _CYRILLIC.search(word)):
        return word
    cyrillic, latin = bool(_CYRILLIC_ONLY.search(word)), bool(_LATIN_ONLY.search(word))
    if cyrillic and not latin:
        return word.translate(_LATIN_TO_CYRILLIC)
    if latin and not cyrillic:
        return word.translate(_CYRILLIC_TO_LATIN)
    if not cyrillic and not latin:  # only twins: the script most of its letters are in
        return word.translate(_LATIN_TO_CYRILLIC if len(_CYRILLIC.findall(word)) >= len(_LATIN.findall(word)) else _CYRILLIC_TO_LATIN)
    return word


# ---------------------------------------------------------------- the other keyboard layout (ЙЦУКЕН <-> QWERTY)

_QWERTY = "qwertyuiop[]asdfghjkl;'zxcvbnm,.`{}:\"<>~"
_JCUKEN = "йцукенгшщзхъфывапролджэячсмитьбюёхъжэбюё"
_TO_JCUKEN = str.maketrans(_QWERTY, _JCUKEN)
_TO_QWERTY = str.maketrans(_JCUKEN[:33], _QWERTY[:33])


def other_layout(chunk: str) -> str:
    """The same keys on the other layout: Latin (and [];',.`) as ЙЦУКЕН, Cyrillic as QWERTY."""
    return chunk.translate(_TO_QWERTY if _CYRILLIC.search(chunk) else _TO_JCUKEN)


# ---------------------------------------------------------------- Russian in Latin letters

# Longest first. GOST 7.79 system B (x, c, shh, y', j), passport ICAO (kh, ts, shch, ia, iu, i), and what people type
# (ya/ja, yu/ju, sh/ch/zh, h for х, w for в). "ts" reads as ц: т+с words ("отследить") still match through `skeleton`.
_READING = (
    ("shch", "щ"), ("sch", "щ"), ("shh", "щ"), ("zh", "ж"), ("kh", "х"), ("ch", "ч"), ("sh", "ш"), ("ts", "ц"),
    ("cz", "ц"), ("ya", "я"), ("ja", "я"), ("ia", "я"), ("yu", "ю"), ("ju", "ю"), ("iu", "ю"), ("yo", "е"),
    ("jo", "е"), ("ye", "е"), ("je", "е"), ("y'", "ы"), ("''", "ъ"), ("a", "а"), ("b", "б"), ("v", "в"), ("w", "в"),
    ("g", "г"), ("d", "д"), ("e", "е"), ("z", "з"), ("i", "и"), ("j", "й"), ("k", "к"), ("q", "к"), ("l", "л"),
    ("m", "м"), ("n", "н"), ("o", "о"), ("p", "п"), ("r", "р"), ("s", "с"), ("t", "т"), ("u", "у"), ("f", "ф"),
    ("h", "х"), ("x", "х"), ("c", "ц"), ("y", "ы"), ("'", "ь"), ("`", "ъ"), ("’", "ь"),
)
_READING_RE = re.compile("|".join(re.escape(latin) for latin, _ in _READING))
_READING_MAP = dict(_READING)
_VOWELS = frozenset("аеиоуыэюя")
_SHORT_I = re.compile(r"(?<=[аеиоуыэюя])[иы](?![аеиоуыэюя])")  # "moy", "dnei", "novyi": й after a vowel


def read_latin(chunk: str) -> str:
    """Russian written in Latin letters, read back in Cyrillic ("mozhno" -> "можно", "vy'brat'" -> "выбрать")."""
    return _SHORT_I.sub("й", _READING_RE.sub(lambda match: _READING_MAP[match.group()], chunk))


_CYRILLIC_SPELLING = str.maketrans({
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ж": "zh", "з": "z", "и": "i", "й": "i", "к": "k",
    "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "h",
    "ц": "c", "ч": "ch", "ш": "sh", "щ": "sh", "ъ": "", "ы": "i", "ь": "", "э": "e", "ю": "ju", "я": "ja",
})
_SKELETON_RE = re.compile(r"shch|sch|shh|ts|tc|tz|cz|kh|ya|ja|ia|yu|ju|iu|yo|jo|ye|je|x|w|q|ck|[yj]|[’'`]")
_SKELETON_MAP = {
    "shch": "sh", "sch": "sh", "shh": "sh", "ts": "c", "tc": "c", "tz": "c", "cz": "c", "kh": "h", "ya": "ja", "ja": "ja",
    "ia": "ja", "yu": "ju", "ju": "ju", "iu": "ju", "yo": "e", "jo": "e", "ye": "e", "je": "e", "x": "h", "w": "v", "q": "k",
    "ck": "k", "y": "i", "j": "i", "’": "", "'": "", "`": "",
}
_DOUBLE = re.compile(r"(.)\1+")


def skeleton(word: str) -> str:
    """A spelling-blind Latin key: the same for a Cyrillic word and the usual ways of writing it in Latin letters.

    Both sides go through the same lossy rewrite (щ/ш, ц/ts, и/й/ы, я as ya/ja/ia, doubled letters once), so
    "otsledit" and "отследить" meet whatever the writer's scheme; what it merges by accident the index shows anyway.
    """
    latin = word.translate(_CYRILLIC_SPELLING) if _CYRILLIC.search(word) else word
    return _DOUBLE.sub(r"\1", _SKELETON_RE.sub(lambda match: _SKELETON_MAP.get(match.group(), match.group()), latin))


# ---------------------------------------------------------------- edit distance over a vocabulary

PREFIX = 7  # SymSpell's prefix: deletions of the first 7 letters find every word within 2 edits, at 29 keys a word


def max_edits(word: str) -> int:
    """Edits allowed for a word: none up to 3 letters (and never in numbers), 1, or 2 from 8 letters on."""
    if len(word) <= 3 or not word.isalpha():
        return 0
    return 2 if len(word) >= 8 else 1


def _deletions(word: str, edits: int) -> set[str]:
    found = {word}
    frontier = {word}
    for _ in range(edits):
        frontier = {w[:i] + w[i + 1:] for w in frontier for i in range(len(w))} - found
        found |= frontier
    return found


class Neighbourhood:
    """Words within 1-2 edits (Damerau OSA: a swap of neighbours is one edit) of a word, out of a fixed vocabulary.

    Deletion neighbourhoods (SymSpell): every word files its deletions of up to 2 letters under its prefix; a query's
    own deletions meet them, and the edit distance only checks the few candidates that share a key.
    """

    def __init__(self, words: Iterable[str]) -> None:
        self._keys: dict[str, list[str]] = {}
        for word in set(words):
            if len(word) < 3 or not word.isalpha():
                continue
            for key in _deletions(word[:PREFIX], 2):
                self._keys.setdefault(key, []).append(word)

    def near(self, word: str, edits: int) -> tuple[int, list[str]]:
        """(distance, the vocabulary words at that smallest distance, 1 to `edits`); (0, []) if none."""
        if edits <= 0:
            return 0, []
        from editdistpy import damerau_osa  # ~1 ms import, 250 KB wheel: only once a word needs it

        candidates: set[str] = set()
        for key in _deletions(word[:PREFIX], edits):
            candidates.update(self._keys.get(key, ()))
        best, nearest = edits + 1, []
        for candidate in candidates:
            if candidate == word or abs(len(candidate) - len(word)) > edits:
                continue
            distance = damerau_osa.distance(word, candidate, edits)
            if 0 < distance < best:
                best, nearest = distance, [candidate]
            elif distance == best:
                nearest.append(candidate)
        return (best, sorted(nearest)) if nearest else (0, [])

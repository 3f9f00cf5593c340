"""Answer search quality on the demo corpus: top-1 and top-3 hit rates of the evaluation set.

    python -m devstack.answers_eval        (make eval)

Each line of tests/data/answers_eval.jsonl is a buyer question with its language, topic, seller and the answer
that should win. Candidates are what a resolution would see (the seller's and the platform's published answers
for that topic, both languages), ranked by the very function the service uses.

tests/data/answers_eval_noisy.jsonl holds the same kind of lines written as buyers mistype them, each with a `kind`
(typo_ru, typo_en, layout, translit, lookalike) and a `split`: "tuning" may be looked at while tuning the search,
"held_out" is only scored (the targets apply to it). tests/data/answers_eval_unrelated.jsonl holds questions no answer
is about (`expected` null): any answer shown first for one of them is a false first.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chalicelib.answers.suggest import AnswerSet, suggest
from chalicelib.models.answers import PLATFORM_OWNER, Answer, AnswerStatus, Locale
from chalicelib.models.common import Topic
from devstack.stack import PROJECT_DIR, demo_answers

EVAL_SET = PROJECT_DIR / "tests" / "data" / "answers_eval.jsonl"
NOISY_SET = PROJECT_DIR / "tests" / "data" / "answers_eval_noisy.jsonl"
UNRELATED_SET = PROJECT_DIR / "tests" / "data" / "answers_eval_unrelated.jsonl"
SPLITS = ("tuning", "held_out")


@dataclass
class EvalResult:
    questions: int = 0
    top1: int = 0
    top3: int = 0
    misses: list[dict[str, object]] = field(default_factory=list)
    by_locale: dict[str, list[int]] = field(default_factory=dict)  # locale -> [questions, top1, top3]

    @property
    def top1_rate(self) -> float:
        return self.top1 / self.questions if self.questions else 0.0

    @property
    def top3_rate(self) -> float:
        return self.top3 / self.questions if self.questions else 0.0


def published_for(corpus: list[Answer], owner: str, topic: Topic) -> AnswerSet:
    return AnswerSet(tuple(a for a in corpus if a.owner == owner and topic in a.topics and a.status is AnswerStatus.PUBLISHED))


def cases(eval_set: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in eval_set.read_text().splitlines() if line.strip()]


def suggested_ids(corpus: list[Answer], case: dict[str, Any]) -> list[str]:
    """The answer ids a resolution would show for the case's question, best first."""
    topic = Topic(case["topic"])
    sets = [published_for(corpus, case["seller_id"], topic), published_for(corpus, PLATFORM_OWNER, topic)]
    return [answer.id for answer in suggest(sets, Locale(case["locale"]), case["question"])]


def evaluate(corpus: list[Answer] | None = None, eval_set: Path = EVAL_SET, split: str | None = None) -> EvalResult:
    """Top-1 / top-3 over the cases of `eval_set` (only those of `split` if given)."""
    corpus = corpus if corpus is not None else demo_answers()
    result = EvalResult()
    for case in cases(eval_set):
        if split is not None and case.get("split") != split:
            continue
        ids = suggested_ids(corpus, case)
        counts = result.by_locale.setdefault(case["locale"], [0, 0, 0])
        result.questions += 1
        counts[0] += 1
        if ids[:1] == [case["expected"]]:
            result.top1 += 1
            counts[1] += 1
        if case["expected"] in ids[:3]:
            result.top3 += 1
            counts[2] += 1
        else:
            result.misses.append({"question": case["question"], "expected": case["expected"], "got": ids})
    return result


def evaluate_kinds(corpus: list[Answer] | None = None, eval_set: Path = NOISY_SET) -> dict[tuple[str, str], EvalResult]:
    """(kind, split) -> top-1 / top-3 of the noisy set."""
    corpus = corpus if corpus is not None else demo_answers()
    results: dict[tuple[str, str], EvalResult] = {}
    for case in cases(eval_set):
        result = results.setdefault((case["kind"], case["split"]), EvalResult())
        ids = suggested_ids(corpus, case)
        result.questions += 1
        result.top1 += ids[:1] == [case["expected"]]
        if case["expected"] in ids[:3]:
            result.top3 += 1
        else:
            result.misses.append({"question": case["question"], "expected": case["expected"], "got": ids, "split": case["split"]})
    return results


def false_firsts(corpus: list[Answer] | None = None, eval_set: Path = UNRELATED_SET) -> dict[str, list[dict[str, Any]]]:
    """split -> the unrelated questions of that split, each with what was shown (a non-empty `got` is a false first)."""
    corpus = corpus if corpus is not None else demo_answers()
    found: dict[str, list[dict[str, Any]]] = {split: [] for split in SPLITS}
    for case in cases(eval_set):
        found[case["split"]].append({"question": case["question"], "got": suggested_ids(corpus, case)})
    return found


def _rate(hits: int, questions: int) -> str:
    return f"{hits / questions:.1%}" if questions else "-"


def main() -> int:
    result = evaluate()
    for case in result.misses:
        print(f"miss: {case['question']!r}: expected {case['expected']}, got {case['got']}")
    for locale, (questions, top1, top3) in sorted(result.by_locale.items()):
        print(f"{locale}: {questions} questions, top-1 {top1 / questions:.1%}, top-3 {top3 / questions:.1%}")
    print(f"all: {result.questions} questions, top-1 {result.top1_rate:.1%}, top-3 {result.top3_rate:.1%}")

    kinds = evaluate_kinds()
    print("\nnoisy questions (tests/data/answers_eval_noisy.jsonl); targets apply to held_out: top-3 >= 85 % per kind")
    for (kind, split), counts in sorted(kinds.items()):
        for case in counts.misses:
            print(f"miss [{kind}, {split}]: {case['question']!r}: expected {case['expected']}, got {case['got']}")
    print(f"| {'kind':<10} | tuning n | tuning top-1 | tuning top-3 | held-out n | held-out top-1 | held-out top-3 |")
    print("|------------|---------:|-------------:|-------------:|-----------:|---------------:|---------------:|")
    for kind in sorted({kind for kind, _ in kinds}):
        tuning, held = kinds.get((kind, "tuning"), EvalResult()), kinds.get((kind, "held_out"), EvalResult())
        print(f"| {kind:<10} | {tuning.questions:>8} | {_rate(tuning.top1, tuning.questions):>12} | {_rate(tuning.top3, tuning.questions):>12} "
              f"| {held.questions:>10} | {_rate(held.top1, held.questions):>14} | {_rate(held.top3, held.questions):>14} |")

    unrelated = false_firsts()
    print("\nunrelated questions (tests/data/answers_eval_unrelated.jsonl): an answer shown first is a false first (target <= 5 %)")
    for split in SPLITS:
        shown = [case for case in unrelated[split] if case["got"]]
        for case in shown:
            print(f"false first [{split}]: {case['question']!r}: got {case['got']}")
        print(f"{split}: {len(unrelated[split])} questions, false firsts {_rate(len(shown), len(unrelated[split]))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Answer search quality on the demo corpus: top-1 and top-3 hit rates of the evaluation set.

    python -m devstack.answers_eval        (make eval)

Each line of tests/data/answers_eval.jsonl is a buyer question with its language, topic, seller and the answer
that should win. Candidates are what a resolution would see (the seller's and the platform's published answers
for that topic, both languages), ranked by the very function the service uses.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

from chalicelib.answers.suggest import AnswerSet, suggest
from chalicelib.models.answers import PLATFORM_OWNER, Answer, AnswerStatus, Locale
from chalicelib.models.common import Topic
from devstack.stack import PROJECT_DIR, demo_answers

EVAL_SET = PROJECT_DIR / "tests" / "data" / "answers_eval.jsonl"


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


def evaluate(corpus: list[Answer] | None = None, eval_set: Path = EVAL_SET) -> EvalResult:
    corpus = corpus if corpus is not None else demo_answers()
    result = EvalResult()
    for line in eval_set.read_text().splitlines():
        if not line.strip():
            continue
        case = json.loads(line)
        topic = Topic(case["topic"])
        sets = [published_for(corpus, case["seller_id"], topic), published_for(corpus, PLATFORM_OWNER, topic)]
        ids = [answer.id for answer in suggest(sets, Locale(case["locale"]), case["question"])]
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


def main() -> int:
    result = evaluate()
    for case in result.misses:
        print(f"miss: {case['question']!r}: expected {case['expected']}, got {case['got']}")
    for locale, (questions, top1, top3) in sorted(result.by_locale.items()):
        print(f"{locale}: {questions} questions, top-1 {top1 / questions:.1%}, top-3 {top3 / questions:.1%}")
    print(f"all: {result.questions} questions, top-1 {result.top1_rate:.1%}, top-3 {result.top3_rate:.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""百事通 accuracy on the labelled questions against the demo catalog: top-1 and top-3.

    .venv/bin/python bench/guide/accuracy.py [-v]

A matter question counts when one of its `answers` is the first (top-1) or among the
first three (top-3) results; a referral question counts when the referral is the right
agency. Prints every miss with what came back.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

QUESTIONS = Path(__file__).resolve().parent / "questions.yaml"


@dataclass
class Score:
    total: int = 0
    top1: int = 0
    top3: int = 0

    def pct(self, n: int) -> float:
        return 100.0 * n / self.total if self.total else 0.0


def evaluate(questions: list[dict], search) -> tuple[Score, Score, list[str]]:  # type: ignore[no-untyped-def]
    matters, referrals, misses = Score(), Score(), []
    for item in questions:
        answer = search(item["q"])
        codes = [h.code for h in answer.results]
        if "referral" in item:
            got = answer.referral.code if answer.referral else None
            ok = got == item["referral"]
            referrals.total += 1
            referrals.top1 += ok
            referrals.top3 += ok
            if not ok:
                misses.append(
                    f"{item['q']}: referral {got!r}, want {item['referral']!r}; results {codes[:3]}"
                )
            continue
        want = set(item["answers"])
        matters.total += 1
        top1 = bool(codes[:1]) and codes[0] in want
        top3 = bool(want & set(codes[:3]))
        matters.top1 += top1
        matters.top3 += top3
        if not top1:
            tag = "top-3" if top3 else "MISS"
            misses.append(f"[{tag}] {item['q']}: got {codes[:3]}, want {sorted(want)}")
    return matters, referrals, misses


def load_questions() -> list[dict]:
    return yaml.safe_load(QUESTIONS.read_text(encoding="utf-8"))


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import _django

    _django.setup()
    from tongban.selfservice.selectors import guide_search

    questions = load_questions()
    matters, referrals, misses = evaluate(questions, lambda q: guide_search(q=q))
    both = Score(
        matters.total + referrals.total, matters.top1 + referrals.top1, matters.top3 + referrals.top3
    )
    print(f"questions: {both.total} ({matters.total} catalog, {referrals.total} referral)")
    print(f"catalog   top-1 {matters.pct(matters.top1):5.1f}%  top-3 {matters.pct(matters.top3):5.1f}%")
    print(f"referral  correct {referrals.pct(referrals.top1):5.1f}%")
    print(f"overall   top-1 {both.pct(both.top1):5.1f}%  top-3 {both.pct(both.top3):5.1f}%")
    if "-v" in sys.argv or misses:
        print("\nnot first:")
        for line in misses:
            print("  " + line)


if __name__ == "__main__":
    main()

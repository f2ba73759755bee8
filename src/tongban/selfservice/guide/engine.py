"""百事通 answers: catalog hits best first, plus a referral when the question is outside the center."""

from __future__ import annotations

from dataclasses import dataclass

from tongban.selfservice.guide.base import Hit
from tongban.selfservice.guide.corpus import get_index
from tongban.selfservice.guide.referrals import Referral, default_referral, match_referral

# A hit must explain this share of the question's informative words to be shown at all...
MIN_COVERAGE = 0.25
# ...and this much when the question clearly names another agency's business (护照, 公积金…).
MIN_COVERAGE_WITH_REFERRAL = 0.6
# Below this share the answer is logged as low-confidence for the catalog team.
CONFIDENT_COVERAGE = 0.5
# Hits scoring under this share of the best hit are noise.
RELATIVE_SCORE_FLOOR = 0.3


@dataclass(frozen=True)
class Answer:
    question: str
    results: list[Hit]
    referral: Referral | None
    referral_matched: tuple[str, ...]  # the question's words that chose the referral; () for the fallback
    confident: bool

    @property
    def unanswered(self) -> bool:
        return not self.results and not self.referral_matched


def answer(question: str, *, limit: int = 5) -> Answer:
    index = get_index()
    query = index.analyzer.parse(question)
    if not query.text:
        return Answer(question="", results=[], referral=None, referral_matched=(), confident=True)
    hits = index.backend.search(query, limit=max(limit * 3, 15))
    matched = match_referral(query.text)
    if matched and not matched[0].priority and hits and hits[0].coverage >= CONFIDENT_COVERAGE:
        # the catalog itself speaks of what the referral keyword names: the center handles it
        vocabulary: set[str] = getattr(index.backend, "vocabulary", set())
        if all(part in vocabulary for k in matched[1] for part in k.split("+")):
            matched = None
    if not matched:
        kept = [h for h in hits if h.coverage >= MIN_COVERAGE]
    elif beyond := _beyond_referral(query.terms, matched[1]):
        # the rest of the question may be the center's: 老伴走了，他的公积金能不能取 is also 身后一件事. A hit
        # is judged on the words the referral leaves, held to the stricter floor of a question that names
        # another agency when it is all the question has (MIN_COVERAGE_WITH_REFERRAL)
        share = len(query.terms) / len(beyond)
        floor = MIN_COVERAGE if len(beyond) < len(query.terms) else MIN_COVERAGE_WITH_REFERRAL
        kept = [h for h in hits if h.coverage * share >= floor]
    else:
        # every informative word is part of what chose the referral ("身份证丢" for 我的身份证丢了): catalog
        # entries matching those words (every material list names 身份证) answer another question
        kept = []
    if kept:
        top = kept[0].score
        kept = [h for h in kept if h.score >= RELATIVE_SCORE_FLOOR * top]
    # the most complete explanation first among near-equal scores: coverage breaks BM25 ties
    kept.sort(key=lambda h: (-(h.score * (0.5 + h.coverage)), h.code))
    kept = kept[:limit]
    referral: Referral | None = None
    if matched:
        referral = matched[0]
    elif not kept:
        referral = default_referral()
    confident = bool(matched) or bool(kept and kept[0].coverage >= CONFIDENT_COVERAGE)
    return Answer(
        question=query.text,
        results=kept,
        referral=referral,
        referral_matched=matched[1] if matched else (),
        confident=confident,
    )


def _beyond_referral(terms: tuple[str, ...], keywords: tuple[str, ...]) -> tuple[str, ...]:
    """The question's informative words that are not inside one of the referral keywords it matched."""
    found = [k.replace("+", "") for k in keywords]
    return tuple(t for t in terms if not any(t in k for k in found))

"""Referrals: where a question outside the center's business should go, and why (never silence)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from tongban.selfservice.guide.text import normalise

DATA_FILE = Path(__file__).resolve().parent / "data" / "referrals.yaml"


@dataclass(frozen=True)
class Referral:
    code: str
    name: str
    name_en: str
    phone: str
    why: str
    why_en: str
    keywords: tuple[str, ...]
    priority: int = 0
    default: bool = False


@lru_cache(maxsize=1)
def referrals() -> tuple[Referral, ...]:
    rows = yaml.safe_load(DATA_FILE.read_text(encoding="utf-8"))
    return tuple(
        Referral(
            code=row["code"],
            name=row["name"],
            name_en=row.get("name_en", ""),
            phone=str(row["phone"]),
            why=row["why"],
            why_en=row.get("why_en", ""),
            keywords=tuple(normalise(k) for k in row.get("keywords", [])),
            priority=int(row.get("priority", 0)),
            default=bool(row.get("default", False)),
        )
        for row in rows
    )


def default_referral() -> Referral:
    return next(r for r in referrals() if r.default)


def match_referral(text: str) -> tuple[Referral, tuple[str, ...]] | None:
    """The agency whose keywords the (normalised) question contains; emergencies first, then most text."""
    best: tuple[tuple[int, bool, int, int], Referral, tuple[str, ...]] | None = None
    for ref in referrals():
        found = tuple(k for k in ref.keywords if all(part in text for part in k.split("+")))
        if not found:
            continue
        sizes = [len(k.replace("+", "")) for k in found]
        # emergencies first; then a specific agency over the general hotline; then the most text matched
        rank = (ref.priority, not ref.default, max(sizes), sum(sizes))
        if best is None or rank > best[0]:
            best = (rank, ref, found)
    return (best[1], best[2]) if best else None

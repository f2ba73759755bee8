"""Data generator for the calendar benchmark: reproducible (start, n) and (a, b) pairs.

Starts are spread over 2020–2030 (the seeded years); n is a realistic deadline
length (1–120 working days: 行政许可 20, +10 extension, 工程建设 ≤100).
"""

from __future__ import annotations

import random
from datetime import date, timedelta


def pairs(count: int, seed: int = 20261126) -> list[tuple[date, int]]:
    rng = random.Random(seed)
    base = date(2020, 1, 1)
    return [(base + timedelta(days=rng.randrange(0, 3650)), rng.randint(1, 120)) for _ in range(count)]


def ranges(count: int, seed: int = 20261127) -> list[tuple[date, date]]:
    rng = random.Random(seed)
    base = date(2020, 1, 1)
    out = []
    for _ in range(count):
        a = base + timedelta(days=rng.randrange(0, 3500))
        out.append((a, a + timedelta(days=rng.randint(0, 180))))
    return out

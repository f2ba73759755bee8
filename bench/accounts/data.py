"""Data generator for the accounts benchmark: distinct, valid mainland mobile numbers (reproducible)."""

from __future__ import annotations

import random


def phones(count: int, seed: int = 20261126) -> list[str]:
    rng = random.Random(seed)
    prefixes = ["135", "136", "137", "138", "139", "150", "151", "158", "186", "188"]
    seen: set[str] = set()
    out: list[str] = []
    while len(out) < count:
        number = rng.choice(prefixes) + f"{rng.randrange(10**8):08d}"
        if number not in seen:
            seen.add(number)
            out.append(number)
    return out

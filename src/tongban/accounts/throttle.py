"""Fixed-window failure counters in the shared cache (database cache in the demo, Redis in production).

Used to slow down password guessing on the staff login page and the token API.
SMS codes do not use this: their own rows are the ledger (see ``SmsCode``).
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

from django.core.cache import cache


@dataclass(frozen=True)
class Window:
    name: str
    limit: int
    seconds: int


def _key(window: Window, subject: str) -> tuple[str, int]:
    bucket = int(time.time()) // window.seconds
    digest = hashlib.sha256(subject.encode("utf-8")).hexdigest()[:32]
    return f"tb:throttle:{window.name}:{digest}:{bucket}", bucket


def retry_after(window: Window, subject: str) -> int:
    """Seconds until ``subject`` may try again; 0 when it is under the limit."""
    key, bucket = _key(window, subject)
    count = cache.get(key, 0)
    if count < window.limit:
        return 0
    return max(1, (bucket + 1) * window.seconds - int(time.time()))


def hit(window: Window, subject: str) -> int:
    """Count one failure; returns the count in the current window."""
    key, _ = _key(window, subject)
    if cache.add(key, 1, timeout=window.seconds + 5):
        return 1
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window.seconds + 5)
        return 1


def reset(window: Window, subject: str) -> None:
    key, _ = _key(window, subject)
    cache.delete(key)

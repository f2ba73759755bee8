"""Per-process caches of rarely changing configuration rows read on the hot paths."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


class ConfigCache:
    """Per-process cache of rarely changing configuration rows (queue rules, catalog rows) on the hot
    paths (ticket machine, call next, intake): a change made in another process takes effect within
    ``ttl`` seconds. Never holds tickets, cases or other state. Thread-safe; values are shared, so
    callers treat them as read-only."""

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._data: dict[Any, tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def get(self, key: Any, load: Callable[[], T], *, cache_none: bool = True) -> T:
        now = time.monotonic()
        hit = self._data.get(key)
        if hit is not None and 0 <= now - hit[0] < self.ttl:
            value: T = hit[1]
            return value
        value = load()
        if value is not None or cache_none:
            with self._lock:
                self._data[key] = (now, value)
        return value

    def forget(self, key: Any) -> None:
        """Drop one entry (the next ``get`` loads it again)."""
        with self._lock:
            self._data.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()

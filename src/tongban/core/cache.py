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
    ``ttl`` seconds (plus the time of one load). Never holds tickets, cases or other state. Thread-safe;
    values are shared, so callers treat them as read-only.

    When an entry expires, one thread loads it again and the other threads of the process go on with the
    old value until it has: otherwise every request arriving during the load runs the load too, and on a
    busy worker that was every thread at once (the wait estimate's refresh: 23 copies of a 100–420 ms
    query within three seconds, every 30 s, in the queue bench; bench/README.md "Queue"). Only a key never loaded makes its
    callers wait for their own load."""

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._data: dict[Any, tuple[float, Any]] = {}
        self._loading: set[Any] = set()
        self._lock = threading.Lock()

    def get(self, key: Any, load: Callable[[], T], *, cache_none: bool = True) -> T:
        now = time.monotonic()
        hit = self._data.get(key)
        if hit is not None and 0 <= now - hit[0] < self.ttl:
            value: T = hit[1]
            return value
        if hit is not None:
            with self._lock:
                if key in self._loading:  # another thread is loading it: the old value meanwhile
                    stale: T = hit[1]
                    return stale
                self._loading.add(key)
        try:
            value = load()
            with self._lock:
                if value is not None or cache_none:
                    self._data[key] = (now, value)
                else:  # gone: no one may go on with the old value
                    self._data.pop(key, None)
        finally:
            if hit is not None:
                with self._lock:
                    self._loading.discard(key)
        return value

    def forget(self, key: Any) -> None:
        """Drop one entry (the next ``get`` loads it again)."""
        with self._lock:
            self._data.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()

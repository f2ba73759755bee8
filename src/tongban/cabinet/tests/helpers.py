from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.db import OperationalError


def wait_for(check: Callable[[], Any], timeout: float = 10.0, interval: float = 0.02) -> Any:
    """Poll ``check`` until it returns something truthy (the broker and the consumer are asynchronous)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = check()
        except OperationalError:  # SQLite's shared in-memory test database: a writer holds the table
            value = None
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {check}")
        time.sleep(interval)


def db(call: Callable[[], Any], attempts: int = 100) -> Any:
    """Run a database call from the test thread while a consumer thread writes.

    On PostgreSQL it simply runs. SQLite's shared in-memory test database raises "table is
    locked" instead of waiting; the call's transaction was rolled back, so it is retried.
    """
    for attempt in range(attempts):
        try:
            return call()
        except OperationalError:
            if attempt == attempts - 1:
                raise
            time.sleep(0.02)
    return None  # pragma: no cover

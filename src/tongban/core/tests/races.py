"""Two requests at the same moment, in a fixed order, on PostgreSQL: the first holds its transaction open until
the second waits on a lock the first holds, then commits. A race that a barrier of threads hits only sometimes
happens here every time (a double click, two tabs, two windows)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from django.db import connection, connections, transaction


def wait_until_blocked_on_a_lock(timeout: float = 30.0) -> None:
    """Until another backend of this database waits on a lock (row, unique index entry or advisory lock)."""
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
            )
            if cursor.fetchone()[0]:
                return
            time.sleep(0.01)
    raise AssertionError("the second request never waited for the first")


def first_holds_second_waits(
    first: Callable[[], Any], second: Callable[[], Any], *, timeout: float = 30.0
) -> tuple[Any, Any]:
    """Run ``first()`` in a transaction held open; then ``second()`` in another thread; commit the first once
    the second waits on a lock. Returns the first's result and the second's result or the exception it raised
    (the first's exceptions are raised here). Fails if the second never waits: nothing then serialises them."""
    started, release = threading.Event(), threading.Event()
    out: dict[str, Any] = {}

    def run_first() -> None:
        try:
            with transaction.atomic():
                out["first"] = first()
                started.set()
                release.wait(timeout)
        except BaseException as exc:  # noqa: BLE001 - raised in the test's thread below
            out["first_error"] = exc
            started.set()
        finally:
            connections.close_all()

    def run_second() -> None:
        try:
            out["second"] = second()
        except Exception as exc:  # noqa: BLE001 - returned to the test
            out["second"] = exc
        finally:
            connections.close_all()

    t1 = threading.Thread(target=run_first)
    t1.start()
    assert started.wait(timeout), "the first request never finished"
    if "first_error" in out:
        t1.join(timeout)
        raise out["first_error"]
    t2 = threading.Thread(target=run_second)
    t2.start()
    try:
        wait_until_blocked_on_a_lock(timeout)
    finally:
        release.set()
        t1.join(timeout)
        t2.join(timeout)
    if "first_error" in out:
        raise out["first_error"]
    return out["first"], out["second"]

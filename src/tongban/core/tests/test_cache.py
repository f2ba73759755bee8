"""ConfigCache: per-process, time-bounded, and one reload at a time (core/cache.py)."""

from __future__ import annotations

import threading

import pytest

from tongban.core.cache import ConfigCache


class Clock:
    """The cache's monotonic clock, moved by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch):
    c = Clock()
    monkeypatch.setattr("tongban.core.cache.time.monotonic", lambda: c.now)
    return c


def test_a_value_is_kept_for_its_ttl_and_then_loaded_again(clock):
    cache = ConfigCache(30)
    loads = iter(["first", "second"])
    assert cache.get("k", lambda: next(loads)) == "first"
    clock.advance(29)
    assert cache.get("k", lambda: next(loads)) == "first"
    clock.advance(2)
    assert cache.get("k", lambda: next(loads)) == "second"


def test_while_one_thread_reloads_an_expired_value_the_others_go_on_with_the_old_one(clock):
    """The stampede this prevents: every request arriving during a slow reload ran the reload too."""
    cache = ConfigCache(30)
    cache.get("estimate", lambda: "old")
    clock.advance(31)

    started, release = threading.Event(), threading.Event()
    calls: list[str] = []

    def slow_load() -> str:
        calls.append("load")
        started.set()
        assert release.wait(10)
        return "new"

    got: list[str] = []
    loader = threading.Thread(target=lambda: got.append(cache.get("estimate", slow_load)))
    loader.start()
    assert started.wait(10)
    # meanwhile, other requests of the process: served at once, from the old value, without loading
    others = [cache.get("estimate", slow_load) for _ in range(5)]
    release.set()
    loader.join(10)
    assert others == ["old"] * 5
    assert calls == ["load"]
    assert got == ["new"]
    assert cache.get("estimate", slow_load) == "new"  # and now fresh for another ttl


def test_a_failed_reload_lets_the_next_caller_try_again(clock):
    cache = ConfigCache(30)
    cache.get("k", lambda: "old")
    clock.advance(31)

    def broken() -> str:
        raise ConnectionError("database gone")

    with pytest.raises(ConnectionError):
        cache.get("k", broken)
    assert cache.get("k", lambda: "new") == "new"


def test_a_row_gone_since_is_not_served_from_the_old_value(clock):
    cache = ConfigCache(30)
    cache.get("center", lambda: "BENCH-Q", cache_none=False)
    clock.advance(31)
    assert cache.get("center", lambda: None, cache_none=False) is None
    assert cache.get("center", lambda: None, cache_none=False) is None
    assert cache.get("center", lambda: "back", cache_none=False) == "back"

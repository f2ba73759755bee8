"""Shared pytest fixtures. App-specific factories live in src/tongban/<app>/tests/factories.py."""

import pytest


@pytest.fixture(autouse=True)
def _fresh_calendar_index():
    """The working-day index is cached per process; every test starts from the database."""
    from tongban.core.calendar import invalidate_index

    invalidate_index()
    yield
    invalidate_index()


@pytest.fixture(autouse=True)
def _fresh_catalog_cache():
    """Intake's catalog rows are cached per process; every test starts from the database (SQLite
    reuses the primary keys of rolled-back rows, so a cached guide version could be another test's)."""
    from tongban.catalog.cache import _clear

    _clear()
    yield
    _clear()


@pytest.fixture(autouse=True)
def _fresh_queue_rules():
    """A center's queue rules are cached per process (30 s) and read by other apps too (the rating pad's
    hall networks): SQLite reuses the primary keys of rolled-back rows, so a cached entry could be another
    test's center."""
    from tongban.queueing.rules import config_cache

    config_cache.clear()
    yield
    config_cache.clear()


@pytest.fixture(autouse=True)
def _media_root(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def browser_page(live_server, settings):
    """A Playwright page in Debian's Chromium (headless), pointed at ``live_server``.

    Usage: ``page = browser_page; page.goto(live_server.url + "/...")``.
    """
    import os

    from playwright.sync_api import sync_playwright

    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium",
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.set_default_timeout(10_000)
        try:
            yield page
        finally:
            context.close()
            browser.close()


@pytest.fixture(scope="session", autouse=True)
def _import_every_url_module_before_any_clock_is_frozen():
    """Import the whole URLconf (views, DRF) once, outside freezegun.

    Modules that capture ``time.time`` at import (DRF's throttling) would otherwise keep
    freezegun's stand-in if the first request of the run happened inside ``freeze_time``.
    """
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - the import is the point

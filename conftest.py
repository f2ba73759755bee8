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
def _media_root(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"

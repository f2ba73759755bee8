import pytest


@pytest.fixture(autouse=True)
def _fresh_queue_caches(settings):
    """Per-process caches (wait estimate, broker) must not leak between tests."""
    from tongban.queueing import live
    from tongban.queueing.rules import config_cache
    from tongban.queueing.services import tickets

    settings.USE_REDIS = False
    tickets._estimate_cache.clear()
    config_cache.clear()
    live._broker = None
    yield
    tickets._estimate_cache.clear()
    config_cache.clear()
    live._broker = None


@pytest.fixture
def clerk_at(db):
    """clerk_at(window) -> a clerk of the window's center (not yet signed on)."""
    from tongban.accounts.tests.factories import ClerkFactory

    def make(window):
        return ClerkFactory(center=window.center, default_window=window)

    return make

import pytest


@pytest.fixture(autouse=True)
def _fresh_queue_caches(settings):
    """Per-process caches (wait estimate, broker) must not leak between tests."""
    from tongban.queueing import live
    from tongban.queueing.rules import config_cache
    from tongban.queueing.services import tickets

    def clear() -> None:
        tickets._estimate_cache.clear()
        config_cache.clear()
        live._broker = None
        # when each center's displays last heard "the line changed": a test under freeze_time leaves a frozen
        # clock reading here, which would hold back the next test's messages for the same center id for days
        with live._waiting_lock:
            live._waiting_sent.clear()
            live._waiting_due.clear()

    settings.USE_REDIS = False
    clear()
    yield
    clear()


@pytest.fixture
def clerk_at(db):
    """clerk_at(window) -> a clerk of the window's center (not yet signed on)."""
    from tongban.accounts.tests.factories import ClerkFactory

    def make(window):
        return ClerkFactory(center=window.center, default_window=window)

    return make

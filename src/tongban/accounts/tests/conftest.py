import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _clean_throttles():
    """Password/OTP failure counters live in the cache; each test starts with none."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def two_factor_on(settings):
    settings.STAFF_2FA_REQUIRED = True
    return settings


@pytest.fixture
def two_factor_off(settings):
    settings.STAFF_2FA_REQUIRED = False
    return settings

import pytest

from tongban.core.tests.fixtures import load_calendar


@pytest.fixture
def official_calendar(db):
    load_calendar()


@pytest.fixture
def official_notices(db):
    """Only the shipped official notices (2025, 2026): cheaper than the whole calendar."""
    from tongban.core.services import calendar_import_shipped_notices

    calendar_import_shipped_notices()

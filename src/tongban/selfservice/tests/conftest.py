import pytest

from tongban.selfservice.guide.corpus import guide_index_invalidate


@pytest.fixture(autouse=True)
def _fresh_guide_index(settings):
    """Each test sees its own catalog: rebuild the in-memory 百事通 index on first use."""
    settings.GUIDE_INDEX_CHECK_SECONDS = 0
    guide_index_invalidate()
    yield
    guide_index_invalidate()


@pytest.fixture
def catalog(db):
    from tongban.selfservice.tests.factories import mini_catalog

    mini_catalog()

import pytest

from tongban.catalog.demo import DEMO_FILE
from tongban.catalog.transfer import catalog_import, catalog_parse


@pytest.fixture
def demo_catalog(db):
    """The demo catalog, loaded through the importer (45 matters, 3 bundles, 2 centers)."""
    return catalog_import(
        data=catalog_parse(DEMO_FILE.read_text(encoding="utf-8"), fmt="yaml"), note="演示目录"
    )

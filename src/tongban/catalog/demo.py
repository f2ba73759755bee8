"""Demo catalog: loaded from fixtures/demo_catalog.yaml through the import service (proves the importer)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .transfer import catalog_import, catalog_parse

DEMO_FILE = Path(__file__).resolve().parent / "fixtures" / "demo_catalog.yaml"
DEMO_CENTER = "YP-CBXC"


def load(stdout: Any) -> None:
    data = catalog_parse(DEMO_FILE.read_text(encoding="utf-8"), fmt="yaml")
    report = catalog_import(data=data, actor=None, note="演示目录")
    stdout.write(f"  catalog: {report.summary()}\n")

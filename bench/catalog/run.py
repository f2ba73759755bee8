"""Catalog benchmark: import, re-import, export and search over a generated catalog.

    TONGBAN_DEMO=1 TONGBAN_VAR_DIR=/tmp/tb-bench .venv/bin/python manage.py migrate
    TONGBAN_DEMO=1 TONGBAN_VAR_DIR=/tmp/tb-bench .venv/bin/python bench/catalog/run.py 5000
    (prefix DATABASE_URL=postgres://... for PostgreSQL; use an empty database)

Prints one Markdown table row per measurement.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tongban.conf.settings")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from gen_catalog import generate  # noqa: E402

from tongban.catalog.models import Matter  # noqa: E402
from tongban.catalog.selectors import bundle_get, bundle_materials, matter_search  # noqa: E402
from tongban.catalog.transfer import catalog_export, catalog_import, catalog_validate  # noqa: E402

QUERIES = [
    "病历本",
    "生孩子",
    "居住证",
    "低保",
    "宝宝 医保",
    "退休",
    "残疾证",
    "失业金",
    "火星移民",
    "YB-NEWBORN-00011",
]


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    if Matter.objects.exists():
        sys.exit("use an empty database")
    data = generate(n)
    vendor = connection.vendor
    rows = []
    errors, t = timed(lambda: catalog_validate(data))
    assert errors == []
    rows.append(("validate", t))
    _, t = timed(lambda: catalog_import(data=data))
    rows.append(("import (new)", t))
    report, t = timed(lambda: catalog_import(data=data))
    assert report.published == []
    rows.append(("re-import (unchanged)", t))
    _, t = timed(catalog_export)
    rows.append(("export", t))
    for q in QUERIES:  # warm
        list(matter_search(q=q)[:50])
    samples = []
    for _ in range(5):
        for q in QUERIES:
            _, t = timed(lambda q=q: list(matter_search(q=q)[:50]))
            samples.append(t)
    samples.sort()
    client = Client()
    api = []
    for _ in range(3):
        for q in QUERIES:
            _, t = timed(lambda q=q: client.get("/api/v1/matters", {"q": q}))
            api.append(t)
    api.sort()
    bundle = bundle_get("BD-GEN-0000")
    _, t_bundle = timed(lambda: bundle_materials(bundle=bundle))
    print(f"| {vendor} | {n} matters | " + " | ".join(f"{name} {sec:.2f} s" for name, sec in rows) + " |")
    print(
        f"| {vendor} | matter_search ×{len(samples)} | p50 {statistics.median(samples) * 1000:.1f} ms | "
        f"p95 {samples[int(len(samples) * 0.95) - 1] * 1000:.1f} ms |"
    )
    print(
        f"| {vendor} | GET /api/v1/matters?q= ×{len(api)} | p50 {statistics.median(api) * 1000:.1f} ms | "
        f"p95 {api[int(len(api) * 0.95) - 1] * 1000:.1f} ms | bundle_materials {t_bundle * 1000:.1f} ms |"
    )


if __name__ == "__main__":
    main()

"""Time the district dashboard for a year (and the stats API) against the generated data.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tb_bench .venv/bin/python bench/dashboard/run.py

Measures the whole HTTP request through Django's test client (middleware,
session auth, every query, template rendering), signed in as an admin, for:
the district view for the last 365 days (by center), the same by matter,
one center's year, and GET /api/v1/stats/summary for the district year.
Reports median and p95 of N runs after one warm-up.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tongban.conf.settings")
os.environ.setdefault("TONGBAN_DEBUG", "0")  # DEBUG records every SQL string: not what production pays
os.environ.setdefault("TONGBAN_DEMO", "1")  # dev keys; the data is synthetic

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from tongban.accounts.models import Role, User  # noqa: E402

RUNS = int(os.environ.get("BENCH_RUNS", "20"))


def main() -> None:
    settings.ALLOWED_HOSTS = ["*"]
    admin, _ = User.objects.get_or_create(
        username="bench-admin", defaults={"role": Role.ADMIN, "is_staff": True}
    )
    client = Client()
    client.force_login(admin)
    today = timezone.localdate()
    year = f"from={today - timedelta(days=364)}&to={today}"
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM applications_application")
        apps = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM dashboard_dailyrollup")
        daily = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM dashboard_monthlyrollup")
        monthly = cur.fetchone()[0]
    print(f"applications={apps} daily_rollups={daily} monthly_rollups={monthly} runs={RUNS}")
    cases = [
        ("district year, by center (page)", f"/dashboard/?{year}&by=center"),
        ("district year, by matter (page)", f"/dashboard/?{year}&by=matter"),
        ("one center year, by matter (page)", f"/dashboard/?{year}&by=matter&center=BENCH-C00"),
        ("district year stats API", f"/api/v1/stats/summary?{year}"),
    ]
    for label, url in cases:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        times = []
        for _ in range(RUNS):
            with CaptureQueriesContext(connection) as queries:
                t = time.perf_counter()
                client.get(url)
                times.append((time.perf_counter() - t) * 1000)
        times.sort()
        p95 = times[max(int(len(times) * 0.95) - 1, 0)]
        print(
            f"{label:38s} median {statistics.median(times):7.1f} ms  p95 {p95:7.1f} ms  queries {len(queries)}"
        )


if __name__ == "__main__":
    main()

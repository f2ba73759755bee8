"""Generate a district year for the dashboard benchmark (PostgreSQL only).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tb_bench \
        .venv/bin/python bench/dashboard/generate.py --applications 1000000

Creates 15 centers and 40 matters (prefix BENCH-), then inserts the
applications, supplement notices, service events and ratings of one year with
INSERT … SELECT generate_series (seconds, not hours), and finally rebuilds the
daily rollups day by day through the same service the periodic task uses
(timed: that is the cost of a full rebuild).
"""

from __future__ import annotations

import argparse
import os
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

from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from tongban.accounts.models import Role, User  # noqa: E402
from tongban.catalog.models import Center, Department, GuideVersion, Matter, Window  # noqa: E402
from tongban.dashboard.services import rollup_rebuild_by_month  # noqa: E402

CENTERS = 15
MATTERS = 40


def setup_catalog() -> tuple[list[int], list[int]]:
    departments = [
        Department.objects.get_or_create(code=f"BENCH-D{i}", defaults={"name": f"区第{i}局"})[0]
        for i in range(8)
    ]
    centers = []
    for i in range(CENTERS):
        center, _ = Center.objects.get_or_create(
            code=f"BENCH-C{i:02d}",
            defaults={
                "name": f"杨浦区第{i}街道社区事务受理服务中心",
                "district": "杨浦区",
                "address": "杨浦区",
            },
        )
        for n in range(1, 7):
            Window.objects.get_or_create(center=center, number=n)
        centers.append(center.pk)
    for i in range(MATTERS):
        matter, created = Matter.objects.get_or_create(
            code=f"BENCH-M{i:03d}",
            defaults={"name": f"基准事项{i:03d}", "type": "public_service", "department": departments[i % 8]},
        )
        if created or matter.current_version_id is None:
            guide = GuideVersion.objects.create(
                matter=matter, version=1, published_at=timezone.now(), promised_days=[1, 3, 5, 10, 20][i % 5]
            )
            Matter.objects.filter(pk=matter.pk).update(current_version=guide)
    if not User.objects.filter(username="bench-resident").exists():
        User.objects.create(username="bench-resident", role=Role.RESIDENT, display_name="基准居民")
    if not User.objects.filter(username="bench-clerk").exists():
        User.objects.create(username="bench-clerk", role=Role.CLERK, display_name="基准窗口")
    return centers, list(Matter.objects.filter(code__startswith="BENCH-M").values_list("pk", flat=True))


def insert_year(n: int) -> None:
    today = timezone.localdate()
    start = today - timedelta(days=365)
    resident = User.objects.get(username="bench-resident").pk
    clerk = User.objects.get(username="bench-clerk").pk
    with connection.cursor() as cur:
        cur.execute("SELECT min(id), max(id) FROM catalog_center WHERE code LIKE 'BENCH-C%%'")
        cmin, cmax = cur.fetchone()
        cur.execute("SELECT min(id), max(id) FROM catalog_matter WHERE code LIKE 'BENCH-M%%'")
        mmin, mmax = cur.fetchone()
        t = time.perf_counter()
        cur.execute(
            """
            INSERT INTO applications_application (
                number, applicant_id, applicant_name, applicant_id_last4, center_id, matter_id, guide_id,
                department_id, channel, status, outcome, outcome_reason, delivery, delivery_address,
                delivered_via, delivered_by_proxy, handler_id, refusal_reason, refusal_basis, note,
                promised_days, extension_days, suspended_days, due_date, due_provisional, warning_level,
                created_at, submitted_at, accepted_at, decided_at, updated_at, version)
            SELECT 'BENCH-' || g, %(resident)s, '基准居民', '', c, m.id, m.current_version_id,
                m.department_id, ch, CASE WHEN dec IS NULL THEN 'under_review' ELSE 'decided' END,
                '', '', 'window', '', '', false, %(clerk)s, '', '', '',
                gv.promised_days, 0, 0, (sub + (gv.promised_days * 7 / 5 + 1) * interval '1 day')::date, false, '',
                sub, sub, sub + interval '20 minutes', dec, sub, 1
            FROM (
                SELECT g,
                    %(cmin)s + floor(random() * (%(cmax)s - %(cmin)s + 1))::int AS c,
                    %(mmin)s + floor(power(random(), 2) * (%(mmax)s - %(mmin)s + 1))::int AS mid,
                    (ARRAY['window','window','window','online','online','kiosk'])[1 + floor(random() * 6)::int] AS ch,
                    %(start)s::timestamptz + random() * interval '365 days' AS sub,
                    random() AS r
                FROM generate_series(1, %(n)s) AS g
            ) s
            JOIN catalog_matter m ON m.id = s.mid
            JOIN catalog_guideversion gv ON gv.id = m.current_version_id
            CROSS JOIN LATERAL (
                SELECT CASE WHEN s.sub > now() - interval '3 days' AND s.r < 0.5 THEN NULL
                            ELSE s.sub + (floor(s.r * gv.promised_days * 1.5) + 0.3) * interval '1 day' END AS dec
            ) d
            """,
            {"resident": resident, "clerk": clerk, "cmin": cmin, "cmax": cmax, "mmin": mmin, "mmax": mmax,
             "start": start.isoformat(), "n": n},
        )  # fmt: skip
        print(f"applications: {n} in {time.perf_counter() - t:.1f}s")
        t = time.perf_counter()
        cur.execute(
            """
            INSERT INTO applications_supplementnotice (application_id, items, note, issued_by_id, issued_at)
            SELECT id, '[]'::jsonb, '', %(clerk)s, submitted_at + interval '10 minutes'
            FROM applications_application WHERE number LIKE 'BENCH-%%' AND random() < 0.12
            """,
            {"clerk": clerk},
        )
        print(f"supplement notices: {cur.rowcount} in {time.perf_counter() - t:.1f}s")
        t = time.perf_counter()
        cur.execute(
            """
            INSERT INTO ratings_serviceevent (kind, ref, channel, center_id, matter_id, department_id,
                application_number, ticket_number, served_at, rater_phone, rater_phone_hash, created_at)
            SELECT 'application', number, CASE WHEN channel = 'window' THEN 'in_person' ELSE 'online' END,
                center_id, matter_id, department_id, number, '', decided_at, '', '', decided_at
            FROM applications_application
            WHERE number LIKE 'BENCH-%%' AND decided_at IS NOT NULL AND random() < 0.35
            """
        )
        cur.execute(
            """
            INSERT INTO ratings_rating (number, event_id, level, indicators, comment, source, created_at,
                state, annul_reason, center_id, is_bad)
            SELECT 'PJB' || e.id, e.id, lv, '{}'::jsonb, '', 'sms_link', e.served_at + interval '2 hours',
                'valid', '', e.center_id, lv <= 2
            FROM ratings_serviceevent e
            CROSS JOIN LATERAL (SELECT random() AS r) x
            CROSS JOIN LATERAL (SELECT CASE WHEN x.r < 0.62 THEN 5 WHEN x.r < 0.86 THEN 4 WHEN x.r < 0.95 THEN 3
                                            WHEN x.r < 0.98 THEN 2 ELSE 1 END + 0 * e.id AS lv) l
            WHERE e.ref LIKE 'BENCH-%%'
            """
        )
        print(f"ratings: {cur.rowcount} in {time.perf_counter() - t:.1f}s")
        cur.execute("ANALYZE")


def rebuild(days: int = 366) -> None:
    today = timezone.localdate()
    t = time.perf_counter()

    def progress(done: int, total: int) -> None:
        print(f"  rollups: month {done}/{total}, {time.perf_counter() - t:.0f}s", flush=True)

    rows = rollup_rebuild_by_month(
        date_from=today - timedelta(days=days - 1), date_to=today, progress=progress
    )
    with connection.cursor() as cur:
        cur.execute("ANALYZE dashboard_dailyrollup")
        cur.execute("ANALYZE dashboard_monthlyrollup")
    print(f"rollups: {rows} daily rows for {days} days in {time.perf_counter() - t:.1f}s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--applications", type=int, default=1_000_000)
    parser.add_argument("--skip-insert", action="store_true")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        raise SystemExit("PostgreSQL only (set DATABASE_URL)")
    setup_catalog()
    if not args.skip_insert:
        insert_year(args.applications)
    rebuild()


if __name__ == "__main__":
    main()

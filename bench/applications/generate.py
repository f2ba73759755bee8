"""Generate a realistic district history of applications on PostgreSQL with bulk SQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tb_applications TONGBAN_TESTING=1 \
        .venv/bin/python manage.py migrate
    DATABASE_URL=... TONGBAN_TESTING=1 .venv/bin/python bench/applications/generate.py --apps 1000000

A district of 15 centers, 20 departments, 80 matters (a guide version each, 2
materials), 200,000 residents; applications spread over two years (~1,370 a day,
the district's real order of magnitude) with the state mix of a working system:
old cases closed / delivered / refused / withdrawn, recent ones open in every
state, 1 in 4 routed to a parallel review. One history row per state reached
is written for the open ones and a create + final row for the old ones.
Prints the API tokens of a center clerk and a department reviewer for run.py.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tongban.conf.settings")
os.environ.setdefault("TONGBAN_TESTING", "1")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from tongban.accounts.authentication import hash_token  # noqa: E402
from tongban.accounts.models import ApiToken, Role, User  # noqa: E402
from tongban.catalog.models import Center, Department, GuideVersion, Material, MaterialType, Matter  # noqa: E402

CENTERS, DEPTS, MATTERS, RESIDENTS = 15, 20, 80, 200_000


def step(label: str, sql: str, params: list | None = None) -> None:
    t = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute(sql, params or [])
        n = cur.rowcount
    print(f"  {label}: {n} rows in {time.perf_counter() - t:.1f}s", flush=True)


def catalog() -> None:
    now = timezone.now()
    depts = [
        Department.objects.update_or_create(code=f"BENCH-D{i:02d}", defaults={"name": f"基准部门{i:02d}"})[0]
        for i in range(1, DEPTS + 1)
    ]
    for i in range(1, CENTERS + 1):
        Center.objects.update_or_create(
            code=f"BENCH-C{i:02d}",
            defaults={
                "name": f"基准街道社区事务受理服务中心{i:02d}",
                "district": "杨浦区",
                "address": "基准路1号",
            },
        )
    mt = [
        MaterialType.objects.update_or_create(code=f"BENCH-MT{i}", defaults={"name": f"基准材料{i}"})[0]
        for i in (1, 2)
    ]
    for i in range(1, MATTERS + 1):
        matter, _ = Matter.objects.update_or_create(
            code=f"BENCH-M{i:03d}",
            defaults={"name": f"基准事项{i:03d}", "type": "public_service", "department": depts[i % DEPTS]},
        )
        if matter.current_version_id is None:
            guide = GuideVersion.objects.create(
                matter=matter, version=1, published_at=now, promised_days=5 + i % 16
            )
            for j, m in enumerate(mt):
                Material.objects.create(guide=guide, material_type=m, name=m.name, order=j)
            matter.current_version = guide
            matter.save(update_fields=["current_version"])
        if i % 4 == 0:
            matter.review_departments.set([depts[(i + 1) % DEPTS], depts[(i + 2) % DEPTS]])


def district_clerks() -> list[str]:
    """A window clerk at each of the district's centers, with an API token each: the intake bench
    spreads its clients over the district (each center numbers its own cases, one at a time)."""
    tokens = []
    for center in Center.objects.filter(code__startswith="BENCH-C").order_by("code"):
        clerk, _ = User.objects.update_or_create(
            username=f"bench-clerk-{center.code[-2:]}",
            defaults={"role": Role.CLERK, "center": center, "is_staff": True, "display_name": "基准窗口"},
        )
        token = secrets.token_urlsafe(32)
        ApiToken.objects.create(user=clerk, key_hash=hash_token(token))
        tokens.append(token)
    return tokens


def users() -> tuple[str, str]:
    c1 = Center.objects.get(code="BENCH-C01")
    d1 = Department.objects.get(code="BENCH-D01")
    clerk, _ = User.objects.update_or_create(
        username="bench-clerk",
        defaults={"role": Role.CLERK, "center": c1, "is_staff": True, "display_name": "基准窗口"},
    )
    reviewer, _ = User.objects.update_or_create(
        username="bench-reviewer",
        defaults={
            "role": Role.REVIEWER,
            "department": d1,
            "center": c1,
            "is_staff": True,
            "display_name": "基准审核",
        },
    )
    tokens = []
    for u in (clerk, reviewer):
        token = secrets.token_urlsafe(32)
        ApiToken.objects.create(user=u, key_hash=hash_token(token))
        tokens.append(token)
    if not User.objects.filter(username="bench-r-1").exists():
        step(
            "residents",
            """
            INSERT INTO accounts_user (password, is_superuser, username, first_name, last_name, email, is_staff,
                is_active, date_joined, role, display_name, phone, phone_hash, id_number, id_number_hash, credit_code)
            SELECT '!', false, 'bench-r-' || g, '', '', '', false, true, now(), 'resident',
                   (ARRAY['张','王','李','赵','陈','刘','杨','黄'])[1 + g %% 8] || '居民' || g, '', '', '', '', ''
            FROM generate_series(1, %s) g
            """,
            [RESIDENTS],
        )
    return tokens[0], tokens[1]


APPS_SQL = """
WITH base AS (
  SELECT g,
         now() - make_interval(secs => (g::float8 / %(n)s) * 730 * 86400) AS created,
         (SELECT array_agg(id ORDER BY code) FROM catalog_center WHERE code LIKE 'BENCH-C%%') AS centers,
         (SELECT array_agg(id ORDER BY code) FROM catalog_matter WHERE code LIKE 'BENCH-M%%') AS matters,
         (SELECT min(id) FROM accounts_user WHERE username LIKE 'bench-r-%%') AS r0
  FROM generate_series(1::bigint, %(n)s::bigint) g
), pick AS (
  SELECT g, created, centers[1 + g %% array_length(centers, 1)] AS center_id,
         matters[1 + (g * 7919) %% array_length(matters, 1)] AS matter_id,
         r0 + (g * 104729) %% %(residents)s AS applicant_id,
         (g * 2654435761) %% 1000 AS dice
  FROM base
)
INSERT INTO applications_application (
  number, applicant_id, applicant_name, applicant_id_last4, center_id, matter_id, guide_id, department_id,
  channel, status, outcome, outcome_reason, delivery, delivery_address, delivered_via, delivered_by_proxy,
  refusal_reason, refusal_basis, note, promised_days, extension_days, suspended_days, due_date, due_provisional,
  warning_level, created_at, submitted_at, accepted_at, decided_at, delivered_at, closed_at, updated_at, version)
SELECT
  c.code || '-' || to_char(p.created, 'YYYYMMDD') || '-B' || lpad(p.g::text, 7, '0'),
  p.applicant_id, u.display_name, lpad((p.applicant_id %% 10000)::text, 4, '0'),
  p.center_id, p.matter_id, m.current_version_id, m.department_id,
  (ARRAY['window','window','window','online','online','kiosk','cabinet'])[1 + p.g %% 7],
  st.status,
  CASE WHEN st.status IN ('decided','ready','delivered','closed') THEN
       CASE WHEN p.dice %% 50 = 0 THEN 'denied' ELSE 'approved' END ELSE '' END,
  '', (ARRAY['window','window','cabinet','post'])[1 + p.g %% 4], '', '', false,
  CASE WHEN st.status = 'refused' THEN '不属于受理范围' ELSE '' END,
  CASE WHEN st.status = 'refused' THEN '《行政许可法》第三十二条' ELSE '' END, '',
  CASE WHEN st.accepted THEN gv.promised_days END, 0, 0,
  CASE WHEN st.accepted THEN (p.created + make_interval(days => gv.promised_days * 7 / 5))::date END, false, '',
  p.created, p.created, CASE WHEN st.accepted THEN p.created END,
  CASE WHEN st.status IN ('decided','ready','delivered','closed') THEN p.created + interval '4 days' END,
  CASE WHEN st.status IN ('delivered','closed') THEN p.created + interval '6 days' END,
  CASE WHEN st.status IN ('closed','refused','withdrawn') THEN p.created + interval '7 days' END,
  p.created, 1
FROM pick p
JOIN catalog_center c ON c.id = p.center_id
JOIN catalog_matter m ON m.id = p.matter_id
JOIN catalog_guideversion gv ON gv.id = m.current_version_id
JOIN accounts_user u ON u.id = p.applicant_id
CROSS JOIN LATERAL (
  SELECT s AS status, s NOT IN ('draft','submitted','supplement','refused','withdrawn') AS accepted FROM (
    SELECT CASE
      WHEN p.created < now() - interval '30 days' THEN
        CASE WHEN p.dice < 880 THEN 'closed' WHEN p.dice < 930 THEN 'delivered' WHEN p.dice < 960 THEN 'refused'
             ELSE 'withdrawn' END
      ELSE
        CASE WHEN p.dice < 60 THEN 'draft' WHEN p.dice < 140 THEN 'submitted' WHEN p.dice < 200 THEN 'supplement'
             WHEN p.dice < 230 THEN 'refused' WHEN p.dice < 420 THEN 'accepted' WHEN p.dice < 560 THEN 'under_review'
             WHEN p.dice < 580 THEN 'suspended' WHEN p.dice < 680 THEN 'decided' WHEN p.dice < 780 THEN 'ready'
             WHEN p.dice < 900 THEN 'delivered' ELSE 'closed' END
    END AS s) x
) st
"""

HISTORY_SQL = """
INSERT INTO applications_statuschange (application_id, from_status, to_status, action, actor_id, actor_repr, at, reason, data)
SELECT id, '', 'draft', 'create', NULL::bigint, 'bench', created_at, '', '{}'::jsonb FROM applications_application
WHERE number LIKE '%%-B%%'
UNION ALL
SELECT id, 'draft', status, 'bench_final', NULL::bigint, 'bench', updated_at, '', '{}'::jsonb FROM applications_application
WHERE number LIKE '%%-B%%' AND status <> 'draft'
"""

REVIEWS_SQL = """
INSERT INTO applications_review (application_id, department_id, requested_at, due_date, opinion, text, reviewer_id,
                                 answered_at, late, case_created_at)
SELECT a.id, rd.department_id, a.accepted_at, (a.accepted_at + interval '4 days')::date,
       CASE WHEN a.status = 'under_review' AND a.id %% 2 = 0 THEN '' ELSE 'agree' END, '', NULL::bigint,
       CASE WHEN a.status = 'under_review' AND a.id %% 2 = 0 THEN NULL ELSE a.accepted_at + interval '2 days' END,
       false, a.created_at
FROM applications_application a
JOIN catalog_matter_review_departments rd ON rd.matter_id = a.matter_id
WHERE a.accepted_at IS NOT NULL AND a.number LIKE '%%-B%%'
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--apps", type=int, default=1_000_000)
    parser.add_argument("--reset", action="store_true", help="delete the generated applications first")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        raise SystemExit("PostgreSQL only (set DATABASE_URL)")
    t0 = time.perf_counter()
    if args.reset:
        for table in ("applications_review", "applications_statuschange", "applications_applicationmaterial"):
            step(
                f"reset {table}",
                f"DELETE FROM {table} WHERE application_id IN "
                "(SELECT id FROM applications_application WHERE number LIKE %s)",
                ["%-B%"],
            )
        step("reset applications", "DELETE FROM applications_application WHERE number LIKE %s", ["%-B%"])
    with transaction.atomic():
        catalog()
        clerk_token, reviewer_token = users()
        district_tokens = district_clerks()
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM applications_application WHERE number LIKE '%%-B%%'")
        have = cur.fetchone()[0]
    if have == 0:
        step("applications", APPS_SQL, {"n": args.apps, "residents": RESIDENTS})  # type: ignore[arg-type]
        step("history", HISTORY_SQL)
        step("reviews", REVIEWS_SQL)
    else:
        print(f"  applications: {have} already there, kept")
    step("analyze", "ANALYZE")
    with connection.cursor() as cur:
        cur.execute(
            "CREATE TABLE IF NOT EXISTS bench_floor (id bigserial PRIMARY KEY, at timestamptz NOT NULL, note text)"
        )
    print(f"done in {time.perf_counter() - t0:.0f}s")
    print(f"CLERK_TOKEN={clerk_token}")
    print(f"REVIEWER_TOKEN={reviewer_token}")
    print(f"DISTRICT_CLERK_TOKENS={','.join(district_tokens)}")


if __name__ == "__main__":
    main()

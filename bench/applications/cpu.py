"""CPU and SQL statements per API request (intake, list, search), in-process (no server, no load, no other clients).

    psql -h 127.0.0.1 -U postgres -c 'CREATE DATABASE tb_app_cpu'
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tb_app_cpu .venv/bin/python bench/applications/cpu.py
    DATABASE_URL=… .venv/bin/python bench/applications/cpu.py --ops list-clerk,search-clerk --profile list-clerk

On a 2-core box the load test (``run.py``) is CPU-bound, so its intake ratio to the floor is roughly
(CPU per floor request) ÷ (CPU per intake, plus the PostgreSQL backend's). This measures those costs
directly with Django's test ``Client`` — the full middleware and DRF stack, Bearer-token
authentication, the settings ``serve.sh`` uses (``bench_settings``, DEBUG off, not demo, not testing)
— against PostgreSQL (the database is migrated, and a small dataset added, on every run):

* ``floor``   ``POST /bench/floor`` (bare DRF, one INSERT; same token, same permission);
* ``intake``  ``POST /api/v1/applications`` with the body of ``bench/wrk/app_intake.lua``: a new
              resident each time (registered by ID number), every material ticked, ``"accept": true``
              — one accepted application. The matter (``BENCH-CPU``) has a published guide with two
              required materials and two review departments, so acceptance starts a parallel review;
* ``list-clerk``       ``GET /api/v1/applications?limit=20`` as a center clerk (``bench/wrk/app_list.lua``);
* ``search-clerk``     ``GET …?limit=20&q=…`` as that clerk, the queries of ``bench/wrk/app_search.lua``: half
                       a receipt-day prefix (``BENCH-C01-2026MMDD``), half a resident's full name;
* ``list-reviewer``    the list as a department reviewer (own matters + reviews routed to the department);
* ``search-reviewer``  the searches as that reviewer.

The list and search operations read the district of ``generate.py`` (the same centers, departments,
matters and users as the load test) scaled down: ``--apps`` applications (default 50,000) of
``--residents`` residents (default 20,000), generated once per database and kept (``ANALYZE``d).

``--ops`` picks the operations (the floor always runs: it is the yardstick). They alternate, one of
each per round. After ``--warmup`` rounds, ``-n`` rounds are timed, each
request on its own; the figures are **medians** per request. Columns: SQL statements per request
(``CaptureQueriesContext``, on separate rounds: capturing costs CPU itself), CPU ms of this process
(``time.process_time``), CPU ms of the PostgreSQL backend serving it (``/proc/<pid>/stat``: 10 ms
ticks, so only the *mean* over many requests means something — that column is a mean; "-" when not
readable), wall ms, and floor/op (floor CPU ÷ the operation's CPU, this process only).
``--profile intake`` then runs ``-n`` more rounds with cProfile (timer: process CPU) around that
operation only and prints the top ``--top`` functions by cumulative and by own time; ``--sql``
prints each operation's statements. The machine's other tenants move the absolute figures by
±20 %; compare runs made minutes apart, and the ratios.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import random
import secrets
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(ROOT / "src"), str(HERE), str(HERE.parent)]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench_settings")
os.environ.setdefault("TONGBAN_SECRET_KEY", "bench-only-secret-key-not-for-production-0123456789")
# fixed bench-only keys, as serve.sh (never use these anywhere else)
os.environ.setdefault("TONGBAN_FIELD_KEYS", "YmVuY2gtb25seS1rZXktMDEyMzQ1Njc4OWFiY2RlZjA=")
os.environ.setdefault("TONGBAN_FIELD_HASH_KEY", "bench-only-hash-key")
os.environ.setdefault("TONGBAN_DEMO", "0")
os.environ.setdefault("TONGBAN_DEBUG", "0")
os.environ.setdefault("TONGBAN_TESTING", "0")
os.environ.setdefault("TONGBAN_LOG_LEVEL", "WARNING")
os.environ.setdefault("DB_CONN_MAX_AGE", "3600")  # one backend for the whole run: its CPU is read below

from _cpu import Meter  # noqa: E402

OPS = ("floor", "intake", "list-clerk", "search-clerk", "list-reviewer", "search-reviewer")
LIST_OPS = ("list-clerk", "search-clerk", "list-reviewer", "search-reviewer")
SURNAMES = ("张", "王", "李", "赵", "陈", "刘", "杨", "黄")  # generate.py's, by resident number % 8
CENTER, MATTER = "BENCH-CPU-C", "BENCH-CPU"


def setup() -> tuple[str, list[int]]:
    """Migrate; a center, a clerk with an API token, a matter with a published guide (two required
    materials) and two review departments. Returns the token and the material type ids."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    call_command("migrate", verbosity=0)

    from tongban.accounts.authentication import hash_token
    from tongban.accounts.models import ApiToken, Role, User
    from tongban.catalog.models import Center, Department, GuideVersion, Material, MaterialType, Matter

    with connection.cursor() as cur:
        cur.execute(
            "CREATE TABLE IF NOT EXISTS bench_floor (id bigserial PRIMARY KEY, at timestamptz NOT NULL, note text)"
        )
    with transaction.atomic():
        depts = [
            Department.objects.update_or_create(code=f"BENCH-CPU-D{i}", defaults={"name": f"基准部门{i}"})[0]
            for i in (1, 2, 3)
        ]
        center = Center.objects.update_or_create(
            code=CENTER, defaults={"name": "基准受理中心", "district": "杨浦区", "address": "基准路1号"}
        )[0]
        types = [
            MaterialType.objects.update_or_create(code=f"BENCH-CPU-MT{i}", defaults={"name": f"基准材料{i}"})[
                0
            ]
            for i in (1, 2)
        ]
        matter = Matter.objects.update_or_create(
            code=MATTER, defaults={"name": "基准事项", "type": "public_service", "department": depts[0]}
        )[0]
        if matter.current_version_id is None:
            guide = GuideVersion.objects.create(
                matter=matter, version=1, published_at=timezone.now(), promised_days=5
            )
            for j, t in enumerate(types):
                Material.objects.create(guide=guide, material_type=t, name=t.name, order=j, required=True)
            matter.current_version = guide
            matter.save(update_fields=["current_version"])
        matter.review_departments.set(depts[1:])
        clerk = User.objects.update_or_create(
            username="bench-cpu-clerk",
            defaults={"role": Role.CLERK, "center": center, "is_staff": True, "display_name": "基准窗口"},
        )[0]
        token = secrets.token_urlsafe(32)
        ApiToken.objects.create(user=clerk, key_hash=hash_token(token))
    assert matter.current_version is not None
    ids = list(matter.current_version.materials.order_by("order").values_list("material_type_id", flat=True))
    return token, ids


def setup_district(apps: int, residents: int) -> tuple[str, str]:
    """``generate.py``'s district with ``apps`` applications of ``residents`` residents (generated once,
    kept between runs). Returns fresh API tokens of its center clerk (BENCH-C01) and department
    reviewer (BENCH-D01)."""
    import generate  # bench/applications/generate.py (Django is already set up)
    from django.db import connection, transaction

    generate.RESIDENTS = residents
    with transaction.atomic():
        generate.catalog()
        clerk_token, reviewer_token = generate.users()
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM applications_application WHERE number LIKE '%%-B%%'")
        have = cur.fetchone()[0]
    if have == 0:
        generate.step("applications", generate.APPS_SQL, {"n": apps, "residents": residents})  # type: ignore[arg-type]
        generate.step("reviews", generate.REVIEWS_SQL)
        generate.step("analyze", "ANALYZE")
    return clerk_token, reviewer_token


W = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def valid_id(n: int) -> str:
    """A valid 18-digit resident ID number derived from ``n`` (as ``bench/wrk/common.lua``)."""
    body = f"310110{1950 + n % 50:04d}{1 + n % 12:02d}{1 + n % 28:02d}{n % 1000:03d}"
    return body + "10X98765432"[sum(int(c) * w for c, w in zip(body, W, strict=True)) % 11]


class Bench:
    def __init__(
        self, token: str, material_types: list[int], list_tokens: dict[str, str], residents: int
    ) -> None:
        from django.test import Client

        self.client = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {token}")
        self.clients = {
            role: Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {t}")
            for role, t in list_tokens.items()
        }
        self.materials = [{"material_type_id": t} for t in material_types]
        # a fresh range of residents on every run (the dataset is kept between runs)
        self.n = int.from_bytes(secrets.token_bytes(3)) * 1000
        self.residents = residents
        self.random = random.Random(20261126)  # the same searches on every run

    def search_query(self) -> str:
        """One query of ``bench/wrk/app_search.lua``: a receipt-day prefix or a resident's full name."""
        r = self.random
        if r.random() < 0.5:
            return f"BENCH-C01-2026{r.randint(1, 10):02d}{r.randint(1, 28):02d}"
        g = r.randint(1, self.residents)
        return f"{SURNAMES[g % 8]}居民{g}"

    def do(self, op: str) -> None:
        if op == "floor":
            r = self.client.post("/bench/floor", data="{}", content_type="application/json")
        elif op in LIST_OPS:
            kind, role = op.split("-")
            params = {"limit": "20"} if kind == "list" else {"limit": "20", "q": self.search_query()}
            r = self.clients[role].get("/api/v1/applications", params)
            if r.status_code != 200 or (kind == "list" and len(r.json()) != 20):
                raise SystemExit(f"{op}: HTTP {r.status_code} {r.content[:300]!r}")
            return
        else:
            self.n += 1
            body = {
                "matter_code": MATTER,
                "channel": "window",
                "accept": True,
                "applicant": {"id_number": valid_id(self.n), "name": f"基准申请人{self.n}"},
                "materials": self.materials,
            }
            r = self.client.post(
                "/api/v1/applications", data=json.dumps(body), content_type="application/json"
            )
        if r.status_code != 201:
            raise SystemExit(f"{op}: HTTP {r.status_code} {r.content[:300]!r}")
        if op == "intake" and r.json()[0]["status"] != "under_review":
            raise SystemExit(f"intake: not accepted: {r.content[:300]!r}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", type=int, default=300, help="timed rounds (one of each operation per round)")
    ap.add_argument("--warmup", type=int, default=50)
    ap.add_argument("--ops", default=",".join(OPS), help="comma-separated operations (the floor always runs)")
    ap.add_argument("--apps", type=int, default=50_000, help="applications of the list/search dataset")
    ap.add_argument("--residents", type=int, default=20_000, help="residents of the list/search dataset")
    ap.add_argument("--profile", choices=OPS, help="cProfile this operation over -n more rounds")
    ap.add_argument("--top", type=int, default=40, help="rows of each profile listing")
    ap.add_argument("--sql", action="store_true", help="print each operation's SQL statements")
    args = ap.parse_args()
    if "postgres" not in os.environ.get("DATABASE_URL", ""):
        sys.exit(
            "set DATABASE_URL to a PostgreSQL scratch database, e.g. postgres://postgres@127.0.0.1:5432/tb_app_cpu"
        )

    ops = tuple(op for op in OPS if op == "floor" or op in args.ops.split(","))
    if unknown := set(args.ops.split(",")) - set(OPS):
        sys.exit(f"unknown operations: {', '.join(sorted(unknown))}")
    if args.profile and args.profile not in ops:
        sys.exit(f"--profile {args.profile}: not among --ops")
    token, material_types = setup()
    list_tokens = {}
    if any(op in LIST_OPS for op in ops):
        list_tokens["clerk"], list_tokens["reviewer"] = setup_district(args.apps, args.residents)
    bench = Bench(token, material_types, list_tokens, args.residents)

    def rounds(n: int, hook: Any = None) -> None:
        for _ in range(n):
            for op in ops:
                (hook or bench.do)(op)

    rounds(args.warmup)

    meter = Meter(ops)
    rounds(10, lambda op: meter.capture(op, lambda: bench.do(op)))
    rounds(args.n, lambda op: meter.time(op, lambda: bench.do(op)))
    meter.report(
        f"{args.n} rounds after {args.warmup} warm-up rounds, PostgreSQL, medians (DB CPU: mean)",
        average=statistics.median,
        width=16,
    )
    if args.sql:
        meter.print_sql()

    if args.profile:
        profiler = cProfile.Profile(time.process_time)  # CPU, not waiting on PostgreSQL

        def profiled(op: str) -> None:
            if op == args.profile:
                profiler.enable()
                bench.do(op)
                profiler.disable()
            else:
                bench.do(op)

        rounds(args.n, profiled)
        for order in ("cumulative", "tottime"):
            print(f"\n-- cProfile of {args.profile}, {args.n} requests, by {order}")
            pstats.Stats(profiler).sort_stats(order).print_stats(args.top)
        print(f"\n-- cProfile of {args.profile}: the project's own functions, by cumulative time")
        pstats.Stats(profiler).sort_stats("cumulative").print_stats("src/tongban", args.top)


if __name__ == "__main__":
    main()

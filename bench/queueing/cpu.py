"""CPU and SQL statements per queue operation, in-process (no server, no load, no other clients).

    psql -h 127.0.0.1 -U postgres -c 'CREATE DATABASE tb_queue_cpu'
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tb_queue_cpu .venv/bin/python bench/queueing/cpu.py

On a 2-core box the load test (``run.py``) is CPU-bound, so its ratio to the floor is roughly
(CPU per floor request) ÷ (CPU per queue operation). This measures those costs directly with
Django's test ``Client`` (the full middleware and DRF stack, same settings as ``run.py``:
``bench_settings``, ``TONGBAN_DEMO=1``, ``TONGBAN_DEBUG=0``) against PostgreSQL:

* ``floor``     ``POST /bench/floor`` (bare DRF, one INSERT; a Bearer header, ignored);
* ``ticket``    ``POST /api/v1/centers/BENCH-Q/tickets`` (no auth; every 10th ticket military priority);
* ``call-next`` ``POST /api/v1/windows/<id>/call-next`` (Bearer token of the window's clerk);
* ``finish``    ``POST /api/v1/tickets/<id>/finish``.

The operations run in rounds (floor, ticket, call-next, finish), so the window always has
``--waiting`` tickets in line (default 50). After ``--warmup`` rounds, ``-n`` rounds are timed;
each operation is timed on its own. Columns: SQL statements per request (``CaptureQueriesContext``,
on separate rounds: capturing costs CPU itself), CPU ms of this process (``time.process_time``),
CPU ms of the PostgreSQL backend serving it (``/proc/<pid>/stat``, 10 ms ticks, so only the mean over
many requests means something; "-" if not readable), wall ms, and floor/op (floor CPU ÷ the
operation's CPU: what the load test's ratio to the floor can reach for that operation on a CPU-bound
box). ``--profile OP`` then runs ``-n`` more rounds with cProfile (timer: process CPU, so time spent
waiting for PostgreSQL does not show) around that operation only, sorted by cumulative time (``--sort tottime``: by own time), top 50;
``--sql`` prints each operation's statements (their first 240 characters; with ``FULL_SQL=1`` whole, to
paste into ``EXPLAIN``). The machine's other tenants move the absolute figures by ±20 %; compare runs made
minutes apart, and the ratios.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench_settings")
os.environ.setdefault("TONGBAN_DEMO", "1")
os.environ.setdefault("TONGBAN_DEBUG", "0")
os.environ.setdefault("TONGBAN_LOG_LEVEL", "WARNING")
os.environ.setdefault("DB_CONN_MAX_AGE", "3600")  # one backend for the whole run: its CPU is read below

from _cpu import Meter  # noqa: E402
from run import CENTER, setup  # noqa: E402  (run.py puts src/ on sys.path)

OPS = ("floor", "ticket", "call-next", "finish")


class Bench:
    def __init__(self, window_id: int, token: str) -> None:
        from django.test import Client

        self.window_id = window_id
        self.kiosk = Client(HTTP_HOST="127.0.0.1")
        self.staff = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {token}")
        self.count = 0

    def do(self, op: str, state: dict[str, Any]) -> None:
        if op == "floor":
            r = self.staff.post("/bench/floor", data="{}", content_type="application/json")
            expected = 201
        elif op == "ticket":
            self.count += 1
            body = (
                '{"queue": "A", "priority_reason": "military"}' if self.count % 10 == 0 else '{"queue": "A"}'
            )
            r = self.kiosk.post(
                f"/api/v1/centers/{CENTER}/tickets", data=body, content_type="application/json"
            )
            expected = 201
        elif op == "call-next":
            r = self.staff.post(f"/api/v1/windows/{self.window_id}/call-next")
            expected = 200
            if r.status_code == 200:
                state["ticket"] = r.json()["ticket"]["id"]
        else:
            r = self.staff.post(
                f"/api/v1/tickets/{state.pop('ticket')}/finish", data="{}", content_type="application/json"
            )
            expected = 200
        if r.status_code != expected:
            raise SystemExit(f"{op}: HTTP {r.status_code} {r.content[:300]!r}")


def fill(waiting: int) -> None:
    """Exactly ``waiting`` tickets in line at BENCH-Q (earlier runs' tickets are abandoned by ``setup``)."""
    from tongban.catalog.models import Center
    from tongban.queueing.models import Ticket
    from tongban.queueing.services import ticket_issue

    center = Center.objects.get(code=CENTER)
    have = Ticket.objects.filter(center=center, state=Ticket.State.WAITING).count()
    for _ in range(max(0, waiting - have)):
        ticket_issue(center=center, queue="A")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", type=int, default=200, help="timed rounds (one of each operation per round)")
    ap.add_argument("--warmup", type=int, default=30)
    ap.add_argument("--waiting", type=int, default=50, help="tickets in line while calling")
    ap.add_argument("--profile", choices=OPS, help="cProfile this operation over -n more rounds")
    ap.add_argument("--sort", default="cumulative", choices=["cumulative", "tottime"], help="profile order")
    ap.add_argument("--sql", action="store_true", help="print each operation's SQL statements")
    args = ap.parse_args()
    if "postgres" not in os.environ.get("DATABASE_URL", ""):
        sys.exit(
            "set DATABASE_URL to a PostgreSQL scratch database, e.g. postgres://postgres@127.0.0.1:5432/tb_queue_cpu"
        )

    ((window_id, token),) = setup(1)
    fill(args.waiting)
    bench = Bench(window_id, token)
    state: dict[str, Any] = {}

    def rounds(n: int, hook: Any = None) -> None:
        for _ in range(n):
            for op in OPS:
                if hook is None:
                    bench.do(op, state)
                else:
                    hook(op)

    rounds(args.warmup)

    meter = Meter(OPS)
    rounds(10, lambda op: meter.capture(op, lambda: bench.do(op, state)))
    rounds(args.n, lambda op: meter.time(op, lambda: bench.do(op, state)))
    meter.report(
        f"{args.n} rounds after {args.warmup} warm-up rounds, {args.waiting} tickets waiting, PostgreSQL",
        average=statistics.mean,
    )
    if args.sql:
        meter.print_sql()

    if args.profile:
        profiler = cProfile.Profile(time.process_time)  # CPU, not waiting on PostgreSQL

        def profiled(op: str) -> None:
            if op == args.profile:
                profiler.enable()
                bench.do(op, state)
                profiler.disable()
            else:
                bench.do(op, state)

        rounds(args.n, profiled)
        print(f"\n-- cProfile of {args.profile}, {args.n} requests")
        pstats.Stats(profiler).sort_stats(args.sort).print_stats(50)


if __name__ == "__main__":
    main()

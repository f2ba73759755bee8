"""Audit log benchmark: append throughput (1 and N threads), sealing and chain verification speed.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tb_bench .venv/bin/python bench/audit/run.py \
        [--entries 20000] [--threads 4]

Uses the database in DATABASE_URL (default: a throw-away SQLite file) after migrating it;
the audit table is emptied first (the append-only trigger is disabled for that statement on
PostgreSQL), so never point it at a real installation. Each append is its own transaction,
like a service call: BEGIN, one INSERT of a pending entry, COMMIT (no lock). Sealing is then
timed on its own: ``audit_seal()`` chaining every pending entry (batches of 1,000, each one
transaction holding the chain tip lock). The data payload is a typical service entry (~150 bytes
of JSON).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=20_000)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()

    os.environ.setdefault("TONGBAN_VAR_DIR", tempfile.mkdtemp(prefix="tb-bench-audit-"))
    os.environ.update(TONGBAN_DEMO="1", DJANGO_SETTINGS_MODULE="tongban.conf.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, connections, transaction

    call_command("migrate", verbosity=0)
    from tongban.core.audit import GENESIS, audit_log, audit_seal, audit_verify_report
    from tongban.core.models import AuditEntry, AuditHead

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("TRUNCATE core_auditentry RESTART IDENTITY")
        else:
            cursor.execute("DELETE FROM core_auditentry")
            cursor.execute("DELETE FROM sqlite_sequence WHERE name = 'core_auditentry'")
    AuditHead.objects.update_or_create(id=1, defaults={"last_seq": 0, "last_hash": GENESIS})

    payload = {
        "status": ["submitted", "accepted"],
        "matter": "310110-SB-0042",
        "workdays": 20,
        "note": "受理",
    }

    def append(n: int, tag: str) -> None:
        for i in range(n):
            with transaction.atomic():
                audit_log(
                    action="bench.case.accept",
                    object_type="applications.case",
                    object_id=f"{tag}-{i}",
                    data=payload,
                )

    single = args.entries // 2
    t0 = time.perf_counter()
    append(single, "s")
    t_single = time.perf_counter() - t0

    per_thread = (args.entries - single) // args.threads

    def worker(k: int) -> None:
        try:
            append(per_thread, f"t{k}")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(args.threads)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    t_multi = time.perf_counter() - t0

    pending = AuditEntry.objects.filter(chain_seq__isnull=True).count()
    t0 = time.perf_counter()
    sealed = audit_seal()
    t_seal = time.perf_counter() - t0
    assert sealed == pending, (sealed, pending)

    # Floor: the cheapest durable write transaction on the same database in the same run
    # (BEGIN, insert one row into a scratch table, COMMIT), to separate the audit chain's
    # cost from the machine's commit latency.
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_floor (id integer PRIMARY KEY, v text)")
        cursor.execute("DELETE FROM bench_floor")
    floor_n = min(single, 2000)
    t0 = time.perf_counter()
    for i in range(floor_n):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("INSERT INTO bench_floor (id, v) VALUES (%s, %s)", [i, "x" * 150])
    t_floor = time.perf_counter() - t0
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_floor")

    t0 = time.perf_counter()
    report = audit_verify_report(seal=False)
    t_verify = time.perf_counter() - t0
    assert report.ok, report.problems
    total = AuditEntry.objects.count()

    print(
        f"# {platform.node()} · {os.cpu_count()} cores · {connection.vendor} · {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
    )
    print(
        f"append, 1 thread:           {single / t_single:8.0f} entries/s  ({t_single / single * 1000:.2f} ms each)"
    )
    print(
        f"append, {args.threads} threads:          {per_thread * args.threads / t_multi:8.0f} entries/s  (no shared lock)"
    )
    print(
        f"audit_seal of {sealed} pending:    {sealed / t_seal:8.0f} entries/s  ({t_seal:.2f} s, batches of 1,000)"
    )
    print(
        f"floor, 1-row insert + commit: {floor_n / t_floor:6.0f} tx/s       ({t_floor / floor_n * 1000:.2f} ms each); "
        f"append = {(t_single / single) / (t_floor / floor_n):.2f} x floor"
    )
    print(
        f"audit_verify over {total} entries: {total / t_verify:8.0f} entries/s  ({t_verify:.2f} s), chain intact"
    )


if __name__ == "__main__":
    main()

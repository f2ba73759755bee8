"""The queue's paced phase at a fixed offered rate, without a floor: how the server's shape or a setting
changes the p95 and the CPU at the same load, run after run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tb_queueing TONGBAN_DEMO=1 \\
        .venv/bin/python bench/queueing/fixed_rate.py --rate 1000 --seconds 25 --workers 3 --threads 4

Same center, clients and driver as run.py's paced phases (180 ticket machines and 20 windows with exponential
think time, ``paced.py``), same server but for ``--workers``/``--threads``. run.py offers a share of a floor
it measures first, and the floor on these machines moves by a fifth from one minute to the next; here the
offered load stays put, so two shapes or two settings can be compared in interleaved runs. Prints one line
per run and appends it, as JSON, to ``--out``.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time

from paced import paced_phase
from run import (  # puts src/ on sys.path
    CENTER,
    CpuAccount,
    default_worker_connections,
    finish_open_calls,
    floor_phase,
    phase,
    setup,
    start_server,
    warm_up,
)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rate", type=float, default=1000, help="offered operations/s (default 1000)")
    ap.add_argument("--seconds", type=float, default=25)
    ap.add_argument("--workers", type=int, default=3)
    ap.add_argument("--threads", type=int, default=8)
    ap.add_argument("--clients", type=int, default=200)
    ap.add_argument("--windows", type=int, default=20)
    ap.add_argument("--port", type=int, default=8196)
    ap.add_argument("--out", default="")
    ap.add_argument(
        "--after-run-py-phases",
        action="store_true",
        help="first run what run.py runs before its paced phases on the same server (two floors, a saturation)",
    )
    args = ap.parse_args()
    if "postgres" not in os.environ.get("DATABASE_URL", ""):
        sys.exit("set DATABASE_URL to a migrated PostgreSQL database")

    windows = setup(args.windows)
    server = start_server(args.port, args.workers, args.threads, default_worker_connections(args))
    try:
        warm_up(args.port, windows)
        if args.after_run_py_phases:
            for _ in range(2):
                floor_phase(args.port, args.seconds, args.clients, windows[0][1])
            phase(args.port, args.seconds, args.clients - args.windows, windows)
            finish_open_calls()
        account = CpuAccount(server.pid)
        think_ms = 1000 * args.clients / args.rate
        r = paced_phase(args.port, args.seconds, args.clients - args.windows, windows, think_ms, CENTER)
        r["cpu"] = account.since_start()
        r["waiting_at_end"] = finish_open_calls()
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(30)
    r.pop("timeline", None)
    line = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "server": f"gunicorn gthread {args.workers}x{args.threads}",
        "offered_per_s": args.rate,
        "after_run_py_phases": args.after_run_py_phases,
        **r,
    }
    t, w, cpu = r["tickets"], r["window calls (call-next + finish)"], r["cpu"]
    print(
        f"{line['date']} {args.workers}x{args.threads} offered {args.rate:g}/s carried {r['ops_per_s']}/s "
        f"p95 tickets {t['p95_ms']} ms, window calls {w['p95_ms']} ms; cores server/postgres/rest/steal/idle "
        f"{cpu.get('server')}/{cpu.get('postgres')}/{cpu.get('other')}/{cpu.get('steal')}/{cpu.get('idle')}"
    )
    if args.out:
        with open(args.out, "a") as f:
            f.write(json.dumps(line, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()

"""Queue benchmark: 200 concurrent clients (ticket machines + windows) against gunicorn on loopback.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tb_queueing .venv/bin/python bench/queueing/run.py

Phases, each bounded in time (``--seconds``):
  1. floor      — 200 clients POST /bench/floor (bare DRF + one INSERT) back to back;
  2. saturation — 200 clients back to back: 180 ticket machines POST .../tickets, 20 windows
                  POST .../call-next then .../finish (Bearer tokens);
  3. paced      — the same 200 clients with think time (exponential) so they offer ``--rate``
                  operations/s in total (default: half the saturation throughput just measured):
                  latency percentiles below saturation. (Under saturation a closed loop of 200
                  clients only measures queueing: latency ≈ clients ÷ throughput.)
Throughput is reported as operations/s and as a ratio to the floor of the same run.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import secrets
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(ROOT / "src"), str(HERE)]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench_settings")
os.environ.setdefault("TONGBAN_DEMO", "1")  # relaxed secrets/2FA; nothing else changes
CENTER = "BENCH-Q"


def setup(windows: int) -> list[tuple[int, str]]:
    """A 24-hour center with queues A/V and ``windows`` windows, each with a clerk and an API token."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)

    from tongban.accounts.authentication import hash_token
    from tongban.accounts.models import ApiToken, Role, User
    from tongban.catalog.models import Center, Window
    from tongban.queueing.models import Queue, QueueSettings, Ticket, WindowSession

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_floor (id bigserial primary key, at timestamptz)")
        cursor.execute("TRUNCATE bench_floor")
    center, _ = Center.objects.get_or_create(
        code=CENTER, defaults={"name": "基准测试中心", "district": "杨浦区", "address": "-", "open_24h": True}
    )
    QueueSettings.objects.get_or_create(center=center)
    Queue.objects.get_or_create(center=center, prefix="A", defaults={"name": "综合受理", "order": 1})
    Queue.objects.get_or_create(
        center=center, prefix="V", defaults={"name": "优先", "kind": "priority", "order": 2}
    )
    from django.utils import timezone

    # a previous run's sessions and tickets: end them (bench data only)
    WindowSession.objects.filter(window__center=center).exclude(state="closed").update(
        state="closed", closed_at=timezone.now()
    )
    Ticket.objects.filter(center=center, state__in=["waiting", "called", "serving"]).update(state="abandoned")
    out = []
    for n in range(1, windows + 1):
        window, _ = Window.objects.get_or_create(center=center, number=n)
        clerk, _ = User.objects.get_or_create(
            username=f"bench-clerk-{n}",
            defaults={"role": Role.CLERK, "center": center, "default_window": window},
        )
        token = secrets.token_urlsafe(24)
        ApiToken.objects.create(user=clerk, key_hash=hash_token(token))
        out.append((window.pk, token))
    return out


class Client:
    def __init__(self, port: int) -> None:
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def post(self, path: str, body: dict | None = None, token: str = "") -> tuple[int, bytes]:
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        for attempt in range(2):
            try:
                self.conn.request("POST", path, body=json.dumps(body or {}), headers=headers)
                resp = self.conn.getresponse()
                return resp.status, resp.read()
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                if attempt:
                    raise
        raise AssertionError("unreachable")


def run_phase(port, seconds, kiosks, windows, *, floor=False, think=0.0):  # type: ignore[no-untyped-def]
    """Returns {op: [latencies]} and error counts."""
    stop = time.monotonic() + seconds
    lat: dict[str, list[float]] = {}
    errors: dict[str, int] = {}
    lock = threading.Lock()
    start_gate = threading.Barrier(len(kiosks) + len(windows))

    def record(op, dt, ok):  # type: ignore[no-untyped-def]
        with lock:
            lat.setdefault(op, []).append(dt)
            if not ok:
                errors[op] = errors.get(op, 0) + 1

    def pause():  # type: ignore[no-untyped-def]
        if think:
            time.sleep(random.expovariate(1.0 / think))

    def kiosk(_):  # type: ignore[no-untyped-def]
        c = Client(port)
        start_gate.wait()
        while time.monotonic() < stop:
            t = time.perf_counter()
            if floor:
                status, _ = c.post("/bench/floor")
                record("floor", time.perf_counter() - t, status == 201)
            else:
                prio = random.random() < 0.1
                status, _ = c.post(
                    f"/api/v1/centers/{CENTER}/tickets",
                    {"queue": "A", **({"priority_reason": "military"} if prio else {})},
                )
                record("ticket", time.perf_counter() - t, status == 201)
            pause()

    def window(args):  # type: ignore[no-untyped-def]
        window_id, token = args
        c = Client(port)
        start_gate.wait()
        while time.monotonic() < stop:
            if floor:
                t = time.perf_counter()
                status, _ = c.post("/bench/floor")
                record("floor", time.perf_counter() - t, status == 201)
                pause()
                continue
            t = time.perf_counter()
            status, body = c.post(f"/api/v1/windows/{window_id}/call-next", token=token)
            record("call-next", time.perf_counter() - t, status in (200, 204))
            if status == 200:
                ticket = json.loads(body)["ticket"]["id"]
                pause()
                t = time.perf_counter()
                status, _ = c.post(f"/api/v1/tickets/{ticket}/finish", token=token)
                record("finish", time.perf_counter() - t, status == 200)
            pause()

    threads = [threading.Thread(target=kiosk, args=(i,)) for i in kiosks] + [
        threading.Thread(target=window, args=(w,)) for w in windows
    ]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return lat, errors


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, max(0, int(round(p / 100 * len(s))) - 1))] * 1000


def summary(name, lat, errors, seconds):  # type: ignore[no-untyped-def]
    total = sum(len(v) for v in lat.values())
    rows = {"phase": name, "ops_per_s": round(total / seconds, 1), "errors": sum(errors.values()), "ops": {}}
    for op, v in sorted(lat.items()):
        rows["ops"][op] = {
            "n": len(v),
            "per_s": round(len(v) / seconds, 1),
            "p50_ms": round(pct(v, 50), 1),
            "p95_ms": round(pct(v, 95), 1),
            "p99_ms": round(pct(v, 99), 1),
            "mean_ms": round(statistics.fmean(v) * 1000, 1),
        }
    all_lat = [x for v in lat.values() for x in v]
    rows["p95_ms"] = round(pct(all_lat, 95), 1) if all_lat else None
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=200)
    ap.add_argument("--windows", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument(
        "--rate",
        type=float,
        default=0,
        help="offered ops/s in the paced phase (0 = half the saturation throughput)",
    )
    ap.add_argument("--port", type=int, default=8195)
    ap.add_argument("--workers", type=int, default=3)
    ap.add_argument("--threads", type=int, default=8)
    ap.add_argument("--out", default=str(HERE / "results.json"))
    args = ap.parse_args()
    if "postgres" not in os.environ.get("DATABASE_URL", ""):
        sys.exit("set DATABASE_URL to a migrated PostgreSQL database")

    windows = setup(args.windows)
    env = {
        **os.environ,
        "PYTHONPATH": f"{ROOT / 'src'}:{HERE}",
        "TONGBAN_DEBUG": "0",
        "TONGBAN_LOG_LEVEL": "WARNING",
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "tongban.conf.wsgi:application",
            "-b",
            f"127.0.0.1:{args.port}",
            "-w",
            str(args.workers),
            "-k",
            "gthread",
            "--threads",
            str(args.threads),
            "--backlog",
            "2048",
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=str(ROOT),
    )
    try:
        for _ in range(100):
            try:
                http.client.HTTPConnection("127.0.0.1", args.port, timeout=1).request("GET", "/healthz")
                break
            except OSError:
                time.sleep(0.1)
        kiosks = list(range(args.clients - args.windows))
        warm = run_phase(args.port, 2, kiosks[:10], windows[:2])  # warm-up: imports, connections
        del warm
        results = []
        lat, err = run_phase(args.port, args.seconds, kiosks, windows, floor=True)
        floor = summary("floor", lat, err, args.seconds)
        results.append(floor)
        lat, err = run_phase(args.port, args.seconds, kiosks, windows)
        sat = summary("saturation", lat, err, args.seconds)
        sat["ratio_to_floor"] = round(sat["ops_per_s"] / floor["ops_per_s"], 3)
        results.append(sat)
        # think time so 200 clients offer ~rate ops/s (a window does 2 ops per ticket)
        rate = args.rate or max(1.0, round(sat["ops_per_s"] / 2))
        think = args.clients / rate
        lat, err = run_phase(args.port, args.seconds, kiosks, windows, think=think)
        paced = summary(f"paced@{rate:g}/s", lat, err, args.seconds)
        paced["ratio_to_floor"] = round(paced["ops_per_s"] / floor["ops_per_s"], 3)
        results.append(paced)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(30)
    report = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "cores": os.cpu_count(),
        "clients": args.clients,
        "windows": args.windows,
        "seconds": args.seconds,
        "server": f"gunicorn gthread {args.workers}x{args.threads}",
        "results": results,
    }
    Path(args.out).write_text(json.dumps(report, indent=2, ensure_ascii=False))
    print(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()

"""Load driver: N concurrent keep-alive clients (processes × threads) against a running server.

    .venv/bin/python bench/applications/run.py --base http://127.0.0.1:8194 \
        --clerk-token ... --reviewer-token ... --seconds 15

Scenarios (each at 1 and 16 clients):
  floor           POST /bench/floor — a bare DRF endpoint doing one INSERT (the floor)
  list-clerk      GET  /api/v1/applications?limit=20 as a center clerk
  search-clerk    GET  …?q=<receipt-number prefix> / …?q=<applicant surname+name prefix>
  list-reviewer   GET  /api/v1/applications?limit=20 as a department reviewer (department-scoped)
  search-reviewer GET  …?q=… as the reviewer
  intake          POST /api/v1/applications with the materials ticked and "accept": true = one accepted application
Prints one Markdown table row per scenario and client count.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing as mp
import random
import statistics
import threading
import time
from urllib.parse import quote, urlparse

WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def valid_id(n: int) -> str:
    body = f"310110{1950 + n % 50:04d}{1 + n % 12:02d}{1 + n % 28:02d}{n % 1000:03d}"
    return body + "10X98765432"[sum(int(a) * w for a, w in zip(body, WEIGHTS, strict=True)) % 11]


def scenario_requests(name: str, rng: random.Random, seq: int) -> list[tuple[str, str, dict | None]]:
    if name == "floor":
        return [("POST", "/bench/floor", {})]
    if name.startswith("list"):
        return [("GET", "/api/v1/applications?limit=20", None)]
    if name.startswith("search"):
        if rng.random() < 0.5:
            day = f"2026{rng.randint(1, 10):02d}{rng.randint(1, 28):02d}"
            return [("GET", f"/api/v1/applications?limit=20&q=BENCH-C01-{day}", None)]
        g = rng.randint(1, 200_000)  # a resident's full name (generator: surname by g % 8)
        name = quote(f"{'张王李赵陈刘杨黄'[g % 8]}居民{g}")
        return [("GET", f"/api/v1/applications?limit=20&q={name}", None)]
    if name == "intake":
        return [
            (
                "POST",
                "/api/v1/applications",
                {
                    "matter_code": "BENCH-M001",
                    "applicant": {"id_number": valid_id(seq), "name": f"基准申请人{seq}"},
                    "channel": "window",
                    "materials": [{"material_type_id": -1}],  # filled in by the worker
                    "accept": True,
                },
            ),
        ]
    raise ValueError(name)


def worker(args: tuple) -> tuple[list[float], int, int]:
    base, token, scenario, seconds, threads, seed, material_types = args
    url = urlparse(base)
    latencies: list[float] = []
    errors = 0
    done = 0
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def loop(tid: int) -> None:
        nonlocal errors, done
        rng = random.Random(seed * 1000 + tid)
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        seq = seed * 10_000_000 + tid * 100_000
        while time.perf_counter() < deadline:
            seq += 1
            steps = scenario_requests(scenario, rng, seq)
            number = ""
            ok = True
            t0 = time.perf_counter()
            for method, path, body in steps:
                if body and "materials" in body:
                    body["materials"] = [{"material_type_id": m} for m in material_types]
                path = path.replace("{number}", number)
                data = json.dumps(body).encode() if body is not None else None
                try:
                    conn.request(method, path, body=data, headers=headers)
                    resp = conn.getresponse()
                    payload = resp.read()
                except (OSError, http.client.HTTPException):
                    conn.close()
                    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
                    ok = False
                    break
                if resp.status >= 400:
                    ok = False
                    break
                if scenario == "intake" and not number:
                    number = json.loads(payload)[0]["number"]
            elapsed = time.perf_counter() - t0
            with lock:
                if ok:
                    latencies.append(elapsed)
                    done += 1
                else:
                    errors += 1

    ts = [threading.Thread(target=loop, args=(i,)) for i in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return latencies, done, errors


def run(
    base: str, token: str, scenario: str, clients: int, seconds: float, material_types: list[int]
) -> dict:
    procs = 1 if clients == 1 else 2
    per = clients // procs
    # warm-up (connections, caches)
    with mp.Pool(procs) as pool:
        pool.map(worker, [(base, token, scenario, 2, per, 99 + i, material_types) for i in range(procs)])
    seed0 = random.randint(1, 1000)
    with mp.Pool(procs) as pool:
        t0 = time.perf_counter()
        parts = pool.map(
            worker, [(base, token, scenario, seconds, per, seed0 + i, material_types) for i in range(procs)]
        )
        wall = time.perf_counter() - t0
    lat = sorted(x for p in parts for x in p[0])
    done = sum(p[1] for p in parts)
    errors = sum(p[2] for p in parts)
    q = statistics.quantiles(lat, n=100) if len(lat) > 2 else [0.0] * 99
    return {
        "scenario": scenario,
        "clients": clients,
        "ops": done,
        "errors": errors,
        "per_s": done / wall,
        "p50_ms": q[49] * 1000,
        "p95_ms": q[94] * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", default="http://127.0.0.1:8194")
    parser.add_argument("--clerk-token", required=True)
    parser.add_argument("--reviewer-token", required=True)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--material-types", default="", help="comma-separated MaterialType ids of BENCH-M001")
    parser.add_argument(
        "--scenarios", default="floor,list-clerk,search-clerk,list-reviewer,search-reviewer,intake"
    )
    parser.add_argument("--clients", default="1,16")
    args = parser.parse_args()
    mts = [int(x) for x in args.material_types.split(",") if x]
    rows = []
    for scenario in args.scenarios.split(","):
        token = args.reviewer_token if "reviewer" in scenario else args.clerk_token
        for clients in [int(c) for c in args.clients.split(",")]:
            r = run(args.base, token, scenario, clients, args.seconds, mts)
            rows.append(r)
            print(
                f"| {r['scenario']} | {r['clients']} | {r['per_s']:.0f} | {r['p50_ms']:.1f} | {r['p95_ms']:.1f} "
                f"| {r['ops']} | {r['errors']} |",
                flush=True,
            )
    floor = {r["clients"]: r["per_s"] for r in rows if r["scenario"] == "floor"}
    print("\nratios to the floor (same client count):")
    for r in rows:
        if r["scenario"] != "floor" and r["clients"] in floor:
            print(f"  {r['scenario']} @{r['clients']}: {r['per_s'] / floor[r['clients']]:.2f}")


if __name__ == "__main__":
    main()

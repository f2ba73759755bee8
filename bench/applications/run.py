"""Load driver: wrk (Debian's `wrk`, a C load generator) against a running server, N keep-alive clients.

    .venv/bin/python bench/applications/run.py --base http://127.0.0.1:8194 \
        --clerk-token ... --reviewer-token ... --material-types 1,2 --seconds 15

Scenarios (each at 1 and 16 clients = wrk connections, closed loop, no think time):
  floor           POST /bench/floor — a bare DRF endpoint doing one INSERT (the floor)
  list-clerk      GET  /api/v1/applications?limit=20 as a center clerk
  search-clerk    GET  …?q=<receipt-day prefix> / …?q=<a resident's full name>
  list-reviewer   GET  /api/v1/applications?limit=20 as a department reviewer (department-scoped)
  search-reviewer GET  …?q=… as the reviewer
  intake          POST /api/v1/applications with the materials ticked and "accept": true = one accepted application,
                  all by one center's clerk (the center's daily case numbers are gapless, so its intakes
                  commit one at a time: this row measures that ceiling)
  intake-district the same, requests taken in turn by a clerk of each of the district's 15 centers
The scripts are bench/wrk/*.lua. A C driver matters on a 2-core box: the earlier Python driver (threads
in 2 processes) took a large share of the CPU it was measuring, and its GIL added to every latency.
Prints one Markdown table row per scenario and client count, then the ratios to the floor.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

WRK_DIR = Path(__file__).resolve().parents[1] / "wrk"
SCRIPTS = {
    "floor": "floor.lua",
    "list-clerk": "app_list.lua",
    "search-clerk": "app_search.lua",
    "list-reviewer": "app_list.lua",
    "search-reviewer": "app_search.lua",
    "intake": "app_intake.lua",
    "intake-district": "app_intake.lua",
}


def wrk(base: str, script: str, clients: int, seconds: float, env: dict[str, str]) -> dict:
    """One wrk run; returns the JSON line its done() prints."""
    cmd = ["wrk", "-t1", f"-c{clients}", f"-d{seconds:g}s", "--timeout", "10s", "-s", str(WRK_DIR / script)]
    url = base + ("/bench/floor" if script == "floor.lua" else "/")
    out = subprocess.run(
        [*cmd, url],
        env={**os.environ, "WRK_LIB": str(WRK_DIR), **env},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def run(base: str, scenario: str, clients: int, seconds: float, env: dict[str, str]) -> dict:
    script = SCRIPTS[scenario]
    wrk(base, script, clients, 2, {**env, "SEQ0": str(random.randint(10**7, 9 * 10**7))})  # warm-up
    r = wrk(base, script, clients, seconds, {**env, "SEQ0": str(random.randint(10**7, 9 * 10**7))})
    wall = r["duration_us"] / 1e6
    ok = r["requests"] - r["errors_status"]
    return {
        "scenario": scenario,
        "clients": clients,
        "ops": ok,
        "errors": r["errors_status"] + r["errors_other"],
        "per_s": ok / wall,
        "p50_ms": r["p50_us"] / 1000,
        "p95_ms": r["p95_us"] / 1000,
        "p99_ms": r["p99_us"] / 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", default="http://127.0.0.1:8194")
    parser.add_argument("--clerk-token", required=True)
    parser.add_argument("--reviewer-token", required=True)
    parser.add_argument("--district-clerk-tokens", default="", help="generate.py's DISTRICT_CLERK_TOKENS")
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--material-types", default="", help="comma-separated MaterialType ids of BENCH-M001")
    parser.add_argument(
        "--scenarios",
        default="floor,list-clerk,search-clerk,list-reviewer,search-reviewer,intake,intake-district",
    )
    parser.add_argument("--clients", default="1,16")
    parser.add_argument("--out", default="", help="also write the rows as JSON here")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install wrk")
    rows = []
    print("| scenario | clients | req/s | p50 ms | p95 ms | p99 ms | ok | errors |")
    print("|---|---|---|---|---|---|---|---|")
    for scenario in args.scenarios.split(","):
        token = args.reviewer_token if "reviewer" in scenario else args.clerk_token
        env = {"TOKEN": token, "MATERIAL_TYPES": args.material_types}
        if scenario == "intake-district":
            if not args.district_clerk_tokens:
                sys.exit("intake-district needs --district-clerk-tokens")
            env["TOKENS"] = args.district_clerk_tokens
        for clients in [int(c) for c in args.clients.split(",")]:
            r = run(args.base, scenario, clients, args.seconds, env)
            rows.append(r)
            print(
                f"| {r['scenario']} | {r['clients']} | {r['per_s']:.0f} | {r['p50_ms']:.1f} | {r['p95_ms']:.1f} "
                f"| {r['p99_ms']:.1f} | {r['ops']} | {r['errors']} |",
                flush=True,
            )
    floor = {r["clients"]: r["per_s"] for r in rows if r["scenario"] == "floor"}
    print("\nratios to the floor (same client count):")
    for r in rows:
        if r["scenario"] != "floor" and r["clients"] in floor:
            r["ratio"] = round(r["per_s"] / floor[r["clients"]], 3)
            print(f"  {r['scenario']} @{r['clients']}: {r['ratio']:.2f}")
    if args.out:
        Path(args.out).write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()

"""Working-day calendar benchmark: µs per call and calls per second of the real public functions.

    .venv/bin/python bench/calendar/run.py [--calls 200000]

Sets up a throw-away SQLite database (TONGBAN_VAR_DIR in a temp dir), seeds the
calendar as production does (`calendar_bootstrap`: official 2025/2026 + library
2020–2030), then times is_workday, add_workdays, add_workdays_ex and
workdays_between on pre-generated inputs (data.py), plus the index build and a
day-by-day loop as the baseline the index replaces.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))


def timed(label: str, fn, inputs, repeat: int = 3) -> tuple[str, float, float]:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        for args in inputs:
            fn(*args)
        best = min(best, time.perf_counter() - t0)
    per_call = best / len(inputs)
    return label, per_call * 1e6, 1 / per_call


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=200_000)
    args = parser.parse_args()

    tmp = tempfile.mkdtemp(prefix="tb-bench-cal-")
    os.environ.update(TONGBAN_DEMO="1", TONGBAN_VAR_DIR=tmp, DJANGO_SETTINGS_MODULE="tongban.conf.settings")
    os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from data import pairs, ranges

    from tongban.core import calendar
    from tongban.core.services import calendar_bootstrap

    calendar_bootstrap()

    t0 = time.perf_counter()
    calendar.invalidate_index()
    calendar.get_index()
    build_ms = (time.perf_counter() - t0) * 1000

    p = pairs(args.calls)
    r = ranges(args.calls)
    days = [(d,) for d, _ in p]
    rows = [
        timed("is_workday(d)", calendar.is_workday, days),
        timed("add_workdays(start, n)", calendar.add_workdays, p),
        timed("add_workdays_ex(start, n)", calendar.add_workdays_ex, p),
        timed("workdays_between(a, b)", calendar.workdays_between, r),
    ]

    def day_by_day(start: date, n: int) -> date:
        d = start
        while n:
            d += timedelta(days=1)
            n -= calendar.is_workday(d)
        return d

    baseline = p[: max(args.calls // 50, 1000)]
    rows.append(timed("baseline: day-by-day loop over is_workday", day_by_day, baseline, repeat=1))
    wrong = sum(1 for s, n in baseline if day_by_day(s, n) != calendar.add_workdays(s, n))

    print(
        f"# {platform.node()} · {os.cpu_count()} cores · Python {platform.python_version()} · {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
    )
    print(f"index build (DB read + prefix sums, 2000–2100): {build_ms:.1f} ms")
    print(f"{'operation':45} {'µs/call':>9} {'calls/s':>12}")
    for label, us, ops in rows:
        print(f"{label:45} {us:9.2f} {ops:12,.0f}")
    print(f"index vs day-by-day answers that differ: {wrong} of {len(baseline)}")


if __name__ == "__main__":
    main()

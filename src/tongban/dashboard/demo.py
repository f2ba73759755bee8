"""Demo: three months of realistic history for the demo center, so the dashboard is alive on first start.

Idempotent: skipped when the history is already there. Prints a progress bar while it generates.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from tongban.catalog.models import Center
from tongban.dashboard.history import generate_history, history_exists
from tongban.dashboard.services import rollup_rebuild_by_month

DEMO_CENTER = "YP-CBXC"
DAYS = 92


def _bar(stdout: Any, label: str) -> Any:
    def progress(done: int, total: int) -> None:
        filled = int(30 * done / total)
        stdout.write(f"\r  {label} [{'#' * filled}{'.' * (30 - filled)}] {done}/{total}", ending="")
        if done == total:
            stdout.write("")

    return progress


def load(stdout: Any) -> None:
    center = Center.objects.filter(code=DEMO_CENTER).first()
    if center is None:
        stdout.write(f"  skipped: demo center {DEMO_CENTER} not loaded (catalog demo)")
        return
    today = timezone.localdate()
    date_from = today - timedelta(days=DAYS)
    if history_exists(center):
        stdout.write("  history already generated; refreshing recent rollups")
    else:
        counts = generate_history(
            center=center,
            date_from=date_from,
            date_to=today - timedelta(days=1),
            per_day=130,
            progress=_bar(stdout, "生成历史数据 history"),
        )
        stdout.write("  " + ", ".join(f"{k}: {v}" for k, v in counts.items()))
    rollup_rebuild_by_month(
        date_from=date_from, date_to=today, progress=_bar(stdout, "汇总 rollups (months)")
    )

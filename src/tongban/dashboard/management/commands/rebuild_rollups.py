"""Rebuild the dashboard's rollups for a date range (after a backfill, a fix, or a first install)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from tongban.dashboard.services import rollup_rebuild_by_month


class Command(BaseCommand):
    help = "Rebuild dashboard rollups: --from YYYY-MM-DD --to YYYY-MM-DD (default: the last 400 days)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--from", dest="date_from", type=date.fromisoformat)
        parser.add_argument("--to", dest="date_to", type=date.fromisoformat)

    def handle(self, *args: Any, **options: Any) -> None:
        date_to = options["date_to"] or timezone.localdate()
        date_from = options["date_from"] or date_to - timedelta(days=400)

        def progress(done: int, total: int) -> None:
            filled = int(30 * done / total)
            self.stdout.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {done}/{total} months", ending="")

        rows = rollup_rebuild_by_month(date_from=date_from, date_to=date_to, progress=progress)
        self.stdout.write(f"\n{rows} daily rollup rows for {date_from}..{date_to}")

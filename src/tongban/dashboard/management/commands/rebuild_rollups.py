"""Rebuild the dashboard's daily rollups for a date range (after a backfill, a fix, or a first install)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from tongban.dashboard.services import rollup_rebuild_day


class Command(BaseCommand):
    help = "Rebuild dashboard rollups: --from YYYY-MM-DD --to YYYY-MM-DD (default: the last 400 days)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--from", dest="date_from", type=date.fromisoformat)
        parser.add_argument("--to", dest="date_to", type=date.fromisoformat)

    def handle(self, *args: Any, **options: Any) -> None:
        date_to = options["date_to"] or timezone.localdate()
        date_from = options["date_from"] or date_to - timedelta(days=400)
        day, rows = date_from, 0
        total = (date_to - date_from).days + 1
        for i in range(total):
            rows += rollup_rebuild_day(day=day)
            day += timedelta(days=1)
            if total > 1:
                done = int(30 * (i + 1) / total)
                self.stdout.write(f"\r[{'#' * done}{'.' * (30 - done)}] {i + 1}/{total} days", ending="")
        self.stdout.write(f"\n{rows} rollup rows for {date_from}..{date_to}")

"""Run the cabinet watchdog and overdue jobs once (cron-friendly; the same work Celery beat schedules)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from tongban.cabinet.tasks import overdue, watchdog


class Command(BaseCommand):
    help = "Check door-open timeouts, doors left open, offline cabinets, queued commands and overdue items."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--skip-overdue", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"watchdog: {watchdog()}")
        if not options["skip_overdue"]:
            self.stdout.write(f"overdue: {overdue()}")

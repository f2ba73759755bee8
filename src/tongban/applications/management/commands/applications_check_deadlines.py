"""Raise deadline warnings now (the same job Celery beat / the demo scheduler run every 15 minutes)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from tongban.applications.services import applications_check_deadlines


class Command(BaseCommand):
    help = (
        "Warn the responsible clerk and the managers about applications near (80 %) or past their deadline."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--today", type=date.fromisoformat, help="pretend today is this date (YYYY-MM-DD)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        run = applications_check_deadlines(today=options.get("today"))
        self.stdout.write(f"checked {run.checked}; yellow {len(run.yellow)}; red {len(run.red)}")
        for number in run.yellow:
            self.stdout.write(f"  yellow {number}")
        for number in run.red:
            self.stdout.write(f"  red    {number}")

"""Seed the working-day calendar: shipped official notices + provisional years from the `holidays` package.

    manage.py calendar_seed                 # 2020–2030
    manage.py calendar_seed --years 2027-2032

Idempotent; run at every deploy. Years with an official notice are never overwritten by the library.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from tongban.core.services import DEFAULT_SEED_YEARS, calendar_bootstrap


def parse_years(text: str) -> list[int]:
    years: set[int] = set()
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        try:
            if "-" in part:
                lo, hi = (int(x) for x in part.split("-", 1))
                years.update(range(lo, hi + 1))
            else:
                years.add(int(part))
        except ValueError as exc:
            raise CommandError(f"bad --years value {part!r}: use 2027 or 2027-2030, comma-separated") from exc
    return sorted(years)


class Command(BaseCommand):
    help = "Load the shipped holiday notices (official) and seed other years from the holidays library."

    def add_arguments(self, parser: Any) -> None:
        default = f"{DEFAULT_SEED_YEARS.start}-{DEFAULT_SEED_YEARS.stop - 1}"
        parser.add_argument("--years", default=default, help=f"years to seed (default {default})")

    def handle(self, *args: Any, **options: Any) -> None:
        seeded, notices = calendar_bootstrap(years=parse_years(options["years"]))
        for n in notices:
            state = "imported" if n.changed else "unchanged"
            self.stdout.write(
                f"  {n.calendar_year.year} official ({n.calendar_year.notice_reference}): {state}"
            )
        for s in seeded:
            label = {"seeded": "provisional, seeded", "unchanged": "provisional, unchanged"}.get(
                s.status, "official, left alone"
            )
            self.stdout.write(f"  {s.year} {label} ({s.days} days)")
        self.stdout.write(self.style.SUCCESS("calendar ready"))

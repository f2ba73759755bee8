"""Import the State Council's holiday notice for a year from a YAML or JSON file.

    manage.py calendar_import_notice src/tongban/core/data/calendar/2026.yaml

The whole notice is checked first; any error rejects it entirely (exit 1, every problem listed).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from tongban.core.errors import ValidationError
from tongban.core.services import calendar_import_notice


class Command(BaseCommand):
    help = (
        "Import a yearly holiday notice (YAML/JSON) into the working-day calendar; the year becomes official."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc}") from exc
        try:
            result = calendar_import_notice(data=text, actor=None)
        except ValidationError as exc:
            for err in exc.details.get("errors", []):
                self.stderr.write(f"  {err['field'] or '-'}: {err['message']} / {err['message_en']}")
            raise CommandError(f"{exc.message} / {exc.message_en}") from exc
        year = result.calendar_year
        verb = "imported" if result.changed else "unchanged (already imported)"
        self.stdout.write(
            self.style.SUCCESS(
                f"{year.year} {year.notice_reference}: {verb}; "
                f"{result.holidays} holiday days, {result.makeup_workdays} make-up working days"
            )
        )
        if result.taken_over:
            self.stdout.write(
                "  took over days set before by another year: "
                + ", ".join(d.isoformat() for d in result.taken_over)
            )

"""manage.py catalog_export --format yaml|json|csv [--output FILE]."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from tongban.catalog.transfer import catalog_dump, catalog_export, materials_csv_export


class Command(BaseCommand):
    help = "导出事项目录（yaml/json，当前版本办事指南）或材料清单（csv）。导出文件可原样导入。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--format", choices=["yaml", "json", "csv"], default="yaml")
        parser.add_argument("--output", "-o", help="file to write (default: standard output)")

    def handle(self, *args: Any, **options: Any) -> None:
        fmt = options["format"]
        text = materials_csv_export() if fmt == "csv" else catalog_dump(catalog_export(), fmt=fmt)
        if options["output"]:
            Path(options["output"]).write_text(text, encoding="utf-8")
            self.stderr.write(f"wrote {options['output']}")
        else:
            self.stdout.write(text, ending="")

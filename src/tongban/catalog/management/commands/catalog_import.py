"""manage.py catalog_import FILE [--dry-run]: YAML/JSON catalog or CSV materials; all-or-nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tongban.catalog.transfer import CatalogImportInvalid, catalog_import, catalog_parse, materials_csv_import


class Command(BaseCommand):
    help = "导入事项目录（.yaml/.yml/.json）或材料清单（.csv）。文件有任何错误则整体拒绝并逐条列出。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="catalog .yaml/.yml/.json, or materials .csv")
        parser.add_argument(
            "--dry-run", action="store_true", help="validate and report what would change; write nothing"
        )
        parser.add_argument(
            "--format", choices=["yaml", "json", "csv"], help="default: from the file extension"
        )
        parser.add_argument(
            "--note", default="", help="change note for guide versions published by this import"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"文件不存在 / no such file: {path}")
        fmt = options["format"] or path.suffix.lstrip(".").lower().replace("yml", "yaml")
        if fmt not in {"yaml", "json", "csv"}:
            raise CommandError("无法识别的文件类型，请用 --format 指定 / unknown file type, pass --format")
        text = path.read_text(encoding="utf-8-sig")
        try:
            if fmt == "csv":
                report = materials_csv_import(text=text, dry_run=options["dry_run"], note=options["note"])
            else:
                data = catalog_parse(text, fmt=fmt)
                report = catalog_import(data=data, dry_run=options["dry_run"], note=options["note"])
        except CatalogImportInvalid as exc:
            for e in exc.errors:
                self.stderr.write(f"{e.record} · {e.field or '-'}: {e.message} ({e.message_en})")
            raise CommandError(exc.message) from exc
        prefix = "[dry run, nothing written] " if report.dry_run else ""
        self.stdout.write(self.style.SUCCESS(prefix + report.summary()))
        for code, version in report.published:
            self.stdout.write(f"  {code} → v{version}")

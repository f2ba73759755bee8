"""Load the demo data of every app, in dependency order. Idempotent: run it twice, nothing doubles.

Each app may ship ``tongban.<app>.demo`` with ``load(stdout) -> None``.
"""

from __future__ import annotations

import importlib
from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Load realistic demo data (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        for config in apps.get_app_configs():
            if not config.name.startswith("tongban."):
                continue
            try:
                module = importlib.import_module(f"{config.name}.demo")
            except ModuleNotFoundError as exc:
                if exc.name != f"{config.name}.demo":
                    raise
                continue
            self.stdout.write(f"· {config.verbose_name or config.label}…")
            module.load(self.stdout)
        self.stdout.write(self.style.SUCCESS("demo data ready"))

"""Periodic jobs, declared once per app and run by Celery beat in production or the demo scheduler.

An app lists its jobs in ``tongban.<app>.tasks.PERIODIC`` as
``Periodic(name, seconds, task)`` where ``task`` is a Celery task taking no
arguments (idempotent, safe to run twice).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.apps import apps


@dataclass(frozen=True)
class Periodic:
    name: str
    seconds: float
    task: Callable[..., Any]


def collect_periodic() -> list[Periodic]:
    jobs: list[Periodic] = []
    for config in apps.get_app_configs():
        if not config.name.startswith("tongban."):
            continue
        try:
            module = importlib.import_module(f"{config.name}.tasks")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.tasks":
                raise
            continue
        jobs.extend(getattr(module, "PERIODIC", []))
    return jobs


def beat_schedule() -> dict[str, dict[str, Any]]:
    """Celery beat's schedule. Each run expires when the next one is due: the jobs are idempotent, so
    a run still queued by then (workers down or backlogged) is superseded, not piled up - a 5 s job
    would otherwise queue 720 copies during an hour's outage."""
    return {
        job.name: {"task": job.task.name, "schedule": job.seconds, "options": {"expires": job.seconds}}  # type: ignore[attr-defined]
        for job in collect_periodic()
    }

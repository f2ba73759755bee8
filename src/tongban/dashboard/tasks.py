"""Periodic jobs of the dashboard: keep today's and yesterday's rollups fresh."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from tongban.core.periodic import Periodic
from tongban.dashboard.services import rollup_refresh_recent


@shared_task(name="dashboard.refresh_rollups")
def refresh_rollups() -> dict[str, Any]:
    return rollup_refresh_recent()


PERIODIC = [Periodic("dashboard.refresh_rollups", 5 * 60, refresh_rollups)]

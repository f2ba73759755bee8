"""Periodic jobs: deadline warnings (yellow at 80 % elapsed, red when overdue). Idempotent."""

from __future__ import annotations

from celery import shared_task

from tongban.applications.services import applications_check_deadlines
from tongban.core.periodic import Periodic


@shared_task(name="applications.check_deadlines")
def check_deadlines() -> dict[str, int]:
    run = applications_check_deadlines()
    return {"checked": run.checked, "yellow": len(run.yellow), "red": len(run.red)}


PERIODIC = [Periodic("applications.check_deadlines", 15 * 60, check_deadlines)]

"""Periodic cabinet jobs (Celery beat in production, the demo scheduler in ``make demo``)."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from tongban.cabinet import services
from tongban.core.periodic import Periodic


@shared_task(name="cabinet.watchdog")
def watchdog() -> dict[str, Any]:
    """Door-open timeouts, doors left open, silent cabinets, and a retry of queued commands."""
    result: dict[str, Any] = dict(services.commands_check_timeouts())
    result["doors_left_open"] = services.doors_check_left_open()
    result["marked_offline"] = services.cabinets_mark_stale_offline()
    result["dispatched"] = services.outbox_dispatch()
    return result


@shared_task(name="cabinet.overdue")
def overdue() -> dict[str, int]:
    """Reminders for uncollected documents; expiry of unused drop-off reservations."""
    return services.items_process_overdue()


PERIODIC = [
    Periodic("cabinet.watchdog", 10, watchdog),
    Periodic("cabinet.overdue", 3600, overdue),
]

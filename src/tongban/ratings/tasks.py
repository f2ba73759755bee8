"""Periodic jobs of 好差评: escalate late rectification work orders."""

from __future__ import annotations

from celery import shared_task

from tongban.core.periodic import Periodic
from tongban.ratings.services import work_orders_escalate


@shared_task(name="ratings.escalate_work_orders")
def escalate_work_orders() -> int:
    """Idempotent: each late deadline escalates once."""
    return work_orders_escalate()


PERIODIC = [Periodic("ratings.escalate_work_orders", 15 * 60, escalate_work_orders)]

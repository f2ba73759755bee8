"""Periodic jobs of 好差评: escalate late rectification work orders."""

from __future__ import annotations

from celery import shared_task

from tongban.core.periodic import Periodic
from tongban.ratings.services import rating_invitations_sweep, work_orders_escalate


@shared_task(name="ratings.escalate_work_orders")
def escalate_work_orders() -> int:
    """Idempotent: each late deadline escalates once."""
    return work_orders_escalate()


@shared_task(name="ratings.invite_ratings")
def invite_ratings() -> int:
    """Text a signed 一事一评 link for recently delivered online / cabinet cases (idempotent)."""
    return rating_invitations_sweep()


PERIODIC = [
    Periodic("ratings.escalate_work_orders", 15 * 60, escalate_work_orders),
    Periodic("ratings.invite_ratings", 5 * 60, invite_ratings),
]

"""Core periodic jobs: record the audit chain's tip off-database (tamper evidence)."""

from __future__ import annotations

from celery import shared_task

from tongban.core.audit import audit_anchor
from tongban.core.periodic import Periodic


@shared_task(name="core.audit_anchor")
def audit_anchor_task() -> str:
    seq, digest = audit_anchor()
    return f"{seq}:{digest}"


PERIODIC = [Periodic("core.audit_anchor", 600, audit_anchor_task)]

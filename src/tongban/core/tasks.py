"""Core periodic jobs: seal pending audit entries into the chain, record its tip off-database, verify it daily."""

from __future__ import annotations

import logging

from celery import shared_task

from tongban.core.audit import audit_anchor, audit_seal, audit_verify_report
from tongban.core.periodic import Periodic

logger = logging.getLogger("tongban.audit")


@shared_task(name="core.audit_seal")
def audit_seal_task() -> int:
    """Give pending audit entries their chain position and hash (the only writer of the chain)."""
    return audit_seal()


@shared_task(name="core.audit_anchor")
def audit_anchor_task() -> str:
    seq, digest = audit_anchor()
    return f"{seq}:{digest}"


@shared_task(name="core.audit_verify")
def audit_verify_task() -> str:
    """Walk the whole chain; an ERROR log line (for alerting) names every problem."""
    report = audit_verify_report()
    if report.ok:
        logger.info("audit chain intact: %s entries, tip #%s", report.entries, report.last_seq)
        return "ok"
    for problem in report.problems:
        logger.error("audit chain BROKEN at #%s: %s", problem.seq, problem.problem)
    return f"broken: {len(report.problems)} problem(s)"


PERIODIC = [
    # Every 5 s: a pending entry is outside the chain's tamper evidence for about this long.
    Periodic("core.audit_seal", 5, audit_seal_task),
    Periodic("core.audit_anchor", 600, audit_anchor_task),
    Periodic("core.audit_verify", 24 * 3600, audit_verify_task),
]

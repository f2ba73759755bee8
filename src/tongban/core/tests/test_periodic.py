"""Celery beat's schedule, built from every app's PERIODIC list."""

from __future__ import annotations

from tongban.core.periodic import beat_schedule, collect_periodic


def test_every_job_is_scheduled_and_a_late_run_expires_when_the_next_is_due():
    """Workers down for an hour must not leave 720 queued copies of the 5 s audit sealer (or of any
    job) to run back to back when they return: a run expires when the next one is due."""
    schedule = beat_schedule()
    assert set(schedule) == {job.name for job in collect_periodic()}
    assert schedule["core.audit_seal"] == {
        "task": "core.audit_seal",
        "schedule": 5,
        "options": {"expires": 5},
    }
    for name, entry in schedule.items():
        assert entry["options"]["expires"] == entry["schedule"] > 0, name

"""Two clerks act on the same case at once: one wins, the other gets a clear conflict; nothing half-written.

Real threads, each with its own database connection; on PostgreSQL the loser waits on the row
lock (select_for_update) and then finds the state moved on.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from tongban.applications import services as s
from tongban.applications.models import Application, Review, StatusChange, SupplementNotice
from tongban.applications.tests.factories import clerk_at, draft
from tongban.catalog.tests.factories import CenterFactory, DepartmentFactory, MatterFactory
from tongban.core.audit import audit_verify
from tongban.core.errors import Conflict

pytestmark = pytest.mark.django_db(transaction=True)


def race(*calls):
    """Run the calls at once in threads (PostgreSQL). SQLite's shared-cache in-memory test database
    answers "table is locked" instead of waiting, so there the calls run one after another on the same
    stale objects — the same check-after-lock path, without the simultaneity."""
    if connection.vendor != "postgresql":
        out: list[object] = []
        for call in calls:
            try:
                out.append(call())
            except Exception as exc:  # noqa: BLE001 - collected and asserted below
                out.append(exc)
        return out
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait(timeout=10)
            results[i] = call()
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


def test_two_clerks_accept_and_refuse_at_once_one_wins():
    center = CenterFactory()
    a, b = clerk_at(center), clerk_at(center)
    dept = DepartmentFactory()
    matter = MatterFactory()
    matter.review_departments.set([dept])
    app = draft(clerk=a, matter=matter)
    results = race(
        lambda: s.application_accept(application=app, actor=a),
        lambda: s.application_refuse(
            application=app, actor=b, reason="重复申请", legal_basis="《行政许可法》第三十二条"
        ),
    )
    errors = [r for r in results if isinstance(r, Exception)]
    wins = [r for r in results if isinstance(r, Application)]
    assert len(wins) == 1 and len(errors) == 1, results
    assert isinstance(errors[0], Conflict)
    assert errors[0].status_code == 409
    fresh = Application.objects.get(pk=app.pk)
    assert fresh.version == 2 + (1 if fresh.status == "under_review" else 0)
    if fresh.status == "under_review":  # accept won: reviews exist, no refusal was written
        assert Review.objects.filter(application=app).count() == 1
        assert fresh.refusal_reason == ""
    else:
        assert fresh.status == "refused"
        assert Review.objects.filter(application=app).count() == 0
        assert fresh.due_date is None
    assert StatusChange.objects.filter(application=app, action__in=["accept", "refuse"]).count() == 1
    assert audit_verify() == []


def test_two_clerks_issue_the_one_time_notice_at_once():
    center = CenterFactory()
    a, b = clerk_at(center), clerk_at(center)
    app = draft(clerk=a, received=False)
    results = race(
        lambda: s.application_request_supplement(application=app, actor=a, items=[]),
        lambda: s.application_request_supplement(application=app, actor=b, items=[]),
    )
    assert sum(isinstance(r, SupplementNotice) for r in results) == 1, results
    assert sum(isinstance(r, Conflict) for r in results) == 1, results
    assert SupplementNotice.objects.filter(application=app).count() == 1


def test_database_vendor_is_reported():
    # Documents which backend this run used (the suite runs on SQLite and on PostgreSQL).
    assert connection.vendor in ("sqlite", "postgresql")


def test_two_windows_register_the_same_new_person_at_once():
    from tongban.applications.tests.factories import valid_id

    center = CenterFactory()
    a, b = clerk_at(center), clerk_at(center)
    number = valid_id("31011019800101555")
    results = race(
        lambda: s.applicant_find_or_register(actor=a, id_number=number, name="王芳"),
        lambda: s.applicant_find_or_register(actor=b, id_number=number, name="王芳"),
    )
    assert not [r for r in results if isinstance(r, Exception)], results
    assert results[0].pk == results[1].pk

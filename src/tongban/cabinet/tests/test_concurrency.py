"""Races that matter: two clerks depositing at once; a pickup and a recall of the same item at once."""

from __future__ import annotations

import threading

import pytest
from django.conf import settings
from django.db import close_old_connections, connection

from tongban.accounts.tests.factories import ClerkFactory
from tongban.cabinet import services
from tongban.cabinet.errors import CabinetFull, WrongCode
from tongban.cabinet.models import Item
from tongban.cabinet.tests.conftest import Device, deposited
from tongban.cabinet.tests.factories import CabinetFactory
from tongban.core.audit import audit_verify
from tongban.core.errors import InvalidTransition

# Real row locks need a real server: SQLite's shared in-memory *test* database has table locks
# without a busy wait and would test the harness, not the code (the demo's file database with
# IMMEDIATE transactions serialises writers properly).
pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.postgres,
    pytest.mark.skipif(
        settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
        reason="concurrency needs PostgreSQL row locks (run with DATABASE_URL=postgres://…)",
    ),
]


def run_together(*jobs):
    """Start every job at the same instant; return each one's result or exception."""
    barrier = threading.Barrier(len(jobs))
    results = [None] * len(jobs)

    def runner(i, job):
        close_old_connections()
        barrier.wait()
        try:
            results[i] = job()
        except Exception as exc:  # noqa: BLE001 - the test inspects it
            results[i] = exc
        connection.close()

    threads = [threading.Thread(target=runner, args=(i, job)) for i, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


def test_clerks_depositing_at_once_never_share_a_compartment():
    cabinet = CabinetFactory(layout=["S"] * 4)
    clerks = [ClerkFactory(center=cabinet.center) for _ in range(6)]
    results = run_together(
        *[
            (
                lambda c=c: services.deposit_create(
                    cabinet=cabinet, actor=c, size="S", label="x", phone="13912345678"
                )
            )
            for c in clerks
        ]
    )
    items = [r for r in results if isinstance(r, Item)]
    errors = [r for r in results if not isinstance(r, Item)]
    assert len(items) == 4, [type(r).__name__ + str(r)[:40] for r in results]
    assert all(isinstance(e, CabinetFull) for e in errors), errors
    assert sorted(i.compartment.number for i in items) == [1, 2, 3, 4]
    assert Item.objects.filter(state="reserved").count() == 4
    assert audit_verify() == []


@pytest.mark.parametrize("rounds", [3])
def test_pickup_and_recall_at_once_exactly_one_wins(rounds):
    cabinet = CabinetFactory(layout=["S"] * rounds)
    clerk = ClerkFactory(center=cabinet.center)
    device = Device(cabinet)
    for n in range(rounds):
        item, code = deposited(cabinet, clerk, device, phone=f"1391234560{n}")
        results = run_together(
            lambda item=item: services.item_recall(item=item, actor=clerk),
            lambda code=code: services.code_enter(cabinet=cabinet, code=code, source="10.0.0.1"),
        )
        recall, pickup = results
        wins = [r for r in results if not isinstance(r, Exception)]
        assert len(wins) == 1, results
        if isinstance(recall, Exception):
            assert isinstance(recall, InvalidTransition)
            expected = "pickup"
        else:
            assert isinstance(pickup, WrongCode)
            expected = "recall"
        item.refresh_from_db()
        assert (item.state, item.unload_reason) == ("unloading", expected)
        assert item.commands.filter(purpose__in=["pickup", "recall"]).count() == 1


def test_one_case_deposited_into_two_cabinets_at_once_is_stored_once():
    """Two clerks put the same case's document into two cabinets of its center at the same moment. Were each to
    hold only its own cabinet's lock, both would find the case in no cabinet and both store it: two
    compartments, two pickup codes. ``lock_cabinet`` also locks the cabinet's center row (its join), so the
    second waits for the first and is told the case is already in a cabinet; this pins that."""
    from tongban.applications.tests.factories import clerk_at
    from tongban.cabinet.tests.test_applications import ready_case
    from tongban.core.errors import Conflict
    from tongban.core.tests.races import first_holds_second_waits

    one = CabinetFactory()
    two = CabinetFactory(center=one.center)
    clerk = clerk_at(one.center)
    app = ready_case(clerk)

    first, second = first_holds_second_waits(
        lambda: services.deposit_create(cabinet=one, actor=clerk, size="S", application=app),
        lambda: services.deposit_create(cabinet=two, actor=clerk, size="S", application=app),
    )
    assert isinstance(second, Conflict) and second.code == "cabinet.already_deposited", second
    assert list(Item.objects.filter(application=app).values_list("pk", flat=True)) == [first.pk]

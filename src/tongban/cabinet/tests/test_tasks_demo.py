"""Periodic jobs, the watchdog command, and the demo's cabinet (load + background services)."""

from __future__ import annotations

import io
import threading

import pytest
from django.core.management import call_command

from tongban.cabinet import demo, tasks
from tongban.cabinet.models import Cabinet, Compartment
from tongban.cabinet.tests.helpers import wait_for
from tongban.core.periodic import collect_periodic


def test_jobs_are_registered():
    names = {job.name: job.seconds for job in collect_periodic()}
    assert names["cabinet.watchdog"] == 10 and names["cabinet.overdue"] == 3600


@pytest.mark.django_db
def test_watchdog_and_command_run_clean(cabinet):
    assert tasks.watchdog() == {
        "expired": 0,
        "timed_out": 0,
        "doors_left_open": 0,
        "marked_offline": 0,
        "dispatched": 0,
    }
    out = io.StringIO()
    call_command("cabinet_watchdog", stdout=out)
    assert "watchdog:" in out.getvalue() and "overdue:" in out.getvalue()


@pytest.mark.django_db
def test_demo_load_is_idempotent():
    demo.load(io.StringIO())
    demo.load(io.StringIO())
    cabinet = Cabinet.objects.get(code=demo.CABINET_CODE)
    assert cabinet.center.code == "YP-CBXC" and cabinet.name == "24小时自助服务区 1号柜"
    assert list(Compartment.objects.filter(cabinet=cabinet).values_list("size", flat=True)) == demo.LAYOUT


@pytest.mark.django_db(transaction=True)
def test_demo_services_bring_the_cabinet_online():
    """rundemo's threads: the consumer and the simulator on the embedded transport (no broker)."""
    demo.load(io.StringIO())
    stop = threading.Event()
    threads = [threading.Thread(target=service, args=(stop,), daemon=True) for service in demo.services()]
    for thread in threads:
        thread.start()
    try:
        wait_for(
            lambda: Cabinet.objects.filter(
                code=demo.CABINET_CODE, online=True, firmware__startswith="tongban-sim"
            ).exists()
        )
    finally:
        stop.set()
        for thread in threads:
            thread.join(15)
        # deliveries queued before the consumer unsubscribed (the simulator's goodbye) still write to
        # the database on the broker's thread: let them finish before the test database is flushed
        from tongban.cabinet.transport.embedded import BROKER

        BROKER.drain()

"""The admin's slot editor: it refuses a slot that could not be kept, and never moves a booked resident."""

from __future__ import annotations

from datetime import date, time

import pytest
from django.db import IntegrityError, transaction
from freezegun import freeze_time

from tongban.catalog.tests.factories import CenterFactory
from tongban.queueing.models import AppointmentSlot
from tongban.queueing.tests.factories import hall

pytestmark = pytest.mark.django_db
ADD = "/admin/queueing/appointmentslot/add/"


def form_data(queue, **changes):
    data = {
        "center": queue.center_id,
        "queue": queue.pk,
        "day": "2026-11-26",
        "start": "09:00",
        "end": "09:30",
        "capacity": "4",
    }
    return {**data, **changes}


def errors_of(page) -> str:
    assert page.status_code == 200  # the form again, not a redirect to the list
    return page.content.decode()


@freeze_time("2026-11-25 02:00:00")
def test_a_slot_that_ends_before_it_starts_is_refused(admin_client):
    _, q, _ = hall()
    for end in ("08:30", "09:00"):
        html = errors_of(admin_client.post(ADD, form_data(q["Y"], end=end)))
        assert "结束时间应晚于开始时间" in html
    assert AppointmentSlot.objects.count() == 0
    assert admin_client.post(ADD, form_data(q["Y"])).status_code == 302
    assert [(s.start, s.end) for s in AppointmentSlot.objects.all()] == [(time(9), time(9, 30))]


def test_the_database_refuses_a_slot_that_ends_before_it_starts_too():
    _, q, _ = hall()
    for end in (time(8, 30), time(9)):
        with pytest.raises(IntegrityError), transaction.atomic():
            AppointmentSlot.objects.create(
                center=q["Y"].center, queue=q["Y"], day=date(2026, 11, 26), start=time(9), end=end, capacity=4
            )
    assert AppointmentSlot.objects.count() == 0


@freeze_time("2026-11-25 02:00:00")
def test_a_queue_of_another_center_is_refused(admin_client):
    _, q, _ = hall()
    other = CenterFactory()
    html = errors_of(admin_client.post(ADD, form_data(q["Y"], center=other.pk)))
    assert "所选队列不属于该服务中心" in html
    assert AppointmentSlot.objects.count() == 0


def test_the_migration_names_the_slots_to_correct_before_adding_the_constraint():
    """A slot the old admin saved ending before it starts would make the constraint fail with the database's
    bare "violated by some row": the migration stops first and says which slots to correct."""
    import importlib

    from django.apps import apps
    from django.db import connection

    migration = importlib.import_module("tongban.queueing.migrations.0015_slot_start_before_end")
    _, q, _ = hall()
    good = AppointmentSlot.objects.create(
        center=q["Y"].center, queue=q["Y"], day=date(2026, 11, 26), start=time(9), end=time(9, 30), capacity=4
    )
    migration.refuse_slots_ending_before_they_start(apps, None)  # nothing wrong: passes
    with connection.cursor() as cursor:  # as the old admin saved it, before the constraint
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA ignore_check_constraints = ON")
        else:
            cursor.execute("ALTER TABLE queueing_appointmentslot DROP CONSTRAINT slot_start_before_end")
        try:
            AppointmentSlot.objects.filter(pk=good.pk).update(end=time(8, 30))
        finally:
            if connection.vendor == "sqlite":
                cursor.execute("PRAGMA ignore_check_constraints = OFF")
    with pytest.raises(RuntimeError) as exc:
        migration.refuse_slots_ending_before_they_start(apps, None)
    assert f"#{good.pk} 2026-11-26 09:00-08:30" in str(exc.value)
    assert "请先在管理后台改正或删除" in str(exc.value)

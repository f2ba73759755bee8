"""The admin's slot editor: it refuses a slot that could not be kept, and never moves a booked resident."""

from __future__ import annotations

from datetime import date, time

import pytest
from django.db import IntegrityError, transaction
from freezegun import freeze_time

from tongban.accounts.tests.factories import ResidentFactory
from tongban.catalog.tests.factories import CenterFactory
from tongban.notifications.models import Message
from tongban.queueing.admin import AppointmentSlotAdmin, AppointmentSlotAdminForm
from tongban.queueing.models import Appointment, AppointmentSlot
from tongban.queueing.services import appointment_book
from tongban.queueing.tests.factories import hall

pytestmark = pytest.mark.django_db
ADD = "/admin/queueing/appointmentslot/add/"
IDS = ["310110199006150037", "310110195601010049", "310110200002290054"]


def change_url(slot) -> str:
    return f"/admin/queueing/appointmentslot/{slot.pk}/change/"


def booked_slot(queue, residents=1, capacity=4):
    """A slot of Thursday 26 November 09:00-09:30 with ``residents`` booked in it."""
    slot = AppointmentSlot.objects.create(
        center=queue.center,
        queue=queue,
        day=date(2026, 11, 26),
        start=time(9),
        end=time(9, 30),
        capacity=capacity,
    )
    for i in range(residents):
        r = ResidentFactory(id_number=IDS[i], phone=f"1380000000{i}")
        appointment_book(slot=slot, actor=r, resident=r)
    slot.refresh_from_db()
    return slot


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
            # the rows just inserted leave deferred foreign-key checks pending, and PostgreSQL alters no table
            # with such events: run them now (the test's transaction still rolls everything back)
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
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


@freeze_time("2026-11-25 02:00:00")
def test_capacity_below_the_places_booked_is_refused_with_the_number(admin_client):
    _, q, _ = hall()
    slot = booked_slot(q["Y"], residents=3)
    html = errors_of(admin_client.post(change_url(slot), {"capacity": "2"}))
    assert "已有 3 人预约此时段，可预约人数不能少于 3" in html
    slot.refresh_from_db()
    assert (slot.capacity, slot.booked) == (4, 3)
    assert admin_client.post(change_url(slot), {"capacity": "3"}).status_code == 302
    slot.refresh_from_db()
    assert (slot.capacity, slot.booked) == (3, 3)


@freeze_time("2026-11-25 02:00:00")
def test_a_booked_slot_keeps_its_day_and_times_and_says_how_to_move_its_residents(admin_client):
    _, q, _ = hall()
    free = AppointmentSlot.objects.create(
        center=q["Y"].center,
        queue=q["Y"],
        day=date(2026, 11, 26),
        start=time(10),
        end=time(10, 30),
        capacity=4,
    )
    slot = booked_slot(q["Y"], residents=2)
    page = admin_client.get(change_url(slot)).content.decode()
    assert "请在预约管理中逐个为已预约的居民改约" in page
    for name in ("center", "queue", "day", "start", "end"):
        assert f'name="{name}"' not in page, name
    assert 'name="capacity"' in page
    # a slot nobody booked is still editable throughout, without the notice
    page = admin_client.get(change_url(free)).content.decode()
    assert 'name="day"' in page and 'name="start"' in page and "逐个为已预约的居民改约" not in page
    # what a stale page (or a hand-made request) posts for the held fields is not taken
    moved = {"day": "2026-11-27", "start": "15:00", "end": "15:30", "capacity": "6"}
    assert admin_client.post(change_url(slot), moved).status_code == 302
    slot.refresh_from_db()
    assert (slot.day, slot.start, slot.end, slot.capacity, slot.booked) == (
        date(2026, 11, 26),
        time(9),
        time(9, 30),
        6,
        2,
    )
    assert Appointment.objects.filter(slot=slot, state="booked").count() == 2
    assert not Message.objects.filter(purpose="queueing.appointment.changed").exists()


@freeze_time("2026-11-25 02:00:00")
def test_a_booking_made_while_the_form_was_open_is_neither_moved_nor_overwritten(rf, admin_user):
    """The editor opened the slot when nobody had booked it; a resident books before the save. Moving the slot
    is refused as for any booked slot, and a change of capacity keeps the resident's place counted."""
    _, q, _ = hall()
    opened = AppointmentSlot.objects.create(
        center=q["Y"].center, queue=q["Y"], day=date(2026, 11, 26), start=time(9), end=time(9, 30), capacity=4
    )
    booked_meanwhile = AppointmentSlot.objects.get(pk=opened.pk)
    r = ResidentFactory(id_number=IDS[0], phone="13800000000")
    appointment_book(slot=booked_meanwhile, actor=r, resident=r)
    data = {"center": opened.center_id, "queue": opened.queue_id, "day": "2026-11-26", "end": "09:30"}

    moved = AppointmentSlotAdminForm(data={**data, "start": "08:30", "capacity": "4"}, instance=opened)
    assert not moved.is_valid()
    assert "已有居民预约此时段，不能再改" in moved.errors["start"][0]

    opened = AppointmentSlot.objects.get(pk=opened.pk)
    opened.booked = 0  # the copy the page was built from
    grown = AppointmentSlotAdminForm(data={**data, "start": "09:00", "capacity": "6"}, instance=opened)
    assert grown.is_valid(), grown.errors
    r = ResidentFactory(id_number=IDS[1], phone="13800000001")
    appointment_book(slot=booked_meanwhile, actor=r, resident=r)  # (PostgreSQL: waits for the save instead)
    admin = AppointmentSlotAdmin(AppointmentSlot, None)
    admin.save_model(rf.post("/"), grown.save(commit=False), grown, change=True)
    opened.refresh_from_db()
    assert (opened.capacity, opened.booked) == (6, 2)


WEEKDAY = [["09:00", "12:00"], ["13:30", "16:30"]]


@freeze_time("2026-11-25 02:00:00")
def test_a_slot_when_the_hall_is_closed_is_refused(admin_client):
    """Residents check in at the hall's ticket machine, which takes no one while it is closed."""
    from tongban.core.models import CalendarDay
    from tongban.queueing.tests.factories import QueueFactory

    center = CenterFactory(
        open_24h=False,
        opening_hours={
            "mon": WEEKDAY,
            "tue": WEEKDAY,
            "thu": WEEKDAY,
            "fri": WEEKDAY,
            "sat": [["09:00", "12:00"]],
        },
    )
    queue = QueueFactory(center=center, prefix="Y", kind="appointment")
    CalendarDay.objects.create(date="2026-12-04", kind=CalendarDay.Kind.HOLIDAY, name="测试假日")  # a Friday
    outside = "时段不在服务中心 2026-11-26 的开放时间内（09:00–12:00, 13:30–16:30）"
    for start, end in (("08:30", "09:00"), ("11:45", "12:15"), ("12:00", "12:30"), ("16:30", "17:00")):
        html = errors_of(admin_client.post(ADD, form_data(queue, start=start, end=end)))
        assert outside in html, (start, end)
    refused = {
        "2026-11-29": "2026-11-29 不是工作日，服务中心不开放，不能设预约时段",  # Sunday
        "2026-12-04": "2026-12-04 不是工作日，服务中心不开放，不能设预约时段",  # the holiday
        "2026-12-02": "服务中心 2026-12-02 不开放，不能设预约时段",  # a Wednesday: no hours that day
    }
    for day, message in refused.items():
        assert message in errors_of(admin_client.post(ADD, form_data(queue, day=day))), day
    html = errors_of(admin_client.post(ADD, form_data(queue, day="1999-12-30")))
    assert "日期超出工作日历范围" in html  # not a server error
    assert AppointmentSlot.objects.count() == 0
    for day, start, end in (
        ("2026-11-26", "09:00", "09:30"),
        ("2026-11-26", "11:30", "12:00"),  # ends as the hall closes
        ("2026-11-26", "13:30", "14:00"),
        ("2026-11-28", "10:00", "10:30"),  # a Saturday the center opens
    ):
        assert admin_client.post(ADD, form_data(queue, day=day, start=start, end=end)).status_code == 302
    assert AppointmentSlot.objects.count() == 4


@freeze_time("2026-11-25 02:00:00")
def test_a_24_hour_center_takes_any_time_and_a_capacity_change_is_not_judged_by_the_hours(admin_client):
    _, q, _ = hall()  # open around the clock
    sunday_night = form_data(q["Y"], day="2026-11-29", start="23:00", end="23:30")
    assert admin_client.post(ADD, sunday_night).status_code == 302
    # a slot made before the center's hours were narrowed keeps taking capacity changes
    center = q["Y"].center
    center.open_24h, center.opening_hours = False, {"sun": [["09:00", "12:00"]]}
    center.save()
    slot = AppointmentSlot.objects.get()
    assert admin_client.post(change_url(slot), {**sunday_night, "capacity": "6"}).status_code == 302
    slot.refresh_from_db()
    assert slot.capacity == 6
    html = errors_of(admin_client.post(change_url(slot), {**sunday_night, "start": "22:30"}))
    assert "时段不在服务中心 2026-11-29 的开放时间内（09:00–12:00）" in html

"""Appointments: capacity, change/cancel, check-in priority inside the slot, no-show policy, reminders."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from freezegun import freeze_time

from tongban.accounts.tests.factories import ClerkFactory, ManagerFactory, ResidentFactory
from tongban.core.crypto import blind_index
from tongban.core.errors import Forbidden, ValidationError
from tongban.notifications.models import Message
from tongban.queueing.errors import (
    AlreadyBooked,
    AppointmentNotFound,
    AppointmentNotToday,
    AppointmentStateError,
    BookingSuspended,
    SlotFull,
    SlotPast,
)
from tongban.queueing.models import Appointment, AppointmentSlot, BookingSuspension, NoShowRecord, Ticket
from tongban.queueing.selectors import window_panel
from tongban.queueing.services import (
    appointment_book,
    appointment_cancel,
    appointment_change,
    appointment_slots_ensure,
    appointment_slots_generate,
    appointments_mark_no_shows,
    appointments_send_reminders,
    booking_suspension_lift,
    ticket_call_next,
    ticket_issue,
)
from tongban.queueing.tests.factories import hall

pytestmark = pytest.mark.django_db
IDS = ["310110199006150037", "310110195601010049", "310110200002290054"]


def slot(queue, day=date(2026, 11, 26), start=time(9), end=time(9, 30), capacity=2):
    return AppointmentSlot.objects.create(
        center=queue.center, queue=queue, day=day, start=start, end=end, capacity=capacity
    )


def resident(i=0):
    return ResidentFactory(id_number=IDS[i], phone=f"1380000000{i}", display_name="王小明")


@freeze_time("2026-11-25 02:00:00")
def test_slots_generate_and_ensure_are_idempotent():
    center, q, _ = hall()
    assert appointment_slots_generate(queue=q["Y"], day=date(2026, 11, 26), start=time(9), end=time(10)) == 2
    assert appointment_slots_generate(queue=q["Y"], day=date(2026, 11, 26), start=time(9), end=time(10)) == 0
    # Thu 26, Fri 27, Mon 30 (weekend skipped): 12 slots a day (5 morning + 7 afternoon)
    created = appointment_slots_ensure(center=center, workdays=3)
    assert created == 3 * 12 - 2
    assert appointment_slots_ensure(center=center, workdays=3) == 0
    days = sorted({str(d) for d in AppointmentSlot.objects.values_list("day", flat=True)})
    assert days == ["2026-11-26", "2026-11-27", "2026-11-30"]


@freeze_time("2026-11-25 02:00:00")
def test_generated_slots_cover_the_centers_opening_hours():
    """A center open 09:00-12:00 and 13:30-16:30 on weekdays gets slots in those hours only, none across lunch
    or after closing; a Saturday it opens 08:45-11:50 gets the whole half hours inside (09:00 to 11:30); a
    holiday and a Sunday get none, and the ten working days are counted past them."""
    from tongban.catalog.tests.factories import CenterFactory
    from tongban.core.models import CalendarDay
    from tongban.queueing.tests.factories import QueueFactory

    weekday = [["09:00", "12:00"], ["13:30", "16:30"]]
    center = CenterFactory(
        open_24h=False,
        opening_hours={
            **dict.fromkeys(("mon", "tue", "wed", "thu", "fri"), weekday),
            "sat": [["08:45", "11:50"]],
        },
    )
    queue = QueueFactory(center=center, prefix="Y", kind="appointment")
    QueueFactory(center=center, prefix="A")  # not an appointment queue: no slots
    CalendarDay.objects.create(date="2026-11-27", kind=CalendarDay.Kind.HOLIDAY, name="测试假日")  # Friday
    assert appointment_slots_ensure(center=center, workdays=3) == 12 + 5 + 12 + 12
    assert appointment_slots_ensure(center=center, workdays=3) == 0

    def times(day):
        return [
            f"{s.start:%H:%M}-{s.end:%H:%M}"
            for s in AppointmentSlot.objects.filter(day=day).order_by("start")
        ]

    assert times(date(2026, 11, 26)) == [
        "09:00-09:30", "09:30-10:00", "10:00-10:30", "10:30-11:00", "11:00-11:30", "11:30-12:00",
        "13:30-14:00", "14:00-14:30", "14:30-15:00", "15:00-15:30", "15:30-16:00", "16:00-16:30",
    ]  # fmt: skip
    assert times(date(2026, 11, 28)) == [
        "09:00-09:30",
        "09:30-10:00",
        "10:00-10:30",
        "10:30-11:00",
        "11:00-11:30",
    ]
    days = sorted({str(d) for d in AppointmentSlot.objects.values_list("day", flat=True)})
    assert days == ["2026-11-26", "2026-11-28", "2026-11-30", "2026-12-01"]  # not the holiday, not Sunday
    assert set(AppointmentSlot.objects.values_list("queue", "capacity")) == {(queue.pk, 4)}


@freeze_time("2026-11-25 02:00:00")
def test_booking_takes_capacity_and_sends_the_code():
    _, q, _ = hall()
    s = slot(q["Y"], capacity=2)
    r0, r1, r2 = resident(0), resident(1), resident(2)
    a = appointment_book(slot=s, actor=r0, resident=r0)
    assert (a.state, len(a.code), a.id_number, a.phone) == ("booked", 6, IDS[0], "13800000000")
    appointment_book(slot=s, actor=r1, resident=r1)
    with pytest.raises(SlotFull):
        appointment_book(slot=s, actor=r2, resident=r2)
    s.refresh_from_db()
    assert s.booked == 2
    msg = Message.objects.get(purpose="queueing.appointment.booked", to_hash=blind_index("13800000000"))
    assert a.code in msg.body
    with pytest.raises(AlreadyBooked):
        appointment_book(slot=slot(q["Y"], start=time(10), end=time(10, 30)), actor=r0, resident=r0)


@freeze_time("2026-11-25 02:00:00")
def test_staff_book_for_a_resident_and_permissions():
    center, q, _ = hall()
    s = slot(q["Y"])
    clerk = ClerkFactory(center=center)
    a = appointment_book(slot=s, actor=clerk, name="王小明", id_number=IDS[0], phone="13900000000")
    assert (a.resident, a.created_by, a.name) == (None, clerk, "王小明")
    # the code and the reminders go to the phone: a mistyped one is refused, and nothing is booked or sent
    for wrong, says in (("1390000", "11位"), ("1390000000a", "只能包含数字")):
        with pytest.raises(ValidationError) as refused:
            appointment_book(slot=s, actor=clerk, id_number=IDS[1], phone=wrong)
        assert says in refused.value.message
    assert Appointment.objects.count() == Message.objects.count() == 1
    with pytest.raises(Forbidden):
        appointment_book(slot=s, actor=ClerkFactory(center=hall()[0]), id_number=IDS[1], phone="13900000001")
    other = resident(1)
    with pytest.raises(Forbidden):
        appointment_book(slot=s, actor=other, resident=resident(2))
    with pytest.raises(Forbidden):
        appointment_cancel(appointment_id=a.pk, actor=other)
    with freeze_time("2026-11-26 02:00:00"), pytest.raises(SlotPast):
        appointment_book(slot=s, actor=other, resident=other)


@freeze_time("2026-11-25 02:00:00")
def test_change_and_cancel_move_capacity():
    _, q, _ = hall()
    s1, s2 = slot(q["Y"], capacity=1), slot(q["Y"], start=time(10), end=time(10, 30), capacity=1)
    r = resident()
    a = appointment_book(slot=s1, actor=r, resident=r)
    appointment_change(appointment_id=a.pk, new_slot=s2, actor=r)
    s1.refresh_from_db()
    s2.refresh_from_db()
    assert (s1.booked, s2.booked) == (0, 1)
    other = resident(1)
    with pytest.raises(SlotFull):
        appointment_book(slot=s2, actor=other, resident=other)
    appointment_cancel(appointment_id=a.pk, actor=r)
    s2.refresh_from_db()
    assert (Appointment.objects.get(pk=a.pk).state, s2.booked) == ("cancelled", 0)
    with pytest.raises(AppointmentStateError):
        appointment_cancel(appointment_id=a.pk, actor=r)


@freeze_time("2026-11-25 02:00:00")
def test_change_to_a_day_already_booked_is_refused_and_moves_nothing():
    """One booking a person a center-day holds when changing too: moving Thursday's booking to Friday, where the
    person already has one, would leave two on Friday."""
    _, q, _ = hall()
    thu = slot(q["Y"], day=date(2026, 11, 26))
    fri_9, fri_10 = (slot(q["Y"], day=date(2026, 11, 27), start=time(h), end=time(h, 30)) for h in (9, 10))
    r = resident()
    a = appointment_book(slot=thu, actor=r, resident=r)
    appointment_book(slot=fri_9, actor=r, resident=r)
    with pytest.raises(AlreadyBooked):
        appointment_change(appointment_id=a.pk, new_slot=fri_10, actor=r)
    assert Appointment.objects.get(pk=a.pk).slot_id == thu.pk
    assert [
        s.booked
        for s in AppointmentSlot.objects.filter(pk__in=[thu.pk, fri_9.pk, fri_10.pk]).order_by("day", "start")
    ] == [1, 1, 0]
    # within its own day a booking moves freely
    b = Appointment.objects.get(slot=fri_9)
    appointment_change(appointment_id=b.pk, new_slot=fri_10, actor=r)
    assert Appointment.objects.get(pk=b.pk).slot_id == fri_10.pk


def test_check_in_gives_a_priority_y_ticket_inside_the_slot(clerk_at):
    center, q, (w1, _) = hall(checkin_early_minutes=30, checkin_late_minutes=15)
    s = slot(q["Y"], start=time(9), end=time(9, 30))
    r = resident()
    with freeze_time("2026-11-25 02:00:00"):
        a = appointment_book(slot=s, actor=r, resident=r)
    with freeze_time("2026-11-26 00:20:00"), pytest.raises(AppointmentNotToday) as early:  # 08:20, too early
        ticket_issue(center=center, appointment_code=a.code)
    assert (early.value.message, early.value.message_en) == (
        "还没到签到时间。您的预约时段为今天 09:00-09:30，08:30 起可以签到",
        "Too early to check in: your appointment is today 09:00-09:30; check-in opens at 08:30",
    )
    with freeze_time("2026-11-26 00:40:00"):  # 08:40: early, queued at 09:00
        ticket_issue(center=center, queue="A")
        issued = ticket_issue(center=center, appointment_code=a.code.lower())
        t = issued.ticket
        assert (t.number, t.priority_reason, t.appointment, t.queue) == ("Y001", "appointment", a, q["Y"])
        assert t.queued_at.timestamp() == 1795654800
        assert issued.waiting_before == 1  # an early arrival waits as a normal ticket until its slot
        clerk = clerk_at(w1)
        assert ticket_call_next(window=w1, clerk=clerk).number == "A001"
    a.refresh_from_db()
    assert (a.state, a.checked_in_at is not None) == ("checked_in", True)
    with freeze_time("2026-11-26 00:45:00"), pytest.raises(AppointmentStateError) as again:
        ticket_issue(center=center, appointment_code=a.code)
    # the slip was lost: the machine says which number to listen for
    assert again.value.message == "这个预约已经签到过了，您的号码是 Y001，请留意叫号屏"
    assert "Y001" in again.value.message_en
    with freeze_time("2026-11-26 00:46:00"), pytest.raises(AppointmentStateError) as by_id:
        ticket_issue(center=center, id_number=r.id_number)  # the ID card, not the code: the same answer
    assert by_id.value.message == again.value.message


def test_an_appointment_has_at_most_one_ticket_in_the_database_too():
    """The check-in's state change refuses a second check-in (above); under it, the partial unique index
    ``ticket_one_per_appointment`` refuses a second ticket; tickets without an appointment are not limited."""
    from django.db import IntegrityError, transaction

    from tongban.queueing.models import Ticket

    center, q, _ = hall()
    s = slot(q["Y"], start=time(9), end=time(9, 30))
    r = resident()
    with freeze_time("2026-11-25 02:00:00"):
        a = appointment_book(slot=s, actor=r, resident=r)
    with freeze_time("2026-11-26 01:05:00"):
        first = ticket_issue(center=center, appointment_code=a.code).ticket
        ticket_issue(center=center, queue="A")
        ticket_issue(center=center, queue="A")  # tickets without an appointment: as many as come
        second = Ticket.objects.get(pk=first.pk)
        second.pk, second.seq, second.number = None, 99, "Y099"
        with pytest.raises(IntegrityError), transaction.atomic():
            second.save(force_insert=True)
    assert Ticket.objects.filter(appointment=a).count() == 1
    assert Ticket.objects.filter(center=center, appointment=None).count() == 2


def test_check_in_by_id_number_and_priority_inside_the_slot(clerk_at):
    center, q, (w1, _) = hall()
    s = slot(q["Y"], start=time(9), end=time(9, 30))
    r = resident()
    with freeze_time("2026-11-25 02:00:00"):
        appointment_book(slot=s, actor=r, resident=r)
    with freeze_time("2026-11-26 01:05:00"):  # 09:05
        ticket_issue(center=center, queue="A")
        t = ticket_issue(center=center, id_number=IDS[0]).ticket
        assert t.number == "Y001"
        assert ticket_call_next(window=w1, clerk=clerk_at(w1)).number == "Y001"  # priority in its slot
        extras = window_panel(w1).extras["appointment"]
        assert (extras["id_number"], extras["name"]) == ("310110********0037", "王*明")
    with freeze_time("2026-11-26 01:06:00"), pytest.raises(AppointmentNotFound):
        ticket_issue(center=center, id_number=IDS[1])


def test_no_shows_suspend_booking_after_the_limit():
    center, q, _ = hall(noshow_limit=2, noshow_window_days=30, suspend_days=30, checkin_late_minutes=15)
    r = resident()
    with freeze_time("2026-11-20 02:00:00"):
        a1 = appointment_book(slot=slot(q["Y"], day=date(2026, 11, 23)), actor=r, resident=r)
        a2 = appointment_book(slot=slot(q["Y"], day=date(2026, 11, 24)), actor=r, resident=r)
    with freeze_time("2026-11-23 01:40:00"):  # 09:40: the 09:00-09:30 slot + 15 min grace not over yet
        assert appointments_mark_no_shows() == 0
    with freeze_time("2026-11-23 01:46:00"):
        assert appointments_mark_no_shows() == 1
        assert appointments_mark_no_shows() == 0
    assert not BookingSuspension.objects.exists()
    with freeze_time("2026-11-25 02:00:00"):
        assert appointments_mark_no_shows() == 1
    assert NoShowRecord.objects.count() == 2
    assert {Appointment.objects.get(pk=a.pk).state for a in (a1, a2)} == {"no_show"}
    suspension = BookingSuspension.objects.get()
    assert (str(suspension.until), suspension.reason) == ("2026-12-25 02:00:00+00:00", "30天内爽约2次")
    sms = Message.objects.get(purpose="queueing.booking.suspended")
    assert (sms.to, sms.body) == (
        "13800000000",
        f"【通办】您30天内在{center.name}预约未到2次，在该中心的所有预约（网上、电话、窗口）暂停至2026年12月25日。"
        "期间仍可到大厅现场取号办理。如有疑问或异议，请到该中心咨询台咨询。",
    )
    with freeze_time("2026-11-26 02:00:00"), pytest.raises(BookingSuspended) as exc:
        appointment_book(slot=slot(q["Y"], day=date(2026, 11, 30)), actor=r, resident=r)
    assert exc.value.details == {"until": "2026-12-25T10:00:00+08:00"}
    manager = ManagerFactory(center=center)
    with freeze_time("2026-11-26 02:00:00"):
        booking_suspension_lift(suspension_id=suspension.pk, actor=manager)
        assert (
            appointment_book(slot=slot(q["Y"], day=date(2026, 12, 1)), actor=r, resident=r).state == "booked"
        )


def test_reminders_are_sent_once_the_day_before():
    _, q, _ = hall()
    r = resident()
    with freeze_time("2026-11-20 02:00:00"):
        a = appointment_book(slot=slot(q["Y"], day=date(2026, 11, 26)), actor=r, resident=r)
    with freeze_time("2026-11-24 10:00:00"):
        assert appointments_send_reminders() == 0
    with freeze_time("2026-11-25 10:00:00"):
        assert appointments_send_reminders() == 1
        assert appointments_send_reminders() == 0
    msg = Message.objects.get(purpose="queueing.appointment.reminder")
    assert (msg.to, a.code in msg.body) == ("13800000000", True)


def test_reminders_go_out_within_the_centers_sending_hours_only():
    """The job runs every 15 minutes: a reminder is sent the day before between 09:00 and 20:00 (the center's
    time), not as soon as the date turns. A booking for tomorrow made after 20:00 has just had its booking SMS
    and gets no reminder."""
    _, q, _ = hall()
    thursday = slot(q["Y"], day=date(2026, 11, 26), capacity=4)
    with freeze_time("2026-11-20 02:00:00"):
        early = appointment_book(slot=thursday, actor=(r := resident(0)), resident=r)
    # Wednesday 25th, Shanghai time (UTC+8)
    with freeze_time("2026-11-24 16:05:00"):  # 00:05: tomorrow is Thursday, but people are asleep
        assert appointments_send_reminders() == 0
    with freeze_time("2026-11-25 00:59:59"):  # 08:59:59
        assert appointments_send_reminders() == 0
    with freeze_time("2026-11-25 01:00:00"):  # 09:00
        assert appointments_send_reminders() == 1
    with freeze_time("2026-11-25 11:59:00"):  # 19:59: booked now, reminded in the same run
        late = appointment_book(slot=thursday, actor=(r := resident(1)), resident=r)
        assert appointments_send_reminders() == 1
    with freeze_time("2026-11-25 12:00:00"):  # 20:00: booked as the hours close
        closing = appointment_book(slot=thursday, actor=(r := resident(2)), resident=r)
        assert appointments_send_reminders() == 0
    for at in (
        "2026-11-25 15:45:00",
        "2026-11-26 01:00:00",
    ):  # 23:45 Wednesday; 09:00 Thursday, the day itself
        with freeze_time(at):
            assert appointments_send_reminders() == 0
    reminded = {m.to for m in Message.objects.filter(purpose="queueing.appointment.reminder")}
    assert reminded == {early.phone, late.phone}
    booked = [m.to for m in Message.objects.filter(purpose="queueing.appointment.booked")]
    assert booked.count(closing.phone) == 1  # what it has instead
    assert Appointment.objects.get(pk=closing.pk).reminded_at is None


def test_a_center_sets_its_own_reminder_hours():
    from django.core.exceptions import ValidationError as FormError

    from tongban.queueing.models import QueueSettings

    _, q, _ = hall(reminder_from=time(7, 30), reminder_until=time(21))
    _, other, _ = hall()  # the default 09:00-20:00
    with freeze_time("2026-11-20 02:00:00"):
        for i, queue in enumerate((q["Y"], other["Y"])):
            appointment_book(slot=slot(queue, day=date(2026, 11, 26)), actor=(r := resident(i)), resident=r)
    with freeze_time("2026-11-24 23:30:00"):  # Wednesday 07:30
        assert appointments_send_reminders() == 1
    assert [m.to for m in Message.objects.filter(purpose="queueing.appointment.reminder")] == ["13800000000"]
    with freeze_time("2026-11-25 12:30:00"):  # 20:30: the other center's hours closed before it was reminded
        assert appointments_send_reminders() == 0
    rules = QueueSettings.objects.get(center=q["Y"].center)
    rules.reminder_until = time(7)
    with pytest.raises(FormError) as exc:
        rules.full_clean()
    assert exc.value.message_dict == {"reminder_until": ["提醒短信的发送截止时间应晚于开始时间"]}


# --- one person, known by either their ID number or their phone ------------------------------------------


@freeze_time("2026-11-25 02:00:00")
def test_a_caller_booked_by_phone_and_again_with_an_id_number_books_once_a_day():
    """A clerk books a caller by phone alone, then (the caller rings again) with the ID number too: the same
    person by the phone, refused as the ID number alone would be. Another day is free."""
    center, q, _ = hall()
    clerk = ClerkFactory(center=center)
    nine, ten = slot(q["Y"]), slot(q["Y"], start=time(10), end=time(10, 30))
    appointment_book(slot=nine, actor=clerk, phone="13900000000")
    with pytest.raises(AlreadyBooked) as refused:
        appointment_book(slot=ten, actor=clerk, id_number=IDS[0], phone="139 0000 0000")
    assert refused.value.message == "该居民当天在本中心已有预约，可查找该预约后改约"
    # and the other way round: the ID number first, then the phone alone
    appointment_book(slot=nine, actor=clerk, id_number=IDS[1], phone="13900000001")
    with pytest.raises(AlreadyBooked):
        appointment_book(slot=ten, actor=clerk, phone="13900000001")
    assert list(Appointment.objects.values_list("phone_hash", flat=True).order_by("pk")) == [
        blind_index("13900000000"),
        blind_index("13900000001"),
    ]
    assert [s.booked for s in AppointmentSlot.objects.order_by("start")] == [2, 0]
    friday = appointment_book(
        slot=slot(q["Y"], day=date(2026, 11, 27)), actor=clerk, id_number=IDS[0], phone="13900000000"
    )
    assert friday.state == "booked"


@freeze_time("2026-11-25 02:00:00")
def test_a_caller_booked_by_phone_cannot_book_the_same_day_on_the_portal():
    """The portal always books with the resident's ID number; the clerk's booking had the phone alone."""
    center, q, _ = hall()
    appointment_book(slot=slot(q["Y"]), actor=ClerkFactory(center=center), phone="13800000000")
    r = resident()  # phone 13800000000
    with pytest.raises(AlreadyBooked) as refused:
        appointment_book(slot=slot(q["Y"], start=time(10), end=time(10, 30)), actor=r, resident=r)
    assert refused.value.message == "您当天在本中心已有预约"
    assert Appointment.objects.count() == 1
    # someone else (neither key shared) still books that day
    other = resident(1)
    assert appointment_book(slot=slot(q["Y"], start=time(11), end=time(11, 30)), actor=other, resident=other)


@freeze_time("2026-11-25 02:00:00")
def test_changing_to_a_day_the_person_booked_by_the_other_key_is_refused():
    center, q, _ = hall()
    clerk = ClerkFactory(center=center)
    thu = slot(q["Y"])
    fri_9, fri_10 = (slot(q["Y"], day=date(2026, 11, 27), start=time(h), end=time(h, 30)) for h in (9, 10))
    r = resident()
    own = appointment_book(slot=thu, actor=r, resident=r)
    appointment_book(slot=fri_9, actor=clerk, phone="13800000000")  # a clerk, for the same phone
    with pytest.raises(AlreadyBooked):
        appointment_change(appointment_id=own.pk, new_slot=fri_10, actor=r)
    assert Appointment.objects.get(pk=own.pk).slot_id == thu.pk


def _miss(appointments, at):
    """Mark ``appointments`` no-shows at ``at`` (their slots over)."""
    with freeze_time(at):
        assert appointments_mark_no_shows() == len(appointments)


def test_a_phone_only_person_suspended_cannot_book_again_by_adding_an_id_number():
    center, q, _ = hall(noshow_limit=2)
    clerk = ClerkFactory(center=center)
    with freeze_time("2026-11-20 02:00:00"):
        missed = [
            appointment_book(slot=slot(q["Y"], day=date(2026, 11, d)), actor=clerk, phone="13800000000")
            for d in (23, 24)
        ]
    _miss(missed, "2026-11-25 02:00:00")
    suspension = BookingSuspension.objects.get()
    assert suspension.person_hash == blind_index("13800000000")
    r, monday = resident(), slot(q["Y"], day=date(2026, 11, 30))  # the same phone, with an ID number: …
    with freeze_time("2026-11-26 02:00:00"), pytest.raises(BookingSuspended):  # … on the portal …
        appointment_book(slot=monday, actor=r, resident=r)
    with freeze_time("2026-11-26 02:00:00"), pytest.raises(BookingSuspended):  # … and by a clerk
        appointment_book(slot=monday, actor=clerk, id_number=IDS[0], phone="13800000000")
    assert Appointment.objects.filter(state="booked").count() == 0
    # a suspension is the center's: another center books the person
    other_center, other_q, _ = hall()
    with freeze_time("2026-11-26 02:00:00"):
        assert appointment_book(slot=slot(other_q["Y"], day=date(2026, 11, 30)), actor=r, resident=r)


def test_a_person_suspended_by_id_number_cannot_be_booked_by_phone_alone():
    center, q, _ = hall(noshow_limit=2)
    r = resident()
    with freeze_time("2026-11-20 02:00:00"):
        missed = [
            appointment_book(slot=slot(q["Y"], day=date(2026, 11, d)), actor=r, resident=r) for d in (23, 24)
        ]
    _miss(missed, "2026-11-25 02:00:00")
    assert BookingSuspension.objects.get().person_hash == blind_index(IDS[0])
    clerk, monday = ClerkFactory(center=center), slot(q["Y"], day=date(2026, 11, 30))
    with freeze_time("2026-11-26 02:00:00"), pytest.raises(BookingSuspended):
        appointment_book(slot=monday, actor=clerk, phone="13800000000")
    # a different person (other ID number, other phone) is not touched by it
    with freeze_time("2026-11-26 02:00:00"):
        assert appointment_book(slot=monday, actor=clerk, id_number=IDS[1], phone="13800000009")


def test_no_shows_by_phone_alone_and_with_the_id_number_count_together():
    center, q, _ = hall(noshow_limit=2)
    clerk, r = ClerkFactory(center=center), resident()
    with freeze_time("2026-11-20 02:00:00"):
        missed = [
            appointment_book(slot=slot(q["Y"], day=date(2026, 11, 23)), actor=clerk, phone="13800000000"),
            appointment_book(slot=slot(q["Y"], day=date(2026, 11, 24)), actor=r, resident=r),
        ]
    _miss(missed[:1], "2026-11-23 03:00:00")
    assert not BookingSuspension.objects.exists()
    _miss(missed[1:], "2026-11-24 03:00:00")
    suspension = BookingSuspension.objects.get()
    assert (suspension.person_hash, suspension.reason) == (blind_index(IDS[0]), "30天内爽约2次")
    assert list(NoShowRecord.objects.order_by("at").values_list("person_hash", flat=True)) == [
        blind_index("13800000000"),
        blind_index(IDS[0]),
    ]


# --- a suspension served or lifted starts the count again ------------------------------------------------


def _book_and_miss(q, r, day):
    """``r`` books the 09:00 slot of ``day`` (the day before) and misses it (marked at 10:00)."""
    with freeze_time(f"{day - timedelta(days=1)} 02:00:00"):
        a = appointment_book(slot=slot(q["Y"], day=day), actor=r, resident=r)
    _miss([a], f"{day} 02:00:00")
    return a


def test_a_lifted_suspension_starts_the_count_again():
    center, q, _ = hall(noshow_limit=2, noshow_window_days=30, suspend_days=30)
    r, manager = resident(), ManagerFactory(center=center)
    _book_and_miss(q, r, date(2026, 11, 23))
    _book_and_miss(q, r, date(2026, 11, 24))
    first = BookingSuspension.objects.get()
    with freeze_time("2026-11-25 02:00:00"):
        booking_suspension_lift(suspension_id=first.pk, actor=manager)
    # one more miss, within 30 days of the two before the lift: one since the lift, under the limit
    _book_and_miss(q, r, date(2026, 11, 26))
    assert list(BookingSuspension.objects.values_list("pk", flat=True)) == [first.pk]
    assert Message.objects.filter(purpose="queueing.booking.suspended").count() == 1
    # a second miss since the lift reaches the limit again
    _book_and_miss(q, r, date(2026, 11, 27))
    again = BookingSuspension.objects.exclude(pk=first.pk).get()
    assert (again.reason, again.lifted_at) == ("30天内爽约2次", None)
    assert Message.objects.filter(purpose="queueing.booking.suspended").count() == 2


def test_a_suspension_run_out_starts_the_count_again():
    center, q, _ = hall(noshow_limit=2, noshow_window_days=30, suspend_days=3)
    r = resident()
    _book_and_miss(q, r, date(2026, 11, 23))
    _book_and_miss(q, r, date(2026, 11, 24))
    assert str(BookingSuspension.objects.get().until) == "2026-11-27 02:00:00+00:00"
    _book_and_miss(q, r, date(2026, 11, 30))  # booked on the 29th, the suspension over
    assert BookingSuspension.objects.count() == 1
    assert NoShowRecord.objects.count() == 3


def test_the_suspension_sms_gives_the_centers_phone_when_it_has_one():
    center, q, _ = hall(noshow_limit=1, suspend_days=7)
    center.phone = "021-65431234"
    center.save()
    _book_and_miss(q, resident(), date(2026, 11, 30))  # marked 10:00 on Monday: until Monday 7 December
    assert Message.objects.get(purpose="queueing.booking.suspended").body == (
        f"【通办】您30天内在{center.name}预约未到1次，在该中心的所有预约（网上、电话、窗口）暂停至2026年12月7日。"
        "期间仍可到大厅现场取号办理。如有疑问或异议，请致电021-65431234。"
    )


# --- at the machine: too early, too late, another day ----------------------------------------------------


def _booked_thursday_nine(**rules):
    """A resident's 09:00-09:30 appointment on Thursday 26 November (booked the day before)."""
    center, q, _ = hall(**rules)
    r = resident()
    with freeze_time("2026-11-25 02:00:00"):
        a = appointment_book(slot=slot(q["Y"]), actor=r, resident=r)
    return center, q, r, a


def test_a_late_arrival_is_told_check_in_closed_and_to_take_a_ticket():
    center, _, r, a = _booked_thursday_nine(checkin_early_minutes=20, checkin_late_minutes=10)
    other = resident(1)
    with freeze_time("2026-11-25 02:00:00"):
        b = appointment_book(slot=a.slot, actor=other, resident=other)
    with freeze_time("2026-11-26 01:40:00"):  # 09:40: the last minute of check-in
        assert ticket_issue(center=center, appointment_code=b.code).ticket.number == "Y001"
    for how in ({"appointment_code": a.code}, {"id_number": IDS[0]}):
        with freeze_time("2026-11-26 01:41:00"), pytest.raises(AppointmentNotToday) as late:  # 09:41
            ticket_issue(center=center, **how)
        assert (late.value.message, late.value.message_en) == (
            "已超过签到时间（时段结束后10分钟内可以签到）。您的预约时段为今天 09:00-09:30，请直接取号排队",
            "Too late to check in (check-in closes 10 minutes after the slot ends): your appointment was "
            "today 09:00-09:30; please take a ticket",
        )
        assert late.value.details == {
            "when": "late",
            "check_in_opens": "2026-11-26T08:40:00+08:00",
            "check_in_closes": "2026-11-26T09:40:00+08:00",
        }
    assert Appointment.objects.get(pk=a.pk).state == "booked"
    assert list(Ticket.objects.values_list("appointment", flat=True)) == [b.pk]


def test_a_code_for_another_day_says_which_day_early_or_late():
    center, _, _, a = _booked_thursday_nine()
    with freeze_time("2026-11-25 03:00:00"), pytest.raises(AppointmentNotToday) as before:  # Wednesday
        ticket_issue(center=center, appointment_code=a.code)
    assert (before.value.message, before.value.message_en, before.value.details["when"]) == (
        "您的预约在 11月26日 09:00-09:30，请当天来签到（时段开始前30分钟起可以签到）",
        "Your appointment is on 2026-11-26, 09:00-09:30: check in on that day, from 30 minutes before it starts",
        "another_day",
    )
    # Friday, before the no-show job came round: the day it was, and that it is too late
    with freeze_time("2026-11-27 00:30:00"), pytest.raises(AppointmentNotToday) as after:
        ticket_issue(center=center, appointment_code=a.code)
    assert after.value.message == (
        "已超过签到时间（时段结束后15分钟内可以签到）。您的预约时段为11月26日 09:00-09:30，请直接取号排队"
    )
    assert "your appointment was on 2026-11-26 09:00-09:30" in after.value.message_en


def test_an_id_card_on_the_wrong_day_is_told_it_is_another_day():
    """At the machine an ID number with nothing booked today was "not found" to someone who had booked another
    day: it is told the booking is on another day. Only the code (its holder's secret) is told which day and
    time: an ID number is typed, not proven, and would tell anyone when its person will be at the center."""
    center, q, r, a = _booked_thursday_nine()
    with freeze_time("2026-11-25 03:00:00"), pytest.raises(AppointmentNotToday) as by_id:
        ticket_issue(center=center, id_number=IDS[0])
    with freeze_time("2026-11-25 03:00:00"), pytest.raises(AppointmentNotToday) as by_code:
        ticket_issue(center=center, appointment_code=a.code)
    assert by_id.value.message == (
        "您今天没有预约，预约在其他日期。请按预约短信上的日期和时段前来签到，或输入短信里的预约码查看"
    )
    assert "11月26日" not in by_id.value.message and "09:00" not in by_id.value.message_en
    assert by_id.value.details == {"when": "another_day"}
    assert (
        by_code.value.message == "您的预约在 11月26日 09:00-09:30，请当天来签到（时段开始前30分钟起可以签到）"
    )
    # another person's ID number, or an appointment at another center: still not found
    with freeze_time("2026-11-25 03:00:00"), pytest.raises(AppointmentNotFound):
        ticket_issue(center=center, id_number=IDS[1])
    with freeze_time("2026-11-25 03:00:00"), pytest.raises(AppointmentNotFound):
        ticket_issue(center=hall()[0], id_number=IDS[0])
    assert not Ticket.objects.exists()


def test_an_id_card_after_todays_was_missed_hears_so_or_of_the_next_one():
    center, q, r, a = _booked_thursday_nine()
    _miss([a], "2026-11-26 02:00:00")  # 10:00, marked a no-show
    with freeze_time("2026-11-26 02:05:00"), pytest.raises(AppointmentStateError) as missed:
        ticket_issue(center=center, id_number=IDS[0])
    assert missed.value.message == "这个预约已过签到时间（记为爽约）。如需办理，请选择业务现场取号"
    # booked again for Monday: that is what the person hears of now
    monday = slot(q["Y"], day=date(2026, 11, 30), start=time(14), end=time(14, 30))
    with freeze_time("2026-11-26 02:10:00"):
        appointment_book(slot=monday, actor=r, resident=r)
    with freeze_time("2026-11-26 02:15:00"), pytest.raises(AppointmentNotToday) as coming:
        ticket_issue(center=center, id_number=IDS[0])
    assert coming.value.message.startswith("您今天没有预约，预约在其他日期")


def test_an_id_card_after_todays_was_cancelled_hears_so():
    center, _, r, a = _booked_thursday_nine()
    with freeze_time("2026-11-26 00:10:00"):
        appointment_cancel(appointment_id=a.pk, actor=r)
    with freeze_time("2026-11-26 01:00:00"), pytest.raises(AppointmentStateError) as cancelled:
        ticket_issue(center=center, id_number=IDS[0])
    assert cancelled.value.message == "这个预约已取消。如需办理，请选择业务现场取号"


# --- a suspension reaches every key of the misses it counted ----------------------------------------------


@pytest.mark.parametrize("order", [(0, 1, 2), (0, 2, 1), (1, 0, 2), (1, 2, 0), (2, 0, 1), (2, 1, 0)])
def test_misses_linked_through_a_shared_key_suspend_whichever_is_marked_first(order):
    """Three misses marked in one batch: by the ID number with phone 138…01, by phone 138…02 alone, and by the
    ID number with 138…02. Each shares a key with another, not every one with each: counted from the phone
    alone, the first run found two and made no suspension when the linking miss was marked before it (the
    batch goes newest booking first, so the order of booking is the order of counting, reversed)."""
    center, q, _ = hall(noshow_limit=3)
    clerk = ClerkFactory(center=center)
    people = [
        {"id_number": IDS[0], "phone": "13800000001"},
        {"phone": "13800000002"},
        {"id_number": IDS[0], "phone": "13800000002"},
    ]
    for n, i in enumerate(order):
        with freeze_time(f"2026-11-20 02:00:0{n}"):
            appointment_book(slot=slot(q["Y"], day=date(2026, 11, 23 + i)), actor=clerk, **people[i])
    _miss(list(Appointment.objects.all()), "2026-11-25 03:00:00")
    suspension = BookingSuspension.objects.get()
    assert suspension.reason == "30天内爽约3次"
    assert sorted(suspension.keys.split()) == sorted(
        blind_index(k) for k in (IDS[0], "13800000001", "13800000002")
    )
    assert Message.objects.filter(purpose="queueing.booking.suspended").count() == 1
    monday = slot(q["Y"], day=date(2026, 11, 30))
    for who in (
        {"phone": "13800000001"},
        {"phone": "13800000002"},
        {"id_number": IDS[0], "phone": "13800000009"},
    ):
        with freeze_time("2026-11-26 02:00:00"), pytest.raises(BookingSuspended):
            appointment_book(slot=monday, actor=clerk, **who)
    with freeze_time("2026-11-26 02:00:00"):  # someone else entirely is booked
        assert appointment_book(slot=monday, actor=clerk, id_number=IDS[1], phone="13800000009")


def test_a_miss_made_during_a_suspension_adds_its_keys_to_it():
    """Suspended by phone alone, the person also misses a booking made before with the ID number and that
    phone: the suspension in force now refuses the ID number with a new phone, and no second one is made."""
    center, q, _ = hall(noshow_limit=2, suspend_days=30)
    clerk = ClerkFactory(center=center)
    with freeze_time("2026-11-20 02:00:00"):
        by_phone = [
            appointment_book(slot=slot(q["Y"], day=date(2026, 11, d)), actor=clerk, phone="13800000001")
            for d in (23, 24)
        ]
        with_id = appointment_book(
            slot=slot(q["Y"], day=date(2026, 11, 26)), actor=clerk, id_number=IDS[0], phone="13800000001"
        )
    _miss(by_phone, "2026-11-25 02:00:00")
    suspension = BookingSuspension.objects.get()
    assert suspension.keys == blind_index("13800000001")
    _miss([with_id], "2026-11-26 03:00:00")
    suspension.refresh_from_db()
    assert sorted(suspension.keys.split()) == sorted([blind_index(IDS[0]), blind_index("13800000001")])
    assert BookingSuspension.objects.count() == 1
    with freeze_time("2026-11-26 04:00:00"), pytest.raises(BookingSuspended):
        appointment_book(
            slot=slot(q["Y"], day=date(2026, 11, 30)), actor=clerk, id_number=IDS[0], phone="13800000009"
        )


def test_the_migration_gives_an_existing_suspension_the_keys_of_its_misses():
    """0019 fills ``keys`` of a suspension made before it: the phone it was filed under, and the ID number of
    a miss within the window before it booked with that phone."""
    from importlib import import_module

    from django.apps import apps

    fill_keys = import_module("tongban.queueing.migrations.0019_bookingsuspension_keys").fill_keys
    center, q, _ = hall(noshow_limit=3)
    clerk = ClerkFactory(center=center)
    with freeze_time("2026-11-20 02:00:00"):
        missed = [
            appointment_book(
                slot=slot(q["Y"], day=date(2026, 11, 23)), actor=clerk, id_number=IDS[0], phone="13800000001"
            ),
            appointment_book(slot=slot(q["Y"], day=date(2026, 11, 24)), actor=clerk, phone="13800000001"),
            appointment_book(slot=slot(q["Y"], day=date(2026, 11, 25)), actor=clerk, phone="13800000001"),
        ]
    for a, day in zip(missed, (23, 24, 25), strict=True):
        _miss([a], f"2026-11-{day} 03:00:00")
    other_center, other_q, _ = hall(noshow_limit=1)  # another person, at another center: untouched
    with freeze_time("2026-11-20 02:00:00"):
        theirs = appointment_book(
            slot=slot(other_q["Y"], day=date(2026, 11, 23)),
            actor=ClerkFactory(center=other_center),
            phone="13800000002",
        )
    _miss([theirs], "2026-11-23 03:00:00")
    BookingSuspension.objects.update(keys="")  # as made before 0019
    fill_keys(apps, None)
    mine = BookingSuspension.objects.get(center=center)
    assert mine.person_hash == blind_index("13800000001")
    assert sorted(mine.keys.split()) == sorted([blind_index(IDS[0]), blind_index("13800000001")])
    assert BookingSuspension.objects.get(center=other_center).keys == blind_index("13800000002")

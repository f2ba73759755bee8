"""Appointments (预约): slots, booking, change, cancel, check-in, no-shows and reminders.

Capacity is enforced with a conditional ``UPDATE … SET booked = booked + 1 WHERE booked <
capacity`` plus a CHECK constraint, so two residents can never take the last place twice.
No-show policy: ``noshow_limit`` no-shows within ``noshow_window_days`` suspend booking for
``suspend_days`` (per center, :class:`~tongban.queueing.models.QueueSettings`).
"""

from __future__ import annotations

import secrets
from datetime import date, datetime, time, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from tongban.accounts.models import Role, User
from tongban.catalog.models import Center, Matter
from tongban.core import locks
from tongban.core.audit import audit_log
from tongban.core.calendar import is_workday
from tongban.core.crypto import blind_index, mask_id_number, mask_phone
from tongban.core.errors import Forbidden, TongbanError, ValidationError
from tongban.core.identity import validate_mobile
from tongban.notifications.services import sms_send
from tongban.queueing.errors import (
    AlreadyBooked,
    AppointmentNotFound,
    AppointmentNotToday,
    AppointmentOver,
    AppointmentStateError,
    BookingSuspended,
    SlotFull,
    SlotPast,
    SuspensionLiftForbidden,
    SuspensionNotFound,
)
from tongban.queueing.links import appointment_url
from tongban.queueing.models import (
    Appointment,
    AppointmentSlot,
    BookingSuspension,
    NoShowRecord,
    Queue,
    QueueSettings,
    Ticket,
)
from tongban.queueing.rules import birth_date, opening_periods, settings_for
from tongban.queueing.selectors import person_keys, person_no_shows, person_suspensions, same_person
from tongban.queueing.services.calling import SUPERVISING

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
# the slots appointment_slots_ensure makes
SLOT_MINUTES = 30
SLOT_CAPACITY = 4
# a 24-hour center's (the demo's) bookable hours, on working days: a center with opening hours books those
ROUND_THE_CLOCK_PERIODS = ((time(9), time(11, 30)), (time(13, 30), time(17)))
STAFF_BOOKING = {Role.CLERK, Role.MANAGER, Role.ADMIN}


def _new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(6))


def appointment_slots_generate(
    *,
    queue: Queue,
    day: date,
    start: time,
    end: time,
    minutes: int = 30,
    capacity: int = 4,
) -> int:
    """Create the day's slots of ``minutes`` between ``start`` and ``end`` (existing ones kept). Returns
    how many were created."""
    if minutes <= 0 or capacity <= 0 or start >= end:
        raise ValidationError("时段设置无效", "Invalid slot settings", code="appointment.invalid_slots")
    created = 0
    cursor = datetime.combine(day, start)
    stop = datetime.combine(day, end)
    with transaction.atomic():
        while cursor + timedelta(minutes=minutes) <= stop:
            _, was_created = AppointmentSlot.objects.get_or_create(
                queue=queue,
                day=day,
                start=cursor.time(),
                defaults={
                    "center_id": queue.center_id,
                    "end": (cursor + timedelta(minutes=minutes)).time(),
                    "capacity": capacity,
                },
            )
            created += int(was_created)
            cursor += timedelta(minutes=minutes)
        if created:
            audit_log(
                action="queueing.slots.generate",
                obj=queue,
                data={"day": day.isoformat(), "created": created, "capacity": capacity},
            )
    return created


def _first_slot_start(opens: time) -> time | None:
    """The first :data:`SLOT_MINUTES` boundary (``:00``, ``:30``) at or after ``opens``; None past midnight."""
    minutes = opens.hour * 60 + opens.minute + (1 if (opens.second or opens.microsecond) else 0)
    minutes = -(-minutes // SLOT_MINUTES) * SLOT_MINUTES
    return time(minutes // 60, minutes % 60) if minutes < 24 * 60 else None


def _slot_periods(center: Center, day: date) -> list[tuple[time, time]]:
    """The periods of ``day`` that generated slots cover. A 24-hour center (the demo's): its working days'
    office hours, :data:`ROUND_THE_CLOCK_PERIODS`. Any other: the hall's opening periods that day
    (:func:`~tongban.queueing.rules.opening_periods`: none on a holiday, a weekend day's if it opens then),
    each begun at its first ``:00`` or ``:30``, since residents check in at the hall's ticket machine,
    which takes no one while it is closed."""
    if center.open_24h:
        return list(ROUND_THE_CLOCK_PERIODS) if is_workday(day) else []
    periods = []
    for opens, closes in opening_periods(center, day):
        first = _first_slot_start(opens)
        if first is not None and first < closes:
            periods.append((first, closes))
    return periods


def appointment_slots_ensure(*, center: Center, workdays: int = 10, today: date | None = None) -> int:
    """Keep slots open for booking in every active appointment queue of the center, from tomorrow through its
    ``workdays``-th working day: :data:`SLOT_MINUTES`-minute slots of :data:`SLOT_CAPACITY` places, on the
    :data:`SLOT_MINUTES` boundaries within the center's opening periods of each day (a partial slot at
    either edge is left out, so none starts before the hall opens or ends after it closes); for a 24-hour
    center, 09:00–11:30 and 13:30–17:00 on working days (:func:`_slot_periods`). Idempotent: existing slots
    are kept as they are, also where the hours have changed since (the admin edits or deletes those)."""
    today = today or timezone.localdate()
    queues = list(Queue.objects.filter(center=center, kind=Queue.Kind.APPOINTMENT, active=True))
    created = 0
    day = today
    seen = 0
    with transaction.atomic():
        while seen < workdays and queues:
            day += timedelta(days=1)
            seen += int(is_workday(day))
            for start, end in _slot_periods(center, day):
                for queue in queues:
                    created += appointment_slots_generate(
                        queue=queue,
                        day=day,
                        start=start,
                        end=end,
                        minutes=SLOT_MINUTES,
                        capacity=SLOT_CAPACITY,
                    )
    return created


def _check_suspension(center: Center, keys: tuple[str, ...], now: datetime) -> None:
    active = (
        person_suspensions(keys, center_id=center.pk)
        .filter(until__gt=now, lifted_at=None)
        .order_by("-until")
        .first()
    )
    if active is not None:
        until = timezone.localtime(active.until)
        raise BookingSuspended(
            f"因多次爽约，预约功能暂停至{until:%Y-%m-%d}",
            f"Booking is suspended until {until:%Y-%m-%d} after repeated no-shows",
            details={"until": until.isoformat()},
        )


def _lock_person(keys: tuple[str, ...]) -> None:
    """Book, change, and count no-shows for one person one request at a time until the transaction ends.
    Without it a double click on "book" (or two tabs, two slots of one day) passed the one-a-day check twice,
    since neither request saw the other's uncommitted booking: two appointments, two places, two SMS codes.
    Every key of the person is locked (a request knowing the phone alone waits for one knowing both), in
    ``keys``' sorted order, so two requests never hold one key each and wait for the other."""
    for key in keys:
        locks.lock_for_transaction(locks.PERSON_BOOKING, key)


def _check_not_booked(
    slot: AppointmentSlot,
    keys: tuple[str, ...],
    *,
    other_than: int | None = None,
    for_someone: bool = False,
) -> None:
    """One booking a person a center-day, the person known by either key (:func:`person_keys`).
    ``for_someone``: staff book for a caller, and the refusal speaks of the caller, not of "you"."""
    same_day = Appointment.objects.filter(
        slot__center_id=slot.center_id, slot__day=slot.day, state=Appointment.State.BOOKED
    )
    if other_than is not None:
        same_day = same_day.exclude(pk=other_than)
    if same_day.filter(same_person(keys)).exists():
        if for_someone:
            raise AlreadyBooked(
                "该居民当天在本中心已有预约，可查找该预约后改约",
                "This person already has an appointment at this center that day; find it to change it",
            )
        raise AlreadyBooked()


def _take_place(slot_id: int) -> None:
    taken = AppointmentSlot.objects.filter(pk=slot_id, booked__lt=F("capacity")).update(
        booked=F("booked") + 1
    )
    if not taken:
        raise SlotFull()


def _release_place(slot_id: int) -> None:
    AppointmentSlot.objects.filter(pk=slot_id, booked__gt=0).update(booked=F("booked") - 1)


def _authorise(actor: User, *, resident: User | None, center: Center) -> None:
    if actor.role in STAFF_BOOKING:
        if actor.role != Role.ADMIN and actor.center_id != center.pk:
            raise Forbidden("您不属于该服务中心", "You do not belong to this center")
        return
    if resident is None or actor.pk != resident.pk:
        raise Forbidden()


def _authorise_holder(actor: User, appointment: Appointment) -> None:
    """Who may change or cancel a booked appointment: staff of its center; the resident who booked it; and,
    for one that staff booked for someone (no resident on it), the resident signed in with the phone it was
    booked with, or with the ID number it was booked with. That phone received its SMS and the link that
    cancels it anyway: signing in adds nothing to what its holder can do, and lets them change it too. The
    ID number's resident is the person it was booked for, whom the one-a-day rule refuses another booking
    that day because of it (a clerk booked them with a family member's phone): they must be able to move it."""
    if actor.role in STAFF_BOOKING or appointment.resident_id is not None:
        _authorise(actor, resident=appointment.resident, center=appointment.slot.center)
        return
    if actor.role != Role.RESIDENT:
        raise Forbidden()
    by_phone = bool(actor.phone_hash) and actor.phone_hash == appointment.phone_hash
    by_id_number = bool(actor.id_number_hash) and actor.id_number_hash == appointment.id_number_hash
    if not (by_phone or by_id_number):
        raise Forbidden()


def appointment_book(
    *,
    slot: AppointmentSlot,
    actor: User,
    resident: User | None = None,
    name: str = "",
    id_number: str = "",
    phone: str = "",
    matter: Matter | None = None,
    now: datetime | None = None,
) -> Appointment:
    """Book a place in ``slot`` for a resident (themselves online, or staff for them)."""
    now = now or timezone.now()
    if resident is not None:
        id_number = id_number or resident.id_number
        phone = phone or resident.phone
        name = name or resident.display_name
    id_number = "".join(id_number.split()).upper()
    phone = "".join(phone.split())
    if id_number:
        birth_date(id_number)  # validates the check digit
    if not phone:
        raise ValidationError(
            "请填写手机号，用于接收预约码和提醒", "A phone number is needed", code="appointment.phone"
        )
    phone = validate_mobile(phone)  # the code and the reminder go there: a mistyped number loses both
    _authorise(actor, resident=resident, center=slot.center)
    if slot.ends_at <= now:
        raise SlotPast()
    id_number_hash = blind_index(id_number) if id_number else ""
    phone_hash = blind_index(phone)
    keys = person_keys(id_number_hash=id_number_hash, phone_hash=phone_hash)
    with transaction.atomic():
        _lock_person(keys)
        _check_suspension(slot.center, keys, now)
        _check_not_booked(slot, keys, for_someone=actor.role in STAFF_BOOKING)
        _take_place(slot.pk)
        appointment = None
        for _ in range(5):
            try:
                with transaction.atomic():
                    appointment = Appointment.objects.create(
                        code=_new_code(),
                        slot=slot,
                        resident=resident,
                        matter=matter,
                        name=name,
                        id_number=id_number,
                        id_number_hash=id_number_hash,
                        phone=phone,
                        phone_hash=phone_hash,
                        created_at=now,
                        created_by=actor,
                    )
                break
            except IntegrityError:  # code collision: draw again
                continue
        if appointment is None:  # pragma: no cover - 32^6 codes
            raise ValidationError("请重试", "Please try again")
        audit_log(
            actor=actor,
            action="queueing.appointment.book",
            obj=appointment,
            data={"slot": slot.pk, "phone": mask_phone(phone), "by_staff": actor.role in STAFF_BOOKING},
        )
        sms_send(
            to_phone=phone,
            body=(
                f"【通办】您已预约{slot.center.name} {slot.day:%m月%d日} {slot.start:%H:%M}-{slot.end:%H:%M}，"
                f"预约码 {appointment.code}。请按时到取号机签到，如不能前往请提前取消：{appointment_url(appointment.pk)}"
            ),
            purpose="queueing.appointment.booked",
        )
    return appointment


def _lock_appointment(appointment_id: int) -> Appointment:
    found = (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("slot__center")
        .filter(pk=appointment_id)
        .first()
    )
    if found is None:
        raise AppointmentNotFound()
    return found


def appointment_change(
    *,
    appointment_id: int,
    new_slot: AppointmentSlot,
    actor: User | None,
    ip: str = "",
    now: datetime | None = None,
) -> Appointment:
    """Move a booked appointment to another slot of its center: staff of the center, the resident who holds
    it, or (``actor`` None) whoever holds the link of its SMS, who could as well cancel and book again. Like a
    cancel, no resident moves it once its slot is over (it was kept or missed)."""
    now = now or timezone.now()
    with transaction.atomic():
        appointment = _lock_appointment(appointment_id)
        if actor is not None:
            _authorise_holder(actor, appointment)
        if appointment.state != Appointment.State.BOOKED:
            raise AppointmentStateError(details={"state": appointment.state})
        if (actor is None or actor.role not in STAFF_BOOKING) and appointment.slot.ends_at <= now:
            raise AppointmentOver()
        if new_slot.center_id != appointment.slot.center_id:
            raise ValidationError(
                "只能改约到同一服务中心", "Change within the same center", code="appointment.center"
            )
        if new_slot.ends_at <= now:
            raise SlotPast()
        old_slot_id = appointment.slot_id
        if new_slot.pk == old_slot_id:
            return appointment
        if new_slot.day != appointment.slot.day:
            keys = person_keys(id_number_hash=appointment.id_number_hash, phone_hash=appointment.phone_hash)
            _lock_person(keys)
            _check_not_booked(
                new_slot,
                keys,
                other_than=appointment.pk,
                for_someone=actor is not None and actor.role in STAFF_BOOKING,
            )
        _take_place(new_slot.pk)
        _release_place(old_slot_id)
        appointment.slot = new_slot
        appointment.changed_at = now
        appointment.reminded_at = None
        appointment.save(update_fields=["slot", "changed_at", "reminded_at"])
        audit_log(
            actor=actor,
            action="queueing.appointment.change",
            obj=appointment,
            data={
                "from_slot": old_slot_id,
                "to_slot": new_slot.pk,
                **({"by": "link"} if actor is None else {}),
            },
            ip=ip or None,
        )
        sms_send(
            to_phone=appointment.phone,
            body=(
                f"【通办】您在{new_slot.center.name}的预约已改为"
                f" {new_slot.day:%m月%d日} {new_slot.start:%H:%M}-{new_slot.end:%H:%M}，"
                f"预约码 {appointment.code}。查看或取消：{appointment_url(appointment.pk)}"
            ),
            purpose="queueing.appointment.changed",
        )
    return appointment


def appointment_cancel(
    *, appointment_id: int, actor: User | None, ip: str = "", now: datetime | None = None
) -> Appointment:
    """Cancel a booked appointment and free its place: staff of its center, the resident who booked it, or
    (``actor`` None) whoever holds the link of its SMS (:func:`~tongban.queueing.links.appointment_url`).
    A resident cannot cancel once the slot is over: it was kept (checked in) or missed, and the no-show
    policy counts a miss; staff still can (a mistake at the window, a hall closed for the day)."""
    now = now or timezone.now()
    with transaction.atomic():
        appointment = _lock_appointment(appointment_id)
        if actor is not None:
            _authorise_holder(actor, appointment)
        if appointment.state != Appointment.State.BOOKED:
            raise AppointmentStateError(details={"state": appointment.state})
        if (actor is None or actor.role not in STAFF_BOOKING) and appointment.slot.ends_at <= now:
            raise AppointmentOver()
        _release_place(appointment.slot_id)
        appointment.state = Appointment.State.CANCELLED
        appointment.cancelled_at = now
        appointment.save(update_fields=["state", "cancelled_at"])
        audit_log(
            actor=actor,
            action="queueing.appointment.cancel",
            obj=appointment,
            data={"by": "link"} if actor is None else None,
            ip=ip or None,
        )
        # whoever cancelled (a clerk for a caller, the link, the resident), the phone that booked hears of it:
        # a caller whose booking a clerk cancelled would otherwise still come in
        slot = appointment.slot
        sms_send(
            to_phone=appointment.phone,
            body=(
                f"【通办】您在{slot.center.name} {slot.day:%m月%d日} {slot.start:%H:%M}-{slot.end:%H:%M}"
                f"的预约（预约码 {appointment.code}）已取消。如需办理，可重新预约或到大厅现场取号。"
            ),
            purpose="queueing.appointment.cancelled",
        )
    return appointment


def _masked_query(q: str) -> str:
    """What a clerk searched for, as the audit log may keep it: a code as typed, a phone or an ID masked."""
    compact = "".join(q.split()).upper()
    if len(compact) <= 8 and compact.isalnum() and not compact.isdigit():
        return compact  # an appointment code (letters and digits)
    if len(compact) >= 15:
        return mask_id_number(compact)
    if len(compact) >= 11:
        return mask_phone(compact)
    return "*" * len(compact)  # part of a phone or an ID: nothing of it is kept


def appointments_look_up(*, actor: User, q: str = "", ip: str = "") -> list[Appointment]:
    """The clerk's appointment list (``selectors.appointments_for_staff``). A look-up by code, phone or ID
    number reads personal data, so it is audited, with what was asked masked."""
    from tongban.queueing.selectors import appointments_for_staff

    found = appointments_for_staff(actor, q=q)
    if q.strip():
        audit_log(
            actor=actor,
            action="queueing.appointment.search",
            data={"q": _masked_query(q), "found": len(found)},
            ip=ip or None,
        )
    return found


def claim_for_check_in(
    *, center: Center, code: str, id_number: str, now: datetime, rules: QueueSettings
) -> Appointment:
    """Lock and check in today's appointment found by code or ID number (called by ``ticket_issue``,
    inside its transaction)."""
    today = timezone.localdate(now)
    qs = Appointment.objects.select_for_update(of=("self",)).select_related("slot__queue", "matter")
    qs = qs.filter(slot__center=center)
    if code:
        qs = qs.filter(code=code.strip().upper())
    else:
        qs = qs.filter(id_number_hash=blind_index(id_number), slot__day=today)
    candidates = list(qs.filter(state=Appointment.State.BOOKED).order_by("slot__start")[:5])
    if not candidates:
        if not code:
            raise _nothing_to_check_in_today(center, blind_index(id_number), now=now, rules=rules)
        # by code: the appointment whatever its state
        found = qs.first()
        if found is not None:
            raise _not_bookable_any_more(found)
        raise AppointmentNotFound()
    early = timedelta(minutes=rules.checkin_early_minutes)
    late = timedelta(minutes=rules.checkin_late_minutes)
    for appointment in candidates:
        if appointment.slot.starts_at - early <= now <= appointment.slot.ends_at + late:
            break
    else:
        # the next one still to open (a person early for the afternoon's), else the last one missed
        coming = [a for a in candidates if now < a.slot.starts_at - early]
        raise _outside_check_in(coming[0] if coming else candidates[-1], now, rules)
    appointment.state = Appointment.State.CHECKED_IN
    appointment.checked_in_at = now
    appointment.save(update_fields=["state", "checked_in_at"])
    audit_log(action="queueing.appointment.check_in", obj=appointment)
    return appointment


def _outside_check_in(appointment: Appointment, now: datetime, rules: QueueSettings) -> AppointmentNotToday:
    """Why a booked appointment cannot be checked in now, said for the person at the machine: too early
    (today: from when; another day: which day), or too late (check in no more, take a ticket). One message
    for both told a late arrival that they could check in early."""
    slot = appointment.slot
    opens = timezone.localtime(slot.starts_at - timedelta(minutes=rules.checkin_early_minutes))
    closes = timezone.localtime(slot.ends_at + timedelta(minutes=rules.checkin_late_minutes))
    hours = f"{slot.start:%H:%M}-{slot.end:%H:%M}"
    details = {"check_in_opens": opens.isoformat(), "check_in_closes": closes.isoformat()}
    if now < opens and slot.day == timezone.localdate(now):
        return AppointmentNotToday(
            f"还没到签到时间。您的预约时段为今天 {hours}，{opens:%H:%M} 起可以签到",
            f"Too early to check in: your appointment is today {hours}; check-in opens at {opens:%H:%M}",
            details={"when": "early", **details},
        )
    if now < opens:
        return AppointmentNotToday(
            f"您的预约在 {slot.day:%m月%d日} {hours}，请当天来签到（时段开始前{rules.checkin_early_minutes}分钟起可以签到）",
            f"Your appointment is on {slot.day:%Y-%m-%d}, {hours}: check in on that day, from "
            f"{rules.checkin_early_minutes} minutes before it starts",
            details={"when": "another_day", **details},
        )
    day = "今天" if slot.day == timezone.localdate(now) else f"{slot.day:%m月%d日}"
    day_en = "today" if slot.day == timezone.localdate(now) else f"on {slot.day:%Y-%m-%d}"
    return AppointmentNotToday(
        f"已超过签到时间（时段结束后{rules.checkin_late_minutes}分钟内可以签到）。"
        f"您的预约时段为{day} {hours}，请直接取号排队",
        f"Too late to check in (check-in closes {rules.checkin_late_minutes} minutes after the slot ends): "
        f"your appointment was {day_en} {hours}; please take a ticket",
        details={"when": "late", **details},
    )


def _nothing_to_check_in_today(
    center: Center, id_number_hash: str, *, now: datetime, rules: QueueSettings
) -> TongbanError:
    """Nothing booked today for the ID number at the machine: what the person has instead, rather than "not
    found" to someone who booked another day. Today's appointment checked in (the slip lost: its number), else
    that one is booked for another day, else today's missed or cancelled one; else not found.

    Another day's date and time are not said: an ID number is typed, not proven, and the public ticket
    endpoint would tell anyone who knows someone's ID number when they will be at the center. The booking SMS
    has them, and the code typed at the machine (a secret of its holder) gets them."""
    today = timezone.localdate(now)
    theirs = list(
        Appointment.objects.filter(slot__center=center, id_number_hash=id_number_hash)
        .filter(Q(slot__day=today) | Q(slot__day__gt=today, state=Appointment.State.BOOKED))
        .select_related("slot")
        .order_by("slot__day", "slot__start")[:30]
    )
    checked_in = [a for a in theirs if a.state == Appointment.State.CHECKED_IN]
    if checked_in:
        return _not_bookable_any_more(max(checked_in, key=lambda a: a.checked_in_at or a.slot.starts_at))
    if any(a.slot.day > today for a in theirs):
        return AppointmentNotToday(
            "您今天没有预约，预约在其他日期。请按预约短信上的日期和时段前来签到，或输入短信里的预约码查看",
            "You have no appointment today; it is on another day. Come on the day and time in the booking SMS, "
            "or type the code from the SMS to see them",
            details={"when": "another_day"},
        )
    if theirs:
        return _not_bookable_any_more(theirs[-1])
    return AppointmentNotFound()


def _not_bookable_any_more(appointment: Appointment) -> AppointmentStateError:
    """Why a code typed at the machine checks nothing in, said for the state it is in: a resident who checked
    in and lost the slip is told the number to listen for."""
    state = appointment.state
    if state == Appointment.State.CHECKED_IN:
        ticket = Ticket.objects.filter(appointment=appointment).order_by("-pk").first()
        if ticket is not None:
            return AppointmentStateError(
                f"这个预约已经签到过了，您的号码是 {ticket.number}，请留意叫号屏",
                f"This appointment is already checked in: your number is {ticket.number}; watch the call display",
                details={"state": state},
            )
        return AppointmentStateError(
            "这个预约已经签到过了，请留意叫号屏",
            "This appointment is already checked in",
            details={"state": state},
        )
    if state == Appointment.State.CANCELLED:
        return AppointmentStateError(
            "这个预约已取消。如需办理，请选择业务现场取号",
            "This appointment was cancelled; choose a service to take a ticket",
            details={"state": state},
        )
    return AppointmentStateError(
        "这个预约已过签到时间（记为爽约）。如需办理，请选择业务现场取号",
        "This appointment's time has passed (missed); choose a service to take a ticket",
        details={"state": state},
    )


def appointments_mark_no_shows(*, now: datetime | None = None) -> int:
    """Booked appointments whose slot (plus grace) is over become no-shows; the policy may suspend booking."""
    now = now or timezone.now()
    count = 0
    candidates = Appointment.objects.filter(
        state=Appointment.State.BOOKED, slot__day__lte=timezone.localdate(now)
    ).select_related("slot__center")
    for appointment in candidates:
        rules = settings_for(appointment.slot.center)
        if appointment.slot.ends_at + timedelta(minutes=rules.checkin_late_minutes) > now:
            continue
        if _mark_no_show(appointment, rules, now):
            count += 1
    return count


def _mark_no_show(appointment: Appointment, rules: QueueSettings, now: datetime) -> bool:
    """Mark one appointment a no-show (unless another run did), and apply the no-show policy to its person.
    Under the person's lock: two runs that overlap, each marking one of a person's appointments, each counted
    only its own record and the suspension the two together call for was never made (or both made one)."""
    with transaction.atomic():
        changed = Appointment.objects.filter(pk=appointment.pk, state=Appointment.State.BOOKED).update(
            state=Appointment.State.NO_SHOW
        )
        if not changed:
            return False
        _release_place(appointment.slot_id)
        # filed under one key (the ID number's if known, else the phone's); carries every key of the misses
        # it counted (BookingSuspension.keys), and is found by any of them (person_suspensions)
        who = appointment.id_number_hash or appointment.phone_hash
        keys = person_keys(id_number_hash=appointment.id_number_hash, phone_hash=appointment.phone_hash)
        _lock_person(keys)
        center = appointment.slot.center
        NoShowRecord.objects.create(appointment=appointment, center=center, person_hash=who, at=now)
        audit_log(action="queueing.appointment.no_show", obj=appointment)
        window_start = now - timedelta(days=rules.noshow_window_days)
        # the person's misses by any key of theirs: a booking by phone alone and one with the ID number count
        # together, and so does a third that shares a key only with the second
        keys, _ = person_no_shows(keys, center_id=center.pk, since=window_start)
        suspensions = list(person_suspensions(keys, center_id=center.pk).only("until", "lifted_at", "keys"))
        # when each of the person's suspensions ended: lifted by a manager, or run out
        ended = [min(s.until, s.lifted_at) if s.lifted_at is not None else s.until for s in suspensions]
        in_force = [s for s, end in zip(suspensions, ended, strict=True) if end > now]
        # a suspension served (or lifted) wipes the slate: the misses before it were what it was for, and
        # counting them again suspended the person at their next miss
        since = max([window_start, *(end for end in ended if end <= now)])
        keys, recent = person_no_shows(keys, center_id=center.pk, since=since)
        for suspension in in_force:  # a miss booked before it began reaches it by its keys too
            carried = set(suspension.keys.split())
            if not carried.issuperset(keys):
                suspension.keys = " ".join(sorted(carried | set(keys)))
                suspension.save(update_fields=["keys"])
        if recent >= rules.noshow_limit and not in_force:
            suspension = BookingSuspension.objects.create(
                person_hash=who,
                keys=" ".join(keys),
                center=center,
                since=now,
                until=now + timedelta(days=rules.suspend_days),
                reason=f"{rules.noshow_window_days}天内爽约{recent}次",
            )
            audit_log(action="queueing.booking.suspend", obj=suspension, data={"no_shows": recent})
            sms_send(
                to_phone=appointment.phone,
                body=_suspension_sms(center, suspension, rules=rules, no_shows=recent),
                purpose="queueing.booking.suspended",
            )
    return True


def _suspension_sms(
    center: Center, suspension: BookingSuspension, *, rules: QueueSettings, no_shows: int
) -> str:
    """What the suspended person is told: which center, until when, that every way of booking there is paused
    (staff cannot book them by phone or at a window either, which "暂停网上预约" left them to find out at the
    counter), that walk-in tickets still work, and whom to ask (or to ask to lift it)."""
    until = timezone.localtime(suspension.until)
    ask = (
        f"如有疑问或异议，请致电{center.phone}。"
        if center.phone
        else "如有疑问或异议，请到该中心咨询台咨询。"
    )
    return (
        f"【通办】您{rules.noshow_window_days}天内在{center.name}预约未到{no_shows}次，"
        f"在该中心的所有预约（网上、电话、窗口）暂停至{until.year}年{until.month}月{until.day}日。"
        f"期间仍可到大厅现场取号办理。{ask}"
    )


def appointments_send_reminders(*, now: datetime | None = None) -> int:
    """SMS the day before, within the sending hours of the appointment's center (``QueueSettings``
    ``reminder_from`` to ``reminder_until``, 09:00–20:00 by default, the center's local time): the job runs
    every 15 minutes, and a reminder as soon as the date turned "tomorrow" woke people around midnight. Sent
    once per appointment (``reminded_at`` is claimed conditionally); a change of slot sends it again.

    An appointment booked (or moved) for tomorrow after that day's hours have closed gets no reminder: it
    has just had its booking SMS, and by the next sending hours its day is today."""
    now = now or timezone.now()
    local = timezone.localtime(now)
    tomorrow = local.date() + timedelta(days=1)
    sent = 0
    for appointment in Appointment.objects.filter(
        state=Appointment.State.BOOKED, slot__day=tomorrow, reminded_at=None
    ).select_related("slot__center"):
        rules = settings_for(appointment.slot.center)
        if not rules.reminder_from <= local.time() < rules.reminder_until:
            continue
        with transaction.atomic():
            claimed = Appointment.objects.filter(pk=appointment.pk, reminded_at=None).update(reminded_at=now)
            if not claimed:
                continue
            slot = appointment.slot
            sms_send(
                to_phone=appointment.phone,
                body=(
                    f"【通办】提醒：您已预约明天 {slot.start:%H:%M}-{slot.end:%H:%M} 到{slot.center.name}办理，"
                    f"预约码 {appointment.code}。如不能前往请取消预约：{appointment_url(appointment.pk)}"
                ),
                purpose="queueing.appointment.reminder",
            )
            sent += 1
    return sent


def booking_suspension_lift(
    *, suspension_id: int, actor: User, ip: str = "", now: datetime | None = None
) -> BookingSuspension:
    """Lift a booking suspension: a manager of its center or an admin (a resident with a good reason, a miss
    that was the center's fault). The person may be booked again at once, and their no-shows count afresh
    from now. Lifting one already lifted changes nothing."""
    now = now or timezone.now()
    with transaction.atomic():
        suspension = BookingSuspension.objects.select_for_update().filter(pk=suspension_id).first()
        if suspension is None:
            raise SuspensionNotFound()
        if actor.role not in SUPERVISING or (
            actor.role != Role.ADMIN and actor.center_id != suspension.center_id
        ):
            raise SuspensionLiftForbidden()
        if suspension.lifted_at is None:
            suspension.lifted_at = now
            suspension.lifted_by = actor
            suspension.save(update_fields=["lifted_at", "lifted_by"])
            audit_log(actor=actor, action="queueing.booking.lift", obj=suspension, ip=ip or None)
    return suspension

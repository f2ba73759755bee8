"""Queue demo data for center YP-CBXC: queues A/C/V/Y, appointment slots, a few waiting tickets and a
booked appointment that can be checked in right now. Idempotent (natural keys; tickets only if the
day has none)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from django.db.models import Q
from django.utils import timezone

DEMO_CENTER = "YP-CBXC"
DEMO_ID_NUMBER = "310110195103070014"  # the demo resident (born 1951): elderly priority applies
QUEUES = [
    # prefix, name, English name, kind, order, matter-group name hint
    ("A", "综合受理", "General services", "normal", 1, ""),
    ("C", "居住证 · 户籍", "Residence permits", "normal", 2, "居住"),
    ("V", "优先通道", "Priority service", "priority", 3, ""),
    ("Y", "预约办理", "Appointments", "appointment", 4, ""),
]


def _center() -> Any:
    from tongban.catalog.models import Center, Window

    center, _ = Center.objects.get_or_create(
        code=DEMO_CENTER,
        defaults={
            "name": "杨浦区长白新村街道社区事务受理服务中心",
            "district": "杨浦区",
            "subdistrict": "长白新村街道",
            "address": "上海市杨浦区",
            "open_24h": True,
        },
    )
    for number in (1, 2):
        Window.objects.get_or_create(
            center=center,
            number=number,
            defaults={
                "name": "综合窗口",
                "name_en": "Comprehensive window",
                "kind": Window.Kind.COMPREHENSIVE,
            },
        )
    return center


def load(stdout: Any) -> None:
    from tongban.accounts.models import User
    from tongban.catalog.models import MatterGroup, Window
    from tongban.core.crypto import blind_index
    from tongban.queueing.models import Appointment, AppointmentSlot, Queue, QueueSettings, Ticket
    from tongban.queueing.services import appointment_book, appointment_slots_ensure, ticket_issue

    center = _center()
    QueueSettings.objects.get_or_create(center=center)
    for prefix, name, name_en, kind, order, hint in QUEUES:
        queue, _ = Queue.objects.update_or_create(
            center=center,
            prefix=prefix,
            defaults={"name": name, "name_en": name_en, "kind": kind, "order": order, "active": True},
        )
        if hint:
            groups = MatterGroup.objects.filter(Q(name__contains=hint))
            queue.matter_groups.add(*groups)
            # A specialised window calls only the queues that name it: 7号居住证/人口专窗 (matter group HJ)
            # calls from C, or it never calls anyone.
            queue.windows.add(
                *Window.objects.filter(
                    center=center, kind=Window.Kind.SPECIALISED, matter_groups__in=groups
                ).distinct()
            )
    created = appointment_slots_ensure(center=center, workdays=10)

    # a slot covering "now" so check-in can be tried at any hour (the demo center is open 24 h)
    now = timezone.localtime()
    y = Queue.objects.get(center=center, prefix="Y")
    start = (datetime.combine(now.date(), time(now.hour, 0 if now.minute < 30 else 30))).time()
    end_dt = datetime.combine(now.date(), start) + timedelta(minutes=90)
    end = end_dt.time() if end_dt.date() == now.date() else time(23, 59)
    slot, _ = AppointmentSlot.objects.get_or_create(
        queue=y, day=now.date(), start=start, defaults={"center": center, "end": end, "capacity": 6}
    )
    staff = User.objects.filter(username="window1", center=center).first()
    # 李梅 may hold a booking from an earlier run today (in an earlier half-hour slot): one a day, so reuse it
    existing = (
        Appointment.objects.filter(slot=slot, state=Appointment.State.BOOKED).first()
        or Appointment.objects.filter(
            slot__queue=y,
            slot__day=now.date(),
            phone_hash=blind_index("13800000002"),
            state=Appointment.State.BOOKED,
        ).first()
    )
    code = existing.code if existing is not None else ""
    if existing is None and staff is not None:
        # booked at the window for the demo resident 李梅 (138****0002) when the accounts demo made her
        resident = User.objects.filter(phone_hash=blind_index("13800000002"), role="resident").first()
        if resident is not None:
            code = appointment_book(slot=slot, actor=staff, resident=resident).code
        else:
            code = appointment_book(
                slot=slot, actor=staff, name="李梅", id_number="310110198001010022", phone="13800000002"
            ).code

    today = timezone.localdate()
    if not Ticket.objects.filter(center=center, day=today).exists():
        ticket_issue(center=center, queue="A")
        ticket_issue(center=center, queue="C")
        ticket_issue(center=center, queue="A", priority_reason="military")
        ticket_issue(center=center, queue="A")
    stdout.write(
        f"  queue: queues A/C/V/Y at {center.code}, {created} new appointment slots; "
        f"tickets waiting today: {Ticket.objects.filter(center=center, day=today, state='waiting').count()}"
        + (f"; appointment code to check in now: {code}" if code else "")
    )

"""Queue background jobs (Celery in production, the demo scheduler in ``make demo``). Idempotent."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from tongban.core.periodic import Periodic

log = logging.getLogger(__name__)


@shared_task(name="queueing.notify_ahead")
def notify_ahead(center_id: int) -> int:
    """SMS residents who asked for it once ``sms_ahead`` or fewer tickets are before them (at most
    :data:`~tongban.queueing.services.tickets.AHEAD_SMS_PER_PHONE_PER_DAY` to one phone a day)."""
    from tongban.catalog.models import Center
    from tongban.core import locks
    from tongban.core.crypto import blind_index, mask_phone
    from tongban.notifications.services import sms_send
    from tongban.queueing.links import follow_url
    from tongban.queueing.models import Ticket
    from tongban.queueing.rules import settings_for
    from tongban.queueing.services.tickets import (
        AHEAD_SMS_PER_PHONE_PER_DAY,
        AHEAD_SMS_PURPOSE,
        ahead_sms_today,
        tickets_ahead,
    )

    today = timezone.localdate()
    watching = list(
        Ticket.objects.filter(
            center_id=center_id, day=today, state=Ticket.State.WAITING, notify_sent_at=None
        ).exclude(notify_phone="")
    )
    if not watching:  # the usual case after a call: one query
        return 0
    center = Center.objects.get(pk=center_id)
    rules = settings_for(center)
    sent = 0
    for ticket in watching:
        ahead = tickets_ahead(ticket, rules=rules)
        if ahead > rules.sms_ahead:
            continue
        phone_hash = blind_index(ticket.notify_phone)
        with transaction.atomic():
            if not Ticket.objects.filter(pk=ticket.pk, notify_sent_at=None).update(
                notify_sent_at=timezone.now()
            ):
                continue
            locks.lock_for_transaction(locks.PHONE, phone_hash)  # two runs count one phone's SMS in turn
            today_to_phone = ahead_sms_today(phone_hash, today)
            if today_to_phone >= AHEAD_SMS_PER_PHONE_PER_DAY:
                log.warning(
                    "queue: no reminder for ticket %s: %s has had %d today",
                    ticket.pk,
                    mask_phone(ticket.notify_phone),
                    today_to_phone,
                )
                continue
            sms_send(
                to_phone=ticket.notify_phone,
                # The ticket's own page: once back, the resident can watch the call there, or cancel if they
                # cannot come back in time (so the windows do not call an empty seat).
                body=(
                    f"【通办】您的号码 {ticket.number} 前面还有 {ahead} 位，请回到{center.name}等候区留意叫号。"
                    f"查看进度或取消排队：{follow_url(ticket.pk)}"
                ),
                purpose=AHEAD_SMS_PURPOSE,
            )
            sent += 1
    return sent


@shared_task(name="queueing.close_day")
def close_day() -> int:
    """The day's close: earlier days' unserved tickets, then the window sessions nobody signed off (in this
    order: a session still holding one of those tickets is then free to close). The number of both closed."""
    from tongban.queueing.services import tickets_close_day, window_sessions_close_day

    return tickets_close_day() + window_sessions_close_day()


@shared_task(name="queueing.appointment_no_shows")
def appointment_no_shows() -> int:
    from tongban.queueing.services import appointments_mark_no_shows

    return appointments_mark_no_shows()


@shared_task(name="queueing.appointment_reminders")
def appointment_reminders() -> int:
    from tongban.queueing.services import appointments_send_reminders

    return appointments_send_reminders()


@shared_task(name="queueing.ensure_slots")
def ensure_slots() -> int:
    from tongban.catalog.models import Center
    from tongban.queueing.services import appointment_slots_ensure

    return sum(
        appointment_slots_ensure(center=c)
        for c in Center.objects.filter(queues__kind="appointment").distinct()
    )


PERIODIC = [
    Periodic("queueing.close_day", 600, close_day),
    Periodic("queueing.appointment_no_shows", 300, appointment_no_shows),
    Periodic("queueing.appointment_reminders", 900, appointment_reminders),
    Periodic("queueing.ensure_slots", 3600, ensure_slots),
]

"""Queue (排队叫号): tickets, window sessions and calls, appointments and the no-show policy.

Only :mod:`tongban.queueing.services` changes these rows. State is history:
every call, recall, no-show, transfer and finish appends a :class:`CallEvent`.

Numbering: :class:`DailyCounter` holds the last number issued per queue per
day; the ticket service locks and increments it in the same transaction that
inserts the ticket, and ``(queue, day, seq)`` is unique, so numbers restart
each day and are never reused or skipped.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from tongban.core.crypto import EncryptedTextField


class PriorityReason(models.TextChoices):
    NONE = "", _("无")
    APPOINTMENT = "appointment", pgettext_lazy("queue", "预约")
    MILITARY = "military", _("军人依法优先")
    ELDERLY = "elderly", _("老年人")
    DISABLED = "disabled", _("残疾人")
    PREGNANT = "pregnant", _("孕妇")


# the day-before reminder's sending hours by default (QueueSettings.reminder_from / reminder_until)
REMINDER_FROM = time(9)
REMINDER_UNTIL = time(20)


class QueueSettings(models.Model):
    """Per-center rules of the queue. A center without a row uses the defaults below."""

    center = models.OneToOneField(
        "catalog.Center", on_delete=models.CASCADE, related_name="queue_settings", verbose_name=_("中心")
    )
    # Fairness: a window calls at most this many priority tickets in a row while normal tickets wait …
    max_priority_in_row = models.PositiveSmallIntegerField(_("连续优先呼叫上限"), default=2)
    # … and a normal ticket that has waited this long ranks with the priority tickets (by waiting time).
    max_wait_boost_minutes = models.PositiveSmallIntegerField(_("普通号最长等候提升（分钟）"), default=30)
    elderly_age = models.PositiveSmallIntegerField(_("老年人优先年龄"), default=70)
    enabled_reasons = models.JSONField(
        _("启用的优先类型"),
        default=list,
        blank=True,
        help_text=_("留空表示全部启用：military, elderly, disabled, pregnant"),
    )
    # 过号: a late arrival may be re-queued within this many minutes, placed this many tickets back.
    noshow_requeue_minutes = models.PositiveSmallIntegerField(_("过号可重新排队时限（分钟）"), default=30)
    noshow_requeue_after = models.PositiveSmallIntegerField(_("过号重排后移位数"), default=3)
    sms_ahead = models.PositiveSmallIntegerField(_("提前短信提醒（前面人数）"), default=3)
    # Appointments
    checkin_early_minutes = models.PositiveSmallIntegerField(_("预约可提前签到（分钟）"), default=30)
    checkin_late_minutes = models.PositiveSmallIntegerField(_("预约迟到宽限（分钟）"), default=15)
    noshow_limit = models.PositiveSmallIntegerField(_("爽约次数上限"), default=3)
    noshow_window_days = models.PositiveSmallIntegerField(_("爽约统计周期（天）"), default=30)
    suspend_days = models.PositiveSmallIntegerField(_("暂停预约天数"), default=30)
    # The day-before reminder goes out only between these times of the center's day, never around midnight
    # (services.appointments.appointments_send_reminders, which runs every 15 minutes).
    reminder_from = models.TimeField(_("预约提醒短信开始发送时间"), default=REMINDER_FROM)
    reminder_until = models.TimeField(
        _("预约提醒短信发送截止时间"),
        default=REMINDER_UNTIL,
        help_text=_(
            "预约前一天在此时段内发送提醒短信，以免夜间打扰。截止时间之后才预约次日时段的居民，"
            "已收到预约成功短信，不再另发提醒。"
        ),
    )
    # The ticket machine's API needs no login; this keeps it to the hall (and keeps check-in by ID number from
    # being tried from anywhere). rules.ticket_machine_allowed reads it.
    kiosk_networks = models.TextField(
        _("取号机所在网络"),
        blank=True,
        help_text=_(
            "每行一个 IP 地址或网段，如 10.12.0.0/16。填写后，只有来自这些网络的设备能取号和签到"
            "（取号机页面和取号接口），窗口评价器也只在这些网络内可用。留空表示不限制。"
        ),
    )

    class Meta:
        verbose_name = _("排队规则")
        verbose_name_plural = _("排队规则")

    def __str__(self) -> str:
        return str(_("%(center)s 排队规则") % {"center": self.center})

    def clean(self) -> None:
        from tongban.queueing.rules import parse_networks

        try:
            parse_networks(self.kiosk_networks)
        except ValueError as exc:
            raise ValidationError({"kiosk_networks": str(exc)}) from exc
        if self.reminder_until <= self.reminder_from:
            raise ValidationError({"reminder_until": _("提醒短信的发送截止时间应晚于开始时间")})


class Queue(models.Model):
    class Kind(models.TextChoices):
        NORMAL = "normal", _("普通")
        PRIORITY = "priority", _("优先")
        APPOINTMENT = "appointment", pgettext_lazy("queue", "预约")

    center = models.ForeignKey(
        "catalog.Center", on_delete=models.CASCADE, related_name="queues", verbose_name=_("中心")
    )
    prefix = models.CharField(_("号码前缀"), max_length=2)
    name = models.CharField(_("名称"), max_length=60)
    name_en = models.CharField(_("英文名称"), max_length=60, blank=True)
    kind = models.CharField(_("类型"), max_length=12, choices=Kind.choices, default=Kind.NORMAL)
    matter_groups = models.ManyToManyField(
        "catalog.MatterGroup", blank=True, related_name="queues", verbose_name=_("事项分组")
    )
    # Specialised windows serving this queue; comprehensive windows serve every queue of their center.
    windows = models.ManyToManyField(
        "catalog.Window", blank=True, related_name="queues", verbose_name=_("专业窗口")
    )
    default_service_minutes = models.PositiveSmallIntegerField(_("预计每人办理时长（分钟）"), default=8)
    order = models.PositiveSmallIntegerField(_("顺序"), default=0)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("队列")
        verbose_name_plural = _("队列")
        ordering = ["center", "order", "prefix"]
        constraints = [models.UniqueConstraint(fields=["center", "prefix"], name="queue_unique_prefix")]

    def __str__(self) -> str:
        return f"{self.prefix} {self.name}"


class DailyCounter(models.Model):
    """Last number issued in a queue on a day (locked and incremented by ``ticket_issue``)."""

    queue = models.ForeignKey(Queue, on_delete=models.CASCADE, related_name="counters")
    day = models.DateField()
    last_seq = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["queue", "day"], name="counter_unique_day")]

    def __str__(self) -> str:
        return f"{self.queue.prefix}@{self.day}: {self.last_seq}"


def numbered_with(prefix: str) -> Q:
    """Tickets whose number is ``prefix`` and digits: the numbers a queue with that prefix issued, wherever the
    tickets wait now (a ticket transferred to another queue keeps its number)."""
    return Q(number__regex=rf"^{re.escape(prefix)}[0-9]+$")


class Ticket(models.Model):
    class State(models.TextChoices):
        WAITING = "waiting", _("等候中")
        CALLED = "called", _("已叫号")
        SERVING = "serving", _("办理中")
        FINISHED = "finished", pgettext_lazy("queue", "已办结")
        NO_SHOW = "no_show", _("过号")
        ABANDONED = "abandoned", _("未办理离开")

    # Every call and finish rewrites the row in every index of this table, so the foreign keys whose look-ups
    # another index already serves (or that are only looked up by admin deletes) carry no index of their own.
    center = models.ForeignKey(
        "catalog.Center",
        on_delete=models.PROTECT,
        related_name="tickets",
        verbose_name=_("中心"),
        db_index=False,  # ticket_day_state_line_idx
    )
    queue = models.ForeignKey(
        Queue,
        on_delete=models.PROTECT,
        related_name="tickets",
        verbose_name=_("队列"),
        # Looked up with the center and the day (the line's index) or by an admin's delete: no index of its own.
        db_index=False,
    )
    day = models.DateField(_("日期"))
    seq = models.PositiveIntegerField(_("序号"))
    number = models.CharField(_("号码"), max_length=12)
    state = models.CharField(_("状态"), max_length=12, choices=State.choices, default=State.WAITING)
    priority_reason = models.CharField(
        _("优先原因"), max_length=12, choices=PriorityReason.choices, blank=True, default=""
    )
    matter = models.ForeignKey(
        "catalog.Matter", on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    bundle = models.ForeignKey(
        "catalog.Bundle", on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    # At most one ticket per appointment (ticket_one_per_appointment, below): a partial unique index, so that
    # the tickets without one (nearly all) have no entry in it, at issue and at every call and finish.
    appointment = models.ForeignKey(
        "Appointment", on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    # Only this window may call the ticket (transfer to a window); null = any window serving the queue.
    target_window = models.ForeignKey(
        "catalog.Window", on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    # Position in the queue: issue time, or the moment a transfer / late arrival re-queued it.
    queued_at = models.DateTimeField(_("排队时间"))
    issued_at = models.DateTimeField(_("取号时间"))
    called_at = models.DateTimeField(_("叫号时间"), null=True, blank=True)
    served_at = models.DateTimeField(_("开始办理时间"), null=True, blank=True)
    finished_at = models.DateTimeField(pgettext_lazy("queue", "办结时间"), null=True, blank=True)
    called_window = models.ForeignKey(
        "catalog.Window",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="called_tickets",
        verbose_name=_("叫号窗口"),
        db_index=False,  # ticket_window_state_idx
    )
    called_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("叫号人员"),
        db_index=False,
    )
    call_count = models.PositiveSmallIntegerField(_("呼叫次数"), default=0)
    # "SMS me when 3 are ahead": the phone is personal data.
    notify_phone = EncryptedTextField(_("提醒手机号"), blank=True, default="")
    notify_sent_at = models.DateTimeField(null=True, blank=True)
    applications = models.ManyToManyField(
        "applications.Application",
        through="TicketApplication",
        blank=True,
        related_name="tickets",
        verbose_name=_("办理的办件"),
    )
    # Not a column: the ids of the cases linked as the finish services finished this instance ([] when none),
    # so the API can name them without asking the database again; None when not known (read elsewhere).
    linked_application_ids: list[int] | None = None

    class Meta:
        verbose_name = _("号票")
        verbose_name_plural = _("号票")
        ordering = ["-day", "queued_at", "id"]
        constraints = [
            # The number on the slip, unique in the center's day (queue prefixes are unique per center). Not
            # (queue, day, seq): a ticket transferred to another queue keeps its number.
            models.UniqueConstraint(fields=["center", "day", "number"], name="ticket_unique_number"),
            models.UniqueConstraint(
                fields=["appointment"],
                condition=Q(appointment__isnull=False),
                name="ticket_one_per_appointment",
            ),
        ]
        indexes = [
            # The day's tickets by state, each state in call order: the line is the 'waiting' range. The pick
            # at call-next and the position count at the ticket machine walk it from the front and stop, so
            # their cost does not grow with the line. Not a partial index on state = 'waiting': vacuumed while
            # the hall was empty, such an index is planned as empty until the next vacuum, and PostgreSQL then
            # chose it to find a ticket by key (a walk of the whole line) and as the outer side of the pick.
            models.Index(
                fields=["center", "day", "state", "queued_at", "id"], name="ticket_day_state_line_idx"
            ),
            # Only tickets a window has called: every look-up names a window, and a new ticket (issued under
            # its queue's counter lock, which every other ticket of the queue waits for) skips this index.
            models.Index(
                fields=["called_window", "state"],
                condition=Q(called_window__isnull=False),
                name="ticket_window_state_idx",
            ),
            models.Index(
                fields=["center", "day", "queued_at", "id"],
                condition=Q(state="waiting") & ~Q(priority_reason=""),
                name="ticket_line_priority_idx",
            ),
            # Those waiting for the "few ahead" SMS (each call asks whether anyone does).
            models.Index(
                fields=["center", "day"],
                condition=Q(state="waiting", notify_sent_at=None) & ~Q(notify_phone=""),
                name="ticket_line_sms_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_priority(self) -> bool:
        return bool(self.priority_reason)

    # What a wait is measured from, in this order (for ``values_list``): statistics read many tickets at once.
    WAIT_FIELDS = ("issued_at", "called_at", "appointment__slot__day", "appointment__slot__start")

    @staticmethod
    def wait_seconds(
        issued_at: datetime, called_at: datetime | None, slot_day: date | None, slot_start: time | None
    ) -> float | None:
        """How long the person waited for the call: from taking the number, or, for an appointment checked in
        before its slot, from the slot's start (it is queued only then, and the early minutes were the
        resident's choice, not the hall's wait: counting them made the Y queue's wait look six times its
        real length). None while not called."""
        if called_at is None:
            return None
        start = issued_at
        if slot_day is not None and slot_start is not None:
            start = max(issued_at, timezone.make_aware(datetime.combine(slot_day, slot_start)))
        return max((called_at - start).total_seconds(), 0.0)


class TicketApplication(models.Model):
    """Applications (办件) handled for a ticket, recorded at finish or while serving."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="application_links")
    application = models.ForeignKey(
        "applications.Application", on_delete=models.PROTECT, related_name="ticket_links"
    )
    linked_at = models.DateTimeField()

    class Meta:
        verbose_name = _("号票关联办件")
        verbose_name_plural = _("号票关联办件")
        constraints = [
            models.UniqueConstraint(fields=["ticket", "application"], name="ticket_application_unique")
        ]

    def __str__(self) -> str:
        return f"ticket→application #{self.pk}"


class WindowSession(models.Model):
    """A clerk staffing a window from sign-on to sign-off; pausing (暂停服务) stops calls."""

    class State(models.TextChoices):
        OPEN = "open", _("服务中")
        PAUSED = "paused", _("暂停服务")
        CLOSED = "closed", _("已结束")

    # Every look-up is "the open session of this window / of this clerk", which the partial unique indexes
    # below answer with one entry. Plain indexes on the keys would hold a session per clerk per working day
    # (PostgreSQL chose them for call-next and walked every closed session of the window), so there are none.
    window = models.ForeignKey(
        "catalog.Window",
        on_delete=models.PROTECT,
        related_name="sessions",
        verbose_name=pgettext_lazy("hall", "窗口"),
        db_index=False,
    )
    clerk = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="window_sessions", db_index=False
    )
    state = models.CharField(_("状态"), max_length=8, choices=State.choices, default=State.OPEN)
    opened_at = models.DateTimeField(_("开始时间"))
    closed_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    paused_at = models.DateTimeField(_("暂停时间"), null=True, blank=True)
    pause_reason = models.CharField(_("暂停原因"), max_length=100, blank=True)
    # Fairness counter: priority tickets called in a row at this window.
    priority_streak = models.PositiveSmallIntegerField(default=0)
    # The ticket the window has in hand (called or being served), set by call-next and cleared by finish,
    # no-show and transfer. It lives on the row call-next locks so that a second call-next waiting on that
    # lock sees the first one's ticket (PostgreSQL re-reads a locked row that changed; it does not re-read
    # the rest of the statement's snapshot). No index: it is read through the session, never searched.
    current_ticket = models.ForeignKey(
        Ticket, on_delete=models.SET_NULL, null=True, blank=True, db_index=False, related_name="+"
    )

    class Meta:
        verbose_name = _("窗口值守")
        verbose_name_plural = _("窗口值守")
        ordering = ["-opened_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["window"], condition=~Q(state="closed"), name="window_one_open_session"
            ),
            models.UniqueConstraint(
                fields=["clerk"], condition=~Q(state="closed"), name="clerk_one_open_session"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.window} · {self.clerk} · {self.state}"


class CallEvent(models.Model):
    """Append-only history of what happened to a ticket at a window (the display reads call/recall)."""

    class Kind(models.TextChoices):
        ISSUE = "issue", _("取号")
        CALL = "call", _("叫号")
        RECALL = "recall", _("重呼")
        START = "start", _("开始办理")
        NO_SHOW = "no_show", _("过号")
        REQUEUE = "requeue", _("过号重排")
        TRANSFER = "transfer", _("转移")
        FINISH = "finish", pgettext_lazy("queue", "办结")
        ABANDON = "abandon", _("未办理离开")
        # the window was released by a manager with the ticket in hand: back in the line at its place
        RELEASE = "release", _("窗口释放退回")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    # No index of their own (queueing.0008): (center, kind, at) below leads with the center, and the window
    # and the actor are only looked up when an admin deletes one. Every call and finish writes an event.
    center = models.ForeignKey("catalog.Center", on_delete=models.CASCADE, related_name="+", db_index=False)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    window = models.ForeignKey(
        "catalog.Window", on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    at = models.DateTimeField()
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("叫号记录")
        verbose_name_plural = _("叫号记录")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["center", "kind", "at"], name="callevent_center_kind_at")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind} {self.at:%H:%M:%S}"


class AppointmentSlot(models.Model):
    """A bookable period (e.g. 09:00–09:30) of a queue on a day, with capacity."""

    center = models.ForeignKey(
        "catalog.Center", on_delete=models.CASCADE, related_name="appointment_slots", verbose_name=_("中心")
    )
    queue = models.ForeignKey(Queue, on_delete=models.CASCADE, related_name="slots", verbose_name=_("队列"))
    day = models.DateField(_("日期"))
    start = models.TimeField(_("开始"))
    end = models.TimeField(_("结束"))
    capacity = models.PositiveSmallIntegerField(_("可预约人数"))
    booked = models.PositiveSmallIntegerField(_("已预约人数"), default=0)

    class Meta:
        verbose_name = _("预约时段")
        verbose_name_plural = _("预约时段")
        ordering = ["day", "start", "queue"]
        constraints = [
            models.UniqueConstraint(fields=["queue", "day", "start"], name="slot_unique_start"),
            models.CheckConstraint(condition=Q(booked__lte=models.F("capacity")), name="slot_not_overbooked"),
            # a slot that ends before it starts has ended before anyone could come (booking refuses it as past)
            models.CheckConstraint(condition=Q(start__lt=models.F("end")), name="slot_start_before_end"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.start:%H:%M}-{self.end:%H:%M} {self.queue}"

    @property
    def starts_at(self) -> datetime:
        """The slot's start as an aware moment in the center's time zone."""
        return timezone.make_aware(datetime.combine(self.day, self.start))

    @property
    def ends_at(self) -> datetime:
        """The slot's end as an aware moment: booking, cancelling and checking in are judged against it."""
        return timezone.make_aware(datetime.combine(self.day, self.end))


class Appointment(models.Model):
    class State(models.TextChoices):
        BOOKED = "booked", _("已预约")
        CHECKED_IN = "checked_in", _("已签到")
        CANCELLED = "cancelled", _("已取消")
        NO_SHOW = "no_show", _("爽约")

    code = models.CharField(_("预约码"), max_length=8, unique=True)
    slot = models.ForeignKey(AppointmentSlot, on_delete=models.PROTECT, related_name="appointments")
    resident = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="appointments",
    )
    matter = models.ForeignKey(
        "catalog.Matter", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    name = EncryptedTextField(_("姓名"), blank=True, default="")
    id_number = EncryptedTextField(_("证件号码"), blank=True, default="")
    id_number_hash = models.CharField(max_length=64, blank=True, default="", db_index=True)
    phone = EncryptedTextField(_("手机号"), blank=True, default="")
    phone_hash = models.CharField(max_length=64, blank=True, default="", db_index=True)
    state = models.CharField(_("状态"), max_length=12, choices=State.choices, default=State.BOOKED)
    created_at = models.DateTimeField(_("预约时间"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    changed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = pgettext_lazy("queue", "预约")
        verbose_name_plural = _("预约")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["state", "slot"], name="appointment_state_slot")]

    def __str__(self) -> str:
        return self.code


class NoShowRecord(models.Model):
    """A missed appointment, counted against the person by the no-show policy."""

    appointment = models.OneToOneField(Appointment, on_delete=models.CASCADE, related_name="no_show_record")
    center = models.ForeignKey("catalog.Center", on_delete=models.CASCADE, related_name="+")
    person_hash = models.CharField(max_length=64, db_index=True)
    at = models.DateTimeField()

    class Meta:
        verbose_name = _("爽约记录")
        verbose_name_plural = _("爽约记录")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"no-show #{self.pk}"


class BookingSuspension(models.Model):
    """Booking suspended for a person at a center until ``until`` (or until lifted). Filed under the blind
    index of the ID number, else of the phone, of the miss that triggered it (``person_hash``), and carries
    in ``keys`` every blind index of every miss it counted: a person is found by any of them
    (``selectors.person_suspensions``), so a miss booked with the ID number and phone 139…, then two by 139…
    alone, suspend the ID number too."""

    person_hash = models.CharField(_("身份索引"), max_length=64, db_index=True)
    # space-separated blind indexes (64 hex digits each, so a substring match is an exact one)
    keys = models.TextField(blank=True, default="")
    center = models.ForeignKey(
        "catalog.Center", on_delete=models.CASCADE, related_name="+", verbose_name=_("中心")
    )
    since = models.DateTimeField(_("暂停开始"))
    until = models.DateTimeField(_("暂停至"))
    reason = models.CharField(_("原因"), max_length=200)
    lifted_at = models.DateTimeField(_("解除时间"), null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("解除人"),
    )

    class Meta:
        verbose_name = _("暂停预约")
        verbose_name_plural = _("暂停预约")
        ordering = ["-since"]

    def __str__(self) -> str:
        return f"suspended until {self.until:%Y-%m-%d}"

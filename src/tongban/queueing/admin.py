"""Admin: configuration (rules, queues, slots) is edited here; tickets and appointments are read-only
(their state changes only through the services)."""

from __future__ import annotations

from datetime import date, time
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.db.models import OuterRef, QuerySet, Subquery
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from tongban.accounts.http import client_ip
from tongban.core.calendar import is_workday
from tongban.core.crypto import blind_index, mask_phone
from tongban.core.errors import TongbanError
from tongban.queueing.models import (
    Appointment,
    AppointmentSlot,
    BookingSuspension,
    CallEvent,
    NoShowRecord,
    Queue,
    QueueSettings,
    Ticket,
)
from tongban.queueing.rules import opening_periods
from tongban.queueing.selectors import person_suspensions, prefix_printed_today, windows_serving_no_queue


@admin.register(QueueSettings)
class QueueSettingsAdmin(admin.ModelAdmin):
    list_display = ["center", "max_priority_in_row", "max_wait_boost_minutes", "elderly_age", "noshow_limit"]


class QueueAdminForm(forms.ModelForm):
    """A prefix already printed on one of the center's tickets today would make the queue's next numbers
    collide with those slips (a ticket's number is unique in its center's day): the ticket machine would fail.
    Such a prefix is refused until the next day; the queue's own prefix, unchanged, is of course kept."""

    class Meta:
        model = Queue
        fields = [
            "center",
            "prefix",
            "name",
            "name_en",
            "kind",
            "matter_groups",
            "windows",
            "default_service_minutes",
            "order",
            "active",
        ]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        center, prefix = data.get("center"), data.get("prefix")
        unchanged = self.instance.pk is not None and (center, prefix) == (
            self.instance.center,
            self.instance.prefix,
        )
        if center is not None and prefix and not unchanged and prefix_printed_today(center, prefix):
            self.add_error(
                "prefix",
                _("今天已有号码以“%(prefix)s”开头的号票，请明天再改用此前缀") % {"prefix": prefix},
            )
        return data


@admin.register(Queue)
class QueueAdmin(admin.ModelAdmin):
    form = QueueAdminForm
    list_display = ["center", "prefix", "name", "kind", "specialised_windows", "order", "active"]
    list_filter = ["center", "kind", "active"]
    filter_horizontal = ["matter_groups", "windows"]

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).select_related("center").prefetch_related("windows")

    @admin.display(description=_("专业窗口"))
    def specialised_windows(self, obj: Queue) -> str:
        numbers = sorted(w.number for w in obj.windows.all())
        return "、".join(str(_("%(n)s号窗口") % {"n": n}) for n in numbers) or "—"

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        # A specialised window calls only the queues that name it: one that none names never calls anyone,
        # and its clerk sees only "nobody waiting" (the demo's 7号居住证/人口专窗 did, all day).
        idle = windows_serving_no_queue()
        if idle:
            self.message_user(
                request,
                _(
                    "以下专业窗口未配置办理的队列，在那里叫号叫不到任何人：%(windows)s。请在相应队列的“专业窗口”中选择它们。"
                )
                % {"windows": "、".join(str(w) for w in idle)},
                messages.WARNING,
            )
        return super().changelist_view(request, extra_context)


# What a booked resident holds: once a slot has bookings, changing any of these would move them without a word
SLOT_HELD_FIELDS = ("center", "queue", "day", "start", "end")


class AppointmentSlotAdminForm(forms.ModelForm):
    """A slot that could not be kept is refused here, with the reason beside the field: one that ends before
    it starts (also a CHECK constraint), a queue of another center than the slot's, a time the hall is closed
    (a day it does not open, or outside its hours that day), or a capacity below the places already booked.
    Once booked, its center, queue, day and times are not in the form at all
    (:meth:`AppointmentSlotAdmin.get_readonly_fields`); should a resident book while the form was open, the
    change is refused here, the slot's row locked against the next booking until the save commits."""

    class Meta:
        model = AppointmentSlot
        fields = ["center", "queue", "day", "start", "end", "capacity"]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        booked = self._booked_now()
        if booked:  # booked while the form was open: the fields were still in it
            for name in SLOT_HELD_FIELDS:
                if name in self.changed_data and name in data:
                    self.add_error(
                        name, _("已有居民预约此时段，不能再改；请逐个改约已预约的居民（他们会收到短信）")
                    )
        value = {
            name: data.get(name) if name in self.fields else getattr(self.instance, name)
            for name in SLOT_HELD_FIELDS
        }
        start, end = value["start"], value["end"]
        if start is not None and end is not None and end <= start:
            self.add_error("end", _("结束时间应晚于开始时间"))
        center, queue = value["center"], value["queue"]
        if center is not None and queue is not None and queue.center_id != center.pk:
            self.add_error("queue", _("所选队列不属于该服务中心"))
        moved = self.instance.pk is None or any(name in self.changed_data for name in SLOT_HELD_FIELDS)
        if moved and not any(name in self.errors for name in SLOT_HELD_FIELDS):
            self._check_open(value["center"], value["day"], start, end)
        capacity = data.get("capacity")
        if capacity is not None and capacity < booked:
            self.add_error(
                "capacity",
                _("已有 %(booked)d 人预约此时段，可预约人数不能少于 %(booked)d") % {"booked": booked},
            )
        return data

    def _check_open(self, center: Any, day: date | None, start: time | None, end: time | None) -> None:
        """A slot when the hall is closed could not be kept: residents check in at its ticket machine, which
        takes no one outside the opening hours. A 24-hour center takes any time of any day; a center with
        opening hours, only times within one of its periods that day (none on a statutory holiday, a weekend
        day's if it opens then: :func:`~tongban.queueing.rules.opening_periods`)."""
        if center is None or day is None or start is None or end is None or center.open_24h:
            return
        try:
            periods, workday = opening_periods(center, day), is_workday(day)
        except TongbanError as exc:  # a day outside the working-day calendar's years
            self.add_error("day", exc.message)
            return
        if not periods:
            if workday:
                self.add_error("day", _("服务中心 %(day)s 不开放，不能设预约时段") % {"day": day.isoformat()})
            else:
                self.add_error(
                    "day", _("%(day)s 不是工作日，服务中心不开放，不能设预约时段") % {"day": day.isoformat()}
                )
        elif not any(opens <= start and end <= closes for opens, closes in periods):
            hours = ", ".join(f"{opens:%H:%M}–{closes:%H:%M}" for opens, closes in periods)
            self.add_error(
                None,
                _("时段不在服务中心 %(day)s 的开放时间内（%(hours)s）")
                % {"day": day.isoformat(), "hours": hours},
            )

    def _booked_now(self) -> int:
        """The places booked as of now, the row locked (in the admin's transaction) so that no booking comes
        between this check and the save; the form's copy of the slot is brought up to date with it."""
        if self.instance.pk is None:
            return 0
        with transaction.atomic():
            booked = (
                AppointmentSlot.objects.select_for_update()
                .filter(pk=self.instance.pk)
                .values_list("booked", flat=True)
                .first()
            )
        self.instance.booked = booked or 0
        return self.instance.booked


@admin.register(AppointmentSlot)
class AppointmentSlotAdmin(admin.ModelAdmin):
    form = AppointmentSlotAdminForm
    list_display = ["day", "start", "end", "queue", "capacity", "booked"]
    list_filter = ["center", "queue", "day"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if obj is not None and obj.booked > 0:
            return [*SLOT_HELD_FIELDS, "booked"]
        return ["booked"]

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = [*AppointmentSlotAdminForm.Meta.fields, "booked"]
        if obj is not None and obj.booked > 0:
            help_text = _(
                "已有居民预约此时段，中心、队列、日期和时间不能再改。如需调整，请在预约管理中逐个为已预约的居民改约"
                "（他们会收到短信），再修改或删除此时段；可预约人数仍可修改，但不能少于已预约人数。"
            )
            return [(None, {"fields": fields, "description": help_text})]
        return [(None, {"fields": fields})]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if change:
            # only what the form edits: ``booked`` is the booking services' (a conditional UPDATE), and the
            # form's copy of it must never be written back over a booking made meanwhile
            obj.save(update_fields=list(form.fields))
        else:
            obj.save()


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Ticket)
class TicketAdmin(ReadOnlyAdmin):
    list_display = ["number", "day", "center", "state", "priority_reason", "called_window", "issued_at"]
    list_filter = ["center", "state", "day"]
    exclude = ["notify_phone"]


@admin.register(CallEvent)
class CallEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "ticket", "kind", "window", "actor"]
    list_filter = ["center", "kind"]


@admin.register(Appointment)
class AppointmentAdmin(ReadOnlyAdmin):
    list_display = ["code", "slot", "state", "created_at"]
    list_filter = ["state"]
    exclude = ["name", "id_number", "phone", "id_number_hash", "phone_hash"]


@admin.register(BookingSuspension)
class BookingSuspensionAdmin(ReadOnlyAdmin):
    """Who is suspended where, until when and why, lifted or not. The person shows as the masked phone of the
    appointment whose no-show triggered the suspension (its record is made in the same moment); a full phone
    or ID number in the search box finds the person's suspensions by the blind index (either key)."""

    list_display = ["center", "masked_phone", "since", "until", "reason", "lifted", "lifted_at", "lifted_by"]
    list_filter = ["center"]
    list_select_related = ["center", "lifted_by"]
    search_fields = ["reason"]
    search_help_text = _("输入完整的手机号或身份证号，查找该居民的暂停记录")
    fields = ["center", "masked_phone", "since", "until", "reason", "lifted_at", "lifted_by"]
    readonly_fields = ["masked_phone"]
    actions = ["lift"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[BookingSuspension]:
        trigger = NoShowRecord.objects.filter(
            center_id=OuterRef("center_id"), person_hash=OuterRef("person_hash"), at=OuterRef("since")
        ).values("appointment__phone")[:1]
        # decrypted by the field's from_db_value, shown masked: no personal data is read in the clear
        phone = Subquery(trigger, output_field=Appointment._meta.get_field("phone"))
        return super().get_queryset(request).annotate(trigger_phone=phone)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[BookingSuspension], search_term: str
    ) -> Any:
        term = "".join(search_term.split()).upper()
        if term and (term.isdigit() or term[:-1].isdigit()) and len(term) in {11, 15, 18}:
            reaching = person_suspensions((blind_index(term),)).values("pk")
            return queryset.filter(pk__in=reaching), False
        return super().get_search_results(request, queryset, search_term)

    @admin.display(description=_("预约手机号"))
    def masked_phone(self, obj: BookingSuspension) -> str:
        return mask_phone(getattr(obj, "trigger_phone", "") or "") or "—"

    @admin.display(description=_("已解除"), boolean=True)
    def lifted(self, obj: BookingSuspension) -> bool:
        return obj.lifted_at is not None

    @admin.action(description=_("解除暂停预约"))
    def lift(self, request: HttpRequest, queryset: Any) -> None:
        from tongban.queueing.services import booking_suspension_lift

        for suspension in queryset:
            try:
                booking_suspension_lift(
                    suspension_id=suspension.pk,
                    actor=request.user,  # type: ignore[arg-type]
                    ip=client_ip(request) or "",
                )
            except TongbanError as exc:
                self.message_user(request, exc.message, messages.ERROR)

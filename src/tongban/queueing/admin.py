"""Admin: configuration (rules, queues, slots) is edited here; tickets and appointments are read-only
(their state changes only through the services)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from tongban.core.errors import TongbanError
from tongban.queueing.models import (
    Appointment,
    AppointmentSlot,
    BookingSuspension,
    CallEvent,
    Queue,
    QueueSettings,
    Ticket,
)
from tongban.queueing.selectors import prefix_printed_today


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
    list_display = ["center", "prefix", "name", "kind", "order", "active"]
    list_filter = ["center", "kind", "active"]
    filter_horizontal = ["matter_groups", "windows"]


class AppointmentSlotAdminForm(forms.ModelForm):
    """A slot that could not be kept is refused here, with the reason beside the field: one that ends before
    it starts (also a CHECK constraint), or a queue of another center than the slot's."""

    class Meta:
        model = AppointmentSlot
        fields = ["center", "queue", "day", "start", "end", "capacity"]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        start, end = data.get("start"), data.get("end")
        if start is not None and end is not None and end <= start:
            self.add_error("end", _("结束时间应晚于开始时间"))
        center, queue = data.get("center"), data.get("queue")
        if center is not None and queue is not None and queue.center_id != center.pk:
            self.add_error("queue", _("所选队列不属于该服务中心"))
        return data


@admin.register(AppointmentSlot)
class AppointmentSlotAdmin(admin.ModelAdmin):
    form = AppointmentSlotAdminForm
    list_display = ["day", "start", "end", "queue", "capacity", "booked"]
    list_filter = ["center", "queue", "day"]
    readonly_fields = ["booked"]


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
    list_display = ["center", "since", "until", "reason", "lifted_at"]
    actions = ["lift"]

    @admin.action(description=_("解除暂停预约"))
    def lift(self, request: HttpRequest, queryset: Any) -> None:
        from tongban.queueing.services import booking_suspension_lift

        for suspension in queryset:
            try:
                booking_suspension_lift(suspension_id=suspension.pk, actor=request.user)  # type: ignore[arg-type]
            except TongbanError as exc:
                self.message_user(request, exc.message, messages.ERROR)

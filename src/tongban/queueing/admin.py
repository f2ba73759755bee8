"""Admin: configuration (rules, queues, slots) is edited here; tickets and appointments are read-only
(their state changes only through the services)."""

from __future__ import annotations

from typing import Any

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


@admin.register(QueueSettings)
class QueueSettingsAdmin(admin.ModelAdmin):
    list_display = ["center", "max_priority_in_row", "max_wait_boost_minutes", "elderly_age", "noshow_limit"]


@admin.register(Queue)
class QueueAdmin(admin.ModelAdmin):
    list_display = ["center", "prefix", "name", "kind", "order", "active"]
    list_filter = ["center", "kind", "active"]
    filter_horizontal = ["matter_groups", "windows"]


@admin.register(AppointmentSlot)
class AppointmentSlotAdmin(admin.ModelAdmin):
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

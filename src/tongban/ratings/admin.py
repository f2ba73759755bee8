"""Read-only admin: ratings are changed only through services (auditors may look, nobody edits)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from tongban.ratings.models import Appeal, Rating, WorkOrder, WorkOrderStep


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Rating)
class RatingAdmin(ReadOnlyAdmin):
    list_display = ["number", "center", "level", "source", "state", "created_at"]
    list_filter = ["state", "level", "source", "center"]
    search_fields = ["number", "event__application_number"]


class StepInline(admin.TabularInline):
    model = WorkOrderStep
    extra = 0
    can_delete = False
    readonly_fields = ["kind", "note", "actor", "at"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(WorkOrder)
class WorkOrderAdmin(ReadOnlyAdmin):
    list_display = ["number", "center", "department", "state", "contact_due", "close_due"]
    list_filter = ["state", "center"]
    inlines = [StepInline]


@admin.register(Appeal)
class AppealAdmin(ReadOnlyAdmin):
    list_display = ["rating", "state", "filed_at", "decided_at"]
    list_filter = ["state"]

"""Read-only admin: cases change only through the services (history is immutable)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from tongban.applications.models import Application, ApplicationMaterial, Review, StatusChange


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class MaterialInline(admin.TabularInline):
    model = ApplicationMaterial
    extra = 0
    can_delete = False
    fields = readonly_fields = ("name", "required", "rongque", "state", "problem")


class HistoryInline(admin.TabularInline):
    model = StatusChange
    extra = 0
    can_delete = False
    fields = readonly_fields = ("at", "from_status", "to_status", "action", "actor_repr", "reason")


@admin.register(Application)
class ApplicationAdmin(ReadOnly):
    list_display = ["number", "matter", "center", "status", "due_date", "created_at"]
    list_filter = ["status", "center", "channel"]
    search_fields = ["number"]
    list_select_related = ["matter", "center"]
    exclude = ["delivery_address", "contact_phone"]  # personal data: shown masked on the case page
    inlines = [MaterialInline, HistoryInline]


@admin.register(Review)
class ReviewAdmin(ReadOnly):
    list_display = ["application", "department", "due_date", "opinion", "answered_at", "late"]
    list_select_related = ["application", "department"]

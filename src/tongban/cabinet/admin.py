from django.contrib import admin

from tongban.cabinet.models import Alert, Cabinet, Compartment, DeviceCommand, Item, RemoteOpen


class CompartmentInline(admin.TabularInline):
    model = Compartment
    extra = 0
    fields = ("number", "size", "state", "door_open", "fault")
    readonly_fields = ("state", "door_open", "fault")


@admin.register(Cabinet)
class CabinetAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "center", "place", "online", "last_heartbeat")
    readonly_fields = ("online", "last_heartbeat", "firmware")
    inlines = [CompartmentInline]


class ReadOnlyAdmin(admin.ModelAdmin):
    """State changes go through services; the admin only looks."""

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Item)
class ItemAdmin(ReadOnlyAdmin):
    list_display = ("reference", "kind", "state", "cabinet", "compartment", "label", "stored_at")
    list_filter = ("kind", "state", "cabinet")
    exclude = ("phone", "code_hash", "code_tag")


@admin.register(DeviceCommand)
class DeviceCommandAdmin(ReadOnlyAdmin):
    list_display = (
        "request_id",
        "cabinet",
        "compartment",
        "purpose",
        "state",
        "created_at",
        "sent_at",
        "error",
    )
    list_filter = ("state", "purpose", "cabinet")


@admin.register(Alert)
class AlertAdmin(ReadOnlyAdmin):
    list_display = ("cabinet", "compartment", "kind", "message", "created_at", "resolved_at")
    list_filter = ("kind", "cabinet")


@admin.register(RemoteOpen)
class RemoteOpenAdmin(ReadOnlyAdmin):
    list_display = ("compartment", "reason", "state", "requested_by", "decided_by", "created_at")

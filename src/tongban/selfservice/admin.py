from django.contrib import admin

from tongban.selfservice.models import GuideQuestion


@admin.register(GuideQuestion)
class GuideQuestionAdmin(admin.ModelAdmin):
    """Read-only: questions are counted by the 百事通 and closed from /guide/review/ (audited there)."""

    list_display = ("text", "count", "outcome", "status", "top_name", "referral_code", "last_seen")
    list_filter = ("status", "outcome")
    search_fields = ("text",)
    ordering = ("-count",)

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

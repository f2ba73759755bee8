"""Messages are records of what was sent: read-only in the admin; codes in bodies are masked."""

from __future__ import annotations

import re
from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from tongban.core.crypto import mask_phone
from tongban.notifications.models import Message

_CODE_RE = re.compile(r"(?<!\d)\d{4,8}(?!\d)")


def mask_codes(text: str) -> str:
    """Hide one-time codes (runs of 4–8 digits) in a message body."""
    return _CODE_RE.sub(lambda m: "*" * len(m.group(0)), text or "")


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ("created_at", "channel", "masked_to", "purpose", "backend", "state", "masked_body")
    list_filter = ("channel", "state", "backend", "purpose")
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-id")
    fields = (
        "created_at",
        "channel",
        "masked_to",
        "purpose",
        "backend",
        "state",
        "error",
        "sent_at",
        "masked_body",
    )
    readonly_fields = fields

    @admin.display(description=_("收件人"))
    def masked_to(self, obj: Message) -> str:
        return mask_phone(obj.to)

    @admin.display(description=_("内容（验证码已隐藏）"))
    def masked_body(self, obj: Message) -> str:
        return mask_codes(obj.body)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

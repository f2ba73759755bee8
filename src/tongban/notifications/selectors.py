"""Notification reads."""

from __future__ import annotations

from django.db.models import QuerySet

from tongban.notifications.models import Message


def outbox_messages(*, limit: int = 100) -> QuerySet[Message]:
    """Messages held by the dev ``outbox`` backend, newest first (real gateways' messages never appear)."""
    return Message.objects.filter(backend="outbox").order_by("-created_at", "-id")[:limit]

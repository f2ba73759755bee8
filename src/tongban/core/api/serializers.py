"""Shared API serializers. ``ApiErrorSerializer`` documents the one error shape every endpoint uses
(``tongban.core.errors.api_exception_handler``): reuse it in ``extend_schema(responses={400: ...})``."""

from __future__ import annotations

from datetime import datetime, tzinfo

from django.utils import timezone
from rest_framework import serializers


def datetime_out(value: datetime | None, tz: tzinfo | None = None) -> str | None:
    """A timestamp as every ``DateTimeField`` of this API renders it - ISO 8601 in the current time
    zone, UTC as "Z" - for hot paths that build their JSON without a serializer (tests compare them).
    Pass ``tz`` when rendering many at once: the current zone is then looked up once, not per value."""
    if value is None:
        return None
    text = value.astimezone(tz or timezone.get_current_timezone()).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


class ApiErrorBodySerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable machine code, e.g. calendar.bad_date")
    message = serializers.CharField(help_text="Chinese message for the person")
    message_en = serializers.CharField(help_text="English message")
    details = serializers.DictField(required=False, help_text="Optional structured details")


class ApiErrorSerializer(serializers.Serializer):
    error = ApiErrorBodySerializer()

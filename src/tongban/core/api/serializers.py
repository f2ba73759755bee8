"""Shared API serializers. ``ApiErrorSerializer`` documents the one error shape every endpoint uses
(``tongban.core.errors.api_exception_handler``): reuse it in ``extend_schema(responses={400: ...})``."""

from __future__ import annotations

from rest_framework import serializers


class ApiErrorBodySerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable machine code, e.g. calendar.bad_date")
    message = serializers.CharField(help_text="Chinese message for the person")
    message_en = serializers.CharField(help_text="English message")
    details = serializers.DictField(required=False, help_text="Optional structured details")


class ApiErrorSerializer(serializers.Serializer):
    error = ApiErrorBodySerializer()

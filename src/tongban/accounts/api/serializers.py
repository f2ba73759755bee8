from __future__ import annotations

from rest_framework import serializers


class TokenIn(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=256, trim_whitespace=False, style={"input_type": "password"})
    otp = serializers.CharField(
        max_length=8,
        required=False,
        allow_blank=True,
        help_text="6-digit TOTP code; required when 2FA applies",
    )


class TokenOut(serializers.Serializer):
    token = serializers.CharField(
        help_text="Send as `Authorization: Bearer <token>`; shown once, stored hashed"
    )
    expires_at = serializers.DateTimeField()
    username = serializers.CharField()
    role = serializers.CharField()


class SmsCodeIn(serializers.Serializer):
    phone = serializers.CharField(max_length=20)


class SmsCodeOut(serializers.Serializer):
    phone = serializers.CharField(help_text="masked")
    expires_at = serializers.DateTimeField()
    resend_after = serializers.IntegerField(help_text="seconds until another code may be requested")


class ErrorBody(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    message_en = serializers.CharField()
    details = serializers.DictField(required=False)


class ErrorOut(serializers.Serializer):
    error = ErrorBody()

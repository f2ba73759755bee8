"""Accounts API: staff bearer tokens, and the SMS sign-in code request."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from tongban.accounts import services
from tongban.accounts.api.serializers import ErrorOut, SmsCodeIn, SmsCodeOut, TokenIn, TokenOut
from tongban.accounts.http import client_ip
from tongban.accounts.models import ApiToken
from tongban.core.crypto import mask_phone


class TokenView(APIView):
    """Issue (POST) or revoke (DELETE) a staff API token."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    def get_authenticators(self) -> list[Any]:
        # DELETE needs to know whose token it is; POST must not require one.
        if getattr(self, "request", None) is not None and self.request.method == "DELETE":
            from tongban.accounts.authentication import BearerTokenAuthentication

            return [BearerTokenAuthentication()]
        return []

    def get_permissions(self) -> list[Any]:
        if self.request.method == "DELETE":
            return [IsAuthenticated()]
        return [AllowAny()]

    @extend_schema(
        operation_id="auth_token_issue",
        summary="Get a bearer token (staff)",
        description=(
            "Username + password, plus `otp` (the 6-digit TOTP code) when two-factor sign-in applies "
            "(settings.STAFF_2FA_REQUIRED, or the person enrolled an authenticator). "
            "Failures: 401 `auth.invalid_credentials` / `auth.otp_required` / `auth.otp_invalid`, "
            "403 `auth.not_staff` / `auth.otp_not_enrolled`, 429 `auth.locked` with Retry-After."
        ),
        request=TokenIn,
        responses={
            201: TokenOut,
            400: OpenApiResponse(ErrorOut),
            401: OpenApiResponse(ErrorOut),
            403: OpenApiResponse(ErrorOut),
            429: OpenApiResponse(ErrorOut),
        },
        tags=["auth"],
        auth=[],
    )
    def post(self, request: Request) -> Response:
        data = TokenIn(data=request.data)
        data.is_valid(raise_exception=True)
        issued = services.api_token_issue(
            username=data.validated_data["username"],
            password=data.validated_data["password"],
            otp=data.validated_data.get("otp") or None,
            ip=client_ip(request),
        )
        out = TokenOut(
            {
                "token": issued.token,
                "expires_at": issued.expires_at,
                "username": issued.user.username,
                "role": issued.user.role,
            }
        )
        return Response(out.data, status=status.HTTP_201_CREATED, headers={"Cache-Control": "no-store"})

    @extend_schema(
        operation_id="auth_token_revoke",
        summary="Revoke the bearer token used for this request",
        request=None,
        responses={204: None, 401: OpenApiResponse(ErrorOut)},
        tags=["auth"],
    )
    def delete(self, request: Request) -> Response:
        if isinstance(request.auth, ApiToken):
            services.api_token_revoke(actor=request.user, token=request.auth)  # type: ignore[arg-type]
        return Response(status=status.HTTP_204_NO_CONTENT)


class SmsCodeView(APIView):
    """Send a sign-in code by SMS (residents and enterprises)."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="auth_sms_code_request",
        summary="Send a sign-in code by SMS",
        description=(
            "6 digits, valid 5 minutes, one live code per phone. At most 1 a minute and 5 an hour per phone, "
            "20 an hour per IP: beyond that 429 `sms_code.rate_limited` with a Retry-After header. "
            "400 `identity.mobile_*` for a malformed number."
        ),
        request=SmsCodeIn,
        responses={202: SmsCodeOut, 400: OpenApiResponse(ErrorOut), 429: OpenApiResponse(ErrorOut)},
        tags=["auth"],
        auth=[],
    )
    def post(self, request: Request) -> Response:
        data = SmsCodeIn(data=request.data)
        data.is_valid(raise_exception=True)
        sent = services.sms_code_request(phone=data.validated_data["phone"], ip=client_ip(request))
        out = SmsCodeOut(
            {
                "phone": mask_phone(sent.phone),
                "expires_at": sent.expires_at,
                "resend_after": sent.resend_after,
            }
        )
        return Response(out.data, status=status.HTTP_202_ACCEPTED)

"""Cabinet API: one view per operation (see docs/api.md, "Smart cabinet")."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from tongban.accounts.http import client_ip
from tongban.accounts.permissions import IsStaffRole
from tongban.cabinet import selectors, services
from tongban.cabinet.api.serializers import (
    CabinetErrorOut,
    CabinetOut,
    DepositIn,
    DepositOut,
    PickupIn,
    PickupOut,
)
from tongban.cabinet.services.hooks import application_find


def client_source(request: Any) -> str:
    """The address wrong-code attempts are counted against (accounts' proxy-aware client IP)."""
    return client_ip(request) or "unknown"


class CabinetListView(APIView):
    permission_classes = [IsStaffRole]

    @extend_schema(
        operation_id="cabinets_list",
        summary="Cabinets with their compartments (staff)",
        responses={200: CabinetOut(many=True)},
        tags=["cabinet"],
    )
    def get(self, request: Request) -> Response:
        cabinets = selectors.cabinets_list(user=request.user)
        return Response(CabinetOut(cabinets, many=True).data)


class DepositCreateView(APIView):
    permission_classes = [IsStaffRole]

    @extend_schema(
        operation_id="cabinet_deposit_create",
        summary="Reserve a compartment and open it for a clerk's deposit (staff)",
        description=(
            "Reserves the smallest free compartment that fits `size` and sends the `open` command. "
            "The pickup code is issued and texted only when the door sensor reports the door closed. "
            "When the cabinet is offline the command waits in the outbox."
        ),
        request=DepositIn,
        responses={
            201: DepositOut,
            400: OpenApiResponse(CabinetErrorOut, description="invalid input, phone or label missing"),
            403: OpenApiResponse(CabinetErrorOut, description="not staff of this cabinet's center"),
            404: OpenApiResponse(CabinetErrorOut, description="no such cabinet or application"),
            409: OpenApiResponse(
                CabinetErrorOut, description="cabinet full, application not ready or already in"
            ),
        },
        tags=["cabinet"],
    )
    def post(self, request: Request, cabinet: str) -> Response:
        obj = selectors.cabinet_get(code=cabinet)
        data = DepositIn(data=request.data)
        data.is_valid(raise_exception=True)
        application = None
        if data.validated_data.get("application"):
            application = application_find(number=data.validated_data["application"], center_id=obj.center_id)
        item = services.deposit_create(
            cabinet=obj,
            actor=request.user,
            size=data.validated_data["size"],
            application=application,
            label=data.validated_data.get("label", ""),
            phone=data.validated_data.get("phone", ""),
        )
        return Response(DepositOut(item).data, status=status.HTTP_201_CREATED)


class PickupView(APIView):
    """The cabinet's keypad. No login: the code is the credential, guarded by attempt limits."""

    authentication_classes: list[Any] = []
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        operation_id="cabinet_pickup",
        summary="Enter a pickup or drop-off code: opens that door",
        description=(
            "Wrong codes are limited per cabinet and per source address (default 5 in 10 minutes locks "
            "the keypad for 10 minutes): the locked answer is 429 with `Retry-After` in seconds."
        ),
        request=PickupIn,
        responses={
            200: PickupOut,
            403: OpenApiResponse(CabinetErrorOut, description="wrong, used or expired code"),
            404: OpenApiResponse(CabinetErrorOut, description="no such cabinet"),
            429: OpenApiResponse(CabinetErrorOut, description="keypad locked; see the Retry-After header"),
            503: OpenApiResponse(CabinetErrorOut, description="cabinet offline or compartment out of order"),
        },
        tags=["cabinet"],
    )
    def post(self, request: Request, cabinet: str) -> Response:
        obj = selectors.cabinet_get(code=cabinet)
        data = PickupIn(data=request.data)
        data.is_valid(raise_exception=True)
        result = services.code_enter(
            cabinet=obj,
            code=data.validated_data["code"],
            source=client_source(request),
            proxy=data.validated_data["proxy"],
        )
        return Response(PickupOut({"compartment": result.compartment}).data)

"""Public working-day calendar API: add working days, count working days (AllowAny, read-only)."""

from __future__ import annotations

from datetime import date

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from tongban.core import calendar
from tongban.core.api.serializers import ApiErrorSerializer
from tongban.core.errors import ValidationError

MAX_DAYS = 3650


class AddWorkdaysOutputSerializer(serializers.Serializer):
    date = serializers.DateField(help_text="The day on which the n-th working day after `start` falls.")
    provisional = serializers.BooleanField(
        help_text="True when a counted year has no official State Council notice yet (the answer may change)."
    )


class WorkdaysBetweenOutputSerializer(serializers.Serializer):
    workdays = serializers.IntegerField(help_text="Working days in (start, end].")
    provisional = serializers.BooleanField(
        help_text="True when a counted year has no official State Council notice yet (the answer may change)."
    )


def _date_param(request: Request, name: str) -> date:
    raw = request.query_params.get(name, "").strip()
    if not raw:
        raise ValidationError(
            f"缺少参数 {name}（日期，格式YYYY-MM-DD）",
            f"Missing parameter {name} (a date, YYYY-MM-DD)",
            code="calendar.bad_date",
            details={"field": name},
        )
    try:
        if len(raw) != 10:
            raise ValueError(raw)
        return date.fromisoformat(raw)
    except ValueError:
        raise ValidationError(
            f"参数 {name} 不是有效日期，应为YYYY-MM-DD：{raw[:20]}",
            f"Parameter {name} is not a valid date, expected YYYY-MM-DD: {raw[:20]}",
            code="calendar.bad_date",
            details={"field": name},
        ) from None


def _days_param(request: Request) -> int:
    raw = request.query_params.get("days", "").strip()
    try:
        days = int(raw)
    except ValueError:
        raise ValidationError(
            f"参数 days 应为整数（-{MAX_DAYS}到{MAX_DAYS}）",
            f"Parameter days must be an integer (-{MAX_DAYS} to {MAX_DAYS})",
            code="calendar.bad_days",
            details={"field": "days"},
        ) from None
    if not -MAX_DAYS <= days <= MAX_DAYS:
        raise ValidationError(
            f"参数 days 超出范围（-{MAX_DAYS}到{MAX_DAYS}）：{days}",
            f"Parameter days out of range (-{MAX_DAYS} to {MAX_DAYS}): {days}",
            code="calendar.bad_days",
            details={"field": "days"},
        )
    return days


_ERRORS = {400: ApiErrorSerializer}


class AddWorkdaysView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list[type] = []

    @extend_schema(
        operation_id="calendar_add_workdays",
        tags=["calendar"],
        summary="Add working days to a date (工作日推算)",
        description=(
            "The day on which the n-th working day after `start` falls; `start` itself does not count "
            "(2023-07-12 + 9 = 2023-07-25). Weekends and statutory holidays are off, make-up working "
            "days (调休上班日) are on. `days=0` returns `start`; negative `days` counts backwards. "
            "Errors: `calendar.bad_date`, `calendar.bad_days`, `calendar.out_of_range` (400)."
        ),
        parameters=[
            OpenApiParameter("start", OpenApiTypes.DATE, required=True, description="YYYY-MM-DD"),
            OpenApiParameter("days", OpenApiTypes.INT, required=True, description=f"-{MAX_DAYS}..{MAX_DAYS}"),
        ],
        responses={200: AddWorkdaysOutputSerializer, **_ERRORS},
        examples=[
            OpenApiExample(
                "Public notice after the land auction",
                value={"date": "2023-07-25", "provisional": False},
                response_only=True,
            )
        ],
    )
    def get(self, request: Request) -> Response:
        start = _date_param(request, "start")
        days = _days_param(request)
        result = calendar.add_workdays_ex(start, days)
        return Response(AddWorkdaysOutputSerializer(result).data)


class WorkdaysBetweenView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list[type] = []

    @extend_schema(
        operation_id="calendar_workdays_between",
        tags=["calendar"],
        summary="Count working days between two dates (工作日计数)",
        description=(
            "Working days in (start, end]: the start day does not count, the end day does. "
            "`end` must not be before `start`. Errors: `calendar.bad_date`, `calendar.bad_range`, "
            "`calendar.out_of_range` (400)."
        ),
        parameters=[
            OpenApiParameter("start", OpenApiTypes.DATE, required=True, description="YYYY-MM-DD"),
            OpenApiParameter("end", OpenApiTypes.DATE, required=True, description="YYYY-MM-DD, ≥ start"),
        ],
        responses={200: WorkdaysBetweenOutputSerializer, **_ERRORS},
    )
    def get(self, request: Request) -> Response:
        start = _date_param(request, "start")
        end = _date_param(request, "end")
        if end < start:
            raise ValidationError(
                f"结束日期 {end.isoformat()} 早于开始日期 {start.isoformat()}",
                f"end {end.isoformat()} is before start {start.isoformat()}",
                code="calendar.bad_range",
                details={"field": "end"},
            )
        result = calendar.workdays_between_ex(start, end)
        return Response(WorkdaysBetweenOutputSerializer(result).data)

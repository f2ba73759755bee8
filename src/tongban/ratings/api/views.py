"""好差评 API: rate a service, list and advance rectification work orders, appeals, national export."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta
from typing import Any

from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from tongban.accounts.http import client_ip as accounts_client_ip
from tongban.accounts.models import User
from tongban.core.errors import Forbidden, NotFound, ValidationError
from tongban.ratings import selectors, services
from tongban.ratings.models import Appeal, Level, Rating, WorkOrder

ERROR = inline_serializer(
    "RatingsError",
    {
        "error": inline_serializer(
            "RatingsErrorBody",
            {
                "code": serializers.CharField(),
                "message": serializers.CharField(),
                "message_en": serializers.CharField(),
            },
        )
    },
)


def client_ip(request: Any) -> str:
    """The client address behind our nginx (accounts' rule), for the rate limit."""
    return accounts_client_ip(request) or "unknown"


def _staff(request: Request) -> Any:
    user = request.user
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_staff_role", False):
        raise Forbidden()
    return user


def _period(request: Request) -> tuple[date, date]:
    today = timezone.localdate()
    try:
        date_to = date.fromisoformat(request.query_params.get("to") or today.isoformat())
        date_from = date.fromisoformat(
            request.query_params.get("from") or (date_to - timedelta(days=29)).isoformat()
        )
    except ValueError as exc:
        raise ValidationError(
            "日期格式应为YYYY-MM-DD", "Dates must be YYYY-MM-DD", code="invalid_date"
        ) from exc
    if date_from > date_to:
        raise ValidationError("开始日期晚于结束日期", "from is after to", code="invalid_period")
    if (date_to - date_from).days > 366 * 3:
        raise ValidationError("查询区间最长三年", "The period is at most three years", code="invalid_period")
    return date_from, date_to


# --- POST /ratings ------------------------------------------------------------


class RatingCreateInput(serializers.Serializer):
    ticket = serializers.IntegerField(required=False, help_text="取号单ID（窗口服务结束后30分钟内）")
    application = serializers.CharField(required=False, max_length=40, help_text="办件编号")
    token = serializers.CharField(required=False, max_length=400, help_text="评价链接中的令牌")
    level = serializers.ChoiceField(choices=Level.choices, help_text="5 非常满意 … 1 非常不满意")
    indicators = serializers.DictField(
        child=serializers.IntegerField(min_value=1, max_value=5), required=False
    )
    comment = serializers.CharField(required=False, allow_blank=True, max_length=500)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        has_ticket = "ticket" in attrs
        has_link = "token" in attrs
        if has_ticket == has_link:
            raise serializers.ValidationError('give either "ticket" or "application" with "token"')
        if has_link and "application" not in attrs:
            raise serializers.ValidationError('"token" needs "application"')
        return attrs


class RatingOutput(serializers.Serializer):
    number = serializers.CharField()
    level = serializers.IntegerField()
    level_name = serializers.CharField()
    created_at = serializers.DateTimeField()
    work_order = serializers.CharField(allow_null=True, help_text="差评整改工单编号（等级≤2时）")


def _rating_out(rating: Rating) -> dict[str, Any]:
    order = WorkOrder.objects.filter(rating=rating).values_list("number", flat=True).first()
    return {
        "number": rating.number,
        "level": rating.level,
        "level_name": rating.level_label,
        "created_at": rating.created_at,
        "work_order": order,
    }


class RatingCreateView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="ratings_create",
        summary="评价一次服务（一次一评 / 一事一评）",
        description=(
            "No login. `ticket`: the ticket its window finished last, within 30 minutes and before the window "
            "calls anyone else (409 `rating.not_current`), from the center's hall networks where it lists them "
            "(403 `rating.not_in_hall`) — the window pad. "
            "`application` + `token`: the signed link sent by SMS. One rating per service event; "
            "a second one answers 409. Level ≤ 2 opens a rectification work order. Rate-limited per client."
        ),
        request=RatingCreateInput,
        responses={
            201: RatingOutput,
            400: ERROR,
            403: OpenApiResponse(
                ERROR, description="link invalid or expired, or not from the hall's network"
            ),
            404: ERROR,
            409: OpenApiResponse(
                ERROR,
                description="already rated, the 30 minutes have passed, or the window called the next person",
            ),
            429: ERROR,
        },
        tags=["ratings"],
    )
    def post(self, request: Request) -> Response:
        data = RatingCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        rating_input = services.RatingInput(
            level=int(v["level"]), indicators=v.get("indicators"), comment=v.get("comment", "")
        )
        if "ticket" in v:
            rating = services.rating_submit_for_ticket(
                ticket_id=v["ticket"],
                data=rating_input,
                source=Rating.Source.API,
                client_key=client_ip(request),
                client_ip=accounts_client_ip(request) or "",
            )
        else:
            rater = request.user if isinstance(request.user, User) else None
            rating = services.rating_submit_with_token(
                token=v["token"],
                application_number=v["application"],
                data=rating_input,
                rater=rater,
                client_key=client_ip(request),
            )
        return Response(RatingOutput(_rating_out(rating)).data, status=201)


# --- GET /rectifications ----------------------------------------------------------


class WorkOrderOutput(serializers.Serializer):
    number = serializers.CharField()
    state = serializers.CharField()
    state_name = serializers.CharField(source="get_state_display")
    center = serializers.CharField(source="center.code")
    department = serializers.CharField(source="department.name", allow_null=True, default=None)
    rating = serializers.CharField(source="rating.number")
    level = serializers.IntegerField(source="rating.level")
    comment = serializers.CharField(source="rating.comment")
    matter = serializers.CharField(source="rating.event.matter.name", allow_null=True, default=None)
    created_at = serializers.DateTimeField()
    contact_due = serializers.DateField()
    close_due = serializers.DateField()
    contacted_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    late = serializers.BooleanField()
    escalated = serializers.BooleanField()
    outcome = serializers.CharField(allow_blank=True)
    follow_up_level = serializers.IntegerField(allow_null=True)
    version = serializers.IntegerField()


class WorkOrderListView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="rectifications_list",
        summary="差评整改工单（中心负责人）",
        parameters=[
            OpenApiParameter("state", str, enum=WorkOrder.State.values, required=False),
            OpenApiParameter("late", bool, required=False, description="only orders past a deadline"),
        ],
        responses={200: WorkOrderOutput(many=True), 403: ERROR},
        tags=["ratings"],
    )
    def get(self, request: Request) -> Response:
        actor = _staff(request)
        state = request.query_params.get("state") or None
        if state and state not in WorkOrder.State.values:
            raise ValidationError("未知的工单状态", "Unknown state", code="invalid_state")
        late = request.query_params.get("late") in {"1", "true"}
        orders = list(selectors.work_orders_list(actor=actor, state=state, late_only=late)[:500])
        today = timezone.localdate()
        for order in orders:
            order.late = selectors.work_order_is_late(order, today)  # type: ignore[attr-defined]
        return Response(WorkOrderOutput(orders, many=True).data)


class WorkOrderStepInput(serializers.Serializer):
    step = serializers.ChoiceField(choices=["contacted", "verified", "rectified", "explained", "reported"])
    note = serializers.CharField(max_length=2000)
    version = serializers.IntegerField(required=False)


class WorkOrderStepView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="rectifications_step",
        summary="记录整改步骤：回访、核实、整改/说明、反馈",
        request=WorkOrderStepInput,
        responses={200: WorkOrderOutput, 403: ERROR, 404: ERROR, 409: ERROR},
        tags=["ratings"],
    )
    def post(self, request: Request, number: str) -> Response:
        actor = _staff(request)
        data = WorkOrderStepInput(data=request.data)
        data.is_valid(raise_exception=True)
        order = WorkOrder.objects.filter(number=number).first()
        if order is None:
            raise NotFound()
        order = selectors.work_order_get(actor=actor, pk=order.pk)
        order = services.work_order_advance(
            actor=actor,
            work_order=order,
            step=data.validated_data["step"],
            note=data.validated_data["note"],
            version=data.validated_data.get("version"),
        )
        order = selectors.work_order_get(actor=actor, pk=order.pk)
        order.late = selectors.work_order_is_late(order)  # type: ignore[attr-defined]
        return Response(WorkOrderOutput(order).data)


# --- appeals ------------------------------------------------------------------


class AppealInput(serializers.Serializer):
    reason = serializers.CharField(max_length=500)


class AppealOutput(serializers.Serializer):
    id = serializers.IntegerField()
    rating = serializers.CharField(source="rating.number")
    state = serializers.CharField()
    reason = serializers.CharField()
    filed_at = serializers.DateTimeField()
    decided_at = serializers.DateTimeField(allow_null=True)
    decision_reason = serializers.CharField(allow_blank=True)


class AppealCreateView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="ratings_appeal_create",
        summary="对误评、恶意评价提出申诉（中心负责人）",
        request=AppealInput,
        responses={201: AppealOutput, 403: ERROR, 404: ERROR, 409: ERROR},
        tags=["ratings"],
    )
    def post(self, request: Request, number: str) -> Response:
        actor = _staff(request)
        data = AppealInput(data=request.data)
        data.is_valid(raise_exception=True)
        rating = Rating.objects.filter(number=number).first()
        if rating is None:
            raise NotFound()
        appeal = services.appeal_file(actor=actor, rating=rating, reason=data.validated_data["reason"])
        return Response(AppealOutput(appeal).data, status=201)


class AppealDecisionInput(serializers.Serializer):
    uphold = serializers.BooleanField(help_text="true = 申诉成立，评价作废")
    reason = serializers.CharField(max_length=500)


class AppealDecideView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="ratings_appeal_decide",
        summary="复核申诉（复核人员）：成立则评价作废，仍对审计可见",
        request=AppealDecisionInput,
        responses={200: AppealOutput, 403: ERROR, 404: ERROR, 409: ERROR},
        tags=["ratings"],
    )
    def post(self, request: Request, pk: int) -> Response:
        actor = _staff(request)
        data = AppealDecisionInput(data=request.data)
        data.is_valid(raise_exception=True)
        appeal = Appeal.objects.filter(pk=pk).first()
        if appeal is None:
            raise NotFound()
        appeal = services.appeal_decide(
            actor=actor,
            appeal=appeal,
            uphold=data.validated_data["uphold"],
            reason=data.validated_data["reason"],
        )
        return Response(AppealOutput(appeal).data)


# --- national export -------------------------------------------------------------


def export_response(rows: list[dict[str, Any]], fmt: str, date_from: date, date_to: date) -> HttpResponse:
    name = f"haochaping-{date_from:%Y%m%d}-{date_to:%Y%m%d}"
    if fmt == "csv":
        buffer = io.StringIO()
        buffer.write("\ufeff")  # Excel opens UTF-8 CSV correctly with a BOM
        writer = csv.writer(buffer)
        writer.writerow([label for _key, label in selectors.EXPORT_FIELDS])
        for row in rows:
            writer.writerow(
                [
                    json.dumps(row[key], ensure_ascii=False) if isinstance(row[key], dict) else row[key]
                    for key, _label in selectors.EXPORT_FIELDS
                ]
            )
        response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        return response
    body = json.dumps(
        {
            "period": {"from": date_from.isoformat(), "to": date_to.isoformat()},
            "fields": dict(selectors.EXPORT_FIELDS),
            "count": len(rows),
            "records": rows,
        },
        ensure_ascii=False,
        indent=1,
    )
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.json"'
    return response


class RatingExportView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="ratings_export",
        summary="好差评数据导出（国家上报格式，JSON或CSV）",
        parameters=[
            OpenApiParameter("from", OpenApiTypes.DATE, required=False),
            OpenApiParameter("to", OpenApiTypes.DATE, required=False),
            OpenApiParameter(
                "export", str, enum=["json", "csv"], required=False, description="file type (default json)"
            ),
        ],
        responses={
            (200, "application/json"): OpenApiTypes.OBJECT,
            (200, "text/csv"): OpenApiTypes.STR,
            403: ERROR,
        },
        tags=["ratings"],
    )
    def get(self, request: Request) -> HttpResponse:
        actor = _staff(request)
        date_from, date_to = _period(request)
        fmt = request.query_params.get("export", "json")
        if fmt not in {"json", "csv"}:
            raise ValidationError(
                "导出格式须为json或csv", "export must be json or csv", code="invalid_format"
            )
        rows = selectors.national_export_rows(actor=actor, date_from=date_from, date_to=date_to)
        return export_response(rows, fmt, date_from, date_to)

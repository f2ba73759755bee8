"""GET /api/v1/stats/summary — the dashboard's headline figures for a center (or the district) and period."""

from __future__ import annotations

from datetime import date, timedelta

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from tongban.accounts.models import User
from tongban.core.errors import Forbidden, ValidationError
from tongban.dashboard import selectors


class SummaryOutput(serializers.Serializer):
    center = serializers.CharField(allow_null=True, help_text="中心编码；null = 全区")
    date_from = serializers.DateField(source="from")
    date_to = serializers.DateField(source="to")
    applications = serializers.IntegerField(help_text="期间受理（提交）的办件数")
    decided = serializers.IntegerField()
    on_time_rate = serializers.FloatField(allow_null=True, help_text="按时办结率 0–1")
    avg_processing_days = serializers.FloatField(allow_null=True)
    p90_processing_days = serializers.FloatField(allow_null=True)
    supplement_rate = serializers.FloatField(allow_null=True, help_text="补正告知数/受理数")
    online_share = serializers.FloatField(allow_null=True)
    tickets = serializers.IntegerField()
    avg_wait_minutes = serializers.FloatField(allow_null=True)
    p90_wait_minutes = serializers.FloatField(allow_null=True)
    cabinet_pickups = serializers.IntegerField()
    cabinet_pickups_night = serializers.IntegerField()
    ratings = serializers.IntegerField()
    bad_ratings = serializers.IntegerField()
    satisfaction_rate = serializers.FloatField(allow_null=True, help_text="非差评/有效评价 0–1")
    ratings_by_level = serializers.DictField(child=serializers.IntegerField())
    work_orders = serializers.DictField(child=serializers.IntegerField(), help_text="整改工单按状态计数")
    sources = serializers.DictField(child=serializers.BooleanField(), help_text="数据来源模块是否已开放")


class StatsSummaryView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="stats_summary",
        summary="运行数据汇总（中心负责人：本中心；督查/管理员：全区或任一中心）",
        parameters=[
            OpenApiParameter("center", str, required=False, description="center code; omit for the district"),
            OpenApiParameter(
                "from", OpenApiTypes.DATE, required=False, description="default: 29 days before `to`"
            ),
            OpenApiParameter("to", OpenApiTypes.DATE, required=False, description="default: today"),
        ],
        responses={200: SummaryOutput},
        tags=["dashboard"],
    )
    def get(self, request: Request) -> Response:
        if not isinstance(request.user, User):
            raise Forbidden()
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
        if date_from > date_to or (date_to - date_from).days > 366 * 3:
            raise ValidationError(
                "查询区间无效（最长三年）", "Invalid period (at most 3 years)", code="invalid_period"
            )
        scope = selectors.dashboard_scope(actor=request.user, center_code=request.query_params.get("center"))
        body = selectors.period_summary(scope=scope, date_from=date_from, date_to=date_to)
        body.update(
            {
                "center": scope.center.code if scope.center else None,
                "from": date_from,
                "to": date_to,
                "ratings_by_level": {str(k): v for k, v in body["ratings_by_level"].items()},
                "work_orders": selectors.rating_rectification(
                    scope=scope, date_from=date_from, date_to=date_to
                ),
                "sources": selectors.available(),
            }
        )
        return Response(SummaryOutput(body).data)

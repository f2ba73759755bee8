"""Self-service API: the public 百事通 search."""

from __future__ import annotations

import time

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from tongban.accounts.http import client_ip
from tongban.selfservice import selectors, services


class GuideSearchThrottle(AnonRateThrottle):
    """Per client IP; the search is public and logs weak questions, so it must not be floodable."""

    scope = "guide"
    rate = "120/min"

    def timer(self) -> float:
        # DRF's class attribute ``timer = time.time`` is captured when rest_framework.throttling is first
        # imported: if that happens under freezegun it keeps freezegun's function, which then receives
        # ``self``. Looking the clock up at call time is right in production and under any test clock.
        return time.time()

    def get_ident(self, request: Request) -> str:
        # the proxy-aware address, not DRF's default which trusts any X-Forwarded-For a client sends
        return client_ip(request) or "unknown"


class GuideSearchInput(serializers.Serializer):
    q = serializers.CharField(max_length=200, trim_whitespace=True)
    limit = serializers.IntegerField(min_value=1, max_value=selectors.GUIDE_MAX_LIMIT, default=5)


class GuideResultOutput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["matter", "bundle"])
    code = serializers.CharField()
    name = serializers.CharField()
    score = serializers.FloatField()
    why = serializers.CharField()


class GuideReferralOutput(serializers.Serializer):
    name = serializers.CharField()
    phone = serializers.CharField()
    why = serializers.CharField()


class GuideSearchOutput(serializers.Serializer):
    results = GuideResultOutput(many=True)
    referral = GuideReferralOutput(allow_null=True)


class GuideSearchApi(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [GuideSearchThrottle]

    @extend_schema(
        operation_id="guide_search",
        summary="百事通: answer an everyday question with matters, bundles or a referral",
        parameters=[
            OpenApiParameter("q", str, required=True, description="The question, in everyday Chinese"),
            OpenApiParameter(
                "limit", int, required=False, description="At most this many results (1–20, default 5)"
            ),
        ],
        responses={200: GuideSearchOutput},
        tags=["selfservice"],
        auth=[],
    )
    def get(self, request: Request) -> Response:
        params = GuideSearchInput(data=request.query_params)
        params.is_valid(raise_exception=True)
        q = params.validated_data["q"]
        result = selectors.guide_search(q=q, limit=params.validated_data["limit"])
        services.guide_question_record(question=q, answer=result)
        body = {
            "results": [
                {"kind": h.kind, "code": h.code, "name": h.name, "score": h.score, "why": h.why}
                for h in result.results
            ],
            "referral": (
                {"name": result.referral.name, "phone": result.referral.phone, "why": result.referral.why}
                if result.referral
                else None
            ),
        }
        return Response(GuideSearchOutput(body).data)

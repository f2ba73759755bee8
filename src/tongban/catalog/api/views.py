"""Public catalog API (AllowAny, no authentication): thin views over catalog.selectors."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from tongban.catalog import selectors
from tongban.catalog.models import Bundle

from .serializers import (
    BundleDetailSerializer,
    BundleListQuery,
    BundleListSerializer,
    CenterSerializer,
    MatterDetailQuery,
    MatterDetailSerializer,
    MatterListQuery,
    MatterListSerializer,
    VersionSerializer,
    WindowSerializer,
)

NOT_FOUND = OpenApiResponse(description='{"error": {"code": "catalog.*_not_found", …}}')
CACHE_SECONDS = 60


class PublicCatalogView(APIView):
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        response = super().finalize_response(request, response, *args, **kwargs)
        if response.status_code == 200:
            response["Cache-Control"] = f"public, max-age={CACHE_SECONDS}"
        return response


class MatterListApi(PublicCatalogView):
    @extend_schema(
        operation_id="catalog_matters_list",
        summary="事项搜索 / search matters",
        parameters=[MatterListQuery],
        responses={200: MatterListSerializer},
        tags=["catalog"],
    )
    def get(self, request: Request) -> Response:
        query = MatterListQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        p = query.validated_data
        qs = selectors.matter_search(
            q=p.get("q", ""),
            group=p.get("group"),
            type=p.get("type"),
            department=p.get("department"),
            online=p.get("online"),
        )
        count = qs.count()
        page = list(qs[p["offset"] : p["offset"] + p["limit"]])
        return Response(MatterListSerializer({"count": count, "results": page}).data)


class MatterDetailApi(PublicCatalogView):
    @extend_schema(
        operation_id="catalog_matters_retrieve",
        summary="事项与办事指南 / a matter with its service guide",
        parameters=[MatterDetailQuery],
        responses={200: MatterDetailSerializer, 404: NOT_FOUND},
        tags=["catalog"],
    )
    def get(self, request: Request, code: str) -> Response:
        query = MatterDetailQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        matter = selectors.matter_get(code)
        version = query.validated_data.get("version")
        guide = matter.current_version if version is None else selectors.guide_get(matter, version)
        bundles = list(Bundle.objects.filter(items__matter=matter, active=True).order_by("code"))
        data = MatterDetailSerializer(matter, context={"guide": guide, "bundles": bundles}).data
        return Response(data)


class MatterVersionsApi(PublicCatalogView):
    @extend_schema(
        operation_id="catalog_matters_versions",
        summary="办事指南历史版本 / published guide versions",
        responses={200: VersionSerializer(many=True), 404: NOT_FOUND},
        tags=["catalog"],
    )
    def get(self, request: Request, code: str) -> Response:
        matter = selectors.matter_get(code)
        rows = [
            {
                "version": v.version,
                "published_at": v.published_at,
                "change_note": v.change_note,
                "current": v.pk == matter.current_version_id,
            }
            for v in selectors.guide_versions(matter)
        ]
        return Response(VersionSerializer(rows, many=True).data)


class BundleListApi(PublicCatalogView):
    @extend_schema(
        operation_id="catalog_bundles_list",
        summary="一件事 / bundles",
        parameters=[BundleListQuery],
        responses={200: BundleListSerializer},
        tags=["catalog"],
    )
    def get(self, request: Request) -> Response:
        query = BundleListQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        bundles = list(selectors.bundle_search(q=query.validated_data.get("q", "")))
        return Response(BundleListSerializer({"count": len(bundles), "results": bundles}).data)


class BundleDetailApi(PublicCatalogView):
    @extend_schema(
        operation_id="catalog_bundles_retrieve",
        summary="一件事及合并后的材料清单 / a bundle with its de-duplicated materials",
        responses={200: BundleDetailSerializer, 404: NOT_FOUND},
        tags=["catalog"],
    )
    def get(self, request: Request, code: str) -> Response:
        bundle = selectors.bundle_get(code)
        materials = selectors.bundle_materials(bundle=bundle)
        return Response(BundleDetailSerializer(bundle, context={"materials": materials}).data)


class CenterListApi(PublicCatalogView):
    @extend_schema(
        operation_id="catalog_centers_list",
        summary="服务中心 / service centers",
        responses={200: CenterSerializer(many=True)},
        tags=["catalog"],
    )
    def get(self, request: Request) -> Response:
        return Response(CenterSerializer(selectors.centers_list(), many=True).data)


class CenterDetailApi(PublicCatalogView):
    @extend_schema(
        operation_id="catalog_centers_retrieve",
        summary="服务中心 / a service center",
        responses={200: CenterSerializer, 404: NOT_FOUND},
        tags=["catalog"],
    )
    def get(self, request: Request, code: str) -> Response:
        return Response(CenterSerializer(selectors.center_get(code)).data)


class CenterWindowsApi(PublicCatalogView):
    @extend_schema(
        operation_id="catalog_centers_windows",
        summary="中心的窗口 / windows of a center",
        responses={200: WindowSerializer(many=True), 404: NOT_FOUND},
        tags=["catalog"],
    )
    def get(self, request: Request, code: str) -> Response:
        center = selectors.center_get(code)
        return Response(WindowSerializer(selectors.windows_for_center(center), many=True).data)

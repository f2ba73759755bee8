"""/api/v1/applications…: thin views — parse, look up within the caller's scope, call one service."""

from __future__ import annotations

from typing import Any, ClassVar

from django.db.models import Prefetch
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from tongban.accounts.errors import TwoFactorRequired
from tongban.accounts.http import client_ip
from tongban.accounts.models import Role, User
from tongban.accounts.permissions import two_factor_satisfied
from tongban.applications import services
from tongban.applications.api import fast
from tongban.applications.api import serializers as s
from tongban.applications.errors import ApplicationForbidden, ApplicationNotFound, InvalidInput, UnknownMatter
from tongban.applications.links import progress_url
from tongban.applications.models import Application, ApplicationMaterial, Extension, Review, StatusChange
from tongban.applications.pdf import RENDERERS, render_receipt_pdf
from tongban.applications.selectors import (
    applications_page_rows,
    applications_visible_to,
    review_inbox,
)
from tongban.applications.services.progress import application_progress_lookup
from tongban.catalog.cache import center_by_code, center_by_pk, intake_matter
from tongban.catalog.models import Bundle
from tongban.core.audit import audit_log
from tongban.core.converters import MAX_ID


class SignedInSecondFactor(BasePermission):
    """Signed in; staff also with the second factor when ``STAFF_2FA_REQUIRED`` (tokens count as verified)."""

    def has_permission(self, request: Any, view: Any) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if not two_factor_satisfied(user, request.auth):
            raise TwoFactorRequired()
        return True


class _Base(APIView):
    permission_classes = [SignedInSecondFactor]


ERRORS = {
    400: OpenApiResponse(description="Invalid input (error.code e.g. application.material_missing)"),
    403: OpenApiResponse(description="Not allowed for your role or this case (application.forbidden)"),
    404: OpenApiResponse(description="No such application within your scope"),
    409: OpenApiResponse(description="State or version conflict (application.invalid_transition / .stale)"),
}
TAG = ["applications"]
MAX_PAGE = 100


def _user(request: Request) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def get_application(request: Request, number: str) -> Application:
    app = applications_visible_to(user=_user(request)).filter(number=number).first()
    if app is None:
        raise ApplicationNotFound()
    return app


DETAIL_RELATIONS = {"materials", "history", "reviews", "suspensions", "extensions"}


def detail_queryset() -> Any:
    return Application.objects.select_related(
        "matter", "center", "department", "guide", "applicant", "supplement_notice"
    ).prefetch_related(
        Prefetch("materials", queryset=ApplicationMaterial.objects.order_by("order", "id")),
        Prefetch("history", queryset=StatusChange.objects.order_by("at", "id")),
        Prefetch("reviews", queryset=Review.objects.select_related("department", "application")),
        "suspensions",
        "extensions",
    )


def detail_response(app: Application, status: int = 200) -> Response:
    fresh = detail_queryset().get(pk=app.pk)
    return Response(s.detail_data(fresh), status=status)


class ApplicationListCreateView(_Base):
    @extend_schema(
        tags=TAG,
        summary="List applications in your scope",
        parameters=[
            OpenApiParameter("status", str, description="state filter"),
            OpenApiParameter("q", str, description="number prefix, applicant name prefix or matter name"),
            OpenApiParameter("colour", str, enum=["yellow", "red"], description="deadline colour"),
            OpenApiParameter("limit", int, description=f"≤ {MAX_PAGE}, default 20"),
            OpenApiParameter("offset", int),
        ],
        responses={200: s.ApplicationListOut(many=True)},
    )
    def get(self, request: Request) -> Response:
        try:
            limit = min(max(int(request.query_params.get("limit", 20)), 1), MAX_PAGE)
            offset = max(int(request.query_params.get("offset", 0)), 0)
        except ValueError as exc:
            raise InvalidInput(details={"limit/offset": "integer"}) from exc
        if offset > MAX_ID:  # the database could not take it (SQLite: a 500); no page lies that far anyway
            raise InvalidInput(details={"offset": f"≤ {MAX_ID}"})
        rows = applications_page_rows(
            user=_user(request),
            status=request.query_params.get("status") or None,
            q=request.query_params.get("q") or None,
            colour=request.query_params.get("colour") or None,
            limit=limit,
            offset=offset,
        )
        return Response(s.list_rows(rows))

    @extend_schema(
        tags=TAG,
        summary="Open a draft (a matter, or a bundle = one linked application per matter)",
        request=s.CreateIn,
        responses={201: s.ApplicationDetailOut(many=True), **ERRORS},
    )
    def post(self, request: Request) -> Response:
        v = fast.create_in(request.data)  # a well-formed body without a serializer (fast.py)
        if v is None:
            data = s.CreateIn(data=request.data)
            data.is_valid(raise_exception=True)
            v = data.validated_data
        user = _user(request)
        matter = bundle = None
        if v["matter_code"]:
            matter = intake_matter(v["matter_code"])  # per-process cache (tongban.catalog.cache)
            if matter is None:
                raise UnknownMatter(details={"matter_code": v["matter_code"]})
        if v["bundle_code"]:
            bundle = Bundle.objects.filter(code=v["bundle_code"]).first()
            if bundle is None:
                raise UnknownMatter(details={"bundle_code": v["bundle_code"]})
        if user.role not in (Role.RESIDENT, Role.ENTERPRISE):
            if "applicant" not in v:
                raise InvalidInput(
                    "请提供申请人", "The applicant is required", details={"applicant": "required"}
                )
            if user.role not in (Role.CLERK, Role.MANAGER, Role.ADMIN):
                raise ApplicationForbidden()
        if user.role in (Role.RESIDENT, Role.ENTERPRISE) or v["center_code"]:
            center = center_by_code(v["center_code"])
        else:
            center = center_by_pk(user.center_id) if user.center_id else None
        if center is None:
            raise InvalidInput("受理中心不存在", "Unknown center", details={"center_code": v["center_code"]})
        apps, _ = (
            services.application_intake(  # registering the applicant and opening the case, all or nothing
                actor=user,
                applicant=None if user.role in (Role.RESIDENT, Role.ENTERPRISE) else v["applicant"],
                accept=v["accept"],
                center=center,
                channel=v["channel"],
                matter=matter,
                bundle=bundle,
                delivery=v["delivery"],
                delivery_address=v["delivery_address"],
                materials=[services.MaterialTick(**t) for t in v["materials"]],
                note=v["note"],
            )
        )
        # New cases come back with their relations filled in from what was just written, so the
        # answer needs no re-read (a test compares it with GET /applications/<number>); a bundle's
        # parts, re-locked for acceptance, are read once more with the detail prefetches.
        if not all(getattr(a, "_prefetched_objects_cache", {}).keys() >= DETAIL_RELATIONS for a in apps):
            apps = list(detail_queryset().filter(pk__in=[a.pk for a in apps]).order_by("number"))
        return Response([fast.detail_out(a) for a in apps], status=201)  # = s.detail_data (fast.py)


class ApplicationDetailView(_Base):
    @extend_schema(
        tags=TAG,
        summary="One application with checklist, history and reviews",
        responses={200: s.ApplicationDetailOut, **ERRORS},
    )
    def get(self, request: Request, number: str) -> Response:
        return detail_response(get_application(request, number))


class _ActionView(_Base):
    """POST /applications/<number>/<action>: validate ``input``, call ``act``, answer with the case."""

    input: ClassVar[type[serializers.Serializer]] = s.VersionIn

    def act(self, *, app: Application, actor: User, data: dict[str, Any]) -> Any:
        raise NotImplementedError

    def post(self, request: Request, number: str) -> Response:
        data = self.input(data=request.data)
        data.is_valid(raise_exception=True)
        app = get_application(request, number)
        self.act(app=app, actor=_user(request), data=dict(data.validated_data))
        return detail_response(app)


def _action_schema(summary: str, request: type[serializers.Serializer]) -> Any:
    return extend_schema(
        tags=TAG, summary=summary, request=request, responses={200: s.ApplicationDetailOut, **ERRORS}
    )


class TickMaterialsView(_ActionView):
    input = s.TicksIn

    @_action_schema("Record received materials (shared materials tick every part of a bundle)", s.TicksIn)
    def post(self, request: Request, number: str) -> Response:
        return super().post(request, number)

    def act(self, *, app: Application, actor: User, data: dict[str, Any]) -> Any:
        ticks = [services.MaterialTick(**t) for t in data["materials"]]
        services.application_tick_materials(
            application=app, actor=actor, ticks=ticks, expected_version=data["version"]
        )


class SubmitView(_ActionView):
    @_action_schema("Submit an online/kiosk draft", s.VersionIn)
    def post(self, request: Request, number: str) -> Response:
        return super().post(request, number)

    def act(self, *, app: Application, actor: User, data: dict[str, Any]) -> Any:
        services.application_submit(application=app, actor=actor)


class AcceptView(_ActionView):
    input = s.AcceptIn

    @_action_schema("Accept (受理): all required materials received; starts the clock", s.AcceptIn)
    def post(self, request: Request, number: str) -> Response:
        return super().post(request, number)

    def act(self, *, app: Application, actor: User, data: dict[str, Any]) -> Any:
        services.application_accept(
            application=app, actor=actor, expected_version=data["version"], note=data["note"]
        )


class SupplementRequestView(_ActionView):
    input = s.SupplementRequestIn

    @_action_schema("Issue the one-time supplement notice (once per application)", s.SupplementRequestIn)
    def post(self, request: Request, number: str) -> Response:
        return super().post(request, number)

    def act(self, *, app: Application, actor: User, data: dict[str, Any]) -> Any:
        services.application_request_supplement(
            application=app,
            actor=actor,
            items=[services.SupplementItem(**i) for i in data["items"]],
            note=data["note"],
            expected_version=data["version"],
        )


class SupplementReceivedView(_ActionView):
    @_action_schema("Everything on the notice was brought: back to submitted", s.VersionIn)
    def post(self, request: Request, number: str) -> Response:
        return super().post(request, number)

    def act(self, *, app: Application, actor: User, data: dict[str, Any]) -> Any:
        services.application_supplement_received(
            application=app, actor=actor, expected_version=data["version"]
        )


class RefuseView(_ActionView):
    input = s.RefuseIn

    @_action_schema("Refuse to accept (不予受理) with reason and legal basis", s.RefuseIn)
    def post(self, request: Request, number: str) -> Response:
        return super().post(request, number)

    def act(self, *, app: Application, actor: User, data: dict[str, Any]) -> Any:
        services.application_refuse(
            application=app,
            actor=actor,
            reason=data["reason"],
            legal_basis=data["legal_basis"],
            expected_version=data["version"],
        )


class DecideView(_ActionView):
    input = s.DecideIn

    @_action_schema("Decide (approve/deny) once every department has answered", s.DecideIn)
    def post(self, request: Request, number: str) -> Response:
        return super().post(request, number)

    def act(self, *, app: Application, actor: User, data: dict[str, Any]) -> Any:
        services.application_decide(
            application=app,
            actor=actor,
            outcome=data["outcome"],
            reason=data["reason"],
            expected_version=data["version"],
        )


class ReadyView(_ActionView):
    input = s.ReadyIn

    @_action_schema("Mark ready for delivery (window, cabinet, post)", s.ReadyIn)
    def post(self, request: Request, number: str) -> Response:
        return super().post(request, number)

    def act(self, *, app: Application, actor: User, data: dict[str, Any]) -> Any:
        services.application_mark_ready_for_delivery(
            application=app, actor=actor, method=data["method"], expected_version=data["version"]
        )


class DeliverView(_ActionView):
    input = s.DeliverIn

    @_action_schema("Mark delivered (handed over at the window, by post, or from a cabinet)", s.DeliverIn)
    def post(self, request: Request, number: str) -> Response:
        return super().post(request, number)

    def act(self, *, app: Application, actor: User, data: dict[str, Any]) -> Any:
        services.application_mark_delivered(
            application=app, actor=actor, via=data["via"], proxy=data["proxy"]
        )


class WithdrawView(_ActionView):
    input = s.ReasonIn

    @_action_schema("Withdraw (applicant, or a clerk on the applicant's request)", s.ReasonIn)
    def post(self, request: Request, number: str) -> Response:
        return super().post(request, number)

    def act(self, *, app: Application, actor: User, data: dict[str, Any]) -> Any:
        services.application_withdraw(application=app, actor=actor, reason=data["reason"])


class ContactPhoneView(_ActionView):
    input = s.ContactPhoneIn

    @_action_schema("Correct the case's contact phone (where its SMS notices go)", s.ContactPhoneIn)
    def post(self, request: Request, number: str) -> Response:
        return super().post(request, number)

    def act(self, *, app: Application, actor: User, data: dict[str, Any]) -> Any:
        services.application_set_contact_phone(
            application=app, actor=actor, phone=data["phone"], expected_version=data["version"]
        )


class SuspendView(_ActionView):
    input = s.SuspendIn

    @_action_schema("Suspend the clock (hearing, testing, expert review)", s.SuspendIn)
    def post(self, request: Request, number: str) -> Response:
        return super().post(request, number)

    def act(self, *, app: Application, actor: User, data: dict[str, Any]) -> Any:
        services.application_suspend(application=app, actor=actor, kind=data["kind"], reason=data["reason"])


class ResumeView(_ActionView):
    @_action_schema("Resume the clock; the suspended working days are added to the deadline", s.VersionIn)
    def post(self, request: Request, number: str) -> Response:
        return super().post(request, number)

    def act(self, *, app: Application, actor: User, data: dict[str, Any]) -> Any:
        services.application_resume(application=app, actor=actor)


class ExtensionRequestView(_ActionView):
    input = s.ExtensionIn

    @_action_schema("Request an extension (+N working days, a manager approves)", s.ExtensionIn)
    def post(self, request: Request, number: str) -> Response:
        return super().post(request, number)

    def act(self, *, app: Application, actor: User, data: dict[str, Any]) -> Any:
        services.application_request_extension(
            application=app, actor=actor, days=data["days"], reason=data["reason"]
        )


class ExtensionDecisionView(_Base):
    @extend_schema(
        tags=TAG,
        summary="Approve or reject an extension (manager)",
        request=s.ExtensionDecisionIn,
        responses={200: s.ApplicationDetailOut, **ERRORS},
    )
    def post(self, request: Request, number: str, pk: int) -> Response:
        data = s.ExtensionDecisionIn(data=request.data)
        data.is_valid(raise_exception=True)
        app = get_application(request, number)
        ext = Extension.objects.filter(application=app, pk=pk).first()
        if ext is None:
            raise ApplicationNotFound("延期申请不存在", "No such extension request")
        services.application_extension_decide(
            extension=ext, actor=_user(request), approve=data.validated_data["approve"]
        )
        return detail_response(app)


class AttachmentUploadView(_Base):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        tags=TAG,
        summary="Upload a scanned material (PDF/JPEG/PNG, size-limited)",
        request={"multipart/form-data": s.AttachmentIn},
        responses={201: s.AttachmentOut, **ERRORS},
    )
    def post(self, request: Request, number: str) -> Response:
        data = s.AttachmentIn(data=request.data)
        data.is_valid(raise_exception=True)
        app = get_application(request, number)
        material = None
        if data.validated_data["material_id"]:
            material = ApplicationMaterial.objects.filter(
                application=app, pk=data.validated_data["material_id"]
            ).first()
            if material is None:
                raise InvalidInput(details={"material_id": data.validated_data["material_id"]})
        att = services.attachment_upload(
            application=app, actor=_user(request), upload=data.validated_data["file"], material=material
        )
        return Response(s.AttachmentOut(att).data, status=201)


class DocumentView(_Base):
    @extend_schema(
        tags=TAG,
        summary="A document as PDF: receipt, supplement (one-time notice), refusal, result",
        responses={(200, "application/pdf"): OpenApiTypes.BINARY, **ERRORS},
    )
    def get(self, request: Request, number: str, kind: str) -> HttpResponse:
        renderer = RENDERERS.get(kind)
        if renderer is None:
            raise ApplicationNotFound("没有这种文书", "No such document")
        app = detail_queryset().get(pk=get_application(request, number).pk)
        audit_log(actor=_user(request), action="applications.document.render", obj=app, data={"kind": kind})
        if kind == "receipt":
            body = render_receipt_pdf(app, progress_url=progress_url(request, app))
        else:
            body = renderer(app)
        response = HttpResponse(body, content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{app.number}-{kind}.pdf"'
        return response


class ReviewInboxView(_Base):
    @extend_schema(
        tags=["reviews"],
        summary="Your department's review requests (open first, by due date)",
        parameters=[OpenApiParameter("answered", bool, description="include answered ones")],
        responses={200: s.ReviewOut(many=True), 403: ERRORS[403]},
    )
    def get(self, request: Request) -> Response:
        user = _user(request)
        if user.role not in (Role.REVIEWER, Role.ADMIN):
            raise ApplicationForbidden()
        rows = review_inbox(user=user, include_answered=request.query_params.get("answered") in ("1", "true"))
        return Response(s.ReviewOut(rows[:200], many=True).data)


class ReviewOpinionView(_Base):
    @extend_schema(
        tags=["reviews"],
        summary="Give your department's opinion (agree / agree with conditions / disagree)",
        request=s.OpinionIn,
        responses={200: s.ReviewOut, **ERRORS},
    )
    def post(self, request: Request, pk: int) -> Response:
        data = s.OpinionIn(data=request.data)
        data.is_valid(raise_exception=True)
        user = _user(request)
        review = review_inbox(user=user, include_answered=True).filter(pk=pk).first()
        if review is None:
            raise ApplicationNotFound("审查请求不存在", "No such review request")
        services.review_give_opinion(review=review, actor=user, **data.validated_data)
        return Response(
            s.ReviewOut(Review.objects.select_related("department", "application").get(pk=pk)).data
        )


class ProgressView(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(
        tags=TAG,
        summary="Public progress look-up by receipt number + last 4 of the ID number",
        parameters=[
            OpenApiParameter("number", str, required=True),
            OpenApiParameter("id_last4", str, required=True),
        ],
        responses={
            200: s.ProgressOut,
            404: ERRORS[404],
            429: inline_serializer("RateLimitedOut", {"error": serializers.DictField()}),
        },
    )
    def get(self, request: Request) -> Response:
        p = application_progress_lookup(
            number=request.query_params.get("number", ""),
            id_last4=request.query_params.get("id_last4", ""),
            client_key=client_ip(request) or "unknown",
        )
        return Response(s.ProgressOut(p.__dict__).data)

"""一网通办 resident portal (phone first): catalog, service guide as a checklist, apply online, my cases."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.files.uploadedfile import UploadedFile
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from tongban.accounts.models import Role
from tongban.catalog.models import Center
from tongban.core.crypto import mask_phone
from tongban.core.errors import NotFound, TongbanError
from tongban.selfservice import selectors, services
from tongban.selfservice.integrations import APPLICATIONS_ONLINE, available, optional
from tongban.selfservice.uploads import validate_upload
from tongban.selfservice.views.common import (
    cabinet_items,
    error_text,
    guide_context,
    progress_url,
    url_or_none,
)

RESIDENT_ROLES = (Role.RESIDENT, Role.ENTERPRISE)


def _login_url(request: HttpRequest) -> str | None:
    base = url_or_none("accounts:resident-login")
    return f"{base}?{urlencode({'next': request.get_full_path()})}" if base else None


def _resident_or_login(request: HttpRequest) -> HttpResponse | None:
    """None when a resident is signed in; otherwise the response to send (login, or an explanation)."""
    if request.user.is_authenticated and getattr(request.user, "role", None) in RESIDENT_ROLES:
        return None
    if request.user.is_authenticated:
        return render(
            request,
            "selfservice/portal/not_resident.html",
            {"login_url": _login_url(request)},
            status=403,
        )
    login = _login_url(request)
    if login:
        return redirect(login)
    return render(request, "selfservice/portal/not_yet.html", {"what": _("居民登录")}, status=503)


def _base(request: HttpRequest) -> dict[str, Any]:
    return {
        "login_url": _login_url(request),
        "online_available": available(*APPLICATIONS_ONLINE),
        "appointments_url": url_or_none("queueing:appointments"),
        "is_resident": request.user.is_authenticated
        and getattr(request.user, "role", None) in RESIDENT_ROLES,
    }


def home(request: HttpRequest) -> HttpResponse:
    q = (request.GET.get("q") or "").strip()[:200]
    groups, matters, bundles = selectors.portal_catalog()
    context = (
        _base(request)
        | guide_context(request, q)
        | {"groups": groups, "matters": matters, "bundles": bundles}
    )
    return render(request, "selfservice/portal/home.html", context)


def matter_detail(request: HttpRequest, code: str) -> HttpResponse:
    try:
        matter = selectors.portal_matter_get(code=code)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    guide = matter.current_version
    return render(
        request, "selfservice/portal/matter.html", _base(request) | {"matter": matter, "guide": guide}
    )


def bundle_detail(request: HttpRequest, code: str) -> HttpResponse:
    try:
        bundle, matters, materials = selectors.portal_bundle_get(code=code)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    return render(
        request,
        "selfservice/portal/bundle.html",
        _base(request) | {"bundle": bundle, "matters": matters, "materials": materials},
    )


# --- apply online ------------------------------------------------------------------------------------

DELIVERY_LABELS = {
    "window": _("窗口领取"),
    "cabinet": _("智能文件柜自取（24小时）"),
    "post": _("邮寄送达"),
}


def _centers() -> list[Center]:
    return list(Center.objects.order_by("code"))


def _apply(request: HttpRequest, *, kind: str, code: str) -> HttpResponse:
    need_login = _resident_or_login(request)
    if need_login is not None:
        return need_login
    try:
        if kind == "bundle":
            bundle, matters, shared = selectors.portal_bundle_get(code=code)
            subject: Any = bundle
            materials = [
                {"type_id": m.material_type_id, "name": m.name, "required": m.required} for m in shared
            ]
            delivery = ["window", "cabinet", "post"]
        else:
            matter = selectors.portal_matter_get(code=code)
            subject = matter
            guide = matter.current_version
            assert guide is not None
            if not guide.online:
                return render(request, "selfservice/portal/not_online.html", {"matter": matter}, status=409)
            materials = [
                {"type_id": m.material_type_id, "name": m.name, "required": m.required}
                for m in guide.materials.all()
            ]
            delivery = [d for d in guide.delivery_options if d in DELIVERY_LABELS] or ["window"]
    except NotFound as exc:
        raise Http404(exc.message) from exc
    if not available(*APPLICATIONS_ONLINE):
        return render(request, "selfservice/portal/not_yet.html", {"what": _("网上申请")}, status=503)
    centers = _centers()
    context = {
        "kind": kind,
        "subject": subject,
        "materials": materials,
        "delivery": [(d, DELIVERY_LABELS[d]) for d in delivery],
        "centers": centers,
        "max_mb": int(settings.UPLOAD_MAX_BYTES) // (1024 * 1024),
        "errors": {},
        "values": {},
    }
    if request.method != "POST":
        return render(request, "selfservice/portal/apply.html", context)

    errors: dict[str, str] = {}
    uploads: dict[int, Any] = {}
    for m in materials:
        f = request.FILES.get(f"material-{m['type_id']}")
        if f is None:
            continue
        try:
            validate_upload(f)
        except TongbanError as exc:
            errors[f"material-{m['type_id']}"] = m["error"] = error_text(exc)
        else:
            uploads[int(str(m["type_id"]))] = f
    center = next((c for c in centers if str(c.pk) == request.POST.get("center")), None)
    if center is None:
        errors["center"] = _("请选择办理中心")
    method = request.POST.get("delivery", "")
    if method not in dict(context["delivery"]):
        errors["delivery"] = _("请选择领取方式")
    address = (request.POST.get("address") or "").strip()[:300]
    if method == "post" and not address:
        errors["address"] = _("邮寄送达须填写地址")
    submit = request.POST.get("action") == "submit"
    if submit:  # a draft may wait for its files; a submission must bring every required one, and says which
        missing = [m for m in materials if m["required"] and int(str(m["type_id"])) not in uploads]
        for m in missing:
            errors.setdefault(f"material-{m['type_id']}", _("请上传此项必需材料"))
            m.setdefault("error", _("请上传此项必需材料"))
        if missing:
            errors["form"] = _("还缺 %(n)d 项必需材料：%(names)s。请上传后再提交，或先保存草稿。") % {
                "n": len(missing),
                "names": "、".join(str(m["name"]) for m in missing),
            }
    if not errors:
        try:
            created = services.portal_apply(
                actor=request.user,  # type: ignore[arg-type]
                center=center,  # type: ignore[arg-type]
                matter=subject if kind == "matter" else None,
                bundle=subject if kind == "bundle" else None,
                delivery=method,
                delivery_address=address,
                uploads=uploads,
                submit=submit,
            )
        except TongbanError as exc:
            errors["form"] = error_text(exc)
        else:
            messages.success(
                request, _("已提交申请，请留意短信通知") if submit else _("草稿已保存，可随时继续填写并提交")
            )
            return redirect("selfservice:portal-case", pk=created[0].pk)
    context["errors"] = errors
    context["values"] = {"center": request.POST.get("center"), "delivery": method, "address": address}
    return render(request, "selfservice/portal/apply.html", context, status=400)


def apply_matter(request: HttpRequest, code: str) -> HttpResponse:
    return _apply(request, kind="matter", code=code)


def apply_bundle(request: HttpRequest, code: str) -> HttpResponse:
    return _apply(request, kind="bundle", code=code)


# --- my cases ----------------------------------------------------------------------------------------


def my_cases(request: HttpRequest) -> HttpResponse:
    need_login = _resident_or_login(request)
    if need_login is not None:
        return need_login
    mine = optional("tongban.applications.selectors", "applications_for_applicant")
    if mine is None:
        return render(request, "selfservice/portal/not_yet.html", {"what": _("我的办件")}, status=503)
    cases = list(mine(user=request.user)[:100])
    return render(request, "selfservice/portal/cases.html", _base(request) | {"cases": cases})


def _my_case(request: HttpRequest, pk: int) -> Any:
    detail = optional("tongban.applications.selectors", "application_detail")
    if detail is None:
        raise Http404("not available yet")
    try:
        app = detail(user=request.user, pk=pk)
    except TongbanError as exc:
        raise Http404(exc.message) from exc
    if app.applicant_id != request.user.pk:  # belt and braces: a resident sees only their own case
        raise Http404("not found")
    return app


def _material_uploads(request: HttpRequest) -> dict[int, UploadedFile]:
    out: dict[int, UploadedFile] = {}
    for key in request.FILES:
        suffix = key.removeprefix("material-")
        upload = request.FILES.get(key)
        if key.startswith("material-") and suffix.isdigit() and isinstance(upload, UploadedFile):
            out[int(suffix)] = upload
    return out


def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    need_login = _resident_or_login(request)
    if need_login is not None:
        return need_login
    app = _my_case(request, pk)
    if request.method == "POST" and request.POST.get("action") == "rate":
        try:
            return redirect(services.portal_rating_link(actor=request.user, application=app))  # type: ignore[arg-type]
        except TongbanError as exc:
            messages.error(request, error_text(exc))
            return redirect("selfservice:portal-case", pk=app.pk)
    if request.method == "POST" and request.POST.get("action") == "cabinet_resend":
        _cabinet_resend(request, app)
        return redirect("selfservice:portal-case", pk=app.pk)
    if request.method == "POST":
        try:
            services.portal_case_action(
                actor=request.user,  # type: ignore[arg-type]
                application=app,
                action=request.POST.get("action", ""),
                uploads=_material_uploads(request),
            )
        except TongbanError as exc:
            messages.error(request, error_text(exc))
        else:
            messages.success(request, _("已完成"))
        return redirect("selfservice:portal-case", pk=app.pk)
    context = _base(request) | {
        "case": app,
        "documents": selectors.portal_documents(application=app),
        "can_rate": selectors.portal_rating_available(application=app),
        "max_mb": int(settings.UPLOAD_MAX_BYTES) // (1024 * 1024),
        "can_upload": app.status in ("draft", "submitted", "supplement"),
        "cabinet_dropoff_url": url_or_none("cabinet:home"),
        "cabinet_items": cabinet_items(app),
    }
    return render(request, "selfservice/portal/case.html", context)


def _cabinet_resend(request: HttpRequest, app: Any) -> None:
    """Send the code of one of the case's cabinet items again (to the phone it was registered with)."""
    resend = optional("tongban.cabinet.services", "item_resend_code")
    reference = request.POST.get("item", "")
    own = next((o for o in cabinet_items(app) if str(o.item.reference) == reference), None)
    if resend is None or own is None:
        messages.error(request, _("没有找到这件材料，它可能已经取走或已由窗口收回。"))
        return
    try:
        resend(item=own.item, actor=request.user)
    except TongbanError as exc:
        messages.error(request, error_text(exc))
        return
    phone = {"phone": mask_phone(own.item.phone)}
    if own.item.kind == "dropoff":
        messages.success(request, _("新的投递码已短信发送到 %(phone)s，原来的码已失效。") % phone)
    else:
        messages.success(request, _("新的取件码已短信发送到 %(phone)s，原来的码已失效。") % phone)


def case_pdf(request: HttpRequest, pk: int, kind: str) -> HttpResponseBase:
    need_login = _resident_or_login(request)
    if need_login is not None:
        return need_login
    app = _my_case(request, pk)
    data = selectors.portal_case_pdf(application=app, kind=kind, progress_url=progress_url(request, app))
    if data is None:
        raise Http404("no such document")
    from io import BytesIO

    return FileResponse(BytesIO(data), content_type="application/pdf", filename=f"{app.number}-{kind}.pdf")


def appointments(request: HttpRequest) -> HttpResponse:
    need_login = _resident_or_login(request)
    if need_login is not None:
        return need_login
    queue_url = url_or_none("queueing:appointments")
    if queue_url is None:
        return render(request, "selfservice/portal/not_yet.html", {"what": _("网上预约")}, status=503)
    return redirect(queue_url)  # booking, changing and cancelling live with the queue

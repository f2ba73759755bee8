"""Pages: window workbench, case page, department review inbox, manager board, public progress.

Thin: each POST parses the form, calls one service and shows the service's own
message (Chinese first) when it refuses.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext, gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from tongban.accounts.http import client_ip
from tongban.accounts.models import Role, User
from tongban.accounts.permissions import staff_required
from tongban.applications import services
from tongban.applications.errors import ApplicationNotFound
from tongban.applications.links import progress_url
from tongban.applications.models import (
    Application,
    ApplicationMaterial,
    DeliveryMethod,
    Outcome,
    Review,
    Status,
    Suspension,
)
from tongban.applications.pdf import RENDERERS, render_receipt_pdf
from tongban.applications.plugins.idcard import get_reader
from tongban.applications.selectors import (
    application_deadline_ex,
    applications_board,
    applications_list,
    applications_visible_to,
    intake_option,
    intake_search,
    review_inbox,
)
from tongban.applications.services.intake import CONTACT_PHONE_STATES
from tongban.applications.services.progress import application_progress_lookup
from tongban.core.audit import audit_log
from tongban.core.crypto import mask_id_number, mask_phone
from tongban.core.errors import TongbanError, ValidationError

CENTER_STAFF = (Role.CLERK, Role.MANAGER, Role.ADMIN)
# history rows that do not change the state say what happened
HISTORY_LABELS = {
    "reviews_complete": gettext_lazy("部门意见已全部反馈"),
    "extend": gettext_lazy("延期已批准"),
    "contact_phone": gettext_lazy("本件联系电话已更正"),
}
# what the case page says after each button
DONE_MESSAGES = {
    "tick": gettext_lazy("材料已保存"),
    "accept": gettext_lazy("已受理，可打印受理回执"),
    "supplement": gettext_lazy("已出具一次性告知书"),
    "supplement_received": gettext_lazy("补正材料已收齐"),
    "refuse": gettext_lazy("已作不予受理"),
    "decide": gettext_lazy("已办结"),
    "ready": gettext_lazy("已标记待领取/待送达"),
    "deliver": gettext_lazy("已送达"),
    "suspend": gettext_lazy("已中止计时"),
    "resume": gettext_lazy("已恢复计时"),
    "extend": gettext_lazy("延期申请已提交，待负责人审批"),
    "extension_approve": gettext_lazy("已批准延期"),
    "extension_reject": gettext_lazy("已驳回延期申请"),
    "withdraw": gettext_lazy("已撤回"),
    "contact_phone": gettext_lazy("本件联系电话已更正"),
}
View = Callable[..., HttpResponse]


def staff_only(*roles: str) -> Callable[[View], View]:
    """Staff pages: the accounts decorator (sign-in, role, second factor when required)."""
    return cast(Callable[[View], View], staff_required(roles=roles))


def _error_text(err: TongbanError) -> str:
    """The service's own message in the page's language (services carry Chinese and English)."""
    return err.message_en if (get_language() or "").startswith("en") else err.message


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _case(request: HttpRequest, number: str) -> Application:
    app = (
        applications_visible_to(user=_user(request))
        .select_related("matter", "center", "department", "guide", "applicant", "handler", "bundle_case")
        .filter(number=number)
        .first()
    )
    if app is None:
        raise Http404
    return app


# --- workbench ----------------------------------------------------------------------


@require_GET
@staff_only(*CENTER_STAFF)
def workbench(request: HttpRequest) -> HttpResponse:
    return _workbench_page(request)


def _workbench_page(
    request: HttpRequest, *, intake: dict[str, object] | None = None, status: int = 200
) -> HttpResponse:
    """The workbench; after a refused intake, with the clerk's entries (``intake``) back in the form so that
    nothing has to be typed again. The entries go back in the page, never into a URL: an ID number must
    not reach an address bar, a history or an access log."""
    user = _user(request)
    # What still needs the window: a delivered case is done (its archiving is no one's errand), as is a
    # refused or withdrawn one; listing them pushed the live cases off the page.
    done = (Status.DELIVERED, Status.CLOSED, Status.WITHDRAWN, Status.REFUSED)
    open_cases = applications_list(user=user).filter(status__in=[s.value for s in Status if s not in done])
    if user.role == Role.CLERK:
        open_cases = open_cases.filter(handler=user)
    # Cases still at intake (no clock yet: waiting for acceptance or a supplement) first, then the
    # nearest deadline: the clerk always sees what needs them now at the top.
    cases = list(open_cases.order_by(F("due_date").asc(nulls_first=True), "-created_at", "-id")[:50])
    rows = [(app, application_deadline_ex(application=app, ongoing_days=0)) for app in cases]
    return render(
        request,
        "applications/workbench.html",
        {
            "rows": rows,
            "delivery_choices": DeliveryMethod.choices,
            "q": request.GET.get("q", ""),
            "intake": intake or {},
        },
        status=status,
    )


@require_GET
@staff_only(*CENTER_STAFF)
def matter_search(request: HttpRequest) -> HttpResponse:
    results = intake_search(q=request.GET.get("q", ""))
    return render(request, "applications/_matter_options.html", {"results": results})


@require_GET
@staff_only(*CENTER_STAFF)
def idcard_read(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    try:
        card = get_reader().read(window_id=user.default_window_id)
    except TongbanError as err:
        return render(request, "applications/_applicant_fields.html", {"error": _error_text(err)})
    audit_log(
        actor=user, action="applications.idcard.read", data={"id_masked": mask_id_number(card.id_number)}
    )
    return render(request, "applications/_applicant_fields.html", {"card": card})


@require_POST
@staff_only(*CENTER_STAFF)
def intake(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    post = request.POST
    target = intake_option(post.get("target", ""))
    try:
        if target is None:
            raise ValidationError("请选择要办理的事项或一件事", "Choose a matter or a bundle")
        if user.center is None:
            raise PermissionDenied
        apps, contact_phone = services.application_intake(
            actor=user,
            applicant={k: post.get(k, "") for k in ("id_number", "name", "phone")},
            center=user.center,
            channel="window",
            matter=target.matter,
            bundle=target.bundle,
            delivery=post.get("delivery", DeliveryMethod.WINDOW),
            delivery_address=post.get("delivery_address", ""),
        )
    except TongbanError as err:
        messages.error(request, _error_text(err))
        entries = {
            k: post.get(k, "")[:300] for k in ("id_number", "name", "phone", "delivery", "delivery_address")
        }
        return _workbench_page(
            request, intake={**entries, "targets": [target] if target else []}, status=err.status_code
        )
    if contact_phone:
        messages.info(
            request,
            gettext("本件短信通知发往 %(phone)s（不是申请人本人的登录手机号）")
            % {"phone": mask_phone(contact_phone)},
        )
    return redirect("applications:detail", number=apps[0].number)


# --- the case page ----------------------------------------------------------------------


@require_GET
@staff_only(*CENTER_STAFF, Role.REVIEWER, Role.SUPERVISOR)
def detail(request: HttpRequest, number: str) -> HttpResponse:
    user = _user(request)
    app = _case(request, number)
    materials = list(app.materials.order_by("order", "id"))
    history = list(app.history.order_by("at", "id"))
    for h in history:
        h.label = HISTORY_LABELS.get(h.action) or h.get_to_status_display()  # type: ignore[attr-defined]
    reviews = list(app.reviews.select_related("department", "reviewer"))
    parts = (
        list(
            Application.objects.filter(bundle_case_id=app.bundle_case_id)
            .select_related("matter")
            .order_by("number")
        )
        if app.bundle_case_id
        else []
    )
    notice = getattr(app, "supplement_notice", None) if app.status != Status.DRAFT else None
    context = {
        "app": app,
        "deadline": application_deadline_ex(application=app),
        "materials": materials,
        "history": history,
        "reviews": reviews,
        "reviews_open": any(r.answered_at is None for r in reviews),
        "parts": parts,
        "notice": notice,
        "suspensions": list(app.suspensions.all()),
        "extensions": list(app.extensions.all()),
        "pending_extension": next((e for e in app.extensions.all() if e.state == "requested"), None),
        "applicant_id_masked": mask_id_number(app.applicant.id_number) if app.applicant.id_number else "",
        "contact_phone_masked": mask_phone(app.contact_phone),
        "contact_phone_editable": user.role in CENTER_STAFF and app.status in CONTACT_PHONE_STATES,
        "material_states": ApplicationMaterial.State.choices,
        "delivery_choices": DeliveryMethod.choices,
        "outcome_choices": Outcome.choices,
        "suspension_kinds": Suspension.Kind.choices,
        "is_center_staff": user.role in CENTER_STAFF,
        "is_manager": user.role in (Role.MANAGER, Role.ADMIN),
        "today": timezone.localdate(),
    }
    return render(request, "applications/detail.html", context)


def _ticks_from_post(request: HttpRequest, app: Application) -> list[services.MaterialTick]:
    ticks = []
    for row in app.materials.all():
        state = request.POST.get(f"state_{row.pk}")
        if state is None:
            continue
        ticks.append(
            services.MaterialTick(
                material_type_id=row.material_type_id,
                state=state,
                problem=request.POST.get(f"problem_{row.pk}", ""),
            )
        )
    return ticks


@require_POST
@staff_only(*CENTER_STAFF)
def act(request: HttpRequest, number: str) -> HttpResponse:
    """One form target for the case page's buttons; ``action`` picks the one service to call."""
    app = _case(request, number)
    user = _user(request)
    post = request.POST
    action = post.get("action", "")
    version = int(post["version"]) if post.get("version", "").isdigit() else None
    try:
        if action in ("tick", "accept", "supplement"):
            ticks = _ticks_from_post(request, app)
            if ticks:
                services.application_tick_materials(
                    application=app, actor=user, ticks=ticks, expected_version=version
                )
                version = None  # the tick bumped it; we hold no stale copy from here on
        case = app.bundle_case
        if action == "accept" and case is not None:
            services.bundle_case_accept(bundle_case=case, actor=user)
        elif action == "accept":
            services.application_accept(application=app, actor=user, expected_version=version)
        elif action == "supplement" and case is not None:
            services.bundle_case_request_supplement(bundle_case=case, actor=user, note=post.get("note", ""))
        elif action == "supplement":
            services.application_request_supplement(
                application=app, actor=user, items=[], note=post.get("note", ""), expected_version=version
            )
        elif action == "supplement_received" and case is not None:
            services.bundle_case_supplement_received(bundle_case=case, actor=user)
        elif action == "supplement_received":
            services.application_supplement_received(application=app, actor=user, expected_version=version)
        elif action == "refuse":
            services.application_refuse(
                application=app,
                actor=user,
                reason=post.get("reason", ""),
                legal_basis=post.get("legal_basis", ""),
                expected_version=version,
            )
        elif action == "decide":
            services.application_decide(
                application=app,
                actor=user,
                outcome=post.get("outcome", ""),
                reason=post.get("reason", ""),
                expected_version=version,
            )
        elif action == "ready":
            services.application_mark_ready_for_delivery(
                application=app, actor=user, method=post.get("method", ""), expected_version=version
            )
        elif action == "deliver":
            services.application_mark_delivered(
                application=app, actor=user, via="window", proxy=post.get("proxy") == "1"
            )
        elif action == "suspend":
            services.application_suspend(
                application=app, actor=user, kind=post.get("kind", ""), reason=post.get("reason", "")
            )
        elif action == "resume":
            services.application_resume(application=app, actor=user)
        elif action == "extend":
            days = int(post["days"]) if post.get("days", "").isdigit() else 0
            services.application_request_extension(
                application=app, actor=user, days=days, reason=post.get("reason", "")
            )
        elif action in ("extension_approve", "extension_reject"):
            ext = app.extensions.filter(pk=post.get("extension", "0") or 0).first()
            if ext is None:
                raise ApplicationNotFound()
            services.application_extension_decide(
                extension=ext, actor=user, approve=action == "extension_approve"
            )
        elif action == "withdraw":
            services.application_withdraw(application=app, actor=user, reason=post.get("reason", ""))
        elif action == "contact_phone":
            services.application_set_contact_phone(
                application=app, actor=user, phone=post.get("contact_phone", ""), expected_version=version
            )
        elif action != "tick":
            messages.error(request, gettext("未知操作"))
            return redirect("applications:detail", number=number)
    except TongbanError as err:
        messages.error(request, _error_text(err))
        return redirect("applications:detail", number=number)
    messages.success(request, str(DONE_MESSAGES[action]))
    return redirect("applications:detail", number=number)


@require_GET
@staff_only(*CENTER_STAFF, Role.REVIEWER, Role.SUPERVISOR)
def document(request: HttpRequest, number: str, kind: str) -> HttpResponse:
    user = _user(request)
    app = _case(request, number)
    renderer = RENDERERS.get(kind)
    if renderer is None:
        raise Http404
    audit_log(actor=user, action="applications.document.render", obj=app, data={"kind": kind})
    try:
        body = (
            render_receipt_pdf(app, progress_url=progress_url(request, app))
            if kind == "receipt"
            else renderer(app)
        )
    except TongbanError as err:
        messages.error(request, _error_text(err))
        return redirect("applications:detail", number=number)
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{app.number}-{kind}.pdf"'
    return response


# --- department review inbox ------------------------------------------------------------------


@require_GET
@staff_only(Role.REVIEWER, Role.ADMIN)
def review_inbox_page(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    show_answered = request.GET.get("answered") == "1"
    reviews = list(review_inbox(user=user, include_answered=show_answered)[:200])
    return render(
        request,
        "applications/review_inbox.html",
        {
            "reviews": reviews,
            "show_answered": show_answered,
            "opinions": Review.Opinion.choices,
            "today": timezone.localdate(),
        },
    )


@require_POST
@staff_only(Role.REVIEWER, Role.ADMIN)
def review_opinion(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    review = review_inbox(user=user, include_answered=True).filter(pk=pk).first()
    if review is None:
        raise Http404
    try:
        services.review_give_opinion(
            review=review,
            actor=user,
            opinion=request.POST.get("opinion", ""),
            text=request.POST.get("text", ""),
            attachments=request.FILES.getlist("attachments"),
        )
    except TongbanError as err:
        messages.error(request, _error_text(err))
    else:
        messages.success(
            request, gettext("已提交对 %(number)s 的意见") % {"number": review.application.number}
        )
    return redirect("applications:review-inbox")


# --- manager board -------------------------------------------------------------------------


@require_GET
@staff_only(Role.MANAGER, Role.ADMIN, Role.SUPERVISOR, Role.CLERK)
def board(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    today = timezone.localdate()
    colour = request.GET.get("colour") or "red"
    cells = applications_board(user=user, today=today)
    flagged = list(applications_list(user=user, colour=colour, today=today).order_by("due_date", "id")[:100])
    rows = [(app, application_deadline_ex(application=app, today=today, ongoing_days=0)) for app in flagged]
    late_reviews = list(
        Review.objects.filter(
            application__in=applications_visible_to(user=user),
            answered_at__isnull=True,
            due_date__lt=today,
        )
        .select_related("department", "application")
        .order_by("due_date")[:50]
    )
    return render(
        request,
        "applications/board.html",
        {"cells": cells, "rows": rows, "colour": colour, "late_reviews": late_reviews, "today": today},
    )


# --- public progress page -------------------------------------------------------------------


@require_GET
def progress(request: HttpRequest) -> HttpResponse:
    number = request.GET.get("number", "").strip()
    last4 = request.GET.get("id_last4", "").strip()
    result = error = None
    if number and last4:
        try:
            result = application_progress_lookup(
                number=number, id_last4=last4, client_key=client_ip(request) or "unknown"
            )
        except TongbanError as err:
            error = _error_text(err)
    return render(
        request,
        "applications/progress.html",
        {"number": number, "result": result, "error": error, "action": reverse("applications:progress")},
    )

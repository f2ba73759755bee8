"""好差评 pages: the window rating pad, SMS link pages, and the manager's / reviewer's / clerk's screens."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, timedelta
from functools import wraps
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from tongban.accounts.http import client_ip as accounts_client_ip
from tongban.accounts.models import Role, User
from tongban.catalog.models import Center, Window
from tongban.core.errors import NotFound, TongbanError
from tongban.ratings import selectors, services
from tongban.ratings.api.views import client_ip, export_response
from tongban.ratings.models import INDICATORS, Appeal, Level, Rating, ServiceEvent, WorkOrder

LEVELS = [  # the labels are the levels' own (translated)
    (5, Level.VERY_SATISFIED.label, "bi-emoji-laughing", "success"),
    (4, Level.SATISFIED.label, "bi-emoji-smile", "success"),
    (3, Level.BASIC.label, "bi-emoji-neutral", "secondary"),
    (2, Level.UNSATISFIED.label, "bi-emoji-frown", "warning"),
    (1, Level.VERY_UNSATISFIED.label, "bi-emoji-angry", "danger"),
]


def _user(request: HttpRequest) -> User:
    """The signed-in staff member (views using it are behind login_required)."""
    return cast(User, request.user)


def _staff_page(roles: Collection[str]) -> Any:
    def decorator(view: Any) -> Any:
        @login_required
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if getattr(request.user, "role", None) not in roles:
                return render(request, "ratings/forbidden.html", status=403)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def _period(request: HttpRequest) -> tuple[date, date]:
    today = timezone.localdate()
    try:
        date_to = date.fromisoformat(request.GET.get("to") or today.isoformat())
        date_from = date.fromisoformat(request.GET.get("from") or (date_to - timedelta(days=29)).isoformat())
    except ValueError:
        date_from, date_to = today - timedelta(days=29), today
    return min(date_from, date_to), date_to


def _rating_input(request: HttpRequest, channel: str) -> services.RatingInput:
    try:
        level = int(request.POST.get("level", ""))
    except ValueError:
        level = 0
    indicators: dict[str, int] = {}
    for code, _label in INDICATORS[channel]:
        raw = request.POST.get(f"ind_{code}")
        if raw and raw.isdigit():
            indicators[code] = int(raw)
    return services.RatingInput(level=level, indicators=indicators, comment=request.POST.get("comment", ""))


# --- the window pad (no login, touch) --------------------------------------------


def pad_home(request: HttpRequest) -> HttpResponse:
    """Set-up screen: choose the center and window this pad stands at (done once by staff)."""
    centers = Center.objects.prefetch_related("windows").order_by("code")
    return render(request, "ratings/pad_home.html", {"centers": centers})


def _pad_allowed(request: HttpRequest, window: Window) -> bool:
    return selectors.pad_allowed(window=window, ip=accounts_client_ip(request) or "")


def _pad_refused(request: HttpRequest) -> HttpResponse:
    return render(request, "ratings/pad_refused.html", status=403)


def pad_window(request: HttpRequest, window_id: int) -> HttpResponse:
    window = get_object_or_404(Window.objects.select_related("center"), pk=window_id, active=True)
    if not _pad_allowed(request, window):
        return _pad_refused(request)
    return render(request, "ratings/pad.html", {"window": window, **_pad_context(window)})


def pad_current(request: HttpRequest, window_id: int) -> HttpResponse:
    """The htmx-polled panel: the ticket to rate, or the idle screen."""
    window = get_object_or_404(Window.objects.select_related("center"), pk=window_id, active=True)
    if not _pad_allowed(request, window):
        return _pad_refused(request)
    return render(request, "ratings/_pad_panel.html", {"window": window, **_pad_context(window)})


def _pad_context(window: Window) -> dict[str, Any]:
    services.pad_sync_window(window=window)
    event = selectors.pad_current_event(window=window)
    return {
        "event": event,
        "levels": LEVELS,
        "indicators": INDICATORS[event.channel] if event else [],
    }


@require_POST
def pad_submit(request: HttpRequest, window_id: int) -> HttpResponse:
    window = get_object_or_404(Window.objects.select_related("center"), pk=window_id, active=True)
    if not _pad_allowed(request, window):
        return _pad_refused(request)
    event = ServiceEvent.objects.filter(pk=request.POST.get("event") or 0, window=window).first()
    if event is not None and selectors.pad_superseded(event):
        # the form was left on the screen while the window called the next person: that person did not have
        # the service the form asks about
        event = None
    if event is None:
        return render(
            request,
            "ratings/_pad_panel.html",
            {"window": window, "error": "该号已无法评价", **_pad_context(window)},
        )
    try:
        rating = services.rating_submit(
            event=event,
            data=_rating_input(request, event.channel),
            source=Rating.Source.PAD,
            client_key=f"pad:{client_ip(request)}",
        )
    except TongbanError as exc:
        ctx = {"window": window, "error": exc.message, **_pad_context(window)}
        return render(
            request,
            "ratings/_pad_panel.html",
            ctx,
            status=200 if request.headers.get("HX-Request") else exc.status_code,
        )
    return render(request, "ratings/_pad_thanks.html", {"window": window, "rating": rating})


# --- SMS links (no login, phone) -------------------------------------------------------


@require_http_methods(["GET", "POST"])
def link_rate(request: HttpRequest, token: str) -> HttpResponse:
    try:
        event = services.rating_link_resolve(token=token)
    except TongbanError as exc:
        return render(request, "ratings/link_message.html", {"message": exc.message}, status=exc.status_code)
    already = Rating.objects.filter(event=event).exists()
    error = ""
    if request.method == "POST" and not already:
        try:
            rater = request.user if request.user.is_authenticated else None
            services.rating_submit_with_token(
                token=token,
                data=_rating_input(request, event.channel),
                rater=rater,
                client_key=client_ip(request),
            )
        except TongbanError as exc:
            error = exc.message
        else:
            return render(request, "ratings/link_message.html", {"message": "感谢您的评价！", "ok": True})
    return render(
        request,
        "ratings/link_rate.html",
        {
            "event": event,
            "already": already,
            "levels": LEVELS,
            "indicators": INDICATORS[event.channel],
            "error": error,
        },
    )


@require_http_methods(["GET", "POST"])
def follow_up(request: HttpRequest, token: str) -> HttpResponse:
    try:
        order = services.follow_up_resolve(token=token)
    except TongbanError as exc:
        return render(request, "ratings/link_message.html", {"message": exc.message}, status=exc.status_code)
    error = ""
    if request.method == "POST":
        try:
            level = int(request.POST.get("level", "0") or 0)
            services.work_order_follow_up(
                token=token,
                level=level,
                comment=request.POST.get("comment", ""),
                client_key=client_ip(request),
            )
        except (TongbanError, ValueError) as exc:
            error = getattr(exc, "message", "请选择评价等级")
        else:
            return render(
                request, "ratings/link_message.html", {"message": "感谢您对整改结果的评价！", "ok": True}
            )
    last_note = order.steps.filter(kind="reported").values_list("note", flat=True).last()
    return render(
        request,
        "ratings/follow_up.html",
        {"order": order, "levels": LEVELS, "error": error, "report": last_note or ""},
    )


# --- manager: ratings, work orders ------------------------------------------------------

MANAGERS: set[str] = {Role.MANAGER, Role.ADMIN, Role.SUPERVISOR}


@_staff_page(MANAGERS)
def ratings_index(request: HttpRequest) -> HttpResponse:
    date_from, date_to = _period(request)
    level = request.GET.get("level")
    level_value = int(level) if level and level.isdigit() else None
    qs = selectors.ratings_list(actor=_user(request), date_from=date_from, date_to=date_to, level=level_value)
    fmt = request.GET.get("export")
    if fmt in {"csv", "json"}:
        rows = selectors.national_export_rows(actor=_user(request), date_from=date_from, date_to=date_to)
        return export_response(rows, fmt, date_from, date_to)
    stats = selectors.rating_stats(
        center_ids=selectors.visible_center_ids(_user(request)),
        date_from=date_from,
        date_to=date_to,
    )
    return render(
        request,
        "ratings/index.html",
        {
            "ratings": qs[:200],
            "stats": stats,
            "date_from": date_from,
            "date_to": date_to,
            "level": level_value,
            "levels": LEVELS,
            "can_appeal": _user(request).role in {Role.MANAGER, Role.ADMIN},
        },
    )


@_staff_page(MANAGERS)
def work_order_list(request: HttpRequest) -> HttpResponse:
    state = request.GET.get("state") or None
    if state not in WorkOrder.State.values:
        state = None
    late = request.GET.get("late") == "1"
    orders = list(selectors.work_orders_list(actor=_user(request), state=state, late_only=late)[:300])
    today = timezone.localdate()
    rows = [(o, selectors.work_order_is_late(o, today)) for o in orders]
    return render(
        request,
        "ratings/work_orders.html",
        {"rows": rows, "state": state, "late": late, "states": WorkOrder.State.choices},
    )


NEXT_STEPS: dict[str, list[tuple[str, Any, Any]]] = {
    WorkOrder.State.OPEN: [("contacted", _("记录回访"), _("已电话回访评价人，了解到……"))],
    WorkOrder.State.CONTACTED: [("verified", _("记录核实情况"), _("经调取录像/核对办件，情况属实/不属实……"))],
    WorkOrder.State.VERIFIED: [
        ("rectified", _("记录整改措施"), _("已采取的整改措施……")),
        ("explained", _("记录解释说明"), _("向评价人解释说明的内容……")),
    ],
    WorkOrder.State.RESOLVED: [
        ("reported", _("反馈评价人并办结"), _("向评价人反馈的处理结果（将短信邀请其再次评价）"))
    ],
}


@_staff_page(MANAGERS)
def work_order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        order = selectors.work_order_get(actor=_user(request), pk=pk)
    except NotFound:  # unknown, or another center's: the same plain 404
        raise Http404 from None
    phone = None
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "reveal":
                phone = services.rater_phone_reveal(actor=_user(request), work_order=order)
            elif action == "appeal":
                services.appeal_file(
                    actor=_user(request), rating=order.rating, reason=request.POST.get("reason", "")
                )
                messages.success(request, "申诉已提交复核")
                return redirect("ratings:work-order", pk=pk)
            else:
                version = request.POST.get("version")
                services.work_order_advance(
                    actor=_user(request),
                    work_order=order,
                    step=request.POST.get("step", ""),
                    note=request.POST.get("note", ""),
                    version=int(version) if version and version.isdigit() else None,
                )
                messages.success(request, "已记录")
                return redirect("ratings:work-order", pk=pk)
        except TongbanError as exc:
            messages.error(request, exc.message)
        order = selectors.work_order_get(actor=_user(request), pk=pk)
    event = order.rating.event
    return render(
        request,
        "ratings/work_order.html",
        {
            "order": order,
            "event": event,
            "late": selectors.work_order_is_late(order),
            "masked_phone": selectors.masked_rater_phone(order),
            "phone": phone,
            "next_steps": NEXT_STEPS.get(order.state, []),
            "indicator_labels": {code: str(label) for code, label in INDICATORS[event.channel]},
            "pending_appeal": order.rating.appeals.filter(state=Appeal.State.PENDING).first(),
            "appeals": order.rating.appeals.all(),
            "can_act": _user(request).role in {Role.MANAGER, Role.ADMIN},
        },
    )


# --- reviewer: appeals ----------------------------------------------------------------


@_staff_page({Role.REVIEWER, Role.SUPERVISOR, Role.ADMIN, Role.MANAGER})
def appeal_list(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        appeal = get_object_or_404(Appeal, pk=request.POST.get("appeal") or 0)
        try:
            services.appeal_decide(
                actor=_user(request),
                appeal=appeal,
                uphold=request.POST.get("uphold") == "1",
                reason=request.POST.get("reason", ""),
            )
            messages.success(request, "复核意见已记录")
        except TongbanError as exc:
            messages.error(request, exc.message)
        return redirect("ratings:appeals")
    appeals = selectors.appeals_pending(actor=_user(request))
    return render(
        request,
        "ratings/appeals.html",
        {"appeals": appeals, "can_decide": _user(request).role != Role.MANAGER},
    )


# --- clerk: my ratings (anonymous) --------------------------------------------------------


@_staff_page({Role.CLERK, Role.MANAGER, Role.ADMIN})
def my_ratings(request: HttpRequest) -> HttpResponse:
    date_from, date_to = _period(request)
    summary = selectors.clerk_rating_summary(clerk=_user(request), date_from=date_from, date_to=date_to)
    levels = [(value, str(Level(value).label), summary.by_level[value]) for value in (5, 4, 3, 2, 1)]
    return render(
        request,
        "ratings/mine.html",
        {"summary": summary, "levels": levels, "date_from": date_from, "date_to": date_to},
    )

"""Queue pages: ticket machine, call display (+ SSE), window panel, appointments, statistics. Thin."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from datetime import date, timedelta
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.apps import apps as django_apps
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.serializers.json import DjangoJSONEncoder
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseForbidden,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy, pgettext, pgettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from tongban.accounts.http import client_ip
from tongban.accounts.models import Role, User
from tongban.catalog.models import Center, Window
from tongban.catalog.selectors import bundle_search, matter_search
from tongban.core.crypto import mask_phone
from tongban.core.errors import TongbanError, ValidationError
from tongban.core.qr import qr_svg
from tongban.core.templatetags.tongban_core import local_name
from tongban.queueing import live, selectors, services
from tongban.queueing.errors import NotATicketMachine, WindowNotStaffed
from tongban.queueing.links import appointment_id_from_token, follow_url, ticket_id_from_token
from tongban.queueing.models import AppointmentSlot, PriorityReason, Queue, Ticket
from tongban.queueing.rules import enabled_reasons, hall_status, settings_for, ticket_machine_allowed
from tongban.queueing.services.calling import ACTIVE_STATES

STAFF = {Role.CLERK, Role.MANAGER, Role.ADMIN}
STATS_ROLES = {Role.MANAGER, Role.ADMIN, Role.SUPERVISOR}
SSE_SECONDS = 300


def _center_or_404(code: str) -> Center:
    center = selectors.center_by_code(code)
    if center is None:
        raise Http404
    return center


def _url_or_none(name: str) -> str | None:
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


def _error_text(exc: TongbanError) -> str:
    """The error message in the person's language (Chinese ``message`` unless English is chosen)."""
    return exc.message_en if (get_language() or "").startswith("en") else exc.message


def _centers_with_queues() -> list[Center]:
    return list(Center.objects.filter(queues__active=True).distinct().order_by("code"))


# --- ticket machine ------------------------------------------------------------------------


@require_GET
def ticket_machine_home(request: HttpRequest) -> HttpResponse:
    centers = _centers_with_queues()
    if len(centers) == 1:
        return redirect("queueing:ticket-machine", center=centers[0].code)
    return render(
        request, "queueing/choose_center.html", {"centers": centers, "target": "queueing:ticket-machine"}
    )


# The slip printer a ticket machine has: its installer opens the machine once with ``?paper=58`` (docs/deploy.md)
# and the machine keeps it in a cookie, which the start-over link and the idle wipe (both without the query) do
# not lose. "screen": a machine without a printer, which shows the slip and prints nothing.
PAPERS = ("80", "58", "screen")
PAPER_COOKIE = "tb_paper"
PAPER_COOKIE_SECONDS = 10 * 365 * 24 * 3600
# The printed page of each paper (Chromium ignores an ``auto`` height and prints on Letter): the roll's width,
# and a height that holds the longest slip on one page (checked by printing it, test_browser.py).
PAPER_PAGES = {"80": "80mm 150mm", "58": "58mm 190mm"}


def _paper(request: HttpRequest) -> str:
    for asked in (request.GET.get("paper", ""), request.COOKIES.get(PAPER_COOKIE, "")):
        if asked in PAPERS:
            return asked
    return PAPERS[0]


def _keeps_paper(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A machine page opened with ``?paper=`` keeps that paper in the machine's cookie."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        asked = request.GET.get("paper", "")
        if asked in PAPERS and request.COOKIES.get(PAPER_COOKIE) != asked:
            response.set_cookie(
                PAPER_COOKIE,
                asked,
                max_age=PAPER_COOKIE_SECONDS,
                samesite="Lax",
                httponly=True,
                secure=settings.SESSION_COOKIE_SECURE,
            )
        return response

    return wrapped


def _machine_context(request: HttpRequest, center: Center) -> dict[str, Any]:
    rules = settings_for(center)
    status = hall_status(center)
    # What the slip will say for a ticket taken now: every window may call from every queue, so a regular
    # ticket has the whole hall's line ahead of it (tickets_ahead), not only its own queue's.
    ahead = selectors.line_ahead_of_new_ticket(center, cap=services.WAITING_BEFORE_CAP)
    queues = [
        (q, ahead, services.estimate_wait_minutes(center, ahead, queue=q))
        for q in selectors.queues_for_center(center)
        if q.kind == Queue.Kind.NORMAL
    ]
    reasons = [r for r in PriorityReason if r.value in enabled_reasons(rules) and r.value != "appointment"]
    return {
        "center": center,
        "status": status,
        "queues": queues,
        "reasons": reasons,
        "kiosk_url": _url_or_none("selfservice:kiosk-home"),
        "cabinet_url": _url_or_none("cabinet:home"),
        "paper": _paper(request),
        "elderly_age": rules.elderly_age,
    }


@_keeps_paper
def ticket_machine(request: HttpRequest, center: str) -> HttpResponse:
    c = _center_or_404(center)
    ctx = _machine_context(request, c)
    ip = client_ip(request) or ""
    if not ticket_machine_allowed(settings_for(c), ip):
        # opened away from the hall (a phone, a home computer): say where tickets are taken, offer what works
        # from anywhere, and show no choices that would only be refused
        ctx["error"] = NotATicketMachine()
        ctx["not_here"] = True
        return render(request, "queueing/ticket_machine.html", ctx, status=NotATicketMachine.status_code)
    q = request.GET.get("q", "").strip()
    step = request.GET.get("step", "")
    if q:
        ctx["q"] = q
        # the catalog's search: keywords and colloquial synonyms too (病历本 finds 门急诊就医记录册), as the portal
        ctx["matters"] = list(matter_search(q=q)[:12])
        ctx["bundles"] = list(bundle_search(q=q)[:6])
        ctx["general_queue"] = next(
            (queue for queue, *_ in ctx["queues"] if queue.kind == Queue.Kind.NORMAL), None
        )
        step = "search"
    ctx["step"] = step
    if request.method == "POST":
        form = request.POST
        try:
            if form.get("step") == "appointment" and not (
                form.get("appointment_code", "").strip() or form.get("id_number", "").strip()
            ):
                raise ValidationError(
                    "请输入预约码，或刷身份证 / 输入身份证号",
                    "Enter the appointment code, or use or type your ID number",
                    code="queue.checkin_empty",
                )
            issued = services.ticket_issue(
                center=c,
                queue=form.get("queue") or None,
                matter=form.get("matter") or None,
                bundle=form.get("bundle") or None,
                appointment_code=form.get("appointment_code") or None,
                id_number=form.get("id_number", ""),
                priority_reason=form.get("priority_reason", ""),
                client_ip=ip,  # checked again by the service, which the API shares
            )
        except TongbanError as exc:
            ctx["error"] = exc
            ctx["step"] = form.get("step", "")
            # a check-in refused (late, cancelled, not found): one tap to a regular ticket, when the hall has one
            # regular queue; with several, the start screen where they are chosen
            regular = [queue for queue, *_ in ctx["queues"]]
            ctx["regular_queue"] = regular[0] if len(regular) == 1 else None
            # back in the field to correct one character, not all 18 again (the idle reset clears the screen)
            ctx["typed"] = {k: form.get(k, "")[:20] for k in ("id_number", "appointment_code")}
            return render(request, "queueing/ticket_machine.html", ctx, status=exc.status_code)
        request.session["tb_last_ticket"] = issued.ticket.pk
        url = reverse("queueing:ticket-issued", kwargs={"center": c.code, "ticket": issued.ticket.pk})
        return redirect(f"{url}?ahead={issued.waiting_before}&eta={issued.estimated_wait_minutes}")
    return render(request, "queueing/ticket_machine.html", ctx)


@_keeps_paper
def ticket_issued(request: HttpRequest, center: str, ticket: int) -> HttpResponse:
    c = _center_or_404(center)
    t = get_object_or_404(Ticket.objects.select_related("queue", "matter", "bundle"), pk=ticket, center=c)
    if request.session.get("tb_last_ticket") != t.pk:
        # the ticket page is for the machine that issued it, not a way to browse other people's tickets
        return redirect("queueing:ticket-machine", center=c.code)
    ctx = _machine_context(request, c)
    ahead = services.tickets_ahead(t)
    eta = request.GET.get("eta", "")
    wait = (
        int(eta)
        if eta.isdigit() and len(eta) < 6
        else services.estimate_wait_minutes(c, ahead, queue=t.queue)
    )
    status = ctx["status"]
    ctx.update(
        {
            # the wait runs past closing time: the resident may not be served today, and had better know now
            "late": bool(ahead) and status.closes_before(timezone.now() + timedelta(minutes=wait)),
            "closes_at": status.closes_at,
            "paper_page": PAPER_PAGES.get(ctx["paper"], ""),
            "ticket": t,
            "ahead": ahead,
            "ahead_more": ahead >= services.WAITING_BEFORE_CAP,
            "eta": request.GET.get("eta", ""),
            "notify": bool(t.notify_phone),
            "notify_masked": mask_phone(t.notify_phone),
            "sms_ahead": settings_for(c).sms_ahead,
        }
    )
    ctx["follow_url"] = follow_url(t.pk, request)
    ctx["follow_qr"] = qr_svg(ctx["follow_url"], box_size=4, border=1)
    if request.method == "POST":
        try:
            services.ticket_set_notify_phone(ticket_id=t.pk, phone=request.POST.get("phone", ""))
        except TongbanError as exc:
            ctx["error"] = exc
            ctx["typed_phone"] = request.POST.get("phone", "")[:20]  # to correct a digit, not type all again
            return render(request, "queueing/ticket_issued.html", ctx, status=exc.status_code)
        return redirect(request.get_full_path())
    return render(request, "queueing/ticket_issued.html", ctx)


# --- the resident's own page of a ticket (扫码看进度) ------------------------------------------

FOLLOW_REFRESH_SECONDS = 10


def _follow_response(request: HttpRequest, token: str, *, error: TongbanError | None = None) -> HttpResponse:
    state = selectors.ticket_follow(token)
    if state is None:
        return render(request, "queueing/ticket_follow.html", {"missing": True}, status=404)
    live_states = (Ticket.State.WAITING, *ACTIVE_STATES)
    ctx = {
        "state": state,
        "ticket": state.ticket,
        "token": token,
        "refresh": FOLLOW_REFRESH_SECONDS if state.today and state.ticket.state in live_states else 0,
        "confirm": request.GET.get("confirm") == "cancel" and state.cancellable and error is None,
        "error": error,
        "now": timezone.localtime(),
    }
    partial = request.headers.get("HX-Request") == "true" and error is None
    template = "queueing/_ticket_follow_status.html" if partial else "queueing/ticket_follow.html"
    return render(request, template, ctx, status=error.status_code if error else 200)


@require_GET
@never_cache  # the state changes under the same URL, which answers the page and its refreshed part alike
def ticket_follow(request: HttpRequest, token: str) -> HttpResponse:
    """The ticket's state, from the QR code on the slip: how many are ahead, the window it is called to. No
    sign-in (the slip is the key); refreshes itself while the ticket is live."""
    return _follow_response(request, token)


@require_POST
def ticket_follow_cancel(request: HttpRequest, token: str) -> HttpResponse:
    ticket_id = ticket_id_from_token(token)
    if ticket_id is None:
        return _follow_response(request, token)
    try:
        services.ticket_cancel(ticket_id=ticket_id, ip=client_ip(request) or "")
    except TongbanError as exc:
        if (exc.details or {}).get("state") != Ticket.State.ABANDONED:
            return _follow_response(request, token, error=exc)
        # already given up (a second tap, or the page open in two tabs): the page says so, not an error
    return redirect("queueing:ticket-follow", token=token)


# --- the resident's own page of an appointment (the link in its SMS) ------------------------------------


def _own_appointment_response(
    request: HttpRequest, token: str, *, error: TongbanError | None = None, changing: bool = False
) -> HttpResponse:
    own = selectors.appointment_own(token)
    if own is None:
        return render(request, "queueing/appointment_own.html", {"missing": True}, status=404)
    changing = (changing or request.GET.get("step") == "change") and own.cancellable
    ctx = {
        "own": own,
        "appointment": own.appointment,
        "slot": own.appointment.slot,
        "early": settings_for(own.appointment.slot.center).checkin_early_minutes,
        "token": token,
        "confirm": request.GET.get("confirm") == "cancel" and own.cancellable and error is None,
        "changing": changing,
        "change_days": (
            selectors.slots_by_day(
                own.appointment.slot.center,
                queue_id=own.appointment.slot.queue_id,
                exclude=own.appointment.slot_id,
            )
            if changing
            else []
        ),
        "error": error,
    }
    return render(request, "queueing/appointment_own.html", ctx, status=error.status_code if error else 200)


@require_GET
@never_cache
def appointment_own(request: HttpRequest, token: str) -> HttpResponse:
    """An appointment from its SMS: when and where, the code to check in with, and a way to cancel it. No
    sign-in: staff book for residents without an account, and the SMS is what they have."""
    return _own_appointment_response(request, token)


@require_POST
def appointment_own_cancel(request: HttpRequest, token: str) -> HttpResponse:
    appointment_id = appointment_id_from_token(token)
    if appointment_id is None:
        return _own_appointment_response(request, token)
    try:
        services.appointment_cancel(appointment_id=appointment_id, actor=None, ip=client_ip(request) or "")
    except TongbanError as exc:
        return _own_appointment_response(request, token, error=exc)
    return redirect("queueing:appointment-own", token=token)


@require_POST
def appointment_own_change(request: HttpRequest, token: str) -> HttpResponse:
    """Move the appointment to another slot of its queue from the SMS link (the SMS of the change carries the
    same link)."""
    own = selectors.appointment_own(token)
    if own is None:
        return _own_appointment_response(request, token)
    slot_id = request.POST.get("slot", "")
    new_slot = (
        AppointmentSlot.objects.select_related("center")
        .filter(pk=int(slot_id), queue_id=own.appointment.slot.queue_id)
        .first()
        if slot_id.isdigit()
        and len(slot_id) <= 18  # a longer number names no row (and overflows SQLite's key)
        else None
    )
    if new_slot is None:
        error = ValidationError("请选择新的预约时段", "Choose the new time", code="appointment.slot")
        return _own_appointment_response(request, token, error=error, changing=True)
    try:
        services.appointment_change(
            appointment_id=own.appointment.pk, new_slot=new_slot, actor=None, ip=client_ip(request) or ""
        )
    except TongbanError as exc:
        return _own_appointment_response(request, token, error=exc, changing=True)
    messages.success(request, _("已改约，新的时间见下方，短信也已发送。"))
    return redirect("queueing:appointment-own", token=token)


# --- call display --------------------------------------------------------------------------


@require_GET
def display_home(request: HttpRequest) -> HttpResponse:
    centers = _centers_with_queues()
    if len(centers) == 1:
        return redirect("queueing:display", center=centers[0].code)
    return render(request, "queueing/choose_center.html", {"centers": centers, "target": "queueing:display"})


@require_GET
def display(request: HttpRequest, center: str) -> HttpResponse:
    c = _center_or_404(center)
    snapshot = selectors.display_snapshot(c)
    return render(
        request,
        "queueing/display.html",
        {
            "center": c,
            "snapshot": snapshot,
            "snapshot_data": json.loads(json.dumps(_display_json(snapshot), cls=DjangoJSONEncoder)),
            "api_url": reverse("queue-display", kwargs={"center": c.code}),
            "events_url": reverse("queueing:display-events", kwargs={"center": c.code}),
            # the hall's clock: the center's time zone and the server's clock, not the TV's settings
            "time_zone": settings.TIME_ZONE,
        },
    )


# A window screen follows the hall display's event stream, narrowed to its window (``?window=``), and re-reads
# its part when the stream says something happened there: a call shows within a second, as the issue asks. Each
# screen holds one stream, so one of an app server's threads (docs/deploy.md counts them). It also re-reads every
# WINDOW_SCREEN_CHECK_SECONDS while the stream is up (the database is the truth), and polls every
# WINDOW_SCREEN_POLL_SECONDS when the browser cannot keep a stream.
WINDOW_SCREEN_POLL_SECONDS = 1
WINDOW_SCREEN_CHECK_SECONDS = 15


@require_GET
def window_screens(request: HttpRequest, center: str) -> HttpResponse:
    """The center's window screens, one link each: what an installer opens on the screen above each window."""
    c = _center_or_404(center)
    windows = list(Window.objects.filter(center=c, active=True).order_by("number"))
    return render(request, "queueing/window_screens.html", {"center": c, "windows": windows})


@require_GET
@never_cache
def window_screen(request: HttpRequest, center: str, number: int) -> HttpResponse:
    """The screen above one window (窗口屏): the number called to it, paused or closed, and who serves there.
    No personal data of residents. The page re-reads its part (``HX-Request``) when the center's event stream
    speaks of its window (see WINDOW_SCREEN_POLL_SECONDS)."""
    c = _center_or_404(center)
    screen = selectors.window_screen(c, number)
    if screen is None:
        raise Http404
    events = reverse("queueing:display-events", kwargs={"center": c.code})
    ctx = {
        "center": c,
        "screen": screen,
        "events_url": f"{events}?window={screen.window.number}",
        "poll": WINDOW_SCREEN_POLL_SECONDS,
        "check": WINDOW_SCREEN_CHECK_SECONDS,
    }
    partial = request.headers.get("HX-Request") == "true"
    return render(request, "queueing/_window_screen.html" if partial else "queueing/window_screen.html", ctx)


def _display_json(snapshot: dict[str, Any]) -> dict[str, Any]:
    from tongban.queueing.api.serializers import DisplayOut

    return dict(DisplayOut(snapshot).data)


def _last_event_id(request: HttpRequest) -> int | None:
    """The id of the last call event this display heard, which EventSource sends back when it reconnects."""
    raw = request.headers.get("Last-Event-ID", "")
    return int(raw) if raw.isdigit() and len(raw) <= 18 else None


def _sse(message: dict[str, Any]) -> str:
    data = f"data: {json.dumps(message, ensure_ascii=False)}\n\n"
    # calls carry their call event's id as the event id: the browser sends the last one back when it reconnects
    event = message.get("event") if message.get("type") in ("call", "recall") else None
    return f"id: {event}\n{data}" if isinstance(event, int) else data


@require_GET
def display_events(request: HttpRequest, center: str) -> StreamingHttpResponse:
    """Server-Sent Events: one message per call/recall/state change, a comment every 15 s to keep the
    connection alive; the stream ends after 5 minutes and the browser reconnects (EventSource retry). A
    reconnecting display is first told the calls made while it was away (``Last-Event-ID``: the id of the last
    call event it heard), so that each call is announced even when it fell in the second between two streams,
    and none twice. ``?window=<number>``: only the messages about that window (a window screen's stream)."""
    c = _center_or_404(center)
    last = _last_event_id(request)
    # a window screen's stream: what happens at its window only (not every new ticket of the hall)
    raw_window = request.GET.get("window", "")
    only = int(raw_window) if raw_window.isdigit() and len(raw_window) <= 6 else None
    # Subscribed before the missed calls are read and before hello is said, so nothing falls in between. Here in
    # the view, not in the stream: the database is read while the request is still the view's.
    messages = live.listen(c.pk, timeout=SSE_SECONDS)
    next(messages)
    missed = selectors.calls_since(c, last) if last is not None else []
    if only is not None:
        missed = [call for call in missed if call["window"] == only]

    def stream() -> Any:
        try:
            yield "retry: 1000\n\n"
            yield f"event: hello\ndata: {json.dumps({'center': c.code})}\n\n"
            told = {call["event"] for call in missed}
            for call in missed:
                yield _sse(call)
            for message in messages:
                if message is None:
                    yield ": keep-alive\n\n"
                elif only is not None and message.get("window") != only:
                    continue
                elif message.get("event") is None or message["event"] not in told:  # missed and live: once
                    yield _sse(message)
        finally:
            messages.close()

    response = StreamingHttpResponse(stream(), content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    return response


# --- window panel --------------------------------------------------------------------------


def _staff_only(request: HttpRequest) -> User | None:
    user = request.user
    if not isinstance(user, User) or user.role not in STAFF:
        return None
    return user


def _panel_response(
    request: HttpRequest, user: User, *, error: TongbanError | None = None, notice: str = ""
) -> HttpResponse:
    window = selectors.window_for_clerk(user)
    ctx: dict[str, Any] = {"error": error, "notice": notice, "user_obj": user}
    if window is None:
        ctx["choices"] = selectors.window_choices(user)
        ctx["released"] = selectors.released_from(user)
        # a manager or an admin may release a window another clerk left staffed (释放窗口)
        if user.role in services.SUPERVISING:
            ctx["staffed"] = [c for c in ctx["choices"] if c.staffed_by]
        ctx["panel"] = None
    else:
        ctx["panel"] = selectors.window_panel(window)
    status = error.status_code if error is not None else 200
    # htmx swaps only 2xx by default: errors are shown inside the panel with a 200
    if request.headers.get("HX-Request"):
        status = 200
    return render(request, "queueing/_window_panel.html", ctx, status=status)


@login_required
def window_page(request: HttpRequest) -> HttpResponse:
    user = _staff_only(request)
    if user is None:
        return HttpResponseForbidden("仅限窗口工作人员 / staff only")
    return render(request, "queueing/window.html", {"panel_url": reverse("queueing:window-panel")})


@login_required
@require_GET
def window_panel(request: HttpRequest) -> HttpResponse:
    user = _staff_only(request)
    if user is None:
        return HttpResponseForbidden("仅限窗口工作人员 / staff only")
    return _panel_response(request, user)


PANEL_NOTICES: dict[str, Any] = {
    "open": gettext_lazy("已开始值守"),
    "call": "",
    "recall": gettext_lazy("已重呼"),
    "start": pgettext_lazy("notice", "开始办理"),
    "no_show": gettext_lazy("已过号"),
    "requeue": gettext_lazy("已重新排队"),
    "transfer": gettext_lazy("已转移"),
    "finish": gettext_lazy("已办结，请邀请群众评价"),
    "pause": gettext_lazy("已暂停服务"),
    "resume": gettext_lazy("已恢复服务"),
    "close": gettext_lazy("已结束值守"),
    "release": "",  # said by what was released
}


def _release_notice(window: Window, released: services.WindowReleased | None) -> str:
    if released is None:
        return _("%(n)s号窗口已无人值守") % {"n": window.number}
    if released.tickets:
        return _("已释放%(n)s号窗口（%(clerk)s已签退），号码 %(tickets)s 已回到等候队列原位置") % {
            "n": window.number,
            "clerk": released.clerk_name,
            "tickets": "、".join(released.tickets),
        }
    return _("已释放%(n)s号窗口（%(clerk)s已签退）") % {"n": window.number, "clerk": released.clerk_name}


@login_required
@require_POST
def window_panel_action(request: HttpRequest, action: str) -> HttpResponse:
    user = _staff_only(request)
    if user is None:
        return HttpResponseForbidden("仅限窗口工作人员 / staff only")
    if action not in PANEL_NOTICES:
        raise Http404
    notice = str(PANEL_NOTICES[action])
    form = request.POST
    try:
        ticket_id = int(form.get("ticket") or 0)
        window = selectors.window_for_clerk(user)
        if action == "open":
            win = get_object_or_404(Window.objects.select_related("center"), pk=int(form.get("window") or 0))
            services.window_session_open(window=win, clerk=user)
        elif action == "release":
            win = get_object_or_404(Window.objects.select_related("center"), pk=int(form.get("window") or 0))
            notice = _release_notice(win, services.window_release(window=win, actor=user))
        elif window is None:
            raise WindowNotStaffed()
        elif action == "call":
            called = services.ticket_call_next(window=window, clerk=user)
            notice = "" if called else _("当前无人等候")
        elif action == "recall":
            services.ticket_recall(ticket_id=ticket_id, actor=user)
        elif action == "start":
            services.ticket_start(ticket_id=ticket_id, actor=user)
        elif action == "no_show":
            services.ticket_no_show(ticket_id=ticket_id, actor=user)
        elif action == "requeue":
            services.ticket_requeue(ticket_id=ticket_id, actor=user)
        elif action == "transfer":
            to_queue, to_window = services.transfer_targets(
                window.center_id,
                queue_prefix=form.get("queue", ""),
                window_number=int(form.get("window") or 0),
            )
            services.ticket_transfer(ticket_id=ticket_id, actor=user, to_queue=to_queue, to_window=to_window)
        elif action == "finish":
            ids = [int(x) for x in form.getlist("applications") if x.isdigit()]
            services.ticket_finish(ticket_id=ticket_id, actor=user, application_ids=ids)
        elif action == "pause":
            services.window_pause(window=window, clerk=user, reason=form.get("reason", ""))
        elif action == "resume":
            services.window_resume(window=window, clerk=user)
        elif action == "close":
            services.window_session_close(window=window, clerk=user)
    except ValueError:
        return _panel_response(request, user, error=ValidationError("输入有误", "Invalid input"))
    except TongbanError as exc:
        if not request.headers.get("HX-Request"):
            messages.error(request, _error_text(exc))
            return redirect("queueing:window")
        return _panel_response(request, user, error=exc)
    if not request.headers.get("HX-Request"):
        if notice:
            messages.success(request, notice)
        return redirect("queueing:window")
    return _panel_response(request, user, notice=notice)


# --- appointments --------------------------------------------------------------------------


@login_required
def appointments(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    is_staff = user.role in STAFF
    centers = (
        _centers_with_queues()
        if (user.role == Role.ADMIN or not is_staff)
        else [user.center]
        if user.center
        else []
    )
    code = request.GET.get("center") or (centers[0].code if centers else "")
    # only a center the user may book at: a clerk's own (another's code in the address showed its slots
    # beside the clerk's own appointments)
    center = next((c for c in centers if c.code == code), centers[0] if centers else None)
    ctx: dict[str, Any] = {"is_staff": is_staff, "centers": centers, "center": center}
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "book")
        try:
            if action == "book":
                slot = get_object_or_404(
                    AppointmentSlot.objects.select_related("center", "queue"), pk=int(request.POST["slot"])
                )
                appt = services.appointment_book(
                    slot=slot,
                    actor=user,
                    resident=None if is_staff else user,
                    name=request.POST.get("name", "") if is_staff else "",
                    id_number=request.POST.get("id_number", "") if is_staff else "",
                    phone=request.POST.get("phone", ""),
                )
                messages.success(request, _("预约成功，预约码 %(code)s（已短信发送）") % {"code": appt.code})
            elif action == "cancel":
                services.appointment_cancel(appointment_id=int(request.POST["appointment"]), actor=user)
                messages.success(request, _("已取消预约"))
            elif action == "change":
                slot = get_object_or_404(
                    AppointmentSlot.objects.select_related("center"), pk=int(request.POST["slot"])
                )
                services.appointment_change(
                    appointment_id=int(request.POST["appointment"]), new_slot=slot, actor=user
                )
                when = f"{slot.day:%m-%d} {slot.start:%H:%M}–{slot.end:%H:%M}"
                messages.success(request, _("已改约到 %(when)s（已短信通知）") % {"when": when})
            elif action == "lift":
                services.booking_suspension_lift(
                    suspension_id=int(request.POST["suspension"]), actor=user, ip=client_ip(request) or ""
                )
                messages.success(request, _("已解除暂停预约，现在可以为该居民预约"))
        except TongbanError as exc:
            messages.error(request, _error_text(exc))
            status = exc.status_code
        except (KeyError, ValueError):
            messages.error(request, _("请选择预约时段"))
            status = 400
        if status == 200:
            # a lift is made from a search's results: back to them, to book the person now
            kept = {"center": code, **({"q": request.POST.get("q", "")[:40]} if action == "lift" else {})}
            return redirect(f"{reverse('queueing:appointments')}?{urlencode(kept)}")
        if action == "book":
            # refused: the page again with what was typed and the slot chosen, to correct one field
            ctx["kept"] = {k: request.POST.get(k, "")[:40] for k in ("name", "id_number", "phone", "slot")}
    if center is not None:
        ctx["days"] = days = selectors.slots_by_day(center)
        # a center booking in more than one queue names each slot's (with one, there is nothing to tell apart)
        listed = {slot.queue_id for _, slots in days for slot in slots}
        ctx["name_queues"] = len(listed) > 1 or (
            bool(listed) and selectors.appointment_queue_count(center) > 1
        )
    if is_staff:
        q = request.GET.get("q", "").strip()[:40]
        ctx["q"] = q
        ctx["mine"] = services.appointments_look_up(actor=user, q=q, ip=client_ip(request) or "")
        # the person searched for is suspended: say so before the clerk tries to book them, and let a manager
        # lift it here (a clerk is told who can)
        ctx["suspensions"] = selectors.suspensions_in_force_for_search(user, q=q, found=ctx["mine"])
        ctx["can_lift"] = user.role in services.SUPERVISING
    else:
        ctx["mine"] = list(selectors.appointments_of(user).order_by("-slot__day", "-slot__start")[:20])
        if django_apps.is_installed("tongban.selfservice"):
            # the resident books from the portal: keep its navigation around the page
            ctx["appointments_url"] = reverse("queueing:appointments")
            return render(request, "queueing/appointments_portal.html", ctx, status=status)
    return render(request, "queueing/appointments.html", ctx, status=status)


# --- statistics ----------------------------------------------------------------------------


def _percent(rate: float | None) -> float | str:
    return "" if rate is None else round(rate * 100, 1)


@login_required
def stats(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not isinstance(user, User) or user.role not in STATS_ROLES:
        return HttpResponseForbidden("仅限中心负责人 / managers only")
    if user.role == Role.MANAGER:
        center = user.center
    else:
        all_centers = _centers_with_queues()
        center = selectors.center_by_code(request.GET.get("center", "")) or (
            all_centers[0] if all_centers else None
        )
    if center is None:
        raise Http404
    today = timezone.localdate()
    try:
        day_to = date.fromisoformat(request.GET.get("to", "")) if request.GET.get("to") else today
        day_from = date.fromisoformat(request.GET.get("from", "")) if request.GET.get("from") else day_to
    except ValueError:
        day_from = day_to = today
        # said, not silently replaced: a manager reading "today" as the range they asked for would misreport
        messages.warning(request, _("日期格式不对（应为 2026-11-28 这样），下面显示的是今天的数据。"))
    if day_from > day_to:
        day_from, day_to = day_to, day_from
        messages.warning(request, _("开始日期晚于结束日期，已对调。"))
    if day_to - day_from > timedelta(days=366):
        day_from = day_to - timedelta(days=366)
        messages.warning(
            request, _("一次最多统计一年，已从 %(day)s 起统计。") % {"day": day_from.isoformat()}
        )
    data = selectors.queue_stats(center, day_from=day_from, day_to=day_to)
    if request.GET.get("format") == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = (
            f'attachment; filename="queue-{center.code}-{day_from}-{day_to}.csv"'
        )
        response.write("\ufeff")
        writer = csv.writer(response)
        # the headline first, as on the page: the numbers a manager reports
        appts = data["appointments"]
        writer.writerow([_("统计区间"), f"{day_from.isoformat()} – {day_to.isoformat()}"])
        for label, value in (
            (pgettext("count", "取号"), data["issued"]),
            (_("已叫号"), data["called"]),
            (pgettext("count", "办结"), data["finished"]),
            (_("平均等候(分)"), data["avg_wait_minutes"]),
            (_("P90等候(分)"), data["p90_wait_minutes"]),
            # percentages, as the page shows them: 0.05 beside the page's 5% read as a different figure
            (_("过号率(%)"), _percent(data["no_show_rate"])),
            (_("放弃率(%)"), _percent(data["abandonment_rate"])),
            (_("预约数（不含已取消）"), appts["booked"]),
            (_("已取消预约"), appts["cancelled"]),
            (_("预约履约率(%)"), _percent(appts["kept_rate"])),
        ):
            writer.writerow([label, "" if value is None else value])
        writer.writerow([])
        writer.writerow(
            [
                _("队列"),
                _("名称"),
                pgettext("count", "取号"),
                _("当前等候"),
                _("平均等候(分)"),
                _("P90等候(分)"),
            ]
        )
        for q in data["queues"]:
            writer.writerow(
                [
                    q["prefix"],
                    local_name(q),
                    q["issued"],
                    "" if q["waiting"] is None else q["waiting"],
                    q["avg_wait_minutes"],
                    q["p90_wait_minutes"],
                ]
            )
        writer.writerow([])
        writer.writerow([pgettext("hall", "窗口"), pgettext("count", "办结"), _("平均办理(分)")])
        for w in data["windows"]:
            writer.writerow([w["window"], w["served"], w["avg_service_minutes"]])
        writer.writerow([])
        writer.writerow([_("工作人员"), pgettext("count", "办结"), _("平均办理(分)")])
        for c in data["clerks"]:
            writer.writerow([c["clerk"], c["served"], c["avg_service_minutes"]])
        return response
    chart = {
        "queues": [q["prefix"] + " " + local_name(q) for q in data["queues"]],
        "avg": [q["avg_wait_minutes"] or 0 for q in data["queues"]],
        "p90": [q["p90_wait_minutes"] or 0 for q in data["queues"]],
        "waiting": [q["waiting"] for q in data["queues"]],
    }
    return render(
        request,
        "queueing/stats.html",
        {
            "center": center,
            "data": data,
            "chart": chart,
            "day_from": day_from,
            "day_to": day_to,
            "centers": _centers_with_queues() if user.role != Role.MANAGER else [],
        },
    )

"""24-hour self-service kiosk: touch, big type, elderly mode, idle wipe of screen and session.

The terminal is shared: after ``KIOSK_IDLE_SECONDS`` without a touch (twice as
long in elderly mode) the page itself navigates to ``kiosk/reset/``, which
flushes the session; the server also flushes a session whose last kiosk
request is older than that, in case the page's script never ran.
"""

from __future__ import annotations

import hashlib
import time
from io import BytesIO
from typing import Any

from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from tongban.accounts.http import client_ip
from tongban.core.errors import TongbanError
from tongban.selfservice import selectors, services
from tongban.selfservice.integrations import KIOSK_PROGRESS, available, optional
from tongban.selfservice.views.common import (
    cabinet_items,
    error_text,
    guide_context,
    progress_url,
    url_or_none,
)

SESSION_SEEN = "kiosk_seen"
SESSION_ELDERLY = "kiosk_elderly"
SESSION_VERIFIED = "kiosk_verified_number"


def idle_seconds(request: HttpRequest) -> int:
    base = int(getattr(settings, "KIOSK_IDLE_SECONDS", 60))
    return base * 2 if request.session.get(SESSION_ELDERLY) else base


def _touch(request: HttpRequest) -> None:
    """Server-side idle wipe, then mark this request as activity."""
    seen = request.session.get(SESSION_SEEN)
    now = time.time()
    if seen is not None and now - float(seen) > idle_seconds(request) + 15:
        request.session.flush()
    if "elderly" in request.GET:
        request.session[SESSION_ELDERLY] = request.GET["elderly"] == "1"
    request.session[SESSION_SEEN] = now


def _client_key(request: HttpRequest) -> str:
    """The terminal: its address (not the session, which a prober can simply drop)."""
    return f"{client_ip(request) or ''}|{getattr(settings, 'KIOSK_TERMINAL_SALT', '')}"


def _render(request: HttpRequest, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
    base = {
        "elderly": bool(request.session.get(SESSION_ELDERLY)),
        "idle_seconds": idle_seconds(request),
        "countdown_seconds": int(getattr(settings, "KIOSK_COUNTDOWN_SECONDS", 10)),
        "progress_available": available(*KIOSK_PROGRESS),
        "ticket_url": url_or_none("queueing:ticket-machine-home"),
    }
    return render(request, template, base | context, status=status)


@never_cache
def home(request: HttpRequest) -> HttpResponse:
    _touch(request)
    return _render(request, "selfservice/kiosk/home.html", {})


# What a resident can print at the kiosk for the case they verified: the receipt, the one-time notice (to
# bring the missing materials), the refusal notice (its reason and basis) and the result notice.
KIOSK_DOCUMENTS = ("receipt", "supplement", "refusal", "result")


@never_cache
def progress(request: HttpRequest) -> HttpResponse:
    _touch(request)
    context: dict[str, Any] = {"number": "", "error": None, "progress": None}
    if not available(*KIOSK_PROGRESS):
        return _render(request, "selfservice/kiosk/not_yet.html", {"what": _("进度查询")}, status=503)
    if request.method == "POST":
        number = request.POST.get("number", "")[:200]
        context["number"] = services.extract_receipt_number(number)
        try:
            context["progress"] = services.kiosk_progress_lookup(
                number=number, id_last4=request.POST.get("last4", "")[:8], client_key=_client_key(request)
            )
        except TongbanError as exc:
            context["error"] = error_text(exc)
            request.session.pop(SESSION_VERIFIED, None)
            return _render(request, "selfservice/kiosk/progress.html", context, status=exc.status_code)
        request.session[SESSION_VERIFIED] = context["progress"].number
        application = _verified_application(request)
        documents = selectors.portal_documents(application=application) if application is not None else []
        context["printable"] = {kind: kind in documents for kind in KIOSK_DOCUMENTS}
        # the cabinet usually stands in this same 24-hour area: say so, and which one
        context["cabinet_items"] = cabinet_items(application) if application is not None else []
    return _render(request, "selfservice/kiosk/progress.html", context)


def _verified_application(request: HttpRequest) -> Any:
    """The case whose number + last four were verified on this terminal in this session, or None."""
    number = request.session.get(SESSION_VERIFIED)
    get_by_number = optional("tongban.applications.selectors", "application_get_by_number")
    if not number or get_by_number is None:
        return None
    return get_by_number(number)


@never_cache
def print_page(request: HttpRequest, kind: str) -> HttpResponse:
    """The document inside the kiosk frame (so the idle wipe still runs), with a big print button."""
    _touch(request)
    application = _verified_application(request)
    if application is None or kind not in selectors.portal_documents(application=application):
        raise Http404("nothing to print")
    return _render(request, "selfservice/kiosk/print.html", {"kind": kind})


@never_cache
def print_pdf(request: HttpRequest, kind: str) -> HttpResponseBase:
    """The receipt or result notice of the case verified on this terminal in this session (nothing else)."""
    _touch(request)
    application = _verified_application(request)
    if application is None or kind not in KIOSK_DOCUMENTS:
        raise Http404("nothing to print")
    try:
        data = selectors.portal_case_pdf(
            application=application, kind=kind, progress_url=progress_url(request, application)
        )
    except TongbanError as exc:
        raise Http404(exc.message) from exc
    if data is None:
        raise Http404("nothing to print")
    name = hashlib.sha256(application.number.encode()).hexdigest()[:8]
    return FileResponse(BytesIO(data), content_type="application/pdf", filename=f"{kind}-{name}.pdf")


@never_cache
def guide(request: HttpRequest) -> HttpResponse:
    _touch(request)
    q = (request.GET.get("q") or "").strip()[:200]
    return _render(
        request, "selfservice/kiosk/guide.html", guide_context(request, q, limit=4) | {"kiosk": True}
    )


@never_cache
def ticket(request: HttpRequest) -> HttpResponse:
    _touch(request)
    url = url_or_none("queueing:ticket-machine-home")
    if url:
        return redirect(url)
    return _render(request, "selfservice/kiosk/not_yet.html", {"what": _("取号")}, status=503)


@never_cache
def reset(request: HttpRequest) -> HttpResponse:
    """Wipe: a new, empty session, back to the start screen. Elderly mode is kept only if asked for."""
    elderly = request.GET.get("elderly") == "1"
    request.session.flush()
    if elderly:
        request.session[SESSION_ELDERLY] = True
    response = redirect("selfservice:kiosk-home")
    # the next person at the terminal starts in Chinese, whatever the last one chose
    response.delete_cookie(settings.LANGUAGE_COOKIE_NAME)
    return response

from __future__ import annotations

import time

from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.defaults import page_not_found

from tongban.core.audit import audit_pending


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness + readiness: 200 with the database round-trip time, 503 when it is unreachable.

    Also reports audit entries awaiting sealing (``audit_sealing``: ``"stalled"`` when some waited
    longer than ``AUDIT_SEAL_STALE_SECONDS``, i.e. the ``core.audit_seal`` job is not running).
    That stays a 200: the app server itself can serve; alert on the field instead.
    """
    started = time.monotonic()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 - any database failure means not ready
        return JsonResponse(
            {"status": "error", "database": "unreachable", "detail": exc.__class__.__name__},
            status=503,
        )
    database_ms = round((time.monotonic() - started) * 1000, 2)
    audit = audit_pending()
    return JsonResponse(
        {
            "status": "ok",
            "database": "ok",
            "database_vendor": connection.vendor,
            "database_ms": database_ms,
            "audit_sealing": "stalled" if audit.stalled else "ok",
            "audit_pending": audit.pending,
            "audit_stalled": audit.stalled,
        }
    )


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """404 everywhere: an API client (a kiosk, a hall device) gets the API's JSON error even for an address
    no route matches (``/api/v1/windows/abc/call-next``), not the residents' HTML page."""
    if request.path.startswith("/api/"):
        return JsonResponse(
            {
                "error": {
                    "code": "not_found",
                    "message": "接口或对象不存在，请核对地址和编号",
                    "message_en": "No such endpoint or object; check the address and the id",
                }
            },
            status=404,
            json_dumps_params={"ensure_ascii": False},  # as the API's own answers: the Chinese as it reads
        )
    return page_not_found(request, exception or Http404())

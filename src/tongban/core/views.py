from __future__ import annotations

import time

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache

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

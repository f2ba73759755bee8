"""The dev SMS outbox page: what the ``outbox`` backend would have sent, newest first.

Staff may always open it; anyone may while ``DEMO`` or ``DEBUG`` is on (residents read
their sign-in code there in the demo). Otherwise it does not exist (404).
"""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from tongban.accounts.permissions import is_staff_role, two_factor_satisfied
from tongban.core.crypto import mask_phone
from tongban.notifications.selectors import outbox_messages


def _may_see_outbox(request: HttpRequest) -> bool:
    if settings.DEMO or settings.DEBUG:
        return True
    return is_staff_role(request.user) and two_factor_satisfied(request.user)


@never_cache
def outbox(request: HttpRequest) -> HttpResponse:
    if not _may_see_outbox(request):
        raise Http404
    rows = [
        {
            "id": m.pk,
            "to": mask_phone(m.to),
            "body": m.body,
            "purpose": m.purpose,
            "state": m.get_state_display(),
            "created_at": m.created_at,
        }
        for m in outbox_messages(limit=100)
    ]
    template = (
        "notifications/_outbox_rows.html"
        if request.headers.get("HX-Request")
        else "notifications/outbox.html"
    )
    return render(request, template, {"rows": rows})

"""Absolute links printed on documents (the receipt's QR code)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse

from tongban.applications.models import Application


def progress_url(request: HttpRequest | None, application: Application) -> str:
    """The public progress page for this case (asks for the last 4 ID characters; never contains them)."""
    path = f"{reverse('applications:progress')}?{urlencode({'number': application.number})}"
    base = settings.PUBLIC_BASE_URL
    if base:
        return base.rstrip("/") + path
    return request.build_absolute_uri(path) if request is not None else path

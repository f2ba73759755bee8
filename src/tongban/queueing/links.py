"""The resident's own link to a ticket (扫码看进度): printed as a QR code on the slip, returned by the ticket
machine's API. It names the ticket and carries a signature, so a ticket's page cannot be found by counting
numbers or ids, and it needs no sign-in: whoever holds the slip follows it."""

from __future__ import annotations

import functools

from django.conf import settings
from django.core import signing
from django.http import HttpRequest
from django.urls import reverse

_SIGNER = signing.Signer(salt="tongban.queueing.ticket.follow")


def follow_token(ticket_id: int) -> str:
    return _SIGNER.sign(str(ticket_id))


def ticket_id_from_token(token: str) -> int | None:
    """The ticket the token was signed for, or None for anything else (altered, truncated, made up)."""
    try:
        value = _SIGNER.unsign(token)
    except signing.BadSignature:
        return None
    return int(value) if value.isdigit() else None


@functools.cache
def _path_around() -> tuple[str, str]:
    """The page's path before and after the token. Every ticket the machine's API issues carries its link, and
    resolving the URL pattern each time cost more than signing the token."""
    before, after = reverse("queueing:ticket-follow", kwargs={"token": "0"}).rsplit("0", 1)
    return before, after


def follow_url(ticket_id: int, request: HttpRequest | None = None) -> str:
    """The absolute link to the ticket's page. ``PUBLIC_BASE_URL`` when set: a kiosk reaches the server by a
    hall-network address, which a phone on mobile data cannot."""
    before, after = _path_around()
    path = before + follow_token(ticket_id) + after
    base = settings.PUBLIC_BASE_URL
    if base:
        return base.rstrip("/") + path
    if request is not None:
        return f"{request.scheme}://{request.get_host()}{path}"
    return settings.RATINGS_LINK_BASE_URL.rstrip("/") + path

"""The resident's own links, which need no sign-in: whoever holds the link acts on that one thing.

- A ticket's page (扫码看进度): printed as a QR code on the slip, returned by the ticket machine's API, sent in
  the "few ahead" SMS.
- An appointment's page (查看或取消预约): sent in the booking's SMS and the reminder the day before. Staff book
  for residents who have no account (by phone, at the window), and they too must be able to cancel.

Each names its object and carries a signature (its own salt), so a page cannot be found by counting numbers or
ids, and a ticket's token does not open an appointment."""

from __future__ import annotations

import functools

from django.conf import settings
from django.core import signing
from django.http import HttpRequest
from django.urls import reverse

_SIGNER = signing.Signer(salt="tongban.queueing.ticket.follow")
_APPOINTMENT_SIGNER = signing.Signer(salt="tongban.queueing.appointment.own")


def _id_from(signer: signing.Signer, token: str) -> int | None:
    try:
        value = signer.unsign(token)
    except signing.BadSignature:
        return None
    return int(value) if value.isdigit() else None


def follow_token(ticket_id: int) -> str:
    return _SIGNER.sign(str(ticket_id))


def ticket_id_from_token(token: str) -> int | None:
    """The ticket the token was signed for, or None for anything else (altered, truncated, made up)."""
    return _id_from(_SIGNER, token)


def appointment_token(appointment_id: int) -> str:
    return _APPOINTMENT_SIGNER.sign(str(appointment_id))


def appointment_id_from_token(token: str) -> int | None:
    """The appointment the token was signed for, or None for anything else."""
    return _id_from(_APPOINTMENT_SIGNER, token)


@functools.cache
def _path_around(name: str) -> tuple[str, str]:
    """The page's path before and after the token. Every ticket the machine's API issues carries its link, and
    resolving the URL pattern each time cost more than signing the token."""
    before, after = reverse(name, kwargs={"token": "0"}).rsplit("0", 1)
    return before, after


def _absolute(name: str, token: str, request: HttpRequest | None) -> str:
    """``PUBLIC_BASE_URL`` when set: a kiosk reaches the server by a hall-network address, which a phone on
    mobile data cannot. Else the request's host, or (an SMS sent by a worker) the demo's address."""
    before, after = _path_around(name)
    path = before + token + after
    base = settings.PUBLIC_BASE_URL
    if base:
        return base.rstrip("/") + path
    if request is not None:
        return f"{request.scheme}://{request.get_host()}{path}"
    return settings.RATINGS_LINK_BASE_URL.rstrip("/") + path


def follow_url(ticket_id: int, request: HttpRequest | None = None) -> str:
    """The absolute link to the ticket's page."""
    return _absolute("queueing:ticket-follow", follow_token(ticket_id), request)


def appointment_url(appointment_id: int, request: HttpRequest | None = None) -> str:
    """The absolute link to the appointment's page, where it can be seen and cancelled."""
    return _absolute("queueing:appointment-own", appointment_token(appointment_id), request)

"""Pieces shared by the portal, kiosk and guide pages."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.translation import get_language

from tongban.core.errors import TongbanError
from tongban.selfservice import selectors, services
from tongban.selfservice.integrations import APPLICATIONS_ONLINE, available, optional


def error_text(exc: TongbanError) -> str:
    """A business error's message in the page's language (the Chinese one unless English was chosen)."""
    return exc.message_en if get_language() == "en" else exc.message


def url_or_none(name: str, *args: Any) -> str | None:
    """A URL of another app's page, or None while that app has not shipped it (show "not available yet")."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def guide_context(request: HttpRequest, q: str, *, limit: int = 5) -> dict[str, Any]:
    """Answer ``q`` for a page and record it if it was answered badly."""
    context: dict[str, Any] = {"q": q, "answer": None}
    if q:
        answer = selectors.guide_search(q=q, limit=limit)
        services.guide_question_record(question=q, answer=answer)
        context["answer"] = answer
    context["ticket_url"] = url_or_none("queueing:ticket-machine-home")
    context["appointments_url"] = url_or_none("queueing:appointments")
    context["online_available"] = available(*APPLICATIONS_ONLINE)
    return context


def progress_url(request: HttpRequest, application: Any) -> str:
    """The public progress link the receipt's QR carries (the applications app's page), or ""."""
    link = optional("tongban.applications.links", "progress_url")
    return str(link(request, application)) if link is not None else ""


def cabinet_items(application: Any) -> list[Any]:
    """The case's items waiting in a smart cabinet (where, until when), when the cabinet app is installed."""
    items_for = optional("tongban.cabinet.selectors", "items_for_application")
    return list(items_for(application_id=application.pk)) if items_for is not None else []

"""百事通 pages: the standalone guide (/guide/) and the catalog team's review of weak questions."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tongban.core.errors import TongbanError
from tongban.selfservice import selectors, services
from tongban.selfservice.services import GUIDE_CURATOR_ROLES
from tongban.selfservice.views.common import error_text, guide_context

EXAMPLES = ["孩子刚出生要办什么", "老人病历本用完了", "居住证办好了去哪拿", "公司要开办", "护照过期了怎么办"]


def guide_home(request: HttpRequest) -> HttpResponse:
    q = (request.GET.get("q") or "").strip()[:200]
    context = guide_context(request, q)
    context["examples"] = EXAMPLES
    context["curator"] = _curator(request)
    template = (
        "selfservice/guide/_answer.html" if getattr(request, "htmx", False) else "selfservice/guide/home.html"
    )
    return render(request, template, context)


def _curator(request: HttpRequest) -> bool:
    return request.user.is_authenticated and getattr(request.user, "role", None) in GUIDE_CURATOR_ROLES


@login_required
def guide_review(request: HttpRequest) -> HttpResponse:
    if not _curator(request):
        return render(request, "selfservice/forbidden.html", status=403)
    status = request.GET.get("status") or "open"
    questions = selectors.guide_question_list(status=status)[:200]
    return render(request, "selfservice/guide/review.html", {"questions": questions, "status": status})


@login_required
@require_POST
def guide_review_synonym(request: HttpRequest) -> HttpResponse:
    try:
        raw_id = request.POST.get("question_id")
        synonym = services.guide_synonym_add(
            actor=request.user,  # type: ignore[arg-type]
            term=request.POST.get("term", ""),
            expansions=request.POST.get("expansions", ""),
            question_id=int(raw_id) if raw_id and raw_id.isdigit() else None,
        )
    except TongbanError as exc:
        if exc.status_code == 403:
            return render(request, "selfservice/forbidden.html", status=403)
        messages.error(request, error_text(exc))
    else:
        messages.success(
            request,
            _("已添加同义词：%(term)s → %(words)s") % {"term": synonym.term, "words": synonym.expansions},
        )
    return redirect("selfservice:guide-review")


@login_required
@require_POST
def guide_review_dismiss(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        services.guide_question_dismiss(actor=request.user, question_id=pk)  # type: ignore[arg-type]
    except TongbanError as exc:
        if exc.status_code == 403:
            return render(request, "selfservice/forbidden.html", status=403)
        messages.error(request, error_text(exc))
    return redirect("selfservice:guide-review")

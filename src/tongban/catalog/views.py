"""Public catalog pages (no sign-in): search, matter guide as a checklist, bundle, center.

Thin: parse the request, call selectors, render. Errors from selectors (unknown codes)
become a 404 page with the same Chinese message.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from tongban.core.errors import NotFound

from . import selectors
from .models import Bundle, Center, GuideVersion, Matter, MatterGroup

MAX_QUERY = 100


def _not_found(exc: NotFound) -> Http404:
    return Http404(exc.message)


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()[:MAX_QUERY]
    group = request.GET.get("group", "").strip()[:40]
    groups = list(MatterGroup.objects.order_by("order", "code"))
    matters = list(selectors.matter_search(q=q, group=group or None))
    bundles = list(selectors.bundle_search(q=q)) if not group else []
    sections: list[tuple[MatterGroup | None, list[Matter]]] = []
    if not q:
        by_group: dict[int | None, list[Matter]] = {}
        for m in matters:
            by_group.setdefault(m.group_id, []).append(m)
        sections = [(g, by_group[g.pk]) for g in groups if g.pk in by_group]
        if None in by_group:
            sections.append((None, by_group[None]))
    context = {
        "q": q,
        "group": group,
        "groups": groups,
        "matters": matters,
        "sections": sections,
        "bundles": [(b, selectors.bundle_summary(b)) for b in bundles],
        "centers": selectors.centers_list(),
    }
    return render(request, "catalog/home.html", context)


@require_GET
def matter_detail(request: HttpRequest, code: str) -> HttpResponse:
    try:
        matter = selectors.matter_get(code)
        raw_version = request.GET.get("version", "")
        version = int(raw_version) if raw_version.isdigit() else None
        guide = selectors.guide_get(matter, version)
    except NotFound as exc:
        raise _not_found(exc) from exc
    context = {
        "matter": matter,
        "guide": guide,
        "is_current": guide.pk == matter.current_version_id,
        "current_version": matter.current_version,
        "versions": list(selectors.guide_versions(matter)),
        "materials": list(guide.materials.all()),
        "bundles": list(Bundle.objects.filter(items__matter=matter, active=True).order_by("code")),
        "review_departments": list(matter.review_departments.all()),
        "delivery": [str(GuideVersion.Delivery(d).label) for d in guide.delivery_options],
        "centers": list(Center.objects.order_by("code")),
    }
    return render(request, "catalog/matter_detail.html", context)


@require_GET
def bundle_detail(request: HttpRequest, code: str) -> HttpResponse:
    try:
        bundle = selectors.bundle_get(code)
    except NotFound as exc:
        raise _not_found(exc) from exc
    materials = selectors.bundle_materials(bundle=bundle)
    context = {
        "bundle": bundle,
        "summary": selectors.bundle_summary(bundle),
        "items": list(bundle.items.all()),
        "materials": materials,
        "shared_count": sum(1 for m in materials if len(m.uses) > 1),
        "saved": sum(len(m.uses) - 1 for m in materials),
    }
    return render(request, "catalog/bundle_detail.html", context)


@require_GET
def center_detail(request: HttpRequest, code: str) -> HttpResponse:
    try:
        center = selectors.center_get(code)
    except NotFound as exc:
        raise _not_found(exc) from exc
    days = [
        ("mon", "周一"),
        ("tue", "周二"),
        ("wed", "周三"),
        ("thu", "周四"),
        ("fri", "周五"),
        ("sat", "周六"),
        ("sun", "周日"),
    ]
    hours = [(label, center.opening_hours.get(key, [])) for key, label in days]
    context = {
        "center": center,
        "zones": list(center.zones.all()),
        "windows": list(selectors.windows_for_center(center, active_only=True)),
        "hours": hours,
    }
    return render(request, "catalog/center_detail.html", context)

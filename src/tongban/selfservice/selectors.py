"""Self-service reads: the 百事通's answers and question log, the catalog as the portal shows it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, QuerySet

from tongban.catalog.models import Bundle, BundleItem, Material, Matter, MatterGroup
from tongban.core.errors import NotFound
from tongban.selfservice.guide.engine import Answer, answer
from tongban.selfservice.integrations import optional
from tongban.selfservice.models import GuideQuestion

GUIDE_MAX_LIMIT = 20


def guide_search(*, q: str, limit: int = 5) -> Answer:
    """Answer a resident's question: matching matters/bundles best first, and a referral when it is elsewhere."""
    return answer(q, limit=max(1, min(limit, GUIDE_MAX_LIMIT)))


def guide_question_list(*, status: str = GuideQuestion.Status.OPEN) -> QuerySet[GuideQuestion]:
    return GuideQuestion.objects.filter(status=status).order_by("-count", "-last_seen")


# --- portal: the catalog as a resident reads it -------------------------------------------------------


@dataclass(frozen=True)
class SharedMaterial:
    """A material of a bundle, listed once with the matters that need it (一件事: shared materials once)."""

    material_type_id: int
    name: str
    required: bool
    rongque: bool
    form: str
    matters: tuple[str, ...]


def portal_catalog() -> tuple[list[MatterGroup], list[Matter], list[Bundle]]:
    """Active matters by group (ungrouped last) and active bundles, for the portal's browse page."""
    matters = list(
        Matter.objects.filter(active=True, current_version__isnull=False)
        .select_related("current_version", "group", "department")
        .order_by("group__order", "group__code", "code")
    )
    groups = list(MatterGroup.objects.filter(matters__in=matters).distinct().order_by("order", "code"))
    bundles = list(Bundle.objects.filter(active=True).prefetch_related("items__matter").order_by("code"))
    return groups, matters, bundles


def portal_matter_get(*, code: str) -> Matter:
    matter = (
        Matter.objects.filter(code=code, active=True, current_version__isnull=False)
        .select_related("current_version", "department", "group")
        .prefetch_related(
            Prefetch(
                "current_version__materials",
                queryset=Material.objects.select_related("material_type").order_by("order", "id"),
            )
        )
        .first()
    )
    if matter is None:
        raise NotFound("事项不存在或已停办", "No such matter, or it is no longer offered")
    return matter


def portal_bundle_get(*, code: str) -> tuple[Bundle, list[Matter], list[SharedMaterial]]:
    bundle = Bundle.objects.filter(code=code, active=True).first()
    if bundle is None:
        raise NotFound("一件事不存在或已停办", "No such bundle, or it is no longer offered")
    matters = [
        item.matter
        for item in BundleItem.objects.filter(bundle=bundle, matter__active=True)
        .select_related("matter__current_version", "matter__department")
        .prefetch_related(
            Prefetch("matter__current_version__materials", queryset=Material.objects.order_by("order", "id"))
        )
        .order_by("order")
        if item.matter.current_version_id
    ]
    shared: dict[int, dict[str, Any]] = {}
    for matter in matters:
        guide = matter.current_version
        assert guide is not None
        for m in guide.materials.all():
            row = shared.setdefault(
                m.material_type_id,
                {"name": m.name, "required": False, "rongque": True, "form": m.form, "matters": []},
            )
            row["required"] = row["required"] or m.required
            row["rongque"] = row["rongque"] and m.rongque
            row["matters"].append(matter.name)
    materials = [
        SharedMaterial(
            material_type_id=mt,
            name=row["name"],
            required=row["required"],
            rongque=row["rongque"],
            form=row["form"],
            matters=tuple(row["matters"]),
        )
        for mt, row in shared.items()
    ]
    return bundle, matters, materials


# --- portal: one of my cases ------------------------------------------------------------------------------

PDF_RENDERERS = {
    "receipt": "render_receipt_pdf",
    "supplement": "render_supplement_notice_pdf",
    "refusal": "render_refusal_notice_pdf",
    "result": "render_result_notice_pdf",
}
# which documents exist in which case states
PDF_STATES = {
    "receipt": {
        "submitted",
        "accepted",
        "under_review",
        "suspended",
        "decided",
        "ready",
        "delivered",
        "closed",
    },
    "supplement": {"supplement"},
    "refusal": {"refused"},
    "result": {"decided", "ready", "delivered", "closed"},
}


def portal_documents(*, application: Any) -> list[str]:
    """The PDFs a resident can download for this case now (only those the applications app can render)."""
    return [
        kind
        for kind, states in PDF_STATES.items()
        if application.status in states and optional("tongban.applications.pdf", PDF_RENDERERS[kind])
    ]


def portal_case_pdf(*, application: Any, kind: str, progress_url: str = "") -> bytes | None:
    """One of the case's documents, rendered by the applications app; the receipt's QR opens ``progress_url``."""
    if kind not in portal_documents(application=application):
        return None
    render = optional("tongban.applications.pdf", PDF_RENDERERS[kind])
    assert render is not None
    data: bytes = render(application, progress_url=progress_url) if kind == "receipt" else render(application)
    return data


FINISHED_STATES = frozenset({"decided", "ready", "delivered", "closed"})


def portal_rating_available(*, application: Any) -> bool:
    """Can this finished case be rated online now (一事一评)? Only if the ratings app offers it."""
    return application.status in FINISHED_STATES and all(
        optional("tongban.ratings.services", name) is not None
        for name in ("service_event_for_application", "rating_link_url")
    )

"""Catalog reads: centers and windows, matter search, guides and their versions, bundles.

Other apps call these (never the models' managers directly for anything more than a get):
``center_get``, ``windows_for_center``, ``window_get``, ``matters_for_window``, ``matter_get``,
``guide_get``, ``matter_search``, ``bundle_get``, ``bundle_search``, ``bundle_materials``,
``synonym_expansions``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Case, F, IntegerField, Prefetch, Q, QuerySet, Value, When

from tongban.core.errors import NotFound

from .models import Bundle, BundleItem, Center, GuideVersion, Material, MaterialType, Matter, Synonym, Window


class CenterNotFound(NotFound):
    code = "catalog.center_not_found"
    message = "服务中心不存在"
    message_en = "No such service center"


class WindowNotFound(NotFound):
    code = "catalog.window_not_found"
    message = "窗口不存在"
    message_en = "No such window"


class MatterNotFound(NotFound):
    code = "catalog.matter_not_found"
    message = "事项不存在"
    message_en = "No such matter"


class GuideVersionNotFound(NotFound):
    code = "catalog.guide_version_not_found"
    message = "该版本的办事指南不存在"
    message_en = "No such version of the service guide"


class BundleNotFound(NotFound):
    code = "catalog.bundle_not_found"
    message = "一件事不存在"
    message_en = "No such bundle"


# --- centers and windows ----------------------------------------------------------------------------


def centers_list() -> QuerySet[Center]:
    return Center.objects.prefetch_related("zones").order_by("code")


def center_get(code: str) -> Center:
    center = Center.objects.filter(code=code).first()
    if center is None:
        raise CenterNotFound(details={"code": code})
    return center


def windows_for_center(center: Center, *, active_only: bool = False) -> QuerySet[Window]:
    qs = Window.objects.filter(center=center).prefetch_related("matter_groups", "matters").order_by("number")
    return qs.filter(active=True) if active_only else qs


def window_get(center: Center, number: int) -> Window:
    window = Window.objects.filter(center=center, number=number).first()
    if window is None:
        raise WindowNotFound(details={"center": center.code, "number": number})
    return window


def matters_for_window(window: Window) -> QuerySet[Matter]:
    """Active matters the window accepts: those of its matter groups plus those assigned one by one."""
    return (
        Matter.objects.filter(active=True)
        .filter(Q(group__windows=window) | Q(windows=window))
        .select_related("department", "group", "current_version")
        .distinct()
        .order_by("group__order", "code")
    )


# --- matters and guides -------------------------------------------------------------------------------


def _guide_prefetch() -> Any:
    return Prefetch(
        "current_version__materials",
        queryset=Material.objects.select_related("material_type").order_by("order", "id"),
    )


def matter_get(code: str) -> Matter:
    """One matter with its department, group, reviewers and current guide's materials loaded."""
    matter = (
        Matter.objects.select_related("department", "group", "current_version")
        .prefetch_related("review_departments", _guide_prefetch())
        .filter(code=code)
        .first()
    )
    if matter is None:
        raise MatterNotFound(details={"code": code})
    return matter


def guide_get(matter: Matter, version: int | None = None) -> GuideVersion:
    """The current guide (``version=None``) or a given published version, materials prefetched."""
    qs = GuideVersion.objects.filter(matter=matter).prefetch_related(
        Prefetch(
            "materials", queryset=Material.objects.select_related("material_type").order_by("order", "id")
        )
    )
    if version is None:
        guide = qs.filter(matter__current_version=F("pk")).first()
    else:
        guide = qs.filter(version=version).first()
    if guide is None:
        raise GuideVersionNotFound(details={"matter": matter.code, "version": version})
    return guide


def guide_versions(matter: Matter) -> QuerySet[GuideVersion]:
    return GuideVersion.objects.filter(matter=matter).order_by("-version")


def synonym_expansions(text: str, *, synonyms: Iterable[tuple[str, str]] | None = None) -> set[str]:
    """Catalog words for the colloquial terms found in ``text`` (病历本 → 门急诊就医记录册)."""
    pairs = synonyms if synonyms is not None else Synonym.objects.values_list("term", "expansions")
    words: set[str] = set()
    for term, expansions in pairs:
        if term and term in text:
            words.update(expansions.split())
    return words


def _alternatives(q: str) -> list[set[str]]:
    """One set of alternatives per whitespace-separated token: the token and its synonym expansions."""
    tokens = q.split()
    if not tokens:
        return []
    pairs = list(Synonym.objects.values_list("term", "expansions"))
    return [{token} | synonym_expansions(token, synonyms=pairs) for token in tokens]


def _matter_q(word: str) -> Q:
    return (
        Q(code__iexact=word)
        | Q(name__icontains=word)
        | Q(name_en__icontains=word)
        | Q(current_version__keywords__icontains=word)
        | Q(current_version__synonyms__icontains=word)
        | Q(department__name__icontains=word)
        | Q(department__short_name__icontains=word)
        | Q(group__name__icontains=word)
    )


def matter_search(
    *,
    q: str = "",
    group: str | None = None,
    type: str | None = None,
    department: str | None = None,
    online: bool | None = None,
    include_inactive: bool = False,
) -> QuerySet[Matter]:
    """Simple search for the public API and catalog page: every token must match a matter's name,
    code, keywords, colloquial synonyms, department or group, directly or through a ``Synonym`` row.
    Filters take codes. Name matches rank first. (The 百事通's ranked search is selfservice's.)"""
    qs = Matter.objects.select_related("department", "group", "current_version")
    if not include_inactive:
        qs = qs.filter(active=True)
    if group:
        qs = qs.filter(group__code=group)
    if type:
        qs = qs.filter(type=type)
    if department:
        qs = qs.filter(department__code=department)
    if online is not None:
        qs = qs.filter(current_version__online=online)
    alternatives = _alternatives(q.strip())
    for alts in alternatives:
        cond = Q()
        for word in alts:
            cond |= _matter_q(word)
        qs = qs.filter(cond)
    if alternatives:
        name_hit = Q()
        for word in alternatives[0]:
            name_hit |= Q(name__icontains=word)
        qs = qs.annotate(
            rank=Case(When(name_hit, then=Value(0)), default=Value(1), output_field=IntegerField())
        )
        return qs.order_by("rank", "group__order", "code")
    return qs.order_by("group__order", "code")


# --- bundles ----------------------------------------------------------------------------------------------


def _bundle_items_prefetch() -> Any:
    return Prefetch(
        "items",
        queryset=BundleItem.objects.select_related(
            "matter__department", "matter__group", "matter__current_version"
        ).order_by("order"),
    )


def bundle_search(*, q: str = "", include_inactive: bool = False) -> QuerySet[Bundle]:
    qs = Bundle.objects.prefetch_related(_bundle_items_prefetch())
    if not include_inactive:
        qs = qs.filter(active=True)
    for alts in _alternatives(q.strip()):
        cond = Q()
        for word in alts:
            cond |= (
                Q(code__iexact=word)
                | Q(name__icontains=word)
                | Q(keywords__icontains=word)
                | Q(synonyms__icontains=word)
                | Q(description__icontains=word)
            )
        qs = qs.filter(cond)
    tokens = q.split()
    if tokens:
        direct = Q()
        for word in tokens:
            direct |= Q(name__icontains=word) | Q(synonyms__icontains=word) | Q(keywords__icontains=word)
        qs = qs.annotate(
            rank=Case(When(direct, then=Value(0)), default=Value(1), output_field=IntegerField())
        )
        return qs.order_by("rank", "code")
    return qs.order_by("code")


def bundle_get(code: str) -> Bundle:
    bundle = Bundle.objects.prefetch_related(_bundle_items_prefetch()).filter(code=code).first()
    if bundle is None:
        raise BundleNotFound(details={"code": code})
    return bundle


@dataclass(frozen=True)
class MaterialUse:
    """How one matter of a bundle asks for a material."""

    matter: Matter
    material: Material


@dataclass
class BundleMaterial:
    """One material of a bundle, submitted once for every matter that needs it."""

    material_type: MaterialType
    form: str
    count: int
    required: bool
    rongque: bool
    uses: list[MaterialUse] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.material_type.name

    @property
    def form_display(self) -> str:
        return str(Material.Form(self.form).label)

    @property
    def matter_codes(self) -> list[str]:
        return [u.matter.code for u in self.uses]

    @property
    def notes(self) -> list[str]:
        """Each matter's own wording when it differs from the material type's name, plus its notes."""
        out: list[str] = []
        for use in self.uses:
            bits = [
                b
                for b in (use.material.name if use.material.name != self.name else "", use.material.notes)
                if b
            ]
            if bits:
                out.append(f"{use.matter.name}：{'；'.join(bits)}")
        return out


def _merge_form(forms: set[str]) -> str:
    paper = forms - {Material.Form.ELECTRONIC}
    if not paper:
        return Material.Form.ELECTRONIC
    if len(paper) == 1:
        return next(iter(paper))
    return Material.Form.BOTH


def bundle_materials(*, bundle: Bundle) -> list[BundleMaterial]:
    """The bundle's materials de-duplicated by MaterialType across its matters' current guides.

    A shared material is required if any matter requires it, in the largest count asked,
    as original and copy when one matter wants the original and another a copy, and may follow
    later (容缺) only if every matter requiring it allows that. Order: first appearance.
    """
    items = list(
        BundleItem.objects.filter(bundle=bundle)
        .select_related("matter__current_version")
        .prefetch_related(
            Prefetch(
                "matter__current_version__materials",
                queryset=Material.objects.select_related("material_type").order_by("order", "id"),
            )
        )
        .order_by("order")
    )
    merged: dict[int, BundleMaterial] = {}
    for item in items:
        guide = item.matter.current_version
        if guide is None:
            continue
        for material in guide.materials.all():
            entry = merged.get(material.material_type_id)
            if entry is None:
                entry = merged[material.material_type_id] = BundleMaterial(
                    material_type=material.material_type,
                    form=material.form,
                    count=material.count,
                    required=material.required,
                    rongque=material.required and material.rongque,
                )
            else:
                entry.form = _merge_form({entry.form, material.form})
                entry.count = max(entry.count, material.count)
                if material.required:
                    entry.rongque = (entry.rongque or not entry.required) and material.rongque
                    entry.required = True
            entry.uses.append(MaterialUse(matter=item.matter, material=material))
    return list(merged.values())


@dataclass(frozen=True)
class BundleSummary:
    promised_days: int
    visits: int
    online: bool
    matter_count: int


def bundle_summary(bundle: Bundle) -> BundleSummary:
    """Figures a resident reads first: the longest promised limit, most visits, whether all is online.

    Uses ``bundle.items`` (prefetch them: ``bundle_get``/``bundle_search`` do)."""
    guides = [i.matter.current_version for i in bundle.items.all() if i.matter.current_version is not None]
    return BundleSummary(
        promised_days=max((g.promised_days for g in guides), default=0),
        visits=max((g.visits for g in guides), default=0),
        online=bool(guides) and all(g.online for g in guides),
        matter_count=len(bundle.items.all()),
    )

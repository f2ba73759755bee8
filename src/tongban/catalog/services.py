"""Catalog writes: publishing service-guide versions.

A published :class:`~tongban.catalog.models.GuideVersion` is never edited:
:func:`guide_publish` copies the current version, applies the changes and
stores the result as version ``n + 1``. Applications keep a foreign key to the
version they were made under, so what a resident was told stays on record.

Import and export of the whole catalog live in :mod:`tongban.catalog.transfer`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from tongban.core.audit import audit_log
from tongban.core.errors import ValidationError

from .cache import invalidate as invalidate_catalog_cache
from .models import GuideVersion, Material, MaterialType, Matter

# Fields of a guide version that a publisher may change (the rest is bookkeeping).
GUIDE_FIELDS: tuple[str, ...] = (
    "legal_basis",
    "conditions",
    "applicant_scope",
    "statutory_days",
    "promised_days",
    "fees",
    "steps",
    "visits",
    "online",
    "delivery_options",
    "where",
    "when",
    "consult_phone",
    "complaint_phone",
    "keywords",
    "synonyms",
    "notes",
)
MATERIAL_FIELDS: tuple[str, ...] = (
    "material_type",
    "name",
    "form",
    "count",
    "required",
    "rongque",
    "template_url",
    "notes",
)
GUIDE_DEFAULTS: dict[str, Any] = {
    "legal_basis": "",
    "conditions": "",
    "applicant_scope": "",
    "statutory_days": None,
    "promised_days": None,
    "fees": "不收费",
    "steps": [],
    "visits": 1,
    "online": False,
    "delivery_options": [],
    "where": "",
    "when": "",
    "consult_phone": "",
    "complaint_phone": "12345",
    "keywords": "",
    "synonyms": "",
    "notes": "",
}
MAX_DAYS = 365
MAX_VISITS = 10
MAX_MATERIAL_COUNT = 20


@dataclass(frozen=True)
class FieldError:
    """One problem in one field of one record; ``record`` names the record the way a person finds it."""

    record: str
    field: str
    message: str
    message_en: str

    def as_dict(self) -> dict[str, str]:
        return {
            "record": self.record,
            "field": self.field,
            "message": self.message,
            "message_en": self.message_en,
        }


class GuideInvalid(ValidationError):
    code = "catalog.guide_invalid"
    message = "办事指南内容有误，未发布"
    message_en = "The service guide is invalid; nothing was published"


class GuideUnchanged(ValidationError):
    code = "catalog.guide_unchanged"
    message = "办事指南没有任何修改，无需发布新版本"
    message_en = "Nothing changed in the service guide; no new version was published"


def errors_details(errors: Sequence[FieldError]) -> dict[str, Any]:
    return {"errors": [e.as_dict() for e in errors]}


# --- validation ------------------------------------------------------------------------------------


def _max_length(field: str) -> int | None:
    return GuideVersion._meta.get_field(field).max_length  # type: ignore[union-attr]


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def validate_guide_fields(fields: Mapping[str, Any], *, record: str, prefix: str = "") -> list[FieldError]:
    """Check every guide field; return all problems (not only the first)."""
    errors: list[FieldError] = []

    def err(field: str, zh: str, en: str) -> None:
        errors.append(FieldError(record, prefix + field, zh, en))

    for name in set(fields) - set(GUIDE_FIELDS):
        err(name, "未知字段", "Unknown field")
    for name in (
        "legal_basis",
        "conditions",
        "applicant_scope",
        "fees",
        "where",
        "when",
        "consult_phone",
        "complaint_phone",
        "keywords",
        "synonyms",
        "notes",
    ):
        value = fields.get(name, "")
        if not isinstance(value, str):
            err(name, "应为文本", "Must be text")
            continue
        limit = _max_length(name)
        if limit is not None and len(value) > limit:
            err(name, f"不能超过 {limit} 个字", f"At most {limit} characters")
    promised = fields.get("promised_days")
    statutory = fields.get("statutory_days")
    if promised is None:
        err("promised_days", "必须填写承诺办结时限（工作日，即办填 0）", "Promised time limit is required")
    elif not _is_int(promised) or not 0 <= promised <= MAX_DAYS:
        err(
            "promised_days",
            f"应为 0 到 {MAX_DAYS} 之间的整数（工作日）",
            f"Must be a whole number 0..{MAX_DAYS}",
        )
        promised = None
    if statutory is not None and (not _is_int(statutory) or not 0 <= statutory <= MAX_DAYS):
        err(
            "statutory_days",
            f"应为 0 到 {MAX_DAYS} 之间的整数（工作日）或留空",
            f"Must be 0..{MAX_DAYS} or empty",
        )
        statutory = None
    if promised is not None and statutory is not None and promised > statutory:
        err(
            "promised_days",
            f"承诺时限（{promised}）不能长于法定时限（{statutory}）",
            f"Promised limit ({promised}) cannot exceed the statutory limit ({statutory})",
        )
    visits = fields.get("visits", 1)
    if not _is_int(visits) or not 0 <= visits <= MAX_VISITS:
        err("visits", f"应为 0 到 {MAX_VISITS} 之间的整数", f"Must be a whole number 0..{MAX_VISITS}")
    online = fields.get("online", False)
    if not isinstance(online, bool):
        err("online", "应为 是/否", "Must be true or false")
    elif visits == 0 and not online:
        err(
            "visits",
            "到现场 0 次即全程网办，须同时设置“可网上办理”",
            "Zero visits means fully online: set online",
        )
    steps = fields.get("steps", [])
    if not isinstance(steps, list) or not all(isinstance(s, str) and s.strip() for s in steps):
        err("steps", "应为步骤文字的列表，每步不能为空", "Must be a list of non-empty step texts")
    delivery = fields.get("delivery_options", [])
    allowed = set(GuideVersion.Delivery.values)
    if not isinstance(delivery, list) or not all(isinstance(d, str) for d in delivery):
        err("delivery_options", "应为送达方式的列表", "Must be a list of delivery options")
    else:
        unknown = [d for d in delivery if d not in allowed]
        if unknown:
            err(
                "delivery_options",
                f"未知的送达方式：{'、'.join(unknown)}（可选：{'、'.join(sorted(allowed))}）",
                f"Unknown delivery options: {', '.join(unknown)}",
            )
        elif len(set(delivery)) != len(delivery):
            err("delivery_options", "送达方式重复", "Duplicate delivery options")
    return errors


def validate_materials(
    materials: Any, *, known_types: Iterable[str], record: str, prefix: str = "materials"
) -> list[FieldError]:
    """Check a guide's material list. ``known_types`` are the MaterialType codes that exist (or will)."""
    errors: list[FieldError] = []
    if not isinstance(materials, list):
        return [FieldError(record, prefix, "应为材料列表", "Must be a list of materials")]
    known = set(known_types)
    seen: set[str] = set()
    forms = set(Material.Form.values)
    name_limit = Material._meta.get_field("name").max_length or 200
    for i, item in enumerate(materials):
        at = f"{prefix}[{i}]."

        def err(field: str, zh: str, en: str, at: str = at) -> None:
            errors.append(FieldError(record, at + field, zh, en))

        if not isinstance(item, Mapping):
            errors.append(
                FieldError(record, f"{prefix}[{i}]", "应为一条材料记录", "Must be a material record")
            )
            continue
        for name in set(item) - set(MATERIAL_FIELDS):
            err(name, "未知字段", "Unknown field")
        mt = item.get("material_type")
        code = mt.code if isinstance(mt, MaterialType) else mt
        if not isinstance(code, str) or not code:
            err("material_type", "必须填写材料类型编码", "Material type code is required")
        elif code not in known:
            err("material_type", f"材料类型“{code}”不存在", f"Unknown material type {code!r}")
        elif code in seen:
            err("material_type", f"材料类型“{code}”在同一指南中重复", f"Material type {code!r} listed twice")
        else:
            seen.add(code)
        name = item.get("name", "")
        if not isinstance(name, str) or len(name) > name_limit:
            err(
                "name",
                f"应为不超过 {name_limit} 字的文本",
                f"Must be text of at most {name_limit} characters",
            )
        form = item.get("form", Material.Form.ORIGINAL)
        if form not in forms:
            err("form", f"形式应为 {'、'.join(sorted(forms))} 之一", f"Form must be one of {sorted(forms)}")
        count = item.get("count", 1)
        if not _is_int(count) or not 1 <= count <= MAX_MATERIAL_COUNT:
            err(
                "count",
                f"份数应为 1 到 {MAX_MATERIAL_COUNT} 之间的整数",
                f"Count must be 1..{MAX_MATERIAL_COUNT}",
            )
        required = item.get("required", True)
        rongque = item.get("rongque", False)
        if not isinstance(required, bool):
            err("required", "应为 是/否", "Must be true or false")
        if not isinstance(rongque, bool):
            err("rongque", "应为 是/否", "Must be true or false")
        elif rongque and required is False:
            err("rongque", "容缺后补只适用于必需材料", "Only a required material can follow later (容缺)")
        url = item.get("template_url", "")
        if isinstance(url, str) and url and not url.startswith(("https://", "http://", "/")):
            err(
                "template_url",
                "表格地址应以 https://、http:// 或 / 开头",
                "Template URL must start with https://, http:// or /",
            )
        for text_field, limit in (("template_url", 300), ("notes", 500)):
            value = item.get(text_field, "")
            if not isinstance(value, str) or len(value) > limit:
                err(text_field, f"应为不超过 {limit} 字的文本", f"Must be text of at most {limit} characters")
    return errors


# --- snapshots ---------------------------------------------------------------------------------------


def guide_fields_of(version: GuideVersion) -> dict[str, Any]:
    return {name: getattr(version, name) for name in GUIDE_FIELDS}


def material_dict(material: Material) -> dict[str, Any]:
    return {
        "material_type": material.material_type.code,
        "name": material.name,
        "form": material.form,
        "count": material.count,
        "required": material.required,
        "rongque": material.rongque,
        "template_url": material.template_url,
        "notes": material.notes,
    }


def materials_of(version: GuideVersion) -> list[dict[str, Any]]:
    return [material_dict(m) for m in version.materials.all()]


def normalise_materials(
    materials: Sequence[Mapping[str, Any]], types: Mapping[str, MaterialType]
) -> list[dict[str, Any]]:
    """Fill defaults so two lists that mean the same compare equal."""
    out: list[dict[str, Any]] = []
    for item in materials:
        mt = item["material_type"]
        code = mt.code if isinstance(mt, MaterialType) else str(mt)
        out.append(
            {
                "material_type": code,
                "name": item.get("name") or types[code].name,
                "form": item.get("form", Material.Form.ORIGINAL),
                "count": item.get("count", 1),
                "required": item.get("required", True),
                "rongque": item.get("rongque", False),
                "template_url": item.get("template_url", ""),
                "notes": item.get("notes", ""),
            }
        )
    return out


def current_guide(matter: Matter) -> GuideVersion | None:
    """The matter's current version with its materials prefetched (None before the first publication)."""
    if matter.current_version_id is None:
        return None
    return GuideVersion.objects.prefetch_related("materials__material_type").get(pk=matter.current_version_id)


# --- publishing --------------------------------------------------------------------------------------


def guide_publish(
    *,
    matter: Matter,
    actor: Any,
    changes: dict[str, Any],
    materials: list[dict[str, Any]] | None,
    note: str,
) -> GuideVersion:
    """Publish version n+1 of ``matter``'s guide: the current version with ``changes`` applied.

    ``materials`` replaces the material list when given (dicts with ``material_type`` = a
    MaterialType code or instance, and optional name/form/count/required/rongque/template_url/notes);
    ``None`` keeps the current materials. Raises :class:`GuideInvalid` listing every problem and
    :class:`GuideUnchanged` when the result equals the current version. Older versions are untouched.
    """
    with transaction.atomic():
        locked = Matter.objects.select_for_update().get(pk=matter.pk)
        current = current_guide(locked)
        base = guide_fields_of(current) if current is not None else dict(GUIDE_DEFAULTS)
        base_materials = materials_of(current) if current is not None else []
        fields = {**base, **changes}
        record = locked.code
        wanted = base_materials if materials is None else materials
        codes = {
            (
                m["material_type"].code
                if isinstance(m.get("material_type"), MaterialType)
                else m.get("material_type")
            )
            for m in wanted
            if isinstance(m, Mapping)
        }
        types = {
            mt.code: mt
            for mt in MaterialType.objects.filter(code__in=[c for c in codes if isinstance(c, str)])
        }
        errors = validate_guide_fields(fields, record=record) + validate_materials(
            wanted, known_types=types, record=record
        )
        if len(note) > GuideVersion._meta.get_field("change_note").max_length:  # type: ignore[operator]
            errors.append(
                FieldError(record, "change_note", "修订说明不能超过 300 字", "Note: at most 300 chars")
            )
        if errors:
            raise GuideInvalid(details=errors_details(errors))
        new_materials = normalise_materials(wanted, types)
        changed_fields = sorted(name for name in GUIDE_FIELDS if base.get(name) != fields[name])
        materials_changed = new_materials != base_materials
        if current is not None and not changed_fields and not materials_changed:
            raise GuideUnchanged()
        number = (GuideVersion.objects.filter(matter=locked).aggregate(n=Max("version"))["n"] or 0) + 1
        version = GuideVersion.objects.create(
            matter=locked,
            version=number,
            published_at=timezone.now(),
            published_by=(getattr(actor, "username", "") or "")[:150],
            change_note=note,
            **fields,
        )
        Material.objects.bulk_create(
            [
                Material(
                    guide=version, material_type=types[m["material_type"]], order=i, **_material_values(m)
                )
                for i, m in enumerate(new_materials)
            ]
        )
        Matter.objects.filter(pk=locked.pk).update(current_version=version)
        invalidate_catalog_cache()  # update() sends no signal
        matter.current_version = version
        audit_log(
            actor=actor,
            action="catalog.guide.publish",
            obj=version,
            data={
                "matter": locked.code,
                "version": number,
                "previous_version": current.version if current is not None else None,
                "changed_fields": changed_fields,
                "materials_changed": materials_changed,
                "note": note,
            },
        )
    return version


@dataclass(frozen=True)
class GuideDraft:
    """A complete guide for one matter: every guide field and the full material list."""

    matter: Matter
    fields: dict[str, Any]
    materials: list[dict[str, Any]]


def guides_publish_bulk(*, drafts: Sequence[GuideDraft], actor: Any, note: str) -> list[GuideVersion]:
    """Publish a new version for many matters at once (catalog imports): a handful of queries in all.

    Each draft is validated like :func:`guide_publish` (all problems of all drafts are listed, nothing
    is written if any); unlike it, drafts give complete guides, not changes, and are not compared with
    the current version (the caller publishes only what changed). One audit entry lists every
    (matter, version) published.
    """
    if not drafts:
        return []
    with transaction.atomic():
        pks = [d.matter.pk for d in drafts]
        list(Matter.objects.select_for_update().filter(pk__in=pks).values_list("pk", flat=True))
        latest = dict(
            GuideVersion.objects.filter(matter_id__in=pks)
            .values("matter_id")
            .annotate(n=Max("version"))
            .values_list("matter_id", "n")
        )
        types = {t.code: t for t in MaterialType.objects.all()}
        errors: list[FieldError] = []
        for d in drafts:
            errors += validate_guide_fields({**GUIDE_DEFAULTS, **d.fields}, record=d.matter.code)
            errors += validate_materials(d.materials, known_types=types, record=d.matter.code)
        if errors:
            raise GuideInvalid(details=errors_details(errors))
        now = timezone.now()
        by = (getattr(actor, "username", "") or "")[:150]
        versions = [
            GuideVersion(
                matter=d.matter,
                version=latest.get(d.matter.pk, 0) + 1,
                published_at=now,
                published_by=by,
                change_note=note,
                **{**GUIDE_DEFAULTS, **d.fields},
            )
            for d in drafts
        ]
        if connection.features.can_return_rows_from_bulk_insert:
            GuideVersion.objects.bulk_create(versions, batch_size=500)
        else:  # pragma: no cover - old SQLite without RETURNING
            for v in versions:
                v.save(force_insert=True)
        Material.objects.bulk_create(
            [
                Material(guide=v, material_type=types[m["material_type"]], order=i, **_material_values(m))
                for d, v in zip(drafts, versions, strict=True)
                for i, m in enumerate(normalise_materials(d.materials, types))
            ],
            batch_size=1000,
        )
        for d, v in zip(drafts, versions, strict=True):
            d.matter.current_version = v
        Matter.objects.bulk_update([d.matter for d in drafts], ["current_version"], batch_size=500)
        invalidate_catalog_cache()  # bulk_update() sends no signal
        audit_log(
            actor=actor,
            action="catalog.guide.publish_bulk",
            object_type="catalog.guideversion",
            data={
                "note": note,
                "published": [
                    {"matter": d.matter.code, "version": v.version}
                    for d, v in zip(drafts, versions, strict=True)
                ],
            },
        )
    return versions


def _material_values(m: Mapping[str, Any]) -> dict[str, Any]:
    return {k: m[k] for k in MATERIAL_FIELDS if k != "material_type"}

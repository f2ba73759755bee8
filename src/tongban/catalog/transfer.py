# mypy: disallow-untyped-defs
"""Import and export of the catalog as YAML/JSON, and of guide materials as CSV.

The document shape (also what :func:`catalog_export` writes)::

    format: tongban-catalog/1
    departments:    [{code, name, name_en, short_name, phone, review_days}]
    matter_groups:  [{code, name, name_en, order}]
    material_types: [{code, name, name_en, description}]
    matters:        [{code, name, name_en, type, department, group, review_departments: [code],
                      active, guide: {<guide fields>, materials: [{material_type, name, form, count,
                      required, rongque, template_url, notes}]}}]
    centers:        [{code, name, ..., opening_hours, open_24h, zones: [...], windows: [{number, name,
                      name_en, kind, active, matter_groups: [code], matters: [code]}]}]
    bundles:        [{code, name, name_en, description, keywords, synonyms, active, matters: [code]}]
    synonyms:       [{term, expansions}]

Every section is optional; records are upserted by their natural key and records
absent from the file are left alone. A matter whose guide differs from its current
version gets a new version (all of them at once through
:func:`~tongban.catalog.services.guides_publish_bulk`, one audit entry listing them);
an identical guide publishes nothing, so importing the same file twice changes nothing.

Validation runs over the whole file first and reports every problem by record and
field; an invalid file is rejected whole. The writes then run in one transaction.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml
from django.db import models, transaction
from django.db.models import Prefetch

from tongban.core.audit import audit_log
from tongban.core.errors import ValidationError

from .models import (
    Bundle,
    BundleItem,
    Center,
    Department,
    Material,
    MaterialType,
    Matter,
    MatterGroup,
    Synonym,
    Window,
    Zone,
)
from .services import (
    GUIDE_DEFAULTS,
    MATERIAL_FIELDS,
    FieldError,
    GuideDraft,
    current_guide,
    errors_details,
    guide_fields_of,
    guide_publish,
    guides_publish_bulk,
    materials_of,
    normalise_materials,
    validate_guide_fields,
    validate_materials,
)

FORMAT = "tongban-catalog/1"
SECTIONS = ("departments", "matter_groups", "material_types", "matters", "centers", "bundles", "synonyms")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_TIME = re.compile(r"^(?:[01]\d|2[0-3]):[0-5]\d$|^24:00$")
CSV_COLUMNS = ("matter", "order", *MATERIAL_FIELDS)


class CatalogImportInvalid(ValidationError):
    code = "catalog.import_invalid"
    message = "导入文件有错误，未导入任何内容"
    message_en = "The import file has errors; nothing was imported"

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__(
            f"导入文件有 {len(errors)} 处错误，未导入任何内容",
            f"The import file has {len(errors)} error(s); nothing was imported",
            details=errors_details(errors),
        )
        self.errors = errors


@dataclass
class ImportReport:
    dry_run: bool = False
    created: Counter[str] = field(default_factory=Counter)
    updated: Counter[str] = field(default_factory=Counter)
    unchanged: Counter[str] = field(default_factory=Counter)
    published: list[tuple[str, int]] = field(default_factory=list)  # (matter code, new version)

    def as_dict(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "created": dict(self.created),
            "updated": dict(self.updated),
            "unchanged": dict(self.unchanged),
            "published": [{"matter": c, "version": v} for c, v in self.published],
        }

    def summary(self) -> str:
        kinds = sorted(set(self.created) | set(self.updated) | set(self.unchanged))
        parts = [f"{k}: +{self.created[k]} ~{self.updated[k]} ={self.unchanged[k]}" for k in kinds]
        parts.append(f"new guide versions: {len(self.published)}")
        return "; ".join(parts)


class _Rollback(Exception):
    """Raised inside the transaction of a dry run to undo it."""


# --- parsing -------------------------------------------------------------------------------------------


def catalog_parse(text: str, *, fmt: str) -> dict[str, Any]:
    """Parse a YAML or JSON document; a syntax error is reported like any other import error."""
    try:
        data = yaml.safe_load(text) if fmt in {"yaml", "yml"} else json.loads(text)
    except (yaml.YAMLError, json.JSONDecodeError) as exc:
        raise CatalogImportInvalid(
            [FieldError("文件", "", f"无法解析文件：{exc}", f"Cannot parse the file: {exc}")]
        ) from exc
    if not isinstance(data, dict):
        raise CatalogImportInvalid(
            [FieldError("文件", "", "文件顶层应为映射（字典）", "Top level must be a mapping")]
        )
    return data


# --- record validation ---------------------------------------------------------------------------------


@dataclass
class _Spec:
    """What one field of a record may hold."""

    kind: str  # str | int | bool | choice | codes | code | dict
    required: bool = False
    max_length: int | None = None
    choices: tuple[str, ...] = ()
    min_value: int = 0
    max_value: int = 32767
    ref: str = ""  # section the code(s) refer to


def _model_specs(
    model: type[models.Model], names: tuple[str, ...], required: tuple[str, ...]
) -> dict[str, _Spec]:
    specs: dict[str, _Spec] = {}
    for name in names:
        f = model._meta.get_field(name)
        if isinstance(f, models.BooleanField):
            specs[name] = _Spec("bool")
        elif isinstance(f, models.PositiveSmallIntegerField | models.PositiveIntegerField):
            specs[name] = _Spec("int", required=name in required)
        elif isinstance(f, models.Field) and f.choices:
            specs[name] = _Spec(
                "choice", required=name in required, choices=tuple(str(c[0]) for c in f.choices)
            )
        elif isinstance(f, models.JSONField):
            specs[name] = _Spec("dict")
        else:
            specs[name] = _Spec("str", required=name in required, max_length=getattr(f, "max_length", None))
    return specs


DEPARTMENT_SPEC = _model_specs(
    Department, ("code", "name", "name_en", "short_name", "phone", "review_days"), ("code", "name")
)
GROUP_SPEC = _model_specs(MatterGroup, ("code", "name", "name_en", "order"), ("code", "name"))
MATERIAL_TYPE_SPEC = _model_specs(MaterialType, ("code", "name", "name_en", "description"), ("code", "name"))
MATTER_SPEC = {
    **_model_specs(Matter, ("code", "name", "name_en", "type", "active"), ("code", "name", "type")),
    "department": _Spec("code", required=True, ref="departments"),
    "group": _Spec("code", ref="matter_groups"),
    "review_departments": _Spec("codes", ref="departments"),
    "guide": _Spec("dict", required=True),
}
CENTER_SPEC = {
    **_model_specs(
        Center,
        (
            "code",
            "name",
            "name_en",
            "district",
            "subdistrict",
            "address",
            "phone",
            "opening_hours",
            "open_24h",
            "hours_note",
        ),
        ("code", "name", "district", "address"),
    ),
    "zones": _Spec("list"),
    "windows": _Spec("list"),
}
ZONE_SPEC = _model_specs(Zone, ("kind", "name", "location", "open_24h", "description"), ("kind", "name"))
WINDOW_SPEC = {
    **_model_specs(Window, ("number", "name", "name_en", "kind", "active"), ("number",)),
    "matter_groups": _Spec("codes", ref="matter_groups"),
    "matters": _Spec("codes", ref="matters"),
}
WINDOW_SPEC["number"].min_value = 1
WINDOW_SPEC["number"].max_value = 999
BUNDLE_SPEC = {
    **_model_specs(
        Bundle, ("code", "name", "name_en", "description", "keywords", "synonyms", "active"), ("code", "name")
    ),
    "matters": _Spec("codes", required=True, ref="matters"),
}
SYNONYM_SPEC = _model_specs(Synonym, ("term", "expansions"), ("term", "expansions"))
DEPARTMENT_SPEC["review_days"].max_value = 60


class _Validator:
    def __init__(self, data: Mapping[str, Any]) -> None:
        self.data = data
        self.errors: list[FieldError] = []
        self.known: dict[str, set[str]] = {}

    def err(self, record: str, field_name: str, zh: str, en: str) -> None:
        self.errors.append(FieldError(record, field_name, zh, en))

    def section(self, name: str) -> list[Any]:
        value = self.data.get(name, [])
        if value is None:
            return []
        if not isinstance(value, list):
            self.err(name, "", "应为记录列表", "Must be a list of records")
            return []
        return value

    def run(self) -> list[FieldError]:
        fmt = self.data.get("format", FORMAT)
        if fmt != FORMAT:
            self.err("文件", "format", f"不支持的格式“{fmt}”，应为 {FORMAT}", f"Unsupported format {fmt!r}")
        for key in set(self.data) - {*SECTIONS, "format"}:
            self.err("文件", str(key), "未知的部分", "Unknown section")
        # codes known = in the database or defined in this file (checked for duplicates)
        self.known = {
            "departments": set(Department.objects.values_list("code", flat=True)),
            "matter_groups": set(MatterGroup.objects.values_list("code", flat=True)),
            "material_types": set(MaterialType.objects.values_list("code", flat=True)),
            "matters": set(Matter.objects.values_list("code", flat=True)),
        }
        for name, key in (
            ("departments", "code"),
            ("matter_groups", "code"),
            ("material_types", "code"),
            ("matters", "code"),
            ("centers", "code"),
            ("bundles", "code"),
            ("synonyms", "term"),
        ):
            seen: set[str] = set()
            for i, rec in enumerate(self.section(name)):
                if isinstance(rec, Mapping) and isinstance(rec.get(key), str):
                    if rec[key] in seen:
                        self.err(
                            self.label(name, i, rec),
                            key,
                            f"“{rec[key]}”在文件中重复",
                            f"{rec[key]!r} appears twice",
                        )
                    seen.add(rec[key])
            if name in self.known:
                self.known[name] |= seen
        specs = {
            "departments": DEPARTMENT_SPEC,
            "matter_groups": GROUP_SPEC,
            "material_types": MATERIAL_TYPE_SPEC,
            "matters": MATTER_SPEC,
            "centers": CENTER_SPEC,
            "bundles": BUNDLE_SPEC,
            "synonyms": SYNONYM_SPEC,
        }
        for name in SECTIONS:
            for i, rec in enumerate(self.section(name)):
                label = self.label(name, i, rec)
                if self.record(label, rec, specs[name]):
                    extra = getattr(self, f"check_{name}", None)
                    if extra is not None:
                        extra(label, rec)
        return self.errors

    @staticmethod
    def label(section: str, index: int, rec: Any) -> str:
        key = "term" if section == "synonyms" else "code"
        natural = rec.get(key) if isinstance(rec, Mapping) else None
        return f"{section}[{index}]" + (f" {natural}" if isinstance(natural, str) and natural else "")

    def record(self, label: str, rec: Any, specs: Mapping[str, _Spec], prefix: str = "") -> bool:
        if not isinstance(rec, Mapping):
            self.err(label, prefix.rstrip("."), "应为一条记录（映射）", "Must be a record (mapping)")
            return False
        for key in set(rec) - set(specs):
            self.err(label, prefix + str(key), "未知字段", "Unknown field")
        for key, spec in specs.items():
            self.value(label, prefix + key, rec.get(key), spec, present=key in rec)
        return True

    def value(self, label: str, name: str, value: Any, spec: _Spec, *, present: bool) -> None:
        if value is None or (spec.kind in {"str", "code", "choice"} and value == ""):
            if spec.required:
                self.err(label, name, "必须填写", "Required")
            elif value is None and present and spec.kind not in {"code"}:
                self.err(label, name, "不能为空值", "Must not be null")
            return
        if spec.kind == "str":
            if not isinstance(value, str):
                self.err(label, name, "应为文本", "Must be text")
            elif spec.max_length and len(value) > spec.max_length:
                self.err(
                    label, name, f"不能超过 {spec.max_length} 个字", f"At most {spec.max_length} characters"
                )
        elif spec.kind == "int":
            if (
                not isinstance(value, int)
                or isinstance(value, bool)
                or not spec.min_value <= value <= spec.max_value
            ):
                self.err(
                    label,
                    name,
                    f"应为 {spec.min_value} 到 {spec.max_value} 之间的整数",
                    f"Must be a whole number {spec.min_value}..{spec.max_value}",
                )
        elif spec.kind == "bool":
            if not isinstance(value, bool):
                self.err(label, name, "应为 是/否（true/false）", "Must be true or false")
        elif spec.kind == "choice":
            if value not in spec.choices:
                self.err(
                    label,
                    name,
                    f"应为 {'、'.join(spec.choices)} 之一",
                    f"Must be one of {', '.join(spec.choices)}",
                )
        elif spec.kind == "code":
            if not isinstance(value, str) or value not in self.known[spec.ref]:
                self.err(label, name, f"引用的“{value}”不存在", f"Refers to unknown {spec.ref} {value!r}")
        elif spec.kind == "codes":
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                self.err(label, name, "应为编码列表", "Must be a list of codes")
                return
            missing = [v for v in value if v not in self.known[spec.ref]]
            if missing:
                self.err(
                    label,
                    name,
                    f"引用的“{'、'.join(missing)}”不存在",
                    f"Refers to unknown {spec.ref}: {', '.join(missing)}",
                )
            if len(set(value)) != len(value):
                self.err(label, name, "列表中有重复的编码", "Duplicate codes in the list")
        elif spec.kind == "dict" and not isinstance(value, dict):
            self.err(label, name, "应为映射（字典）", "Must be a mapping")
        elif spec.kind == "list" and not isinstance(value, list):
            self.err(label, name, "应为列表", "Must be a list")

    # per-section checks beyond the field specs

    def check_matters(self, label: str, rec: Mapping[str, Any]) -> None:
        guide = rec.get("guide")
        if not isinstance(guide, Mapping):
            return
        fields = {k: v for k, v in guide.items() if k != "materials"}
        full = {**GUIDE_DEFAULTS, **fields}
        self.errors += validate_guide_fields(full, record=label, prefix="guide.")
        self.errors += validate_materials(
            guide.get("materials", []),
            known_types=self.known["material_types"],
            record=label,
            prefix="guide.materials",
        )

    def check_centers(self, label: str, rec: Mapping[str, Any]) -> None:
        hours = rec.get("opening_hours")
        if isinstance(hours, Mapping):
            for day, spans in hours.items():
                if day not in DAYS:
                    self.err(
                        label,
                        f"opening_hours.{day}",
                        f"应为 {'、'.join(DAYS)} 之一",
                        f"Day must be one of {DAYS}",
                    )
                    continue
                ok = isinstance(spans, list) and all(
                    isinstance(s, list)
                    and len(s) == 2
                    and all(isinstance(t, str) and _TIME.match(t) for t in s)
                    and s[0] < s[1]
                    for s in spans
                )
                if not ok:
                    self.err(
                        label,
                        f"opening_hours.{day}",
                        '应为时段列表，如 [["09:00", "17:00"]]，开始早于结束',
                        'Must be a list of spans like [["09:00", "17:00"]], start before end',
                    )
        zones = rec.get("zones")
        if isinstance(zones, list):
            names: set[str] = set()
            for i, zone in enumerate(zones):
                if self.record(label, zone, ZONE_SPEC, prefix=f"zones[{i}]."):
                    if zone.get("name") in names:
                        self.err(label, f"zones[{i}].name", "功能区名称重复", "Duplicate zone name")
                    names.add(zone.get("name"))
        windows = rec.get("windows")
        if isinstance(windows, list):
            numbers: set[int] = set()
            for i, window in enumerate(windows):
                if self.record(label, window, WINDOW_SPEC, prefix=f"windows[{i}]."):
                    if window.get("number") in numbers:
                        self.err(label, f"windows[{i}].number", "窗口号重复", "Duplicate window number")
                    numbers.add(window.get("number"))

    def check_bundles(self, label: str, rec: Mapping[str, Any]) -> None:
        matters = rec.get("matters")
        if isinstance(matters, list) and len(matters) < 2:
            self.err(label, "matters", "一件事至少包含两个事项", "A bundle combines at least two matters")

    def check_synonyms(self, label: str, rec: Mapping[str, Any]) -> None:
        expansions = rec.get("expansions")
        if isinstance(expansions, str) and not expansions.split():
            self.err(label, "expansions", "必须填写至少一个规范词", "At least one catalog word is required")


def catalog_validate(data: Mapping[str, Any]) -> list[FieldError]:
    """Every problem in the document, by record and field (empty = valid)."""
    return _Validator(data).run()


# --- applying ------------------------------------------------------------------------------------------


_QUERY = object()


def _upsert(
    report: ImportReport,
    kind: str,
    model: type[models.Model],
    lookup: dict[str, Any],
    values: dict[str, Any],
    existing: Any = _QUERY,
) -> tuple[Any, str]:
    """Create or update one record by its natural key; returns (object, "created"|"updated"|"unchanged").

    ``existing`` is the record already loaded by the caller (or None when known to be new)."""
    obj = model._default_manager.filter(**lookup).first() if existing is _QUERY else existing
    if obj is None:
        obj = model._default_manager.create(**lookup, **values)
        report.created[kind] += 1
        return obj, "created"
    changed = [k for k, v in values.items() if getattr(obj, k) != v]
    if not changed:
        report.unchanged[kind] += 1
        return obj, "unchanged"
    for k in changed:
        setattr(obj, k, values[k])
    obj.save(update_fields=[k.removesuffix("_id") if k.endswith("_id") else k for k in changed])
    report.updated[kind] += 1
    return obj, "updated"


def _mark_updated(report: ImportReport, kind: str, status: str) -> str:
    """A record whose own fields were unchanged but whose relations changed counts as updated."""
    if status == "unchanged":
        report.unchanged[kind] -= 1
        report.updated[kind] += 1
    return "updated" if status != "created" else status


def _pick(
    rec: Mapping[str, Any], specs: Mapping[str, _Spec], model: type[models.Model], skip: tuple[str, ...]
) -> dict[str, Any]:
    """Values for the model's own fields: given ones, and the model default for absent ones."""
    values: dict[str, Any] = {}
    for key, spec in specs.items():
        if key in skip or spec.kind in {"code", "codes", "list"} or key == "guide":
            continue
        if key in rec:
            values[key] = rec[key]
        else:
            f = model._meta.get_field(key)
            assert isinstance(f, models.Field)
            values[key] = f.get_default()
    return values


def _set_m2m(manager: Any, objs: list[Any], current: set[int] | None = None) -> bool:
    """Set a many-to-many relation; True when it changed. ``current``: the pks if already loaded."""
    before = current if current is not None else set(manager.values_list("pk", flat=True))
    if before == {o.pk for o in objs}:
        return False
    manager.set(objs)
    return True


def catalog_import(
    *, data: Mapping[str, Any], actor: Any = None, dry_run: bool = False, note: str = ""
) -> ImportReport:
    """Validate the whole document, then apply it in one transaction. Raises CatalogImportInvalid."""
    errors = catalog_validate(data)
    if errors:
        raise CatalogImportInvalid(errors)
    report = ImportReport(dry_run=dry_run)
    try:
        with transaction.atomic():
            _apply(data, report, actor=actor, note=note or "目录导入")
            audit_log(
                actor=actor, action="catalog.import", object_type="catalog.catalog", data=report.as_dict()
            )
            if dry_run:
                raise _Rollback
    except _Rollback:
        pass
    return report


def _apply(data: Mapping[str, Any], report: ImportReport, *, actor: Any, note: str) -> None:
    for rec in data.get("departments") or []:
        _upsert(
            report,
            "departments",
            Department,
            {"code": rec["code"]},
            _pick(rec, DEPARTMENT_SPEC, Department, ("code",)),
        )
    for rec in data.get("matter_groups") or []:
        _upsert(
            report,
            "matter_groups",
            MatterGroup,
            {"code": rec["code"]},
            _pick(rec, GROUP_SPEC, MatterGroup, ("code",)),
        )
    for rec in data.get("material_types") or []:
        _upsert(
            report,
            "material_types",
            MaterialType,
            {"code": rec["code"]},
            _pick(rec, MATERIAL_TYPE_SPEC, MaterialType, ("code",)),
        )
    departments = {d.code: d for d in Department.objects.all()}
    groups = {g.code: g for g in MatterGroup.objects.all()}
    matter_recs = data.get("matters") or []
    # Load every matter of the file with its reviewers and current guide in a few queries,
    # so an unchanged matter costs none (a catalog sync mostly re-sends what is there).
    loaded = {
        m.code: m
        for m in Matter.objects.filter(code__in=[r["code"] for r in matter_recs])
        .select_related("current_version")
        .prefetch_related(
            "review_departments",
            Prefetch(
                "current_version__materials",
                queryset=Material.objects.select_related("material_type").order_by("order", "id"),
            ),
        )
    }
    types = {t.code: t for t in MaterialType.objects.all()} if matter_recs else {}
    drafts: list[GuideDraft] = []
    for rec in matter_recs:
        values = _pick(rec, MATTER_SPEC, Matter, ("code",))
        values["department_id"] = departments[rec["department"]].pk
        values["group_id"] = groups[rec["group"]].pk if rec.get("group") else None
        known = loaded.get(rec["code"])
        matter, status = _upsert(report, "matters", Matter, {"code": rec["code"]}, values, existing=known)
        reviewers = [departments[c] for c in rec.get("review_departments") or []]
        current = {d.pk for d in known.review_departments.all()} if known is not None else set()
        if _set_m2m(matter.review_departments, reviewers, current):
            _mark_updated(report, "matters", status)
        draft = _guide_draft(report, matter, rec["guide"], types=types)
        if draft is not None:
            drafts.append(draft)
    for version in guides_publish_bulk(drafts=drafts, actor=actor, note=note):
        report.published.append((version.matter.code, version.version))
    matters = {m.code: m for m in Matter.objects.all()} if data.get("centers") or data.get("bundles") else {}
    for rec in data.get("centers") or []:
        center, status = _upsert(
            report, "centers", Center, {"code": rec["code"]}, _pick(rec, CENTER_SPEC, Center, ("code",))
        )
        if "zones" in rec:
            keep = []
            for order, zone in enumerate(rec["zones"]):
                values = _pick(zone, ZONE_SPEC, Zone, ("name",))
                values["order"] = order
                keep.append(
                    _upsert(report, "zones", Zone, {"center": center, "name": zone["name"]}, values)[0].pk
                )
            removed, _ = Zone.objects.filter(center=center).exclude(pk__in=keep).delete()
            if removed:
                report.updated["zones"] += removed
        for wrec in rec.get("windows") or []:
            window, wstatus = _upsert(
                report,
                "windows",
                Window,
                {"center": center, "number": wrec["number"]},
                _pick(wrec, WINDOW_SPEC, Window, ("number",)),
            )
            changed = _set_m2m(window.matter_groups, [groups[c] for c in wrec.get("matter_groups") or []])
            changed = _set_m2m(window.matters, [matters[c] for c in wrec.get("matters") or []]) or changed
            if changed:
                _mark_updated(report, "windows", wstatus)
    for rec in data.get("bundles") or []:
        bundle, status = _upsert(
            report, "bundles", Bundle, {"code": rec["code"]}, _pick(rec, BUNDLE_SPEC, Bundle, ("code",))
        )
        wanted = [matters[c].pk for c in rec["matters"]]
        items = list(
            BundleItem.objects.filter(bundle=bundle).order_by("order").values_list("matter_id", flat=True)
        )
        if items != wanted:
            BundleItem.objects.filter(bundle=bundle).delete()
            BundleItem.objects.bulk_create(
                [BundleItem(bundle=bundle, matter_id=pk, order=i) for i, pk in enumerate(wanted)]
            )
            _mark_updated(report, "bundles", status)
    for rec in data.get("synonyms") or []:
        _upsert(report, "synonyms", Synonym, {"term": rec["term"]}, {"expansions": rec["expansions"]})


def _guide_draft(
    report: ImportReport, matter: Matter, guide: Mapping[str, Any], *, types: Mapping[str, MaterialType]
) -> GuideDraft | None:
    """The guide to publish for ``matter``, or None when it equals the current one (loaded by the caller)."""
    fields = {**GUIDE_DEFAULTS, **{k: v for k, v in guide.items() if k != "materials"}}
    materials = list(guide.get("materials") or [])
    current = matter.current_version
    if (
        current is not None
        and guide_fields_of(current) == fields
        and materials_of(current) == normalise_materials(materials, types)
    ):
        report.unchanged["guides"] += 1
        return None
    return GuideDraft(matter=matter, fields=fields, materials=materials)


# --- export --------------------------------------------------------------------------------------------


def _values(obj: models.Model, names: tuple[str, ...] | list[str]) -> dict[str, Any]:
    return {n: getattr(obj, n) for n in names}


def catalog_export() -> dict[str, Any]:
    """The whole catalog (current guide versions) in the import shape; importing it changes nothing."""
    matters = (
        Matter.objects.select_related("department", "group", "current_version")
        .prefetch_related("review_departments", "current_version__materials__material_type")
        .order_by("code")
    )
    centers = Center.objects.prefetch_related("zones", "windows__matter_groups", "windows__matters").order_by(
        "code"
    )
    bundles = Bundle.objects.prefetch_related("items__matter").order_by("code")
    out_matters = []
    for m in matters:
        rec = _values(m, ("code", "name", "name_en", "type", "active"))
        rec["department"] = m.department.code
        rec["group"] = m.group.code if m.group else None
        rec["review_departments"] = sorted(d.code for d in m.review_departments.all())
        if m.current_version is not None:
            guide = guide_fields_of(m.current_version)
            guide["materials"] = materials_of(m.current_version)
            rec["guide"] = guide
        out_matters.append(rec)
    out_centers = []
    for c in centers:
        rec = _values(c, [k for k, s in CENTER_SPEC.items() if s.kind not in {"list"}])
        rec["zones"] = [_values(z, tuple(ZONE_SPEC)) for z in c.zones.all()]
        rec["windows"] = [
            {
                **_values(w, ("number", "name", "name_en", "kind", "active")),
                "matter_groups": sorted(g.code for g in w.matter_groups.all()),
                "matters": sorted(x.code for x in w.matters.all()),
            }
            for w in c.windows.all()
        ]
        out_centers.append(rec)
    return {
        "format": FORMAT,
        "departments": [_values(d, tuple(DEPARTMENT_SPEC)) for d in Department.objects.order_by("code")],
        "matter_groups": [
            _values(g, tuple(GROUP_SPEC)) for g in MatterGroup.objects.order_by("order", "code")
        ],
        "material_types": [
            _values(t, tuple(MATERIAL_TYPE_SPEC)) for t in MaterialType.objects.order_by("code")
        ],
        "matters": out_matters,
        "centers": out_centers,
        "bundles": [
            {
                **_values(b, ("code", "name", "name_en", "description", "keywords", "synonyms", "active")),
                "matters": [i.matter.code for i in b.items.all()],
            }
            for b in bundles
        ],
        "synonyms": [_values(s, ("term", "expansions")) for s in Synonym.objects.order_by("term")],
    }


def catalog_dump(data: Mapping[str, Any], *, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    return yaml.safe_dump(dict(data), allow_unicode=True, sort_keys=False, width=100)


# --- materials CSV -------------------------------------------------------------------------------------

_TRUE = {"1", "true", "yes", "y", "是", "√"}
_FALSE = {"0", "false", "no", "n", "否", ""}


def materials_csv_export() -> str:
    """Materials of every matter's current guide: one row per material, UTF-8 with BOM for Excel."""
    buf = io.StringIO()
    buf.write("\ufeff")
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    matters = (
        Matter.objects.filter(current_version__isnull=False)
        .select_related("current_version")
        .prefetch_related("current_version__materials__material_type")
        .order_by("code")
    )
    for m in matters:
        assert m.current_version is not None
        for i, mat in enumerate(materials_of(m.current_version), start=1):
            writer.writerow(
                [
                    m.code,
                    i,
                    *(
                        ("是" if mat[k] else "否") if isinstance(mat[k], bool) else mat[k]
                        for k in MATERIAL_FIELDS
                    ),
                ]
            )
    return buf.getvalue()


def _csv_cell(
    row: dict[str, str], key: str, parse: Callable[[str], Any], errors: list[FieldError], label: str
) -> Any:
    raw = (row.get(key) or "").strip()
    try:
        return parse(raw)
    except ValueError as exc:
        errors.append(FieldError(label, key, str(exc), f"Invalid value {raw!r}"))
        return None


def _parse_bool(raw: str) -> bool:
    low = raw.lower()
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    raise ValueError(f"“{raw}”应为 是/否")


def _parse_int(raw: str) -> int:
    if not raw.isdigit():
        raise ValueError(f"“{raw}”应为正整数")
    return int(raw)


def materials_csv_import(
    *, text: str, actor: Any = None, dry_run: bool = False, note: str = ""
) -> ImportReport:
    """Replace the materials of each matter named in the CSV (rows ordered by ``order``).

    Every matter whose list differs gets a new guide version; columns as in
    :func:`materials_csv_export`. Errors name the line ("第 N 行") and the column.
    """
    errors: list[FieldError] = []
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = [c for c in ("matter", "material_type") if c not in (reader.fieldnames or [])]
    if missing:
        raise CatalogImportInvalid(
            [FieldError("文件", c, "缺少必需的列", "Required column missing") for c in missing]
        )
    unknown_cols = [c for c in reader.fieldnames or [] if c not in CSV_COLUMNS]
    errors += [FieldError("文件", c, "未知的列", "Unknown column") for c in unknown_cols]
    matters = {m.code: m for m in Matter.objects.all()}
    type_codes = set(MaterialType.objects.values_list("code", flat=True))
    by_matter: dict[str, list[tuple[int, dict[str, Any], str]]] = defaultdict(list)
    for line, row in enumerate(reader, start=2):
        label = f"第 {line} 行"
        code = (row.get("matter") or "").strip()
        if code not in matters:
            errors.append(FieldError(label, "matter", f"事项“{code}”不存在", f"Unknown matter {code!r}"))
        item: dict[str, Any] = {"material_type": (row.get("material_type") or "").strip()}
        for key in ("name", "form", "template_url", "notes"):
            if key in row:
                item[key] = (row.get(key) or "").strip()
        if "form" in item and not item["form"]:
            del item["form"]
        for key, parser in (("count", _parse_int), ("required", _parse_bool), ("rongque", _parse_bool)):
            if (row.get(key) or "").strip():  # blank cell = the default
                value = _csv_cell(row, key, parser, errors, label)
                if value is not None:
                    item[key] = value
        order = (
            _csv_cell(row, "order", _parse_int, errors, label) if (row.get("order") or "").strip() else line
        )
        errors += validate_materials([item], known_types=type_codes, record=label, prefix="")
        by_matter[code].append((order or line, item, label))
    for rows in by_matter.values():
        seen: dict[str, str] = {}
        for _, item, label in rows:
            mt = item["material_type"]
            if mt in seen:
                errors.append(
                    FieldError(
                        label, "material_type", f"与{seen[mt]}重复（同一事项）", f"Duplicates {seen[mt]}"
                    )
                )
            seen[mt] = label
    # validate_materials labels fields "[0].x"; make them plain column names
    errors = [
        FieldError(e.record, re.sub(r"^\[\d+\]\.", "", e.field), e.message, e.message_en) for e in errors
    ]
    if errors:
        raise CatalogImportInvalid(errors)
    report = ImportReport(dry_run=dry_run)
    try:
        with transaction.atomic():
            for code, rows in sorted(by_matter.items()):
                matter = matters[code]
                items = [item for _, item, _ in sorted(rows, key=lambda r: r[0])]
                current = current_guide(matter)
                types = {
                    t.code: t
                    for t in MaterialType.objects.filter(code__in=[i["material_type"] for i in items])
                }
                if current is not None and materials_of(current) == normalise_materials(items, types):
                    report.unchanged["guides"] += 1
                    continue
                version = guide_publish(
                    matter=matter, actor=actor, changes={}, materials=items, note=note or "材料清单导入"
                )
                report.published.append((code, version.version))
            audit_log(
                actor=actor,
                action="catalog.materials_import",
                object_type="catalog.catalog",
                data=report.as_dict(),
            )
            if dry_run:
                raise _Rollback
    except _Rollback:
        pass
    return report

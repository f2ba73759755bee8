"""Django admin (Chinese) for the catalog.

Reference data (departments, centers, zones, windows, groups, material types, bundles,
synonyms) is edited in place and every save or delete is written to the audit log.
Guides are different: a published :class:`GuideVersion` is read-only, and the only way to
change a guide is the "发布新版本" page, which calls :func:`services.guide_publish`.
"""

from __future__ import annotations

import re
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from tongban.accounts.http import client_ip
from tongban.core.audit import audit_log
from tongban.core.errors import ValidationError

from . import selectors
from .forms import CatalogUploadForm, GuidePublishForm, MaterialFormSet, formset_items, material_initial
from .models import (
    Bundle,
    BundleItem,
    Center,
    Department,
    GuideVersion,
    Material,
    MaterialType,
    Matter,
    MatterGroup,
    Synonym,
    Window,
    Zone,
)
from .services import GuideUnchanged, guide_publish
from .transfer import (
    CatalogImportInvalid,
    ImportReport,
    catalog_dump,
    catalog_export,
    catalog_import,
    catalog_parse,
    materials_csv_export,
    materials_csv_import,
)


class AuditedAdmin(admin.ModelAdmin):
    """Writes an audit entry for every create, change and delete made through the admin."""

    def _audit(self, request: HttpRequest, obj: Any, verb: str, data: dict[str, Any] | None = None) -> None:
        audit_log(
            actor=request.user,
            action=f"catalog.{obj._meta.model_name}.{verb}",
            obj=obj,
            data=data or {},
            ip=client_ip(request),
        )

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        self._audit(request, obj, "update" if change else "create", {"fields": sorted(form.changed_data)})

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        self._audit(request, obj, "delete", {"repr": str(obj)})
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for obj in queryset:
            self._audit(request, obj, "delete", {"repr": str(obj)})
        super().delete_queryset(request, queryset)


@admin.register(Department)
class DepartmentAdmin(AuditedAdmin):
    list_display = ("code", "name", "short_name", "phone", "review_days")
    search_fields = ("code", "name", "short_name")


@admin.register(MatterGroup)
class MatterGroupAdmin(AuditedAdmin):
    list_display = ("code", "name", "order")
    list_editable = ("order",)
    search_fields = ("code", "name")


@admin.register(MaterialType)
class MaterialTypeAdmin(AuditedAdmin):
    list_display = ("code", "name", "name_en")
    search_fields = ("code", "name")


@admin.register(Synonym)
class SynonymAdmin(AuditedAdmin):
    list_display = ("term", "expansions")
    search_fields = ("term", "expansions")


class ZoneInline(admin.TabularInline):
    model = Zone
    extra = 0
    fields = ("order", "kind", "name", "location", "open_24h", "description")


class WindowInline(admin.TabularInline):
    model = Window
    extra = 0
    fields = ("number", "name", "name_en", "kind", "active")
    show_change_link = True


@admin.register(Center)
class CenterAdmin(AuditedAdmin):
    list_display = ("code", "name", "district", "open_24h")
    search_fields = ("code", "name", "subdistrict")
    inlines = [ZoneInline, WindowInline]

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        super().save_formset(request, form, formset, change)
        if formset.has_changed():
            self._audit(request, form.instance, "update", {"inline": formset.model._meta.model_name})


@admin.register(Window)
class WindowAdmin(AuditedAdmin):
    list_display = ("__str__", "center", "number", "kind", "active")
    list_filter = ("center", "kind", "active")
    filter_horizontal = ("matter_groups", "matters")


class GuideVersionInline(admin.TabularInline):
    """The version history of a matter, read-only: published versions are never edited."""

    model = GuideVersion
    fields = ("version", "published_at", "published_by", "change_note", "promised_days", "visits")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True
    ordering = ("-version",)
    verbose_name_plural = _("办事指南版本（已发布的版本不可修改）")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Matter)
class MatterAdmin(AuditedAdmin):
    list_display = ("code", "name", "type", "department", "group", "version_number", "active")
    list_filter = ("type", "group", "department", "active")
    search_fields = ("code", "name", "name_en")
    filter_horizontal = ("review_departments",)
    readonly_fields = ("current_version",)
    inlines = [GuideVersionInline]
    change_form_template = "admin/catalog/matter/change_form.html"
    list_select_related = ("department", "group", "current_version")

    @admin.display(description=_("指南版本"), ordering="current_version__version")
    def version_number(self, obj: Matter) -> str:
        return f"v{obj.current_version.version}" if obj.current_version else "—"

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Applications refer to matters and their guide versions: stop a matter with "在办" instead.
        return False

    change_list_template = "admin/catalog/matter/change_list.html"

    def get_urls(self) -> list[Any]:
        return [
            path(
                "<id:object_id>/publish/",
                self.admin_site.admin_view(self.publish_view),
                name="catalog_matter_publish",
            ),
            path("transfer/", self.admin_site.admin_view(self.transfer_view), name="catalog_matter_transfer"),
            path(
                "export/<str:fmt>/",
                self.admin_site.admin_view(self.export_view),
                name="catalog_matter_export",
            ),
            *super().get_urls(),
        ]

    def export_view(self, request: HttpRequest, fmt: str) -> HttpResponse:
        if fmt not in EXPORT_TYPES or not self.has_view_permission(request):
            raise PermissionDenied
        text = materials_csv_export() if fmt == "csv" else catalog_dump(catalog_export(), fmt=fmt)
        response = HttpResponse(text, content_type=EXPORT_TYPES[fmt])
        stamp = timezone.localdate().isoformat()
        response["Content-Disposition"] = f'attachment; filename="tongban-catalog-{stamp}.{fmt}"'
        return response

    def transfer_view(self, request: HttpRequest) -> HttpResponse:
        """Upload a catalog (YAML/JSON) or materials CSV; dry run first, then import. All or nothing."""
        if not (self.has_add_permission(request) and self.has_change_permission(request)):
            raise PermissionDenied
        form = CatalogUploadForm(request.POST or None, request.FILES or None)
        report = None
        errors: list[dict[str, str]] = []
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            fmt = upload.name.rsplit(".", 1)[-1].lower().replace("yml", "yaml")
            dry_run = form.cleaned_data["dry_run"]
            note = form.cleaned_data["note"]
            try:
                text = upload.read().decode("utf-8-sig")
                if fmt == "csv":
                    report = materials_csv_import(text=text, actor=request.user, dry_run=dry_run, note=note)
                else:
                    data = catalog_parse(text, fmt=fmt)
                    report = catalog_import(data=data, actor=request.user, dry_run=dry_run, note=note)
            except UnicodeDecodeError:
                form.add_error("file", _("文件不是 UTF-8 编码"))
            except CatalogImportInvalid as exc:
                errors = exc.details["errors"]
                messages.error(request, exc.message)
            else:
                if dry_run:
                    messages.info(request, _("试导入完成：文件无误，以下是将要发生的变化；未写入任何内容。"))
                else:
                    messages.success(request, _("导入完成。"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("导入/导出事项目录"),
            "form": form,
            "report": report,
            "report_rows": _report_rows(report),
            "errors": errors,
        }
        return TemplateResponse(request, "admin/catalog/matter/transfer.html", context)

    def response_add(
        self, request: HttpRequest, obj: Any, post_url_continue: str | None = None
    ) -> HttpResponse:
        messages.info(request, _("事项已创建，请发布第 1 版办事指南。"))
        return HttpResponseRedirect(reverse("admin:catalog_matter_publish", args=[obj.pk]))

    def publish_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        matter = get_object_or_404(Matter, pk=object_id)
        if not self.has_change_permission(request, matter):
            raise PermissionDenied
        current = matter.current_version
        base = GuideVersion(matter=matter) if current is None else current
        if request.method == "POST":
            form = GuidePublishForm(request.POST, instance=base)
            formset = MaterialFormSet(request.POST, prefix="materials", initial=material_initial(current))
            if form.is_valid() and formset.is_valid():
                try:
                    version = guide_publish(
                        matter=matter,
                        actor=request.user,
                        changes=form.changes(),
                        materials=formset_items(formset),
                        note=form.cleaned_data["change_note"],
                    )
                except GuideUnchanged as exc:
                    messages.warning(request, exc.message)
                except ValidationError as exc:
                    for e in exc.details.get("errors", []):
                        form.add_error(None, f"{_field_label(e['field'])}：{e['message']}")
                    if not exc.details.get("errors"):
                        form.add_error(None, exc.message)
                else:
                    messages.success(
                        request, _("已发布第 %(v)d 版办事指南；以前的版本保持不变。") % {"v": version.version}
                    )
                    return HttpResponseRedirect(reverse("admin:catalog_matter_change", args=[matter.pk]))
        else:
            form = GuidePublishForm(instance=base, initial={"change_note": ""})
            formset = MaterialFormSet(prefix="materials", initial=material_initial(current))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": matter,
            "matter": matter,
            "current": current,
            "form": form,
            "formset": formset,
            "title": _("发布新版本：%(name)s") % {"name": matter.name},
        }
        return TemplateResponse(request, "admin/catalog/matter/publish.html", context)


EXPORT_TYPES = {
    "yaml": "application/yaml; charset=utf-8",
    "json": "application/json; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
}


def _report_rows(report: ImportReport | None) -> list[tuple[str, int, int, int]]:
    if report is None:
        return []
    kinds = sorted(set(report.created) | set(report.updated) | set(report.unchanged))
    return [(k, report.created[k], report.updated[k], report.unchanged[k]) for k in kinds]


def _field_label(path: str) -> str:
    """ "materials[2].count" → "申请材料第 3 项 · 份数"; "promised_days" → its verbose name."""
    match = re.fullmatch(r"materials\[(\d+)\]\.(\w+)", path)
    if match:
        try:
            label = str(getattr(Material._meta.get_field(match[2]), "verbose_name", match[2]))
        except FieldDoesNotExist:
            label = match[2]
        return f"申请材料第 {int(match[1]) + 1} 项 · {label}"
    try:
        return str(getattr(GuideVersion._meta.get_field(path), "verbose_name", path))
    except FieldDoesNotExist:
        return path


class MaterialInline(admin.TabularInline):
    model = Material
    fields = ("order", "material_type", "name", "form", "count", "required", "rongque", "notes")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(GuideVersion)
class GuideVersionAdmin(admin.ModelAdmin):
    """Published versions: view only. Publish a new version from the matter's page."""

    list_display = ("matter", "version", "published_at", "published_by", "change_note")
    list_filter = ("matter__group",)
    search_fields = ("matter__code", "matter__name")
    list_select_related = ("matter",)
    inlines = [MaterialInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class BundleItemInline(admin.TabularInline):
    model = BundleItem
    extra = 1
    fields = ("order", "matter")
    autocomplete_fields = ("matter",)


@admin.register(Bundle)
class BundleAdmin(AuditedAdmin):
    list_display = ("code", "name", "active")
    search_fields = ("code", "name", "keywords")
    inlines = [BundleItemInline]
    readonly_fields = ("shared_materials",)

    @admin.display(description=_("合并后的材料清单（按当前指南）"))
    def shared_materials(self, obj: Bundle) -> str:
        if not obj.pk:
            return "—"
        rows = selectors.bundle_materials(bundle=obj)
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                "<li>{}（{}）— {}</li>",
                ((m.name, m.form_display, "、".join(u.matter.name for u in m.uses)) for m in rows),
            ),
        )

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        super().save_formset(request, form, formset, change)
        if formset.has_changed():
            self._audit(request, form.instance, "update", {"inline": "bundleitem"})

"""Admin: the working-day calendar (read-only rows; changes go through notice import / library seed)
and the audit log (read-only: no add, change or delete for anyone)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from tongban.core.calendar_notice import dump_notice
from tongban.core.errors import ValidationError
from tongban.core.models import AuditEntry, CalendarDay, CalendarYear
from tongban.core.selectors import calendar_year_grid, calendar_year_notice
from tongban.core.services import calendar_import_notice, calendar_seed_from_library

NOTICE_TEMPLATE = """year: {year}
reference: 国办发明电〔{prev}〕号
title: 国务院办公厅关于{year}年部分节假日安排的通知
published_on: {prev}-11-01
holidays:
  - {{name: 元旦, start: {year}-01-01, end: {year}-01-01}}
  - {{name: 春节, start: {year}-02-01, end: {year}-02-08}}
makeup_workdays:
  - {{date: {year}-02-14, name: 春节调休上班}}
"""


class NoticeImportForm(forms.Form):
    text = forms.CharField(
        label=_("通知内容（YAML或JSON）"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 24, "cols": 90, "style": "font-family: monospace"}),
    )
    file = forms.FileField(label=_("或上传文件"), required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        upload = data.get("file")
        if upload:
            if upload.size > 200_000:
                raise forms.ValidationError(_("文件过大（最多200KB）"))
            try:
                data["text"] = upload.read().decode("utf-8")
            except UnicodeDecodeError as exc:
                raise forms.ValidationError(_("文件应为UTF-8编码的YAML或JSON")) from exc
        if not (data.get("text") or "").strip():
            raise forms.ValidationError(_("请粘贴通知内容或上传文件"))
        return data


class SeedForm(forms.Form):
    first = forms.IntegerField(label=_("起始年份"), min_value=2000, max_value=2100)
    last = forms.IntegerField(label=_("结束年份"), min_value=2000, max_value=2100)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, last = data.get("first"), data.get("last")
        if first and last and not (first <= last <= first + 20):
            raise forms.ValidationError(_("结束年份应不早于起始年份，且最多20年"))
        return data


@admin.register(CalendarYear)
class CalendarYearAdmin(admin.ModelAdmin):
    list_display = ("year", "status", "notice_reference", "source", "day_count", "updated_at", "links")
    list_filter = ("official",)
    readonly_fields = ("year", "official", "source", "notice_reference", "notice_title", "updated_at")
    change_list_template = "admin/core/calendaryear/change_list.html"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A year's page is view-only; "change" (import a notice, seed) goes through the views below.
        return obj is None and super().has_change_permission(request)

    @admin.display(description=_("状态"))
    def status(self, obj: CalendarYear) -> str:
        return str(_("正式（已按通知核定）")) if obj.official else str(_("暂定"))

    def get_queryset(self, request: HttpRequest) -> QuerySet[CalendarYear]:
        return super().get_queryset(request).annotate(_day_count=Count("days"))

    @admin.display(description=_("特殊日期数"), ordering="_day_count")
    def day_count(self, obj: CalendarYear) -> int:
        return int(getattr(obj, "_day_count", 0))

    @admin.display(description="")
    def links(self, obj: CalendarYear) -> str:
        return format_html(
            '<a href="{}">{}</a> · <a href="{}">{}</a>',
            reverse("admin:core_calendaryear_grid", args=[obj.year]),
            _("日历"),
            reverse("admin:core_calendaryear_import") + f"?year={obj.year}",
            _("修订"),
        )

    def get_urls(self) -> list[Any]:
        own = [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="core_calendaryear_import",
            ),
            path("seed/", self.admin_site.admin_view(self.seed_view), name="core_calendaryear_seed"),
            path(
                "<id:year>/calendar/",
                self.admin_site.admin_view(self.grid_view),
                name="core_calendaryear_grid",
            ),
        ]
        return own + super().get_urls()

    def _require_change(self, request: HttpRequest) -> None:
        if not self.has_change_permission(request):
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied

    def import_view(self, request: HttpRequest) -> HttpResponse:
        self._require_change(request)
        errors: list[dict[str, str]] = []
        if request.method == "POST":
            form = NoticeImportForm(request.POST, request.FILES)
            if form.is_valid():
                try:
                    result = calendar_import_notice(data=form.cleaned_data["text"], actor=request.user)
                except ValidationError as exc:
                    form.add_error(None, exc.message)
                    errors = list(exc.details.get("errors", []))
                else:
                    year = result.calendar_year
                    if result.changed:
                        self.message_user(
                            request,
                            _(
                                "已导入%(year)s年通知（%(ref)s）：放假%(h)s天，调休上班%(m)s天；该年度已标为正式。"
                            )
                            % {
                                "year": year.year,
                                "ref": year.notice_reference,
                                "h": result.holidays,
                                "m": result.makeup_workdays,
                            },
                            messages.SUCCESS,
                        )
                    else:
                        self.message_user(request, _("内容与已导入的通知相同，未作更改。"), messages.INFO)
                    return HttpResponseRedirect(reverse("admin:core_calendaryear_grid", args=[year.year]))
        else:
            initial = ""
            year_param = request.GET.get("year", "")
            if year_param.isdigit():
                existing = CalendarYear.objects.filter(year=int(year_param)).first()
                if existing is not None and existing.days.exists():
                    initial = dump_notice(calendar_year_notice(year=existing))
                else:
                    initial = NOTICE_TEMPLATE.format(year=int(year_param), prev=int(year_param) - 1)
            else:
                latest = CalendarYear.objects.filter(official=True).order_by("-year").first()
                next_year = (latest.year + 1) if latest else 2027
                initial = NOTICE_TEMPLATE.format(year=next_year, prev=next_year - 1)
            form = NoticeImportForm(initial={"text": initial})
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("导入/修订国务院节假日安排通知"),
            "form": form,
            "notice_errors": errors,
        }
        return TemplateResponse(request, "admin/core/calendaryear/import.html", context)

    def seed_view(self, request: HttpRequest) -> HttpResponse:
        self._require_change(request)
        if request.method == "POST":
            form = SeedForm(request.POST)
            if form.is_valid():
                try:
                    results = calendar_seed_from_library(
                        years=range(form.cleaned_data["first"], form.cleaned_data["last"] + 1),
                        actor=request.user,
                    )
                except ValidationError as exc:
                    form.add_error(None, exc.message)
                else:
                    labels = {
                        "seeded": _("已补充"),
                        "unchanged": _("无变化"),
                        "skipped_official": _("已有正式通知，未改动"),
                    }
                    summary = "；".join(f"{r.year} {labels[r.status]}" for r in results)
                    self.message_user(request, summary, messages.SUCCESS)
                    return HttpResponseRedirect(reverse("admin:core_calendaryear_changelist"))
        else:
            form = SeedForm(initial={"first": 2020, "last": 2030})
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("从节假日库补充暂定年份"),
            "form": form,
        }
        return TemplateResponse(request, "admin/core/calendaryear/seed.html", context)

    def grid_view(self, request: HttpRequest, year: int) -> HttpResponse:
        if not self.has_view_permission(request):
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied
        cal_year = get_object_or_404(CalendarYear, year=year)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("%(year)s年工作日历") % {"year": year},
            "cal_year": cal_year,
            "months": calendar_year_grid(year=year),
            "weekdays": ["一", "二", "三", "四", "五", "六", "日"],
        }
        return TemplateResponse(request, "admin/core/calendaryear/grid.html", context)


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ("date", "weekday", "kind", "name", "source_year")
    list_filter = ("kind", "source_year")
    date_hierarchy = "date"
    search_fields = ("name",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("星期"))
    def weekday(self, obj: CalendarDay) -> str:
        return "一二三四五六日"[obj.date.weekday()]


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only for everyone, superusers included: the log is evidence."""

    # seq: insertion id (newest first); chain_seq: position in the hash chain, empty until sealed
    list_display = ("seq", "chain_seq", "at", "actor_repr", "action", "object_type", "object_id", "ip")
    # no list_filter: DISTINCT over millions of rows on every page view
    search_fields = ("action", "object_type", "object_id", "actor_repr")
    date_hierarchy = "at"
    show_full_result_count = False
    readonly_fields = [f.name for f in AuditEntry._meta.fields]
    actions = None

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

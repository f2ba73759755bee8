"""The operations dashboard page and its Excel / CSV exports. Charts first, numbers beside them."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from typing import Any, cast

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from tongban.accounts.models import User
from tongban.catalog.models import Center
from tongban.core.errors import TongbanError
from tongban.dashboard import selectors

BREAKDOWNS = {
    "matter": _("按事项"),
    "department": _("按部门"),
    "channel": _("按渠道"),
    "center": _("按中心"),
    "day": _("按日"),
    "month": _("按月"),
}
BREAKDOWN_HEADINGS = {  # the exports' first column
    "matter": _("事项"),
    "department": _("部门"),
    "channel": _("渠道"),
    "center": _("中心"),
    "day": _("日"),
    "month": _("月"),
}
CHANNEL_NAMES = {
    "window": pgettext_lazy("channel", "窗口"),
    "online": _("网上"),
    "kiosk": _("自助终端"),
    "cabinet": _("智能文件柜"),
    "": "—",
}
TABLE_COLUMNS: list[tuple[str, Any]] = [
    ("applications", _("受理量")),
    ("decided", _("办结量")),
    ("on_time_rate", _("按时办结率")),
    ("avg_processing_days", _("平均办理（工作日）")),
    ("p90_processing_days", _("P90办理（工作日）")),
    ("supplement_rate", _("补正率")),
    ("online_share", _("网办占比")),
    ("tickets", _("取号量")),
    ("avg_wait_minutes", _("平均等候（分钟）")),
    # the upper bound of the band holding the 90th percentile (WAIT_BOUNDS), not the exact figure the queue
    # statistics compute from each ticket: said in the heading so the two are not read as disagreeing
    ("p90_wait_minutes", _("P90等候（分钟，按分档）")),
    ("cabinet_pickups", _("文件柜取件")),
    ("cabinet_pickups_night", _("其中夜间")),
    ("ratings", _("评价数")),
    ("satisfaction_rate", _("满意率")),
    ("bad_ratings", _("差评")),
]
LEVEL_NAMES = [(5, _("非常满意")), (4, _("满意")), (3, _("基本满意")), (2, _("不满意")), (1, _("非常不满意"))]


def _chart_labels() -> dict[str, Any]:
    """The words the charts draw themselves (legends, axes), in the page's language."""
    return {
        "save": _("保存图片"),
        "received": pgettext_lazy("chart", "受理"),
        "decided": pgettext_lazy("chart", "办结"),
        "tickets": pgettext_lazy("chart", "取号"),
        "satisfaction": _("满意率%"),
        "avg_wait": _("平均等候(分钟)"),
        "hour": _("%(h)s时"),
        "states": [
            ["open", _("待回访")],
            ["contacted", _("待核实")],
            ["verified", _("待整改")],
            ["resolved", _("待反馈")],
            ["closed", pgettext_lazy("work order", "已办结")],
            ["cancelled", _("已撤销")],
        ],
    }


def _user(request: HttpRequest) -> User:
    """The signed-in staff member (views using it are behind login_required)."""
    return cast(User, request.user)


def _period(request: HttpRequest) -> tuple[date, date]:
    today = timezone.localdate()
    try:
        date_to = date.fromisoformat(request.GET.get("to") or today.isoformat())
        date_from = date.fromisoformat(request.GET.get("from") or (date_to - timedelta(days=29)).isoformat())
    except ValueError:
        date_from, date_to = today - timedelta(days=29), today
    if date_from > date_to:
        date_from, date_to = date_to, date_from
    return date_from, min(date_to, date_from + timedelta(days=366 * 3))


def _key_label(by: str, key: dict[str, Any]) -> str:
    if by == "channel":
        return str(CHANNEL_NAMES.get(key["channel"], key["channel"]))
    if by == "day":
        return key["day"].isoformat()
    if by == "month":
        return f"{key['month']:%Y-%m}"
    name = key.get(f"{by}__name")
    return str(name) if name else str(_("（未关联事项）")) if by == "matter" else "—"


def _fmt(key: str, value: Any) -> Any:
    if value is None:
        return ""
    if key.endswith("_rate") or key.endswith("_share"):
        return f"{value * 100:.1f}%"
    return value


@login_required
def home(request: HttpRequest) -> HttpResponse:
    try:
        scope = selectors.dashboard_scope(actor=_user(request), center_code=request.GET.get("center"))
    except TongbanError as exc:
        return render(request, "dashboard/message.html", {"message": exc.message}, status=exc.status_code)
    date_from, date_to = _period(request)
    by = request.GET.get("by") or ""
    if by not in BREAKDOWNS:
        by = "center" if scope.district else "matter"
    rows = selectors.period_breakdown(scope=scope, date_from=date_from, date_to=date_to, by=by)
    table = [(_key_label(by, r["key"]), [_fmt(k, r[k]) for k, _l in TABLE_COLUMNS]) for r in rows]
    export = request.GET.get("export")
    if export in {"csv", "xlsx"}:
        return _export(export, by, table, date_from, date_to)
    summary = selectors.summary_of(rows)  # no extra query: the breakdown covers the whole period
    # a trend of up to three months by day, longer periods by month (12 points for a year, not 365)
    trend_by = "day" if (date_to - date_from).days <= 92 else "month"
    daily = selectors.period_breakdown(scope=scope, date_from=date_from, date_to=date_to, by=trend_by)
    channels = (
        rows
        if by == "channel"
        else selectors.period_breakdown(scope=scope, date_from=date_from, date_to=date_to, by="channel")
    )
    matters = (
        rows
        if by == "matter"
        else selectors.period_breakdown(scope=scope, date_from=date_from, date_to=date_to, by="matter")
    )
    top_matters = sorted(matters, key=lambda r: r["applications"], reverse=True)[:10]
    work_orders = selectors.rating_rectification(scope=scope, date_from=date_from, date_to=date_to)
    hours = selectors.night_share_hours(scope=scope, date_from=date_from, date_to=date_to)
    charts = {
        "days": [_key_label(trend_by, r["key"]) for r in daily],
        "received": [r["applications"] for r in daily],
        "decided": [r["decided"] for r in daily],
        "tickets": [r["tickets"] for r in daily],
        "satisfaction": [
            None if r["satisfaction_rate"] is None else round(r["satisfaction_rate"] * 100, 1) for r in daily
        ],
        "avg_wait": [r["avg_wait_minutes"] for r in daily],
        "channels": [
            {"name": CHANNEL_NAMES.get(r["key"]["channel"], r["key"]["channel"]), "value": r["applications"]}
            for r in channels
            if r["applications"]
        ],
        "levels": [{"name": name, "value": summary["ratings_by_level"][n]} for n, name in LEVEL_NAMES],
        "matters": [_key_label("matter", r["key"]) for r in top_matters],
        "matters_count": [r["applications"] for r in top_matters],
        "work_orders": work_orders,
        "hours": hours,
        "labels": _chart_labels(),
    }
    return render(
        request,
        "dashboard/home.html",
        {
            "scope": scope,
            "centers": Center.objects.order_by("code")
            if _user(request).role in selectors.DISTRICT_ROLES
            else [],
            "date_from": date_from,
            "date_to": date_to,
            "summary": summary,
            "live": selectors.live_today(scope=scope),
            "overdue": selectors.overdue_list(scope=scope),
            "available": selectors.available(),
            "by": by,
            "breakdowns": BREAKDOWNS,
            "columns": [label for _k, label in TABLE_COLUMNS],
            "table": table,
            "charts": charts,
            "by_label": BREAKDOWNS[by],
            "work_orders": work_orders,
            "query": request.GET.urlencode(),
        },
    )


def _export(
    fmt: str, by: str, table: list[tuple[str, list[Any]]], date_from: date, date_to: date
) -> HttpResponse:
    header = [str(BREAKDOWN_HEADINGS[by]), *[str(label) for _k, label in TABLE_COLUMNS]]
    name = f"dashboard-{by}-{date_from:%Y%m%d}-{date_to:%Y%m%d}"
    if fmt == "csv":
        buffer = io.StringIO()
        buffer.write("\ufeff")
        writer = csv.writer(buffer)
        writer.writerow(header)
        for label, values in table:
            writer.writerow([label, *values])
        response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    else:
        from openpyxl import Workbook
        from openpyxl.styles import Font

        wb = Workbook()
        ws = wb.active
        ws.title = str(BREAKDOWNS[by])
        ws.append(
            [
                str(
                    _("运行看板 %(from)s 至 %(to)s")
                    % {"from": f"{date_from:%Y-%m-%d}", "to": f"{date_to:%Y-%m-%d}"}
                )
            ]
        )
        ws.append(header)
        for cell in ws[2]:
            cell.font = Font(bold=True)
        for label, values in table:
            ws.append([label, *values])
        ws.column_dimensions["A"].width = 36
        out = io.BytesIO()
        wb.save(out)
        response = HttpResponse(
            out.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response

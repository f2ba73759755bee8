"""Dashboard reads: period figures from the daily rollups, live figures and the overdue list from sources."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from tongban.accounts.models import Role, User
from tongban.catalog.models import Center
from tongban.core.errors import Forbidden, NotFound
from tongban.dashboard.models import PROC_BOUNDS, WAIT_BOUNDS, DailyRollup, MonthlyRollup
from tongban.dashboard.services import source_model, sources_available

COUNTERS = [
    "received",
    "decided",
    "decided_on_time",
    "processing_days_sum",
    "supplements",
    "tickets",
    "tickets_served",
    "wait_minutes_sum",
    "pickups",
    "pickups_night",
    "ratings",
    "ratings_bad",
    *[f"level_{n}" for n in range(1, 6)],
    *[f"proc_b{i}" for i in range(10)],
    *[f"wait_b{i}" for i in range(10)],
]
DISTRICT_ROLES = frozenset({Role.ADMIN, Role.SUPERVISOR})
DASHBOARD_ROLES = frozenset({Role.ADMIN, Role.SUPERVISOR, Role.MANAGER})


@dataclass(frozen=True)
class Scope:
    center_ids: list[int] | None  # None = the whole district
    center: Center | None
    district: bool


def dashboard_scope(*, actor: User, center_code: str | None) -> Scope:
    """A manager sees their own center; admins and supervisors the district or any one center."""
    if actor.role not in DASHBOARD_ROLES:
        raise Forbidden("无权查看运行看板", "You are not allowed to see the dashboard")
    if actor.role in DISTRICT_ROLES:
        if not center_code:
            return Scope(center_ids=None, center=None, district=True)
        center = Center.objects.filter(code=center_code).first()
        if center is None:
            raise NotFound("中心不存在", "No such center")
        return Scope(center_ids=[center.pk], center=center, district=False)
    center = actor.center
    if center is None or (center_code and center_code != center.code):
        raise Forbidden("只能查看本中心数据", "You can only see your own center")
    return Scope(center_ids=[center.pk], center=center, district=False)


def _percentile(buckets: list[int], bounds: list[int], q: float) -> float | None:
    """Upper bound of the bucket holding the q-quantile (the open last bucket reports its lower bound)."""
    total = sum(buckets)
    if not total:
        return None
    target = q * total
    running = 0
    for i, n in enumerate(buckets):
        running += n
        if running >= target:
            return float(bounds[i]) if i < len(bounds) else float(bounds[-1])
    return float(bounds[-1])


def _ratio(a: int, b: int) -> float | None:
    return round(a / b, 4) if b else None


def _month_start(d: date) -> date:
    return d.replace(day=1)


def _next_month(d: date) -> date:
    return (d.replace(day=1) + timedelta(days=32)).replace(day=1)


def _parts(scope: Scope, date_from: date, date_to: date) -> list[tuple[str, Any]]:
    """The period as querysets: whole months from MonthlyRollup, the ragged ends from DailyRollup."""
    first_full = date_from if date_from.day == 1 else _next_month(date_from)
    month_end = _next_month(date_to) - timedelta(days=1)
    # rollups hold no future days, so a period reaching today covers its month-to-date row whole
    end_full = (
        month_end
        if date_to == month_end or date_to >= timezone.localdate()
        else _month_start(date_to) - timedelta(days=1)
    )
    parts: list[tuple[str, Any]] = []
    if first_full > end_full:
        parts.append(("daily", DailyRollup.objects.filter(day__gte=date_from, day__lte=date_to)))
    else:
        parts.append(("monthly", MonthlyRollup.objects.filter(month__gte=first_full, month__lte=end_full)))
        if date_from < first_full:
            parts.append(("daily", DailyRollup.objects.filter(day__gte=date_from, day__lt=first_full)))
        if end_full < date_to:
            parts.append(("daily", DailyRollup.objects.filter(day__gt=end_full, day__lte=date_to)))
    if scope.center_ids is not None:
        parts = [(kind, qs.filter(center_id__in=scope.center_ids)) for kind, qs in parts]
    return parts


def _sums() -> dict[str, Any]:
    # aliased s_<counter>: an annotation may not shadow the field it sums
    sums: dict[str, Any] = {f"s_{c}": Sum(c) for c in COUNTERS}
    sums["s__online"] = Sum("received", filter=Q(channel="online"))
    return sums


def _derive(t: dict[str, int]) -> dict[str, Any]:
    proc = [t[f"proc_b{i}"] for i in range(10)]
    wait = [t[f"wait_b{i}"] for i in range(10)]
    return {
        "applications": t["received"],
        "decided": t["decided"],
        "on_time_rate": _ratio(t["decided_on_time"], t["decided"]),
        "avg_processing_days": round(t["processing_days_sum"] / t["decided"], 2) if t["decided"] else None,
        "p90_processing_days": _percentile(proc, PROC_BOUNDS, 0.9),
        "supplement_rate": _ratio(t["supplements"], t["received"]),
        "online_share": _ratio(t["_online"], t["received"]),
        "tickets": t["tickets"],
        "avg_wait_minutes": round(t["wait_minutes_sum"] / sum(wait), 1) if sum(wait) else None,
        "p90_wait_minutes": _percentile(wait, WAIT_BOUNDS, 0.9),
        "cabinet_pickups": t["pickups"],
        "cabinet_pickups_night": t["pickups_night"],
        "ratings": t["ratings"],
        "bad_ratings": t["ratings_bad"],
        "satisfaction_rate": _ratio(t["ratings"] - t["ratings_bad"], t["ratings"]),
        "ratings_by_level": {n: t[f"level_{n}"] for n in range(5, 0, -1)},
    }


def period_summary(*, scope: Scope, date_from: date, date_to: date) -> dict[str, Any]:
    """The headline numbers of a period: one aggregate query per part (months + ragged days)."""
    totals = dict.fromkeys([*COUNTERS, "_online"], 0)
    for _kind, qs in _parts(scope, date_from, date_to):
        for key, value in qs.aggregate(**_sums()).items():
            totals[key.removeprefix("s_")] += int(value or 0)
    return _derive(totals)


BREAKDOWN_FIELDS = {
    "matter": ["matter__code", "matter__name"],
    "department": ["department__code", "department__name"],
    "channel": ["channel"],
    "center": ["center__code", "center__name"],
    "day": ["day"],
    "month": ["month"],
}


def period_breakdown(*, scope: Scope, date_from: date, date_to: date, by: str) -> list[dict[str, Any]]:
    """Rows grouped by ``matter``, ``department``, ``channel``, ``center``, ``day`` or ``month``."""
    fields = BREAKDOWN_FIELDS[by]
    parts: list[tuple[str, Any]]
    if by == "day":
        qs = DailyRollup.objects.filter(day__gte=date_from, day__lte=date_to)
        if scope.center_ids is not None:
            qs = qs.filter(center_id__in=scope.center_ids)
        parts = [("daily", qs)]
    else:
        parts = _parts(scope, date_from, date_to)
    merged: dict[tuple[Any, ...], dict[str, int]] = {}
    keys: dict[tuple[Any, ...], dict[str, Any]] = {}
    for kind, qs in parts:
        if by == "month" and kind == "daily":
            qs = qs.annotate(month=TruncMonth("day"))
        for row in qs.values(*fields).annotate(**_sums()).order_by():
            key = tuple(row[f] for f in fields)
            keys[key] = {f: row[f] for f in fields}
            target = merged.setdefault(key, dict.fromkeys([*COUNTERS, "_online"], 0))
            for c in target:
                target[c] += int(row[f"s_{c}"] or 0)
    result = []
    for key in sorted(merged, key=lambda k: tuple("" if v is None else v for v in k)):
        derived = _derive(merged[key])
        derived["key"] = keys[key]
        derived["totals"] = merged[key]
        result.append(derived)
    return result


def summary_of(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The period summary from any breakdown of the same period (its groups partition the rows)."""
    totals = dict.fromkeys([*COUNTERS, "_online"], 0)
    for row in rows:
        for key, value in row["totals"].items():
            totals[key] += value
    return _derive(totals)


def live_today(*, scope: Scope) -> dict[str, Any] | None:
    """Waiting now, windows open, today's average wait — from the queue; None while it has no models."""
    ticket = source_model("queueing", "Ticket")
    if ticket is None:
        return None
    session = source_model("queueing", "WindowSession")
    today = timezone.localdate()
    tickets = ticket.objects.filter(day=today)  # type: ignore[attr-defined]
    if scope.center_ids is not None:
        tickets = tickets.filter(center_id__in=scope.center_ids)
    waiting = tickets.filter(state="waiting").count()
    waits = [
        ticket.wait_seconds(*row)  # type: ignore[attr-defined]
        for row in tickets.filter(called_at__isnull=False).values_list(*ticket.WAIT_FIELDS)  # type: ignore[attr-defined]
    ]
    avg = round(sum(waits) / 60 / len(waits), 1) if waits else None
    windows_open = None
    if session is not None:
        sessions = session.objects.filter(state="open")  # type: ignore[attr-defined]
        if scope.center_ids is not None:
            sessions = sessions.filter(window__center_id__in=scope.center_ids)
        windows_open = sessions.values("window_id").distinct().count()
    return {"waiting": waiting, "windows_open": windows_open, "avg_wait_minutes": avg, "served": len(waits)}


OPEN_STATUSES = ["accepted", "under_review", "suspended"]


def overdue_list(*, scope: Scope, limit: int = 50) -> list[dict[str, Any]] | None:
    """Cases still open past their due date, most overdue first (live, on the status/due index)."""
    application = source_model("applications", "Application")
    if application is None:
        return None
    today = timezone.localdate()
    qs = application.objects.filter(status__in=OPEN_STATUSES, due_date__lt=today)  # type: ignore[attr-defined]
    if scope.center_ids is not None:
        qs = qs.filter(center_id__in=scope.center_ids)
    rows = qs.order_by("due_date", "id").values(
        "number", "matter__name", "department__name", "center__name", "due_date", "status"
    )[:limit]
    return [{**r, "days_late": (today - r["due_date"]).days} for r in rows]


def rating_rectification(*, scope: Scope, date_from: date, date_to: date) -> dict[str, int]:
    from tongban.ratings.selectors import work_order_counts

    return work_order_counts(center_ids=scope.center_ids, date_from=date_from, date_to=date_to)


def night_share_hours(*, scope: Scope, date_from: date, date_to: date) -> list[int] | None:
    """Cabinet pickups per hour of day (0–23) over the period, from the source (small table)."""
    item = source_model("cabinet", "Item")
    if item is None:
        return None
    tz = timezone.get_current_timezone()
    qs = item.objects.filter(  # type: ignore[attr-defined]
        kind="pickup",
        state="done",
        finished_at__gte=datetime.combine(date_from, time.min, tzinfo=tz),
        finished_at__lt=datetime.combine(date_to + timedelta(days=1), time.min, tzinfo=tz),
    )
    if scope.center_ids is not None:
        qs = qs.filter(cabinet__center_id__in=scope.center_ids)
    hours = [0] * 24
    for finished_at in qs.values_list("finished_at", flat=True).iterator(chunk_size=2000):
        hours[timezone.localtime(finished_at).hour] += 1
    return hours


def available() -> dict[str, bool]:
    return sources_available()

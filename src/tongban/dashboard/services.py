"""Rollup maintenance: rebuild the daily rows of a (day, center) from the source apps, read-only.

Sources are other apps' tables read with plain ORM queries (no writes there):
applications (办件), queueing tickets, cabinet items, and our own ratings. A source
whose app has no models yet is skipped and reported as unavailable, so the
dashboard can say "暂未开放" instead of showing zeros as if they were real.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import Any, cast

from django.apps import apps
from django.db import transaction
from django.db.models import Model, Sum
from django.utils import timezone

from tongban.catalog.models import Center, Matter
from tongban.core.calendar import workdays_between
from tongban.dashboard.models import PROC_BOUNDS, WAIT_BOUNDS, DailyRollup, MonthlyRollup

Key = tuple[int, int | None, str]  # (center_id, matter_id, channel)

NIGHT_START, NIGHT_END = 20, 8  # pickups from 20:00 to 08:00 count as "at night"
RATING_CHANNEL = {"in_person": "window", "online": "online", "cabinet": "cabinet"}


def source_model(app_label: str, model_name: str) -> type[Model] | None:
    try:
        return apps.get_model(app_label, model_name)
    except LookupError:
        return None


def sources_available() -> dict[str, bool]:
    return {
        "applications": source_model("applications", "Application") is not None,
        "queue": source_model("queueing", "Ticket") is not None,
        "cabinet": source_model("cabinet", "Item") is not None,
        "ratings": True,
    }


def _bounds(day: date) -> tuple[datetime, datetime]:
    tz = timezone.get_current_timezone()
    return datetime.combine(day, time.min, tzinfo=tz), datetime.combine(
        day + timedelta(days=1), time.min, tzinfo=tz
    )


def _bucket(bounds: list[int], value: int) -> int:
    return bisect.bisect_left(bounds, value)


def _rows() -> defaultdict[Key, dict[str, int]]:
    return defaultdict(lambda: defaultdict(int))


def _collect_applications(rows: defaultdict[Key, dict[str, int]], center_ids: list[int], day: date) -> None:
    application = source_model("applications", "Application")
    if application is None:
        return
    start, end = _bounds(day)
    base = application.objects.filter(center_id__in=center_ids)  # type: ignore[attr-defined]
    for c, m, ch in base.filter(submitted_at__gte=start, submitted_at__lt=end).values_list(
        "center_id", "matter_id", "channel"
    ):
        rows[(c, m, ch)]["received"] += 1
    decided = base.filter(decided_at__gte=start, decided_at__lt=end).values_list(
        "center_id", "matter_id", "channel", "accepted_at", "decided_at", "due_date"
    )
    for c, m, ch, accepted_at, decided_at, due_date in decided:
        row = rows[(c, m, ch)]
        row["decided"] += 1
        decided_day = timezone.localdate(decided_at)
        if due_date is None or decided_day <= due_date:
            row["decided_on_time"] += 1
        days = max(workdays_between(timezone.localdate(accepted_at), decided_day), 0) if accepted_at else 0
        row["processing_days_sum"] += days
        row[f"proc_b{_bucket(PROC_BOUNDS, days)}"] += 1
    notice = source_model("applications", "SupplementNotice")
    if notice is not None:
        for c, m, ch in notice.objects.filter(  # type: ignore[attr-defined]
            application__center_id__in=center_ids, issued_at__gte=start, issued_at__lt=end
        ).values_list("application__center_id", "application__matter_id", "application__channel"):
            rows[(c, m, ch)]["supplements"] += 1


def _collect_tickets(rows: defaultdict[Key, dict[str, int]], center_ids: list[int], day: date) -> None:
    ticket = source_model("queueing", "Ticket")
    if ticket is None:
        return
    start, end = _bounds(day)
    for c, m, issued_at, called_at, state in ticket.objects.filter(  # type: ignore[attr-defined]
        center_id__in=center_ids, issued_at__gte=start, issued_at__lt=end
    ).values_list("center_id", "matter_id", "issued_at", "called_at", "state"):
        row = rows[(c, m, "window")]
        row["tickets"] += 1
        if state == "finished":
            row["tickets_served"] += 1
        if called_at is not None:
            minutes = max(int((called_at - issued_at).total_seconds() // 60), 0)
            row["wait_minutes_sum"] += minutes
            row[f"wait_b{_bucket(WAIT_BOUNDS, minutes)}"] += 1


def _collect_pickups(rows: defaultdict[Key, dict[str, int]], center_ids: list[int], day: date) -> None:
    item = source_model("cabinet", "Item")
    if item is None:
        return
    start, end = _bounds(day)
    for c, m, finished_at in item.objects.filter(  # type: ignore[attr-defined]
        cabinet__center_id__in=center_ids,
        kind="pickup",
        state="done",
        finished_at__gte=start,
        finished_at__lt=end,
    ).values_list("cabinet__center_id", "application__matter_id", "finished_at"):
        row = rows[(c, m, "cabinet")]
        row["pickups"] += 1
        hour = timezone.localtime(finished_at).hour
        if hour >= NIGHT_START or hour < NIGHT_END:
            row["pickups_night"] += 1


def _collect_ratings(rows: defaultdict[Key, dict[str, int]], center_ids: list[int], day: date) -> None:
    from tongban.ratings.models import Rating

    start, end = _bounds(day)
    for c, m, ch, level in Rating.objects.filter(
        center_id__in=center_ids, state=Rating.State.VALID, created_at__gte=start, created_at__lt=end
    ).values_list("center_id", "event__matter_id", "event__channel", "level"):
        row = rows[(c, m, RATING_CHANNEL.get(ch, ch))]
        row["ratings"] += 1
        row[f"level_{level}"] += 1
        if level <= 2:
            row["ratings_bad"] += 1


def rollup_rebuild_day(*, day: date, center_ids: Iterable[int] | None = None) -> int:
    """Replace the rollup rows of ``day`` for the centers (all by default). Idempotent; returns rows written."""
    ids = list(center_ids) if center_ids is not None else list(Center.objects.values_list("id", flat=True))
    if not ids:
        return 0
    rows = _rows()
    _collect_applications(rows, ids, day)
    _collect_tickets(rows, ids, day)
    _collect_pickups(rows, ids, day)
    _collect_ratings(rows, ids, day)
    departments: dict[int, int] = dict(
        Matter.objects.filter(pk__in={m for _c, m, _ch in rows if m}).values_list("pk", "department_id")
    )
    objects = [
        DailyRollup(
            day=day,
            center_id=c,
            matter_id=m,
            department_id=departments.get(m) if m else None,
            channel=ch or "",
            **counters,
        )
        for (c, m, ch), counters in rows.items()
    ]
    with transaction.atomic():
        DailyRollup.objects.filter(day=day, center_id__in=ids).delete()
        DailyRollup.objects.bulk_create(objects, batch_size=1000)
        _rebuild_month(month=day.replace(day=1), center_ids=ids)
    return len(objects)


ROLLUP_COUNTERS = [
    f.name for f in DailyRollup._meta.concrete_fields if f.get_internal_type() == "PositiveIntegerField"
]


def _rebuild_month(*, month: date, center_ids: list[int]) -> None:
    """Sum the month's daily rows into MonthlyRollup (same transaction as the day that changed)."""
    next_month = (month + timedelta(days=32)).replace(day=1)
    sums = (
        DailyRollup.objects.filter(day__gte=month, day__lt=next_month, center_id__in=center_ids)
        .values("center_id", "matter_id", "department_id", "channel")
        .annotate(**{f"s_{c}": Sum(c) for c in ROLLUP_COUNTERS})
        .order_by()
    )
    summed: list[dict[str, Any]] = list(cast(Any, sums))
    rows = [
        MonthlyRollup(
            month=month,
            center_id=r["center_id"],
            matter_id=r["matter_id"],
            department_id=r["department_id"],
            channel=r["channel"],
            **{c: r[f"s_{c}"] or 0 for c in ROLLUP_COUNTERS},
        )
        for r in summed
    ]
    MonthlyRollup.objects.filter(month=month, center_id__in=center_ids).delete()
    MonthlyRollup.objects.bulk_create(rows, batch_size=1000)


def rollup_rebuild_range(*, date_from: date, date_to: date, center_ids: Iterable[int] | None = None) -> int:
    ids = list(center_ids) if center_ids is not None else None
    written = 0
    day = date_from
    while day <= date_to:
        written += rollup_rebuild_day(day=day, center_ids=ids)
        day += timedelta(days=1)
    return written


def rollup_refresh_recent(*, now: datetime | None = None) -> dict[str, Any]:
    """The periodic job: today (live) and yesterday (late arrivals, e.g. decisions logged after midnight)."""
    today = timezone.localdate(now or timezone.now())
    return {"rows": rollup_rebuild_range(date_from=today - timedelta(days=1), date_to=today)}

"""Rollup maintenance: rebuild the daily rows of a (day, center) from the source apps, read-only.

Sources are other apps' tables read with plain ORM queries (no writes there):
applications (办件), queueing tickets, cabinet items, and our own ratings. A source
whose app has no models yet is skipped and reported as unavailable, so the
dashboard can say "暂未开放" instead of showing zeros as if they were real.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import date, datetime, time, timedelta
from typing import Any

from django.apps import apps
from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone

from tongban.catalog.models import Center, Matter
from tongban.core import locks
from tongban.core.calendar import workdays_between
from tongban.dashboard.models import PROC_BOUNDS, WAIT_BOUNDS, DailyRollup, MonthlyRollup

Key = tuple[date, int, int | None, str]  # (day, center_id, matter_id, channel)
CHUNK = 20_000
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


def _bounds(date_from: date, date_to: date) -> tuple[datetime, datetime]:
    tz = timezone.get_current_timezone()
    return (
        datetime.combine(date_from, time.min, tzinfo=tz),
        datetime.combine(date_to + timedelta(days=1), time.min, tzinfo=tz),
    )


def _bucket(bounds: list[int], value: int) -> int:
    return bisect.bisect_left(bounds, value)


Rows = defaultdict[Key, defaultdict[str, int]]


def _rows() -> Rows:
    return defaultdict(lambda: defaultdict(int))


def _collect_applications(rows: Rows, center_ids: list[int], date_from: date, date_to: date) -> None:
    application = source_model("applications", "Application")
    if application is None:
        return
    start, end = _bounds(date_from, date_to)
    base = application.objects.filter(center_id__in=center_ids)  # type: ignore[attr-defined]
    received = base.filter(submitted_at__gte=start, submitted_at__lt=end).values_list(
        "submitted_at", "center_id", "matter_id", "channel"
    )
    for submitted_at, c, m, ch in received.iterator(chunk_size=CHUNK):
        rows[(timezone.localdate(submitted_at), c, m, ch)]["received"] += 1
    decided = base.filter(decided_at__gte=start, decided_at__lt=end).values_list(
        "decided_at", "center_id", "matter_id", "channel", "accepted_at", "due_date"
    )
    for decided_at, c, m, ch, accepted_at, due_date in decided.iterator(chunk_size=CHUNK):
        decided_day = timezone.localdate(decided_at)
        row = rows[(decided_day, c, m, ch)]
        row["decided"] += 1
        if due_date is None or decided_day <= due_date:
            row["decided_on_time"] += 1
        days = max(workdays_between(timezone.localdate(accepted_at), decided_day), 0) if accepted_at else 0
        row["processing_days_sum"] += days
        row[f"proc_b{_bucket(PROC_BOUNDS, days)}"] += 1
    notice = source_model("applications", "SupplementNotice")
    if notice is not None:
        notices = notice.objects.filter(  # type: ignore[attr-defined]
            application__center_id__in=center_ids, issued_at__gte=start, issued_at__lt=end
        ).values_list("issued_at", "application__center_id", "application__matter_id", "application__channel")
        for issued_at, c, m, ch in notices.iterator(chunk_size=CHUNK):
            rows[(timezone.localdate(issued_at), c, m, ch)]["supplements"] += 1


def _collect_tickets(rows: Rows, center_ids: list[int], date_from: date, date_to: date) -> None:
    ticket = source_model("queueing", "Ticket")
    if ticket is None:
        return
    wait_seconds = ticket.wait_seconds  # type: ignore[attr-defined]
    tickets = ticket.objects.filter(  # type: ignore[attr-defined]
        center_id__in=center_ids, day__gte=date_from, day__lte=date_to
    ).values_list("day", "center_id", "matter_id", "state", *ticket.WAIT_FIELDS)  # type: ignore[attr-defined]
    for day, c, m, state, *wait_fields in tickets.iterator(chunk_size=CHUNK):
        row = rows[(day, c, m, "window")]
        row["tickets"] += 1
        if state == "finished":
            row["tickets_served"] += 1
        seconds = wait_seconds(*wait_fields)
        if seconds is not None:
            # to the nearest minute, not down: 2.9 minutes counted as 2 made the average a minute short of
            # the queue statistics' for the same tickets
            minutes = round(seconds / 60)
            row["wait_minutes_sum"] += minutes
            row[f"wait_b{_bucket(WAIT_BOUNDS, minutes)}"] += 1


def _collect_pickups(rows: Rows, center_ids: list[int], date_from: date, date_to: date) -> None:
    item = source_model("cabinet", "Item")
    if item is None:
        return
    start, end = _bounds(date_from, date_to)
    pickups = item.objects.filter(  # type: ignore[attr-defined]
        cabinet__center_id__in=center_ids,
        kind="pickup",
        state="done",
        finished_at__gte=start,
        finished_at__lt=end,
    ).values_list("finished_at", "cabinet__center_id", "application__matter_id")
    for finished_at, c, m in pickups.iterator(chunk_size=CHUNK):
        local = timezone.localtime(finished_at)
        row = rows[(local.date(), c, m, "cabinet")]
        row["pickups"] += 1
        if local.hour >= NIGHT_START or local.hour < NIGHT_END:
            row["pickups_night"] += 1


def _collect_ratings(rows: Rows, center_ids: list[int], date_from: date, date_to: date) -> None:
    from tongban.ratings.models import Rating

    start, end = _bounds(date_from, date_to)
    ratings = Rating.objects.filter(
        center_id__in=center_ids, state=Rating.State.VALID, created_at__gte=start, created_at__lt=end
    ).values_list("created_at", "center_id", "event__matter_id", "event__channel", "level")
    for created_at, c, m, ch, level in ratings.iterator(chunk_size=CHUNK):
        row = rows[(timezone.localdate(created_at), c, m, RATING_CHANNEL.get(ch, ch))]
        row["ratings"] += 1
        row[f"level_{level}"] += 1
        if level <= 2:
            row["ratings_bad"] += 1


def rollup_rebuild_day(*, day: date, center_ids: Iterable[int] | None = None) -> int:
    """Replace the rollup rows of ``day`` for the centers (all by default). Idempotent; returns rows written."""
    return rollup_rebuild_range(date_from=day, date_to=day, center_ids=center_ids)


def rollup_rebuild_range(*, date_from: date, date_to: date, center_ids: Iterable[int] | None = None) -> int:
    """Replace the daily rows of ``[date_from, date_to]`` and re-sum the months they touch.

    One pass per source over the whole range (not one query per day), so rebuilding a
    year of a district reads each source table once.
    """
    ids = list(center_ids) if center_ids is not None else list(Center.objects.values_list("id", flat=True))
    if not ids:
        return 0
    rows = _rows()
    _collect_applications(rows, ids, date_from, date_to)
    _collect_tickets(rows, ids, date_from, date_to)
    _collect_pickups(rows, ids, date_from, date_to)
    _collect_ratings(rows, ids, date_from, date_to)
    departments: dict[int, int] = dict(
        Matter.objects.filter(pk__in={key[2] for key in rows if key[2]}).values_list("pk", "department_id")
    )
    objects = [
        (d, c, m, departments.get(m) if m else None, ch or "", *(counters.get(n, 0) for n in ROLLUP_COUNTERS))
        for (d, c, m, ch), counters in rows.items()
    ]
    months = []
    month = date_from.replace(day=1)
    while month <= date_to:
        months.append(month)
        month = (month + timedelta(days=32)).replace(day=1)
    with transaction.atomic():
        # one rebuild at a time: two that overlap (the 5-minute refresh and a backlogged one, or the rebuild
        # command) each deleted the rows they could see, not the other's uncommitted ones, and both inserted,
        # doubling the counts. Waiting here, the second deletes what the first wrote.
        locks.lock_for_transaction(locks.ROLLUPS, "0")
        DailyRollup.objects.filter(day__gte=date_from, day__lte=date_to, center_id__in=ids).delete()
        _insert_daily(objects)
        for month in months:
            _rebuild_month(month=month, center_ids=ids)
    return len(objects)


ROLLUP_COUNTERS = [
    f.name for f in DailyRollup._meta.concrete_fields if f.get_internal_type() == "PositiveIntegerField"
]


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _insert_daily(objects: list[tuple[Any, ...]], batch: int = 400) -> None:
    """Multi-row INSERTs: the ORM's per-field preparation of ~45 columns dominated the rebuild,
    and one statement per row is a round trip per row."""
    columns = ["day", "center_id", "matter_id", "department_id", "channel", *ROLLUP_COUNTERS]
    row_sql = f"({', '.join(['%s'] * len(columns))})"
    # identifiers come from model metadata (quoted), values are parameters
    head = f"INSERT INTO {_q(DailyRollup._meta.db_table)} ({', '.join(_q(c) for c in columns)}) VALUES "  # noqa: S608
    with connection.cursor() as cursor:
        for i in range(0, len(objects), batch):
            chunk = objects[i : i + batch]
            params = [value for row in chunk for value in row]
            cursor.execute(head + ", ".join([row_sql] * len(chunk)), params)


def _rebuild_month(*, month: date, center_ids: list[int]) -> None:
    """Re-sum the month's daily rows into MonthlyRollup with one INSERT … SELECT … GROUP BY."""
    next_month = (month + timedelta(days=32)).replace(day=1)
    MonthlyRollup.objects.filter(month=month, center_id__in=center_ids).delete()
    keys = ["center_id", "matter_id", "department_id", "channel"]
    placeholders = ", ".join(["%s"] * len(center_ids))
    # identifiers come from model metadata (quoted), values are parameters
    sql = (
        f"INSERT INTO {_q(MonthlyRollup._meta.db_table)} "  # noqa: S608
        f"({', '.join(_q(c) for c in ['month', *keys, *ROLLUP_COUNTERS])}) "
        f"SELECT %s, {', '.join(_q(k) for k in keys)}, {', '.join(f'SUM({_q(c)})' for c in ROLLUP_COUNTERS)} "
        f"FROM {_q(DailyRollup._meta.db_table)} "
        f"WHERE {_q('day')} >= %s AND {_q('day')} < %s AND {_q('center_id')} IN ({placeholders}) "
        f"GROUP BY {', '.join(_q(k) for k in keys)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [month, month, next_month, *center_ids])


def rollup_rebuild_by_month(
    *, date_from: date, date_to: date, progress: Callable[[int, int], None] | None = None
) -> int:
    """Rebuild a long range one calendar month at a time (bounded memory, one transaction each)."""
    chunks: list[tuple[date, date]] = []
    start = date_from
    while start <= date_to:
        end = min((start.replace(day=1) + timedelta(days=32)).replace(day=1) - timedelta(days=1), date_to)
        chunks.append((start, end))
        start = end + timedelta(days=1)
    written = 0
    for i, (start, end) in enumerate(chunks):
        written += rollup_rebuild_range(date_from=start, date_to=end)
        if progress is not None:
            progress(i + 1, len(chunks))
    return written


def rollup_refresh_recent(*, now: datetime | None = None) -> dict[str, Any]:
    """The periodic job: today (live) and yesterday (late arrivals, e.g. decisions logged after midnight)."""
    today = timezone.localdate(now or timezone.now())
    return {"rows": rollup_rebuild_range(date_from=today - timedelta(days=1), date_to=today)}

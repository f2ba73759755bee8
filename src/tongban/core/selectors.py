"""Core reads: the working-day calendar of a year, for the admin's month view."""

from __future__ import annotations

import calendar as pycal
from dataclasses import dataclass
from datetime import date

from tongban.core.calendar import get_index
from tongban.core.calendar_notice import Notice
from tongban.core.models import CalendarDay, CalendarYear


@dataclass(frozen=True)
class DayCell:
    date: date
    workday: bool
    kind: str  # "" (plain weekday/weekend) | "holiday" | "makeup"
    name: str


@dataclass(frozen=True)
class MonthGrid:
    year: int
    month: int
    weeks: list[list[DayCell | None]]
    workdays: int


def calendar_year_grid(*, year: int) -> list[MonthGrid]:
    """Twelve Monday-first month grids with each day's status as the deadline index sees it."""
    idx = get_index()
    marks = {
        row.date: row for row in CalendarDay.objects.filter(date__year=year).only("date", "kind", "name")
    }
    months: list[MonthGrid] = []
    for month in range(1, 13):
        weeks: list[list[DayCell | None]] = []
        count = 0
        for week in pycal.Calendar(firstweekday=0).monthdatescalendar(year, month):
            row: list[DayCell | None] = []
            for d in week:
                if d.month != month:
                    row.append(None)
                    continue
                work = bool(idx.workday[idx.offset(d)])
                count += work
                mark = marks.get(d)
                row.append(DayCell(d, work, mark.kind if mark else "", mark.name if mark else ""))
            weeks.append(row)
        months.append(MonthGrid(year, month, weeks, count))
    return months


def calendar_year_notice(*, year: CalendarYear) -> Notice:
    """The year's stored days as a notice (to pre-fill the admin's editor for corrections)."""
    holidays: dict[date, str] = {}
    makeup: dict[date, str] = {}
    for row in CalendarDay.objects.filter(source_year=year).order_by("date"):
        (makeup if row.kind == CalendarDay.Kind.MAKEUP_WORKDAY else holidays)[row.date] = row.name
    return Notice(
        year=year.year,
        reference=year.notice_reference,
        title=year.notice_title,
        published_on=None,
        holidays=holidays,
        makeup_workdays=makeup,
    )

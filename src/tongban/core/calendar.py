"""Working-day calendar (China's official schedule, make-up working days included).

Rules (行政许可法 §42, §82): deadlines count *working days*; weekends and
statutory holidays are off; make-up working days (调休上班日) are on.

Semantics
---------
* ``is_workday(d)``.
* ``add_workdays(start, n)``: the day on which the n-th working day *after*
  ``start`` falls (the start day itself does not count), e.g.
  2023-07-12 + 9 = 2023-07-25. ``n == 0`` returns ``start``; negative ``n``
  counts backwards.
* ``workdays_between(a, b)``: working days in ``(a, b]``, so that
  ``workdays_between(a, add_workdays(a, n)) == n``; negative when ``b < a``.

Speed: an in-memory prefix-sum index over the covered years answers each call
with two array look-ups and a bisection, not a day-by-day loop. The index is
rebuilt when a calendar service changes the data (same process) and at most
``INDEX_TTL_SECONDS`` later in other processes.

Years not marked ``official`` are *provisional*: results whose span touches
such a year carry ``provisional=True``.
"""

from __future__ import annotations

import bisect
import threading
import time
from dataclasses import dataclass
from datetime import date, timedelta

from tongban.core.errors import ValidationError

INDEX_TTL_SECONDS = 60
MIN_YEAR = 2000
MAX_YEAR = 2100


@dataclass(frozen=True)
class WorkdayResult:
    date: date
    provisional: bool


@dataclass(frozen=True)
class WorkdayCount:
    workdays: int
    provisional: bool


class _Index:
    """Prefix sums of working days from ``base`` (Jan 1 of MIN_YEAR) to Dec 31 of MAX_YEAR."""

    def __init__(self, overrides: dict[date, bool], official_years: set[int]) -> None:
        self.base = date(MIN_YEAR, 1, 1)
        days = (date(MAX_YEAR, 12, 31) - self.base).days + 1
        self.workday = bytearray(days)
        # cum[i] = number of working days in [base, base + i)
        cum = [0] * (days + 1)
        running = 0
        for i in range(days):
            d = self.base + timedelta(days=i)
            flag = overrides.get(d)
            is_work = flag if flag is not None else d.weekday() < 5
            self.workday[i] = 1 if is_work else 0
            running += is_work
            cum[i + 1] = running
        self.cum = cum
        self.official_years = frozenset(official_years)
        self.built_at = time.monotonic()

    def offset(self, d: date) -> int:
        if not (MIN_YEAR <= d.year <= MAX_YEAR):
            raise ValidationError(
                f"日期超出日历范围（{MIN_YEAR}–{MAX_YEAR}年）：{d.isoformat()}",
                f"Date outside the calendar range ({MIN_YEAR}-{MAX_YEAR}): {d.isoformat()}",
                code="calendar.out_of_range",
            )
        return (d - self.base).days

    def provisional(self, a: date, b: date) -> bool:
        lo, hi = (a, b) if a <= b else (b, a)
        return any(y not in self.official_years for y in range(lo.year, hi.year + 1))


_lock = threading.Lock()
_index: _Index | None = None


def _load() -> _Index:
    from tongban.core.models import CalendarDay, CalendarYear

    overrides = {
        row.date: row.kind == CalendarDay.Kind.MAKEUP_WORKDAY
        for row in CalendarDay.objects.all().only("date", "kind")
    }
    official = set(CalendarYear.objects.filter(official=True).values_list("year", flat=True))
    return _Index(overrides, official)


def get_index() -> _Index:
    global _index
    idx = _index
    if idx is None or time.monotonic() - idx.built_at > INDEX_TTL_SECONDS:
        with _lock:
            idx = _index
            if idx is None or time.monotonic() - idx.built_at > INDEX_TTL_SECONDS:
                idx = _load()
                _index = idx
    return idx


def invalidate_index() -> None:
    """Drop the cached index (called by calendar services after a change, and by tests)."""
    global _index
    with _lock:
        _index = None


def is_workday(d: date) -> bool:
    idx = get_index()
    return bool(idx.workday[idx.offset(d)])


def add_workdays_ex(start: date, n: int) -> WorkdayResult:
    idx = get_index()
    s = idx.offset(start)
    if n == 0:
        return WorkdayResult(start, idx.provisional(start, start))
    if n > 0:
        # smallest j > s with cum[j + 1] - cum[s + 1] == n  ->  cum[j + 1] == cum[s + 1] + n
        target = idx.cum[s + 1] + n
        k = bisect.bisect_left(idx.cum, target)
        if k >= len(idx.cum):
            raise ValidationError(
                "截止日期超出日历范围",
                "Deadline falls outside the calendar range",
                code="calendar.out_of_range",
            )
        result = idx.base + timedelta(days=k - 1)
    else:
        # largest j < s with cum[s] - cum[j] == -n  ->  cum[j] == cum[s] + n, j is a working day
        target = idx.cum[s] + n
        if target < 0:
            raise ValidationError(
                "日期超出日历范围", "Date falls outside the calendar range", code="calendar.out_of_range"
            )
        k = bisect.bisect_right(idx.cum, target)  # first index with cum > target
        result = idx.base + timedelta(days=k - 1)
    return WorkdayResult(result, idx.provisional(start, result))


def add_workdays(start: date, n: int) -> date:
    return add_workdays_ex(start, n).date


def workdays_between_ex(a: date, b: date) -> WorkdayCount:
    idx = get_index()
    oa, ob = idx.offset(a), idx.offset(b)
    # working days in (a, b] = cum[ob + 1] - cum[oa + 1]
    return WorkdayCount(idx.cum[ob + 1] - idx.cum[oa + 1], idx.provisional(a, b))


def workdays_between(a: date, b: date) -> int:
    return workdays_between_ex(a, b).workdays


def is_provisional(d: date) -> bool:
    return get_index().provisional(d, d)

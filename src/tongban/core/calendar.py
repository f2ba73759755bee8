"""Working-day calendar (China's official schedule, make-up working days included).

Rules (行政许可法 §42, §82): deadlines count *working days*; weekends and
statutory holidays are off; make-up working days (调休上班日) are on.

Semantics
---------
* ``is_workday(d)``.
* ``add_workdays(start, n)``: the day on which the n-th working day *after*
  ``start`` falls (the start day itself does not count), e.g.
  2023-07-12 + 9 = 2023-07-25, and a Saturday + 1 = the next Monday.
  ``n == 0`` returns ``start`` unchanged. Negative ``n`` gives the n-th working
  day *before* ``start`` (Monday - 1 = the Friday before; Sunday - 1 too).
* ``workdays_between(a, b)``: working days in ``(a, b]``, so that
  ``workdays_between(a, add_workdays(a, n)) == n`` for ``n >= 0``; negative
  (minus the working days in ``(b, a]``) when ``b < a``.
* The ``*_ex`` variants also say whether the answer is *provisional*: a year
  whose State Council notice has not been entered (``CalendarYear.official``)
  is only a forecast, and any result that counts days in such a year says so.

Speed: an in-memory prefix-sum index over 2000–2100 answers each call with an
offset computation, array look-ups and (for ``add_workdays``) one bisection
over a list of ~37,000 ints — never a day-by-day loop (bench/calendar/). The
index is rebuilt from the database on first use, dropped at once by the
calendar services (same process), and re-read at most ``INDEX_TTL_SECONDS``
later in other processes (calendar changes are a few a year).
"""

from __future__ import annotations

import bisect
import threading
import time
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import accumulate

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


def _clock() -> float:
    # CLOCK_MONOTONIC read directly: freezegun fakes time.monotonic(), and a
    # frozen test must neither rebuild the index on every call nor keep a stale one.
    return time.clock_gettime(time.CLOCK_MONOTONIC)


def _out_of_range(d: date | None = None) -> ValidationError:
    shown = f"：{d.isoformat()}" if d else ""
    shown_en = f": {d.isoformat()}" if d else ""
    return ValidationError(
        f"日期超出工作日历范围（{MIN_YEAR}–{MAX_YEAR}年）{shown}",
        f"Date outside the working-day calendar ({MIN_YEAR}-{MAX_YEAR}){shown_en}",
        code="calendar.out_of_range",
    )


class _Index:
    """Working-day flags and prefix sums from Jan 1 of MIN_YEAR to Dec 31 of MAX_YEAR."""

    __slots__ = ("base", "built_at", "cum", "last", "official_years", "workday")

    def __init__(self, overrides: dict[date, bool], official_years: set[int]) -> None:
        self.base = date(MIN_YEAR, 1, 1)
        self.last = date(MAX_YEAR, 12, 31)
        days = (self.last - self.base).days + 1
        first_weekday = self.base.weekday()
        week = [1, 1, 1, 1, 1, 0, 0]  # Monday .. Sunday
        flags = bytearray(week[(first_weekday + i) % 7] for i in range(days))
        for d, is_work in overrides.items():
            if self.base <= d <= self.last:
                flags[(d - self.base).days] = 1 if is_work else 0
        self.workday = bytes(flags)
        # cum[i] = number of working days in [base, base + i)
        self.cum: list[int] = list(accumulate(self.workday, initial=0))
        self.official_years = frozenset(official_years)
        self.built_at = _clock()

    def offset(self, d: date) -> int:
        if not (self.base <= d <= self.last):
            raise _out_of_range(d)
        return (d - self.base).days

    def provisional_span(self, a: date, b: date) -> bool:
        """Does counting the days in (min, max] (or the day itself when a == b) touch a provisional year?"""
        lo, hi = (a, b) if a <= b else (b, a)
        first = (lo + timedelta(days=1)).year if lo < hi else lo.year
        official = self.official_years
        if first == hi.year:
            return first not in official
        return any(y not in official for y in range(first, hi.year + 1))


_lock = threading.Lock()
_index: _Index | None = None


def _load() -> _Index:
    from tongban.core.models import CalendarDay, CalendarYear

    overrides = {
        d: kind == CalendarDay.Kind.MAKEUP_WORKDAY
        for d, kind in CalendarDay.objects.values_list("date", "kind").iterator(chunk_size=2000)
    }
    official = set(CalendarYear.objects.filter(official=True).values_list("year", flat=True))
    return _Index(overrides, official)


def get_index() -> _Index:
    global _index
    idx = _index
    if idx is None or _clock() - idx.built_at > INDEX_TTL_SECONDS:
        with _lock:
            idx = _index
            if idx is None or _clock() - idx.built_at > INDEX_TTL_SECONDS:
                idx = _load()
                _index = idx
    return idx


def invalidate_index() -> None:
    """Drop the cached index (the calendar services call this after a change; tests too)."""
    global _index
    with _lock:
        _index = None


def is_workday(d: date) -> bool:
    idx = get_index()
    return bool(idx.workday[idx.offset(d)])


def _add(idx: _Index, start: date, n: int) -> date:
    s = idx.offset(start)
    if n == 0:
        return start
    cum = idx.cum
    if n > 0:
        # The answer is day j > s with cum[j + 1] == cum[s + 1] + n and day j a working day:
        # k = j + 1 is the first index whose prefix reaches the target.
        k = bisect.bisect_left(cum, cum[s + 1] + n, lo=s + 1)
        if k >= len(cum):
            raise _out_of_range()
    else:
        # The answer is the working day j < s with cum[s] - cum[j] == -n (j counts itself):
        # k = j + 1 is the first index whose prefix exceeds cum[s] + n.
        target = cum[s] + n
        if target < 0:
            raise _out_of_range()
        k = bisect.bisect_right(cum, target, hi=s + 1)
    return idx.base + timedelta(days=k - 1)


def add_workdays_ex(start: date, n: int) -> WorkdayResult:
    idx = get_index()
    result = _add(idx, start, n)
    return WorkdayResult(result, idx.provisional_span(start, result))


def add_workdays(start: date, n: int) -> date:
    return _add(get_index(), start, n)


def workdays_between_ex(a: date, b: date) -> WorkdayCount:
    idx = get_index()
    oa, ob = idx.offset(a), idx.offset(b)
    # working days in (a, b] = cum[ob + 1] - cum[oa + 1]; the same formula gives minus (b, a] when b < a
    return WorkdayCount(idx.cum[ob + 1] - idx.cum[oa + 1], idx.provisional_span(a, b))


def workdays_between(a: date, b: date) -> int:
    idx = get_index()
    return idx.cum[idx.offset(b) + 1] - idx.cum[idx.offset(a) + 1]


def is_provisional(d: date) -> bool:
    """Is ``d``'s year still without an official notice?"""
    return d.year not in get_index().official_years

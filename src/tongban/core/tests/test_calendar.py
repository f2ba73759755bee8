from datetime import date, timedelta

import pytest
from freezegun import freeze_time

from tongban.core import calendar
from tongban.core.calendar import (
    add_workdays,
    add_workdays_ex,
    is_provisional,
    is_workday,
    workdays_between,
    workdays_between_ex,
)
from tongban.core.errors import ValidationError
from tongban.core.models import AuditEntry, CalendarDay, CalendarYear
from tongban.core.services import (
    calendar_bootstrap,
    calendar_import_notice,
    calendar_import_shipped_notices,
    calendar_seed_from_library,
)

pytestmark = pytest.mark.django_db


def _span(a: str, b: str) -> list[date]:
    d, end = date.fromisoformat(a), date.fromisoformat(b)
    out = []
    while d <= end:
        out.append(d)
        d += timedelta(days=1)
    return out


# The State Council's notices, written out day by day (国办发明电〔2024〕12号, 国办发明电〔2025〕7号).
HOLIDAYS_2025 = (
    _span("2025-01-01", "2025-01-01")
    + _span("2025-01-28", "2025-02-04")
    + _span("2025-04-04", "2025-04-06")
    + _span("2025-05-01", "2025-05-05")
    + _span("2025-05-31", "2025-06-02")
    + _span("2025-10-01", "2025-10-08")
)
MAKEUP_2025 = [date(2025, 1, 26), date(2025, 2, 8), date(2025, 4, 27), date(2025, 9, 28), date(2025, 10, 11)]
HOLIDAYS_2026 = (
    _span("2026-01-01", "2026-01-03")
    + _span("2026-02-15", "2026-02-23")
    + _span("2026-04-04", "2026-04-06")
    + _span("2026-05-01", "2026-05-05")
    + _span("2026-06-19", "2026-06-21")
    + _span("2026-09-25", "2026-09-27")
    + _span("2026-10-01", "2026-10-07")
)
MAKEUP_2026 = [
    date(2026, 1, 4),
    date(2026, 2, 14),
    date(2026, 2, 28),
    date(2026, 5, 9),
    date(2026, 9, 20),
    date(2026, 10, 10),
]


def _expected_workday(d: date) -> bool:
    if d in HOLIDAYS_2025 or d in HOLIDAYS_2026:
        return False
    if d in MAKEUP_2025 or d in MAKEUP_2026:
        return True
    return d.weekday() < 5


@pytest.mark.parametrize("year", [2025, 2026])
def test_every_day_of_the_official_years_matches_the_notice(official_calendar, year):
    days = _span(f"{year}-01-01", f"{year}-12-31")
    wrong = [d for d in days if is_workday(d) != _expected_workday(d)]
    assert wrong == []
    assert sum(is_workday(d) for d in days) == 248


@pytest.mark.parametrize("d", HOLIDAYS_2025 + HOLIDAYS_2026, ids=str)
def test_notice_holidays_are_days_off(official_notices, d):
    assert is_workday(d) is False


@pytest.mark.parametrize("d", MAKEUP_2025 + MAKEUP_2026, ids=str)
def test_notice_makeup_days_are_working_days_although_weekends(official_notices, d):
    assert d.weekday() >= 5
    assert is_workday(d) is True


def test_seed_article_example_nine_working_days_after_the_land_auction(official_calendar):
    assert add_workdays(date(2023, 7, 12), 9) == date(2023, 7, 25)
    assert workdays_between(date(2023, 7, 12), date(2023, 7, 25)) == 9
    # 2023 has no notice shipped: the answer says it is provisional
    assert add_workdays_ex(date(2023, 7, 12), 9) == calendar.WorkdayResult(date(2023, 7, 25), True)


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        # 20 working days from the eve of 国庆 2026: Oct 1–7 off, Sep 20 and Oct 10 worked
        (date(2026, 9, 30), 1, date(2026, 10, 8)),
        (date(2026, 9, 30), 3, date(2026, 10, 10)),
        (date(2026, 9, 30), 20, date(2026, 11, 3)),
        # across 春节 2026: Feb 14 (Sat) works, Feb 15–23 off, Feb 28 (Sat) works
        (date(2026, 2, 13), 1, date(2026, 2, 14)),
        (date(2026, 2, 13), 2, date(2026, 2, 24)),
        (date(2026, 2, 26), 2, date(2026, 2, 28)),
        # a start on a day off: the first working day after it is day 1
        (date(2026, 10, 3), 1, date(2026, 10, 8)),
        (date(2025, 12, 31), 1, date(2026, 1, 4)),
        # across the year boundary of two official years
        (date(2025, 12, 29), 5, date(2026, 1, 6)),
        (date(2026, 3, 2), 0, date(2026, 3, 2)),
        (date(2026, 10, 4), 0, date(2026, 10, 4)),
        # backwards: the n-th working day before start
        (date(2026, 10, 8), -1, date(2026, 9, 30)),
        (date(2026, 10, 4), -1, date(2026, 9, 30)),
        (date(2026, 2, 24), -1, date(2026, 2, 14)),
        (date(2026, 1, 5), -2, date(2025, 12, 31)),
    ],
)
def test_add_workdays_exact(official_notices, start, n, expected):
    assert add_workdays(start, n) == expected


def test_add_and_count_agree_against_a_day_by_day_reference(official_calendar):
    """The prefix-sum answers equal a plain loop for starts all over two years and several n."""

    def reference_add(start, n):
        d, left, step = start, abs(n), 1 if n > 0 else -1
        while left:
            d += timedelta(days=step)
            left -= _expected_workday(d)
        return d

    mismatches = []
    for i in range(0, 700, 3):
        s = date(2025, 1, 1) + timedelta(days=i)
        for n in (1, 2, 5, 9, 20, 30):
            got = add_workdays(s, n)
            if got.year <= 2026 and (got != reference_add(s, n) or workdays_between(s, got) != n):
                mismatches.append((s, n, got))
            back = add_workdays(s, -n)
            if back.year >= 2025 and back != reference_add(s, -n):
                mismatches.append((s, -n, back))
    assert mismatches == []


def test_backwards_lands_on_working_days(official_calendar):
    for i in range(0, 700, 5):
        s = date(2025, 2, 1) + timedelta(days=i)
        back = add_workdays(s, -3)
        assert is_workday(back)
        assert workdays_between(back, s) == (3 if is_workday(s) else 2)


def test_workdays_between_is_half_open_and_signed(official_calendar):
    assert workdays_between(date(2026, 9, 30), date(2026, 10, 8)) == 1
    assert workdays_between(date(2026, 10, 1), date(2026, 10, 7)) == 0
    assert workdays_between(date(2026, 3, 2), date(2026, 3, 2)) == 0
    assert workdays_between(date(2026, 10, 8), date(2026, 9, 30)) == -1
    assert workdays_between_ex(date(2025, 1, 1), date(2026, 12, 31)) == calendar.WorkdayCount(496, False)


def test_provisional_flags_follow_the_days_counted(official_calendar):
    # wholly inside official years
    assert add_workdays_ex(date(2026, 12, 1), 10).provisional is False
    # reaching into 2027 (no notice yet)
    result = add_workdays_ex(date(2026, 12, 20), 20)
    assert result.date.year == 2027
    assert result.provisional is True
    # a start in a provisional year whose own day is not counted: (2024-12-31, ...] is all 2025
    assert workdays_between_ex(date(2024, 12, 31), date(2025, 1, 10)).provisional is False
    assert add_workdays_ex(date(2024, 12, 31), 0).provisional is True
    assert is_provisional(date(2026, 5, 1)) is False
    assert is_provisional(date(2027, 5, 1)) is True


def test_empty_calendar_falls_back_to_weekends_and_is_provisional():
    assert CalendarDay.objects.count() == 0
    assert is_workday(date(2026, 10, 1)) is True  # no notice: a plain Thursday
    assert add_workdays_ex(date(2026, 10, 2), 1) == calendar.WorkdayResult(date(2026, 10, 5), True)


@pytest.mark.parametrize(
    "call",
    [
        lambda: add_workdays(date(1999, 12, 31), 1),
        lambda: workdays_between(date(2026, 1, 1), date(2101, 1, 1)),
        lambda: is_workday(date(2101, 1, 1)),
        lambda: add_workdays(date(2100, 12, 20), 30),
        lambda: add_workdays(date(2000, 1, 5), -30),
    ],
)
def test_out_of_range_is_a_clear_validation_error(call):
    with pytest.raises(ValidationError) as exc:
        call()
    assert exc.value.code == "calendar.out_of_range"
    assert "2000" in exc.value.message and "2100" in exc.value.message_en


def test_index_is_cached_no_queries_after_the_first_call(official_calendar, django_assert_num_queries):
    is_workday(date(2026, 1, 5))
    with django_assert_num_queries(0):
        for i in range(100):
            add_workdays(date(2026, 1, 1) + timedelta(days=i), 20)
            workdays_between(date(2026, 1, 1), date(2026, 1, 1) + timedelta(days=i))


def test_index_ttl_rebuilds_from_the_database(official_calendar, monkeypatch, django_assert_num_queries):
    is_workday(date(2026, 1, 5))
    CalendarDay.objects.filter(date=date(2026, 10, 10)).delete()  # behind the services' back
    assert is_workday(date(2026, 10, 10)) is True  # still cached
    now = calendar._clock()
    monkeypatch.setattr(calendar, "_clock", lambda: now + calendar.INDEX_TTL_SECONDS + 1)
    with django_assert_num_queries(2):
        assert is_workday(date(2026, 10, 10)) is False


def test_frozen_time_neither_rebuilds_per_call_nor_breaks(official_calendar, django_assert_num_queries):
    is_workday(date(2026, 1, 5))
    with freeze_time("2030-01-01"), django_assert_num_queries(0):
        assert add_workdays(date(2026, 9, 30), 1) == date(2026, 10, 8)


def test_import_changes_the_index_at_once_and_is_audited(official_calendar):
    assert is_workday(date(2027, 2, 8)) is False  # library: 春节 2027 observed
    notice = {
        "year": 2027,
        "reference": "国办发明电〔2026〕9号",
        "holidays": [{"name": "春节", "start": "2027-02-06", "end": "2027-02-12"}],
        "makeup_workdays": ["2027-02-20"],
    }
    before = AuditEntry.objects.count()
    result = calendar_import_notice(data=notice, actor=None)
    assert result.changed is True
    assert (result.holidays, result.makeup_workdays) == (7, 1)
    year = CalendarYear.objects.get(year=2027)
    assert (year.official, year.notice_reference) == (True, "国办发明电〔2026〕9号")
    assert year.notice_title == "国务院办公厅关于2027年部分节假日安排的通知"
    # the library's other 2027 days are gone: only the notice counts now
    assert sorted(CalendarDay.objects.filter(source_year=year).values_list("date", flat=True)) == [
        *_span("2027-02-06", "2027-02-12"),
        date(2027, 2, 20),
    ]
    assert is_workday(date(2027, 2, 20)) is True
    assert is_workday(date(2027, 10, 1)) is True  # not in this (partial) notice
    assert is_provisional(date(2027, 6, 1)) is False
    assert AuditEntry.objects.count() == before + 1
    entry = AuditEntry.objects.latest("seq")  # seq is the insertion id, not a count
    assert entry.action == "core.calendar.import_notice"
    assert (entry.object_type, entry.object_id) == ("core.calendaryear", "2027")
    assert entry.data["makeup_workdays"] == ["2027-02-20"]
    assert entry.data["previous"] == {"official": False, "reference": "", "source": "holidays 0.109"}


def test_reimporting_the_same_notice_writes_nothing():
    calendar_import_shipped_notices()
    count = AuditEntry.objects.count()
    results = calendar_import_shipped_notices()
    assert [r.changed for r in results] == [False, False]
    assert AuditEntry.objects.count() == count


def test_bootstrap_is_idempotent_and_library_never_overwrites_official_years():
    seeded, notices = calendar_bootstrap()
    assert [n.calendar_year.year for n in notices] == [2025, 2026]
    assert {s.year: s.status for s in seeded}[2025] == "skipped_official"
    assert {s.year: s.status for s in seeded}[2024] == "seeded"
    days, entries = CalendarDay.objects.count(), AuditEntry.objects.count()
    seeded, notices = calendar_bootstrap()
    assert {s.status for s in seeded} == {"unchanged", "skipped_official"}
    assert (CalendarDay.objects.count(), AuditEntry.objects.count()) == (days, entries)
    assert list(CalendarYear.objects.filter(official=True).values_list("year", flat=True)) == [2025, 2026]
    assert CalendarYear.objects.get(year=2024).source == "holidays 0.109"


def test_library_seed_knows_makeup_days_of_past_years():
    calendar_seed_from_library(years=[2024])
    assert is_workday(date(2024, 2, 4)) is True  # Sunday, 春节 make-up day
    assert is_workday(date(2024, 2, 15)) is False  # Thursday, 春节
    assert is_provisional(date(2024, 2, 4)) is True


def test_notice_reaching_over_the_year_boundary_keeps_its_days_when_the_neighbour_is_reseeded():
    calendar_seed_from_library(years=[2018])
    calendar_import_notice(
        data={
            "year": 2019,
            "reference": "国办发明电〔2018〕15号",
            "holidays": [{"name": "元旦", "start": "2018-12-30", "end": "2019-01-01"}],
            "makeup_workdays": [{"date": "2018-12-29", "name": "元旦调休上班"}],
        },
        actor=None,
    )
    assert CalendarDay.objects.get(date=date(2018, 12, 31)).source_year_id == 2019
    CalendarDay.objects.filter(source_year=2018).delete()  # force a real reseed
    calendar_seed_from_library(years=[2018])
    assert CalendarDay.objects.get(date=date(2018, 12, 31)).source_year_id == 2019
    assert CalendarDay.objects.get(date=date(2018, 12, 29)).kind == CalendarDay.Kind.MAKEUP_WORKDAY
    assert is_workday(date(2018, 12, 29)) is True
    assert is_workday(date(2018, 12, 31)) is False


def test_seed_rejects_years_outside_the_calendar():
    with pytest.raises(ValidationError) as exc:
        calendar_seed_from_library(years=[1999])
    assert exc.value.code == "calendar.out_of_range"
    assert CalendarYear.objects.count() == 0


def test_failed_import_leaves_no_index_built_from_its_rolled_back_rows(official_notices, monkeypatch):
    from tongban.core import services

    def audit_that_reads_then_fails(**kwargs):
        assert is_workday(date(2027, 2, 20)) is True  # the uncommitted notice, seen from inside
        raise RuntimeError("audit store down")

    monkeypatch.setattr(services, "audit_log", audit_that_reads_then_fails)
    notice = {
        "year": 2027,
        "reference": "x",
        "holidays": [{"name": "春节", "start": "2027-02-06", "end": "2027-02-12"}],
        "makeup_workdays": ["2027-02-20"],
    }
    with pytest.raises(RuntimeError):
        calendar_import_notice(data=notice, actor=None)
    assert CalendarYear.objects.filter(year=2027).exists() is False
    assert is_workday(date(2027, 2, 20)) is False  # Saturday again

import json
from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tongban.core.calendar import is_workday
from tongban.core.calendar_notice import dump_notice, parse_notice
from tongban.core.errors import ValidationError
from tongban.core.models import AuditEntry, CalendarDay, CalendarYear
from tongban.core.services import SHIPPED_NOTICES_DIR, calendar_import_notice

GOOD = {
    "year": 2027,
    "reference": "国办发明电〔2026〕1号",
    "title": "国务院办公厅关于2027年部分节假日安排的通知",
    "published_on": "2026-11-10",
    "holidays": [
        {"name": "元旦", "start": "2027-01-01", "end": "2027-01-03"},
        {"name": "春节", "start": "2027-02-05", "end": "2027-02-12"},
    ],
    "makeup_workdays": [{"date": "2027-02-20", "name": "春节调休上班"}, "2027-01-30"],
}


def test_parse_good_notice():
    notice = parse_notice(GOOD)
    assert notice.year == 2027
    assert notice.published_on == date(2027 - 1, 11, 10)
    assert len(notice.holidays) == 3 + 8
    assert notice.holidays[date(2027, 2, 5)] == "春节"
    assert notice.makeup_workdays == {date(2027, 2, 20): "春节调休上班", date(2027, 1, 30): "调休上班"}


def test_dump_round_trips():
    notice = parse_notice(GOOD)
    assert parse_notice(json.loads(dump_notice(notice))).days() == notice.days()


def test_every_error_is_listed_and_nothing_is_imported(db):
    bad = {
        "year": 2027,
        "reference": "",
        "holiday": [],  # typo
        "holidays": [
            {"name": "元旦", "start": "2027-01-01", "end": "2027-01-03"},
            {"name": "春节", "start": "2027-02-12", "end": "2027-02-05"},  # reversed
            {"name": "", "start": "2027-13-01", "end": "2027-13-02"},  # bad dates, no name
            {"name": "跨年", "start": "2027-01-03", "end": "2027-01-04"},  # overlaps 元旦
            {"name": "太长", "start": "2027-05-01", "end": "2027-05-31"},  # 31 days
            {"name": "别的年份", "start": "2025-05-01", "end": "2025-05-03"},
        ],
        "makeup_workdays": ["2027-01-05", "2027-01-02", "2027-02-20", "2027-02-20", "not a date"],
    }
    with pytest.raises(ValidationError) as exc:
        calendar_import_notice(data=bad, actor=None)
    err = exc.value
    assert err.code == "calendar.notice_invalid"
    fields = [e["field"] for e in err.details["errors"]]
    assert fields == [
        "holiday",
        "reference",
        "holidays[1].end",
        "holidays[2].name",
        "holidays[2].start",
        "holidays[2].end",
        "holidays[3]",
        "holidays[4]",
        "holidays[5].start",
        "makeup_workdays[0]",
        "makeup_workdays[1]",
        "makeup_workdays[3]",
        "makeup_workdays[4]",
    ]
    assert err.message == f"节假日通知有{len(fields)}处错误，未导入"
    messages = {e["field"]: e for e in err.details["errors"]}
    assert messages["holidays[1].end"]["message"] == "结束日期早于开始日期"
    assert messages["makeup_workdays[0]"]["message_en"] == (
        "A make-up working day must be a Saturday or Sunday: 2027-01-05 is a weekday"
    )
    assert messages["holidays[5].start"]["message"] == "2025-05-01不在2027年内（最多可跨年15天）"
    assert CalendarYear.objects.count() == 0
    assert CalendarDay.objects.count() == 0
    assert AuditEntry.objects.count() == 0


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ([1, 2], ""),
        ({**GOOD, "year": "2027"}, "year"),
        ({**GOOD, "year": 1999}, "year"),
        ({**GOOD, "holidays": []}, "holidays"),
        ({**GOOD, "makeup_workdays": "2027-02-20"}, "makeup_workdays"),
        (
            {**GOOD, "holidays": [{"name": "元旦", "start": "2027-01-01", "end": "2027-01-01", "x": 1}]},
            "holidays[0].x",
        ),
    ],
)
def test_structural_errors(data, field):
    with pytest.raises(ValidationError) as exc:
        parse_notice(data)
    assert exc.value.code == "calendar.notice_invalid"
    assert exc.value.details["errors"][0]["field"] == field


def test_unreadable_text_is_a_clear_error(db):
    with pytest.raises(ValidationError) as exc:
        calendar_import_notice(data="year: [2027", actor=None)
    assert exc.value.code == "calendar.notice_unreadable"


def test_yaml_text_is_accepted(db):
    result = calendar_import_notice(data=(SHIPPED_NOTICES_DIR / "2026.yaml").read_text(), actor=None)
    assert result.changed
    assert result.calendar_year.notice_reference == "国办发明电〔2025〕7号"
    assert (result.holidays, result.makeup_workdays) == (33, 6)


def test_command_imports_a_file(db, tmp_path):
    path = tmp_path / "2027.json"
    path.write_text(json.dumps(GOOD, ensure_ascii=False), encoding="utf-8")
    out = StringIO()
    call_command("calendar_import_notice", str(path), stdout=out)
    assert out.getvalue() == (
        "2027 国办发明电〔2026〕1号: imported; 11 holiday days, 2 make-up working days\n"
    )
    assert is_workday(date(2027, 2, 20)) is True
    out = StringIO()
    call_command("calendar_import_notice", str(path), stdout=out)
    assert "unchanged (already imported)" in out.getvalue()


def test_command_rejects_a_bad_file_listing_every_error(db, tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(
        "year: 2027\nreference: x\nholidays: []\nmakeup_workdays: [2027-01-04]\n", encoding="utf-8"
    )
    err = StringIO()
    with pytest.raises(CommandError, match="节假日通知有2处错误"):
        call_command("calendar_import_notice", str(path), stderr=err)
    assert err.getvalue().splitlines() == [
        "  holidays: 应列出至少一段放假日期 / List at least one holiday range",
        "  makeup_workdays[0]: 调休上班日应为周六或周日：2027-01-04是工作日 / "
        "A make-up working day must be a Saturday or Sunday: 2027-01-04 is a weekday",
    ]
    assert CalendarYear.objects.count() == 0


def test_command_missing_file(db, tmp_path):
    with pytest.raises(CommandError, match="cannot read"):
        call_command("calendar_import_notice", str(tmp_path / "nope.yaml"))


def test_seed_command(db):
    out = StringIO()
    call_command("calendar_seed", "--years", "2024,2027-2028", stdout=out)
    assert out.getvalue().splitlines() == [
        "  2025 official (国办发明电〔2024〕12号): imported",
        "  2026 official (国办发明电〔2025〕7号): imported",
        "  2024 provisional, seeded (29 days)",
        "  2027 provisional, seeded (19 days)",
        "  2028 provisional, seeded (15 days)",
        "calendar ready",
    ]
    with pytest.raises(CommandError, match="bad --years"):
        call_command("calendar_seed", "--years", "twenty")

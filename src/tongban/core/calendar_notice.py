"""The State Council's yearly holiday notice (国务院办公厅关于部分节假日安排的通知) as data.

A notice is a YAML or JSON mapping::

    year: 2026
    reference: 国办发明电〔2025〕7号          # 文号, required
    title: 国务院办公厅关于2026年部分节假日安排的通知   # optional
    published_on: 2025-11-04                 # optional
    holidays:                                # days off, as named date ranges (inclusive)
      - {name: 元旦, start: 2026-01-01, end: 2026-01-03}
    makeup_workdays:                         # 调休上班日 (weekend days that are worked)
      - {date: 2026-01-04, name: 元旦调休上班}   # or just 2026-01-04

:func:`parse_notice` checks everything and raises one
:class:`~tongban.core.errors.ValidationError` (code ``calendar.notice_invalid``)
listing *every* problem in ``details["errors"]`` — the whole notice is
rejected, nothing is half-imported. The shipped notices live in
``core/data/calendar/<year>.yaml``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import yaml

from tongban.core.calendar import MAX_YEAR, MIN_YEAR
from tongban.core.errors import ValidationError

ALLOWED_KEYS = {"year", "reference", "title", "published_on", "holidays", "makeup_workdays"}
MAX_RANGE_DAYS = 15
# A notice may reach a little over the year boundary (the 2019 notice made 2018-12-29 a working day).
SPILL_DAYS = 15


@dataclass(frozen=True)
class Notice:
    year: int
    reference: str
    title: str
    published_on: date | None
    holidays: dict[date, str] = field(default_factory=dict)
    makeup_workdays: dict[date, str] = field(default_factory=dict)

    def days(self) -> dict[date, tuple[bool, str]]:
        """date -> (is_workday, name) for every day the notice sets."""
        out: dict[date, tuple[bool, str]] = {d: (False, n) for d, n in self.holidays.items()}
        out.update({d: (True, n) for d, n in self.makeup_workdays.items()})
        return out


def load_notice_text(text: str) -> Any:
    """YAML (a superset of JSON) → Python data; a syntax error is a clear 400."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValidationError(
            f"通知文件格式错误（应为YAML或JSON）：{exc}",
            f"The notice is not valid YAML or JSON: {exc}",
            code="calendar.notice_unreadable",
        ) from exc


def dump_notice(notice: Notice) -> str:
    """The notice back in the import format (JSON, which is also YAML)."""
    ranges: list[dict[str, str]] = []
    for d in sorted(notice.holidays):
        name = notice.holidays[d]
        last = ranges[-1] if ranges else None
        if last and last["name"] == name and date.fromisoformat(last["end"]) + timedelta(days=1) == d:
            last["end"] = d.isoformat()
        else:
            ranges.append({"name": name, "start": d.isoformat(), "end": d.isoformat()})
    data = {
        "year": notice.year,
        "reference": notice.reference,
        "title": notice.title,
        "published_on": notice.published_on.isoformat() if notice.published_on else None,
        "holidays": ranges,
        "makeup_workdays": [
            {"date": d.isoformat(), "name": notice.makeup_workdays[d]} for d in sorted(notice.makeup_workdays)
        ],
    }
    return json.dumps(data, ensure_ascii=False, indent=2)


class _Errors:
    def __init__(self) -> None:
        self.items: list[dict[str, str]] = []

    def add(self, where: str, zh: str, en: str) -> None:
        self.items.append({"field": where, "message": zh, "message_en": en})


def _as_date(value: Any, where: str, errors: _Errors) -> date | None:
    if isinstance(value, date):  # YAML gives dates; a datetime is a date subclass
        return date(value.year, value.month, value.day)
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    errors.add(where, f"日期无效，应为YYYY-MM-DD：{value!r}", f"Invalid date, expected YYYY-MM-DD: {value!r}")
    return None


def _as_text(value: Any, where: str, errors: _Errors, *, required: bool, max_length: int) -> str:
    if value is None or value == "":
        if required:
            errors.add(where, "不能为空", "Required")
        return ""
    if not isinstance(value, str | int):
        errors.add(where, "应为文字", "Must be text")
        return ""
    text = str(value).strip()
    if len(text) > max_length:
        errors.add(where, f"过长（最多{max_length}字）", f"Too long (at most {max_length} characters)")
    return text[:max_length]


def parse_notice(data: Any) -> Notice:
    errors = _Errors()
    if not isinstance(data, dict):
        raise ValidationError(
            "通知内容应为一个映射（year、reference、holidays、makeup_workdays）",
            "A notice must be a mapping (year, reference, holidays, makeup_workdays)",
            code="calendar.notice_invalid",
            details={"errors": [{"field": "", "message": "应为映射", "message_en": "Must be a mapping"}]},
        )
    for key in sorted(set(data) - ALLOWED_KEYS, key=str):
        errors.add(str(key), f"未知字段：{key}", f"Unknown field: {key}")

    year_value = data.get("year")
    year = 0
    if (
        isinstance(year_value, int)
        and not isinstance(year_value, bool)
        and MIN_YEAR <= year_value <= MAX_YEAR
    ):
        year = year_value
    else:
        errors.add(
            "year",
            f"年份无效，应为{MIN_YEAR}–{MAX_YEAR}之间的整数",
            f"Invalid year, expected an integer {MIN_YEAR}-{MAX_YEAR}",
        )
    reference = _as_text(data.get("reference"), "reference", errors, required=True, max_length=200)
    title = _as_text(data.get("title"), "title", errors, required=False, max_length=200)
    published_on = None
    if data.get("published_on") not in (None, ""):
        published_on = _as_date(data["published_on"], "published_on", errors)

    lo = date(year - 1, 12, 31) - timedelta(days=SPILL_DAYS - 1) if year else None
    hi = date(year + 1, 1, 1) + timedelta(days=SPILL_DAYS - 1) if year else None

    def in_window(d: date, where: str) -> bool:
        if lo and hi and not (lo <= d <= hi):
            errors.add(
                where,
                f"{d.isoformat()}不在{year}年内（最多可跨年{SPILL_DAYS}天）",
                f"{d.isoformat()} is not in {year} (at most {SPILL_DAYS} days across the year boundary)",
            )
            return False
        return True

    holidays: dict[date, str] = {}
    raw_holidays = data.get("holidays")
    if not isinstance(raw_holidays, list) or not raw_holidays:
        errors.add("holidays", "应列出至少一段放假日期", "List at least one holiday range")
        raw_holidays = []
    for i, item in enumerate(raw_holidays):
        where = f"holidays[{i}]"
        if not isinstance(item, dict):
            errors.add(where, "应包含name、start、end", "Must have name, start, end")
            continue
        for key in sorted(set(item) - {"name", "start", "end"}, key=str):
            errors.add(f"{where}.{key}", f"未知字段：{key}", f"Unknown field: {key}")
        name = _as_text(item.get("name"), f"{where}.name", errors, required=True, max_length=100)
        start = _as_date(item.get("start"), f"{where}.start", errors)
        end = _as_date(item.get("end", item.get("start")), f"{where}.end", errors)
        if start is None or end is None:
            continue
        if end < start:
            errors.add(f"{where}.end", "结束日期早于开始日期", "End date is before the start date")
            continue
        if (end - start).days + 1 > MAX_RANGE_DAYS:
            errors.add(
                where,
                f"放假区间超过{MAX_RANGE_DAYS}天，请检查日期",
                f"Holiday range longer than {MAX_RANGE_DAYS} days; check the dates",
            )
            continue
        if not (in_window(start, f"{where}.start") and in_window(end, f"{where}.end")):
            continue
        d = start
        while d <= end:
            if d in holidays:
                errors.add(
                    where,
                    f"{d.isoformat()}与“{holidays[d]}”的放假日期重叠",
                    f"{d.isoformat()} overlaps the holiday range of {holidays[d]}",
                )
            holidays[d] = name
            d += timedelta(days=1)

    makeup: dict[date, str] = {}
    raw_makeup = data.get("makeup_workdays") or []
    if not isinstance(raw_makeup, list):
        errors.add("makeup_workdays", "应为日期列表", "Must be a list of dates")
        raw_makeup = []
    for i, item in enumerate(raw_makeup):
        where = f"makeup_workdays[{i}]"
        if isinstance(item, dict):
            for key in sorted(set(item) - {"date", "name"}, key=str):
                errors.add(f"{where}.{key}", f"未知字段：{key}", f"Unknown field: {key}")
            d_value, name = (
                item.get("date"),
                _as_text(item.get("name"), f"{where}.name", errors, required=False, max_length=100),
            )
        else:
            d_value, name = item, ""
        day = _as_date(d_value, where, errors)
        if day is None or not in_window(day, where):
            continue
        if day.weekday() < 5:
            errors.add(
                where,
                f"调休上班日应为周六或周日：{day.isoformat()}是工作日",
                f"A make-up working day must be a Saturday or Sunday: {day.isoformat()} is a weekday",
            )
        if day in holidays:
            errors.add(
                where,
                f"{day.isoformat()}同时列为放假日和调休上班日",
                f"{day.isoformat()} is listed both as a holiday and as a make-up working day",
            )
        if day in makeup:
            errors.add(where, f"{day.isoformat()}重复列出", f"{day.isoformat()} is listed twice")
        makeup[day] = name or "调休上班"

    if errors.items:
        raise ValidationError(
            f"节假日通知有{len(errors.items)}处错误，未导入",
            f"The holiday notice has {len(errors.items)} error(s); nothing was imported",
            code="calendar.notice_invalid",
            details={"errors": errors.items},
        )
    return Notice(
        year=year,
        reference=reference,
        title=title,
        published_on=published_on,
        holidays=holidays,
        makeup_workdays=makeup,
    )

"""Core writes: the working-day calendar (seeding, notices) and personal-data key rotation.

Every calendar change drops the in-process working-day index at once and
again when the transaction commits (other processes re-read within
``calendar.INDEX_TTL_SECONDS``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import holidays as holidays_lib
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.db.models import TextField
from django.db.models.functions import Cast

from tongban.core.audit import audit_log
from tongban.core.calendar import MAX_YEAR, MIN_YEAR, invalidate_index
from tongban.core.calendar_notice import Notice, load_notice_text, parse_notice
from tongban.core.crypto import decrypt_str, encrypted_fields, is_encrypted_with_newest_key
from tongban.core.errors import ValidationError
from tongban.core.models import CalendarDay, CalendarYear

SHIPPED_NOTICES_DIR = Path(__file__).resolve().parent / "data" / "calendar"
DEFAULT_SEED_YEARS = range(2020, 2031)


@dataclass(frozen=True)
class SeedResult:
    year: int
    status: str  # "seeded" | "unchanged" | "skipped_official"
    days: int


@dataclass(frozen=True)
class NoticeImportResult:
    calendar_year: CalendarYear
    changed: bool
    holidays: int
    makeup_workdays: int
    taken_over: list[date]


def _changed() -> None:
    invalidate_index()
    transaction.on_commit(invalidate_index)


@contextmanager
def _calendar_write() -> Iterator[None]:
    """A calendar write transaction; if it fails, drop any index built from its uncommitted rows."""
    try:
        with transaction.atomic():
            yield
    except BaseException:
        invalidate_index()
        raise


def _owned_days(year: CalendarYear) -> dict[date, tuple[bool, str]]:
    return {
        d: (kind == CalendarDay.Kind.MAKEUP_WORKDAY, name)
        for d, kind, name in CalendarDay.objects.filter(source_year=year).values_list("date", "kind", "name")
    }


def _write_days(year: CalendarYear, days: dict[date, tuple[bool, str]]) -> None:
    CalendarDay.objects.filter(source_year=year).delete()
    CalendarDay.objects.filter(date__in=list(days)).delete()
    CalendarDay.objects.bulk_create(
        [
            CalendarDay(
                date=d,
                kind=CalendarDay.Kind.MAKEUP_WORKDAY if is_work else CalendarDay.Kind.HOLIDAY,
                name=name[:100],
                source_year=year,
            )
            for d, (is_work, name) in sorted(days.items())
        ]
    )


def _library_days(year: int) -> dict[date, tuple[bool, str]]:
    cn = holidays_lib.country_holidays("CN", years=year, language="zh_CN")
    days: dict[date, tuple[bool, str]] = {d: (False, str(name)) for d, name in cn.items() if d.year == year}
    for d in getattr(cn, "weekend_workdays", ()):
        if d.year == year:
            days[d] = (True, "调休上班")
    return days


def calendar_seed_from_library(
    *, years: Iterable[int], actor: AbstractBaseUser | AnonymousUser | None = None
) -> list[SeedResult]:
    """Fill provisional years from the ``holidays`` package (statutory days off + make-up working days).

    Years that already carry an official notice are left alone; days that an
    official notice of a neighbouring year set (across the year boundary) are
    kept. Idempotent: a year whose stored days already match is ``unchanged``
    and writes nothing, not even an audit entry.
    """
    results: list[SeedResult] = []
    source = f"holidays {holidays_lib.__version__}"
    for year in sorted(set(years)):
        if not (MIN_YEAR <= year <= MAX_YEAR):
            raise ValidationError(
                f"年份超出范围（{MIN_YEAR}–{MAX_YEAR}）：{year}",
                f"Year out of range ({MIN_YEAR}-{MAX_YEAR}): {year}",
                code="calendar.out_of_range",
            )
        with _calendar_write():
            cal_year, _ = CalendarYear.objects.get_or_create(year=year)
            cal_year = CalendarYear.objects.select_for_update().get(pk=year)
            if cal_year.official:
                results.append(SeedResult(year, "skipped_official", 0))
                continue
            official_elsewhere = set(
                CalendarDay.objects.filter(source_year__official=True, date__year=year)
                .exclude(source_year=cal_year)
                .values_list("date", flat=True)
            )
            days = {d: v for d, v in _library_days(year).items() if d not in official_elsewhere}
            if _owned_days(cal_year) == days and cal_year.source == source:
                results.append(SeedResult(year, "unchanged", len(days)))
                continue
            _write_days(cal_year, days)
            cal_year.source = source
            cal_year.notice_reference = ""
            cal_year.notice_title = ""
            cal_year.save()
            audit_log(
                actor=actor,
                action="core.calendar.seed",
                obj=cal_year,
                data={
                    "source": source,
                    "holidays": sum(1 for w, _ in days.values() if not w),
                    "makeup": sum(1 for w, _ in days.values() if w),
                },
            )
            _changed()
            results.append(SeedResult(year, "seeded", len(days)))
    return results


def calendar_import_notice(
    *, data: Any, actor: AbstractBaseUser | AnonymousUser | None
) -> NoticeImportResult:
    """Enter the State Council's notice for a year: validate all of it, then replace the year's days.

    ``data`` is the parsed notice (a mapping, see :mod:`tongban.core.calendar_notice`)
    or its YAML/JSON text. Any problem rejects the whole notice with every
    error listed (``calendar.notice_invalid``). The year becomes *official*.
    Re-importing the same notice changes nothing and logs nothing.
    """
    if isinstance(data, str | bytes):
        data = load_notice_text(data.decode("utf-8") if isinstance(data, bytes) else data)
    notice: Notice = parse_notice(data)
    days = notice.days()
    with _calendar_write():
        cal_year, _ = CalendarYear.objects.get_or_create(year=notice.year)
        cal_year = CalendarYear.objects.select_for_update().get(pk=notice.year)
        source = "国务院办公厅通知"
        title = notice.title or f"国务院办公厅关于{notice.year}年部分节假日安排的通知"
        unchanged = (
            cal_year.official
            and cal_year.notice_reference == notice.reference
            and cal_year.notice_title == title
            and _owned_days(cal_year) == days
        )
        if unchanged:
            return NoticeImportResult(cal_year, False, len(notice.holidays), len(notice.makeup_workdays), [])
        taken_over = sorted(
            CalendarDay.objects.filter(date__in=list(days))
            .exclude(source_year=cal_year)
            .values_list("date", flat=True)
        )
        previous = {
            "official": cal_year.official,
            "reference": cal_year.notice_reference,
            "source": cal_year.source,
        }
        _write_days(cal_year, days)
        cal_year.official = True
        cal_year.source = source
        cal_year.notice_reference = notice.reference
        cal_year.notice_title = title
        cal_year.save()
        audit_log(
            actor=actor,
            action="core.calendar.import_notice",
            obj=cal_year,
            data={
                "reference": notice.reference,
                "published_on": notice.published_on.isoformat() if notice.published_on else None,
                "holidays": sorted(d.isoformat() for d in notice.holidays),
                "makeup_workdays": sorted(d.isoformat() for d in notice.makeup_workdays),
                "taken_over": [d.isoformat() for d in taken_over],
                "previous": previous,
            },
        )
        _changed()
    return NoticeImportResult(cal_year, True, len(notice.holidays), len(notice.makeup_workdays), taken_over)


def shipped_notice_paths() -> list[Path]:
    return sorted(SHIPPED_NOTICES_DIR.glob("*.yaml"))


def calendar_import_shipped_notices(
    *, actor: AbstractBaseUser | AnonymousUser | None = None
) -> list[NoticeImportResult]:
    """Import every notice shipped in ``core/data/calendar/`` (idempotent)."""
    return [
        calendar_import_notice(data=path.read_text(encoding="utf-8"), actor=actor)
        for path in shipped_notice_paths()
    ]


def calendar_bootstrap(
    *, years: Iterable[int] = DEFAULT_SEED_YEARS, actor: AbstractBaseUser | AnonymousUser | None = None
) -> tuple[list[SeedResult], list[NoticeImportResult]]:
    """Make a fresh installation's calendar usable: shipped notices (official) + library years (provisional).

    No data migration: run by ``manage.py calendar_seed`` at deploy time and by the demo loader.
    """
    notices = calendar_import_shipped_notices(actor=actor)
    seeded = calendar_seed_from_library(years=years, actor=actor)
    return seeded, notices


def field_keys_rotate(*, batch_size: int = 500) -> dict[str, tuple[int, int]]:
    """Re-encrypt every :class:`EncryptedTextField` value not yet under the newest key.

    Returns ``{"app.model.field": (re-encrypted, total non-empty)}``. Safe to
    re-run and to run while the site is up (each row is rewritten from its
    current plaintext in its own short transaction batch).
    """
    counts: dict[str, tuple[int, int]] = {}
    for model, field in encrypted_fields():
        label = f"{model._meta.label_lower}.{field.name}"
        raw_rows = (
            model._default_manager.exclude(**{field.name: ""})
            .filter(**{f"{field.name}__isnull": False})
            .annotate(_raw=Cast(field.name, output_field=TextField()))
            .values_list("pk", "_raw")
            .order_by("pk")
        )
        stale = [
            pk
            for pk, raw in raw_rows.iterator(chunk_size=batch_size)
            if not is_encrypted_with_newest_key(raw)
        ]
        total = raw_rows.count()
        for i in range(0, len(stale), batch_size):
            with transaction.atomic():
                batch = stale[i : i + batch_size]
                rows = (
                    model._default_manager.select_for_update()
                    .filter(pk__in=batch)
                    .annotate(_raw=Cast(field.name, output_field=TextField()))
                    .values_list("pk", "_raw")
                )
                for pk, raw in rows:
                    model._default_manager.filter(pk=pk).update(**{field.name: decrypt_str(raw)})
        counts[label] = (len(stale), total)
    if any(rotated for rotated, _ in counts.values()):
        with transaction.atomic():
            audit_log(
                actor=None,
                action="core.crypto.rotate",
                object_type="core.encryptedfield",
                data={label: rotated for label, (rotated, _) in counts.items()},
            )
    return counts

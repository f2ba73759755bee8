"""Core demo data: the working-day calendar (official 2025/2026 notices + provisional 2020–2030)."""

from __future__ import annotations

from typing import Any

from tongban.core.services import calendar_bootstrap


def load(stdout: Any) -> None:
    seeded, notices = calendar_bootstrap()
    official = ", ".join(f"{n.calendar_year.year} {n.calendar_year.notice_reference}" for n in notices)
    provisional = ", ".join(str(s.year) for s in seeded if s.status != "skipped_official")
    stdout.write(f"  工作日历 calendar: official {official}; provisional {provisional}\n")

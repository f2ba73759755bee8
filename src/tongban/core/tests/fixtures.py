"""Helpers other apps' tests may call to get a real calendar (tests start with an empty one).

from tongban.core.tests.fixtures import load_calendar
load_calendar()   # official 2025 + 2026, provisional 2020–2030
"""

from __future__ import annotations

from tongban.core.services import calendar_bootstrap


def load_calendar() -> None:
    calendar_bootstrap()

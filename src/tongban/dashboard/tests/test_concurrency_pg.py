"""Races on PostgreSQL in the dashboard's rollups."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models import Sum
from django.utils import timezone

from tongban.core.tests.races import first_holds_second_waits
from tongban.dashboard import services
from tongban.dashboard.models import DailyRollup
from tongban.queueing.services import ticket_issue
from tongban.queueing.tests.factories import hall

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _needs_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("row locks under real concurrency are proven on PostgreSQL (SQLite serialises writers)")


@pytest.mark.parametrize("rows_before", [False, True], ids=["first-rebuild", "rebuild-again"])
def test_two_rebuilds_at_once_count_each_ticket_once(rows_before):
    """The 5-minute refresh can overlap a backlogged one, or the rebuild command. Each deleted the day's rows
    it could see (not the other's uncommitted ones) and inserted its own: the dashboard showed twice the
    tickets until the next refresh. The second must wait and replace the first's rows."""
    center, _, _ = hall()
    for _ in range(3):
        ticket_issue(center=center, queue="A")
    today = timezone.localdate()
    if rows_before:
        services.rollup_rebuild_range(date_from=today, date_to=today)

    def rebuild():
        return services.rollup_rebuild_range(date_from=today, date_to=today)

    first_holds_second_waits(rebuild, rebuild)
    assert DailyRollup.objects.filter(center=center, day=today).aggregate(n=Sum("tickets"))["n"] == 3

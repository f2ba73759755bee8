from __future__ import annotations

import csv
import io
import json
import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from freezegun import freeze_time
from openpyxl import load_workbook
from rest_framework.test import APIClient

from tongban.accounts.tests.factories import AdminFactory, ClerkFactory, ManagerFactory, ResidentFactory
from tongban.applications.models import Application, SupplementNotice
from tongban.cabinet.models import Cabinet, Compartment, Item
from tongban.catalog.tests.factories import CenterFactory, MatterFactory, WindowFactory
from tongban.dashboard import selectors, services
from tongban.dashboard.models import DailyRollup
from tongban.dashboard.tasks import refresh_rollups
from tongban.queueing.models import Queue, Ticket
from tongban.ratings import services as rating_services
from tongban.ratings.models import Rating
from tongban.ratings.tests.factories import TicketEventFactory

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 11, 24)  # a Tuesday


def at(hour, minute=0, day=DAY):
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SH)


def make_app(
    center, matter, number, channel="window", accepted_day=DAY, decided=None, due=None, status="accepted"
):
    resident = ResidentFactory()
    return Application.objects.create(
        number=number,
        applicant=resident,
        applicant_name="居民",
        center=center,
        matter=matter,
        guide=matter.current_version,
        department=matter.department,
        channel=channel,
        status=status,
        submitted_at=at(9, 0, accepted_day),
        accepted_at=at(9, 30, accepted_day),
        decided_at=decided,
        due_date=due,
        promised_days=5,
    )


def make_ticket(center, window, issued, called_after):
    queue, _ = Queue.objects.get_or_create(center=center, prefix="A", defaults={"name": "综合"})
    seq = Ticket.objects.filter(queue=queue).count() + 1
    return Ticket.objects.create(
        center=center,
        queue=queue,
        day=issued.date(),
        seq=seq,
        number=f"A{seq:03d}",
        state="finished",
        queued_at=issued,
        issued_at=issued,
        called_at=issued + timedelta(minutes=called_after),
        finished_at=issued + timedelta(minutes=called_after + 5),
        called_window=window,
    )


@pytest.fixture
def world():
    center = CenterFactory(code="YP-T1")
    other = CenterFactory(code="YP-T2")
    window = WindowFactory(center=center, number=1)
    m1 = MatterFactory(name="居住证办理")
    m2 = MatterFactory(name="生育医学证明")
    clerk = ClerkFactory(center=center)
    # applications submitted on DAY: 3 window (m1), 1 online (m2)
    a1 = make_app(center, m1, "T-1")
    make_app(center, m1, "T-2")
    make_app(center, m1, "T-3")
    make_app(center, m2, "T-4", channel="online")
    make_app(other, m1, "O-1")
    # decided on DAY: accepted the previous Friday-ish, one on time, one late
    make_app(
        center,
        m1,
        "T-5",
        accepted_day=date(2026, 11, 20),
        decided=at(15),
        due=date(2026, 11, 25),
        status="decided",
    )
    make_app(
        center,
        m1,
        "T-6",
        accepted_day=date(2026, 11, 10),
        decided=at(16),
        due=date(2026, 11, 17),
        status="decided",
    )
    SupplementNotice.objects.create(application=a1, items=[], issued_by=clerk, issued_at=at(10))
    # tickets: waits of 4, 12 and 50 minutes
    for minutes in (4, 12, 50):
        make_ticket(center, window, at(9), minutes)
    # ratings on DAY: 5, 4, 1
    with freeze_time(at(11)):
        for level in (5, 4, 1):
            event = TicketEventFactory(center=center, matter=m1)
            rating_services.rating_submit(
                event=event, data=rating_services.RatingInput(level=level), source=Rating.Source.PAD
            )
    return {"center": center, "other": other, "m1": m1, "m2": m2}


def test_rollup_of_a_day_and_the_summary(world):
    written = services.rollup_rebuild_day(day=DAY)
    assert written == DailyRollup.objects.filter(day=DAY).count() > 0
    assert services.rollup_rebuild_day(day=DAY) == written  # idempotent: replaced, not doubled
    assert DailyRollup.objects.filter(day=DAY).count() == written
    scope = selectors.Scope(center_ids=[world["center"].pk], center=world["center"], district=False)
    s = selectors.period_summary(scope=scope, date_from=DAY, date_to=DAY)
    assert s["applications"] == 4
    assert s["decided"] == 2
    assert s["on_time_rate"] == 0.5
    # T-5: 11-20 (Fri) → 11-24 (Tue) = 2 working days; T-6: 11-10 → 11-24 = 10 working days
    assert s["avg_processing_days"] == 6.0
    assert s["p90_processing_days"] == 10.0
    assert s["supplement_rate"] == 0.25
    assert s["online_share"] == 0.25
    assert s["tickets"] == 3
    assert s["avg_wait_minutes"] == 22.0
    assert s["p90_wait_minutes"] == 60.0  # the 50-minute wait's bucket (45, 60]
    assert s["ratings"] == 3 and s["bad_ratings"] == 1
    assert s["satisfaction_rate"] == round(2 / 3, 4)
    assert s["ratings_by_level"] == {5: 1, 4: 1, 3: 0, 2: 0, 1: 1}
    district = selectors.period_summary(
        scope=selectors.Scope(center_ids=None, center=None, district=True), date_from=DAY, date_to=DAY
    )
    assert district["applications"] == 5


def test_breakdowns_by_matter_and_channel(world):
    services.rollup_rebuild_day(day=DAY)
    scope = selectors.Scope(center_ids=[world["center"].pk], center=world["center"], district=False)
    by_matter = {
        r["key"]["matter__name"]: r
        for r in selectors.period_breakdown(scope=scope, date_from=DAY, date_to=DAY, by="matter")
    }
    assert by_matter["居住证办理"]["applications"] == 3
    assert by_matter["生育医学证明"]["applications"] == 1
    assert by_matter["生育医学证明"]["online_share"] == 1.0
    by_channel = {
        r["key"]["channel"]: r["applications"]
        for r in selectors.period_breakdown(scope=scope, date_from=DAY, date_to=DAY, by="channel")
    }
    assert by_channel["window"] == 3 and by_channel["online"] == 1


def test_annulled_ratings_leave_the_rollup(world):
    rating = Rating.objects.filter(level=1).get()
    Rating.objects.filter(pk=rating.pk).update(state=Rating.State.ANNULLED)
    services.rollup_rebuild_day(day=DAY)
    scope = selectors.Scope(center_ids=[world["center"].pk], center=world["center"], district=False)
    s = selectors.period_summary(scope=scope, date_from=DAY, date_to=DAY)
    assert (s["ratings"], s["bad_ratings"], s["satisfaction_rate"]) == (2, 0, 1.0)


def test_periodic_task_refreshes_today_and_yesterday(world):
    with freeze_time(at(18, 0, date(2026, 11, 25))):
        result = refresh_rollups()
    assert result["rows"] > 0
    assert set(DailyRollup.objects.values_list("day", flat=True)) == {DAY}


def test_overdue_list(world):
    make_app(world["center"], world["m1"], "T-LATE", due=date(2026, 11, 20), status="under_review")
    with freeze_time(at(10, 0, date(2026, 11, 25))):
        scope = selectors.Scope(center_ids=[world["center"].pk], center=world["center"], district=False)
        rows = selectors.overdue_list(scope=scope)
    assert [(r["number"], r["days_late"]) for r in rows] == [("T-LATE", 5)]


def test_stats_summary_api_contract_and_scope(world, django_assert_max_num_queries):
    services.rollup_rebuild_day(day=DAY)
    api = APIClient()
    manager = ManagerFactory(center=world["center"])
    api.force_authenticate(manager)
    with django_assert_max_num_queries(6):
        response = api.get(f"/api/v1/stats/summary?center=YP-T1&from={DAY}&to={DAY}")
    assert response.status_code == 200
    body = response.json()
    assert body["center"] == "YP-T1"
    assert body["applications"] == 4
    assert body["on_time_rate"] == 0.5
    assert body["avg_wait_minutes"] == 22.0
    assert body["satisfaction_rate"] == round(2 / 3, 4)
    assert body["work_orders"]["open"] == 1
    assert body["sources"] == {
        "applications": True,
        "queue": True,
        "cabinet": body["sources"]["cabinet"],
        "ratings": True,
    }
    assert api.get(f"/api/v1/stats/summary?center=YP-T2&from={DAY}&to={DAY}").status_code == 403
    assert api.get("/api/v1/stats/summary?from=2026-11-30&to=2026-11-01").status_code == 400
    assert api.get("/api/v1/stats/summary?from=nope").status_code == 400
    api.force_authenticate(AdminFactory())
    district = api.get(f"/api/v1/stats/summary?from={DAY}&to={DAY}").json()
    assert district["center"] is None and district["applications"] == 5
    assert api.get("/api/v1/stats/summary?center=NOPE").status_code == 404
    api.force_authenticate(ClerkFactory(center=world["center"]))
    assert api.get("/api/v1/stats/summary").status_code == 403


def test_dashboard_page_and_exports(world, client):
    services.rollup_rebuild_day(day=DAY)
    client.force_login(ManagerFactory(center=world["center"]))
    url = reverse("dashboard:home")
    with freeze_time(at(12, 0, date(2026, 11, 25))):
        page = client.get(url, {"from": DAY, "to": DAY})
        assert page.status_code == 200
        html = page.content.decode()
        assert "echarts.min.js" in html and 'id="charts-data"' in html
        assert "居住证办理" in html
        xlsx = client.get(url, {"from": DAY, "to": DAY, "by": "matter", "export": "xlsx"})
        assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
        sheet = load_workbook(io.BytesIO(xlsx.content)).active
        values = list(sheet.iter_rows(values_only=True))
        assert values[1][:3] == ("事项", "受理量", "办结量")
        assert {row[0]: row[1] for row in values[2:]} == {
            "居住证办理": 3,
            "生育医学证明": 1,
            "（未关联事项）": 0,
        }
        text = client.get(url, {"from": DAY, "to": DAY, "by": "channel", "export": "csv"}).content.decode(
            "utf-8-sig"
        )
        rows = list(csv.reader(io.StringIO(text)))
        assert rows[0][0] == "渠道"
        assert {r[0]: r[1] for r in rows[1:]}["网上"] == "1"


def test_the_dashboard_in_english_draws_its_charts_and_tables_in_english(world, client):
    """The charts draw their own legends and axes: those words come from the page's language too."""
    services.rollup_rebuild_day(day=DAY)
    client.force_login(ManagerFactory(center=world["center"]))
    client.cookies["django_language"] = "en"
    with freeze_time(at(12, 0, date(2026, 11, 25))):
        page = client.get(reverse("dashboard:home"), {"from": DAY, "to": DAY, "by": "channel"})
        html = page.content.decode()
        charts = json.loads(
            re.search(r'id="charts-data" type="application/json">(.*?)</script>', html).group(1)
        )
        assert charts["labels"]["received"] == "Received" and charts["labels"]["hour"] == "%(h)s:00"
        assert dict(charts["labels"]["states"])["open"] == "To call back"
        assert {c["name"] for c in charts["channels"]} <= {
            "Window",
            "Online",
            "Self-service kiosk",
            "Smart cabinet",
        }
        assert [level["name"] for level in charts["levels"]][0] == "Very satisfied"
        assert "Avg. wait (min)" in html and "By channel" in html
        for chinese in ("受理量", "按渠道", "非常满意", "待回访", "网上"):
            assert chinese not in html, chinese
        text = client.get(
            reverse("dashboard:home"), {"from": DAY, "to": DAY, "by": "channel", "export": "csv"}
        )
        assert list(csv.reader(io.StringIO(text.content.decode("utf-8-sig"))))[0][:2] == [
            "Channel",
            "Received",
        ]


def test_dashboard_denied_to_clerks(client, world):
    client.force_login(ClerkFactory(center=world["center"]))
    assert client.get(reverse("dashboard:home")).status_code == 403


def test_months_come_from_the_monthly_rollup_and_ends_from_days(world):
    center = world["center"]
    october = date(2026, 10, 15)
    make_app(center, world["m1"], "T-OCT", accepted_day=october)
    services.rollup_rebuild_day(day=DAY)
    services.rollup_rebuild_day(day=october)
    scope = selectors.Scope(center_ids=[center.pk], center=center, district=False)
    # Oct 10–31 from daily rows, all of November from the monthly row
    s = selectors.period_summary(scope=scope, date_from=date(2026, 10, 10), date_to=date(2026, 11, 30))
    assert s["applications"] == 5 and s["ratings"] == 3
    # the same figures when the period ends mid-month (daily rows for November)
    assert (
        selectors.period_summary(scope=scope, date_from=date(2026, 10, 1), date_to=DAY)["applications"] == 5
    )
    months = selectors.period_breakdown(
        scope=scope, date_from=date(2026, 10, 10), date_to=date(2026, 11, 30), by="month"
    )
    assert [(r["key"]["month"], r["applications"]) for r in months] == [
        (date(2026, 10, 1), 1),
        (date(2026, 11, 1), 4),
    ]
    # rebuilding a day keeps its month in step
    Application.objects.filter(number="T-2").delete()
    services.rollup_rebuild_day(day=DAY)
    assert (
        selectors.period_summary(scope=scope, date_from=date(2026, 11, 1), date_to=date(2026, 11, 30))[
            "applications"
        ]
        == 3
    )


def test_history_generator_fills_sources_and_leaves_the_invitation_sweep_nothing():
    from tongban.dashboard.history import generate_history, history_exists
    from tongban.ratings.services import rating_invitations_sweep

    center = CenterFactory(code="YP-HIST", open_24h=False)
    WindowFactory(center=center, number=1)
    MatterFactory(name="历史事项")
    ClerkFactory(center=center)
    Queue.objects.create(center=center, prefix="A", name="综合", kind="normal")
    cabinet = Cabinet.objects.create(code="CAB-H", center=center, name="文件柜", place="24小时自助服务区")
    Compartment.objects.create(cabinet=cabinet, number=1, size="M")
    assert not history_exists(center)
    with freeze_time(at(20, 0, date(2026, 11, 26))):
        counts = generate_history(
            center=center, date_from=date(2026, 11, 16), date_to=date(2026, 11, 25), per_day=20, seed=1
        )
        assert history_exists(center)
        assert counts["applications"] == Application.objects.filter(center=center).count() > 0
        assert counts["tickets"] == Ticket.objects.filter(center=center).count() > 0
        # every served ticket has its call and finish, as a window writes them (the wait estimate reads them)
        from tongban.queueing.models import CallEvent

        finishes = CallEvent.objects.filter(center=center, kind="finish").select_related("ticket")
        assert finishes.count() == counts["tickets"]
        assert all(
            e.at == e.ticket.finished_at and e.window_id == e.ticket.called_window_id for e in finishes
        )
        linked = [e.data["applications"] for e in finishes]
        assert all(len(ids) == 1 for ids in linked)
        assert Application.objects.filter(pk__in=[ids[0] for ids in linked], center=center).count() == len(
            linked
        )
        assert CallEvent.objects.filter(center=center, kind="call").count() == counts["tickets"]
        assert counts["ratings"] == Rating.objects.filter(center=center).count() > 0
        assert counts["pickups"] == Item.objects.filter(cabinet=cabinet, state="done").count() > 0
        assert rating_invitations_sweep() == 0
        written = services.rollup_rebuild_range(date_from=date(2026, 11, 16), date_to=date(2026, 11, 26))
    assert written > 0
    scope = selectors.Scope(center_ids=[center.pk], center=center, district=False)
    summary = selectors.period_summary(scope=scope, date_from=date(2026, 11, 16), date_to=date(2026, 11, 26))
    assert summary["applications"] == counts["applications"]
    assert summary["ratings"] == counts["ratings"]
    assert summary["cabinet_pickups"] == counts["pickups"]
    night = Item.objects.filter(cabinet=cabinet).exclude(finished_at__hour__range=(8, 19)).count()
    assert summary["cabinet_pickups_night"] == night


def test_summary_of_any_breakdown_equals_the_period_summary(world):
    services.rollup_rebuild_day(day=DAY)
    scope = selectors.Scope(center_ids=None, center=None, district=True)
    expected = selectors.period_summary(scope=scope, date_from=DAY, date_to=DAY)
    for by in ("matter", "department", "channel", "center", "day", "month"):
        rows = selectors.period_breakdown(scope=scope, date_from=DAY, date_to=DAY, by=by)
        assert selectors.summary_of(rows) == expected, by


def test_a_period_reaching_today_reads_the_month_to_date_row(world, django_assert_num_queries):
    services.rollup_rebuild_day(day=DAY)
    scope = selectors.Scope(center_ids=[world["center"].pk], center=world["center"], district=False)
    with freeze_time(at(18, 0, DAY)):
        with django_assert_num_queries(1):  # the monthly table only, no daily tail
            s = selectors.period_summary(scope=scope, date_from=date(2026, 11, 1), date_to=DAY)
        assert s["applications"] == 4

"""The numbers managers read: waits measured from when a person is queued, ranges in the past, appointments."""

from __future__ import annotations

from datetime import date, time

import pytest
from freezegun import freeze_time

from tongban.accounts.tests.factories import ManagerFactory, ResidentFactory
from tongban.dashboard import selectors as dashboard
from tongban.dashboard import services as rollups
from tongban.queueing.models import AppointmentSlot
from tongban.queueing.selectors import queue_stats
from tongban.queueing.services import (
    appointment_book,
    appointment_cancel,
    ticket_call_next,
    ticket_finish,
    ticket_issue,
    ticket_no_show,
)
from tongban.queueing.tests.factories import hall

pytestmark = pytest.mark.django_db
DAY = date(2026, 11, 26)


def _early_appointment_and_a_walk_in(clerk_at):
    """08:40 a walk-in takes A001 and an appointment for 09:00 checks in (Y001); the window calls A001 at
    08:50 and Y001 at 09:05. The walk-in waited 10 minutes; the appointment 5 (it is queued from 09:00)."""
    center, q, (w1, _) = hall(checkin_early_minutes=30, checkin_late_minutes=15)
    s = AppointmentSlot.objects.create(
        center=center, queue=q["Y"], day=DAY, start=time(9), end=time(9, 30), capacity=2
    )
    r = ResidentFactory(id_number="310110199006150037", phone="13800000000")
    with freeze_time("2026-11-25 02:00:00"):
        a = appointment_book(slot=s, actor=r, resident=r)
    clerk = clerk_at(w1)
    with freeze_time("2026-11-26 00:40:00"):  # 08:40 Shanghai
        ticket_issue(center=center, queue="A")
        ticket_issue(center=center, appointment_code=a.code)
    with freeze_time("2026-11-26 00:50:00"):
        assert ticket_call_next(window=w1, clerk=clerk).number == "A001"
    with freeze_time("2026-11-26 00:52:00"):
        ticket_finish(ticket_id=center.tickets.get(number="A001").pk, actor=clerk)
    with freeze_time("2026-11-26 01:05:00"):
        assert ticket_call_next(window=w1, clerk=clerk).number == "Y001"
    return center


@freeze_time("2026-11-26 01:10:00")
def test_an_early_appointment_waits_from_its_slot_in_every_figure(clerk_at):
    center = _early_appointment_and_a_walk_in(clerk_at)
    data = queue_stats(center, day_from=DAY, day_to=DAY)
    by_queue = {row["prefix"]: row for row in data["queues"]}
    assert by_queue["Y"]["avg_wait_minutes"] == 5.0  # not 25: the minutes before 09:00 were the resident's
    assert by_queue["A"]["avg_wait_minutes"] == 10.0
    assert data["avg_wait_minutes"] == 7.5 and data["called"] == 2
    # the dashboard's live card and its daily rollup measure the same waits
    scope = dashboard.Scope(center_ids=[center.pk], center=center, district=False)
    assert dashboard.live_today(scope=scope)["avg_wait_minutes"] == 7.5
    rollups.rollup_rebuild_day(day=DAY)
    summary = dashboard.period_summary(scope=scope, date_from=DAY, date_to=DAY)
    assert (summary["tickets"], summary["avg_wait_minutes"]) == (2, 7.5)


def test_a_past_range_does_not_show_todays_line_as_its_own(clerk_at):
    center, _, _ = hall()
    with freeze_time("2026-11-25 02:00:00"):
        ticket_issue(center=center, queue="A")
    with freeze_time("2026-11-26 02:00:00"):
        ticket_issue(center=center, queue="A")
        ticket_issue(center=center, queue="A")
        past = queue_stats(center, day_from=date(2026, 11, 25), day_to=date(2026, 11, 25))
        live = queue_stats(center, day_from=date(2026, 11, 25), day_to=DAY)
    a_past = next(row for row in past["queues"] if row["prefix"] == "A")
    a_live = next(row for row in live["queues"] if row["prefix"] == "A")
    assert (a_past["issued"], a_past["waiting"]) == (1, None)
    assert (a_live["issued"], a_live["waiting"]) == (3, 2)  # today's line: the two of today
    assert all(row["waiting"] is None for row in past["queues"])


def test_cancelled_appointments_are_not_counted_as_booked_and_the_csv_gives_percentages(client):
    center, q, _ = hall()
    s = AppointmentSlot.objects.create(
        center=center, queue=q["Y"], day=DAY, start=time(9), end=time(9, 30), capacity=4
    )
    with freeze_time("2026-11-25 02:00:00"):
        kept = ResidentFactory(id_number="310110199006150037", phone="13800000000")
        gone = ResidentFactory(id_number="310110195601010049", phone="13800000001")
        appointment_book(slot=s, actor=kept, resident=kept)
        cancelled = appointment_book(slot=s, actor=gone, resident=gone)
        appointment_cancel(appointment_id=cancelled.pk, actor=gone)
        data = queue_stats(center, day_from=DAY, day_to=DAY)
        assert data["appointments"] == {
            "booked": 1,
            "kept": 0,
            "no_show": 0,
            "cancelled": 1,
            "kept_rate": None,
        }
        client.force_login(ManagerFactory(center=center))
        html = client.get("/queue/stats/", {"from": "2026-11-26", "to": "2026-11-26"}).content.decode()
        # the rate the CSV and the API give (kept ÷ kept or missed), with what it is made of
        assert "到 0 · 爽约 0 · 共预约 1" in html and "另有 1 个已取消" in html
        lines = (
            client.get("/queue/stats/", {"from": "2026-11-26", "to": "2026-11-26", "format": "csv"})
            .content.decode("utf-8-sig")
            .splitlines()
        )
    assert "预约数（不含已取消）,1" in lines and "已取消预约,1" in lines


@freeze_time("2026-11-26 01:10:00")
def test_the_csv_gives_rates_as_the_page_does(client, clerk_at):
    center, _, (w1, _) = hall()
    clerk = clerk_at(w1)
    for _ in range(4):
        ticket_issue(center=center, queue="A")
    ticket_no_show(ticket_id=ticket_call_next(window=w1, clerk=clerk).pk, actor=clerk)
    client.force_login(ManagerFactory(center=center))
    html = client.get("/queue/stats/").content.decode()
    lines = client.get("/queue/stats/", {"format": "csv"}).content.decode("utf-8-sig").splitlines()
    assert ">100%<" in html and "过号率(%),100.0" in lines
    assert "放弃率(%),0.0" in lines


def test_the_statistics_can_be_reached_from_the_front_door_and_the_dashboard(client):
    center, _, _ = hall()
    assert "/queue/stats/" in client.get("/").content.decode()
    client.force_login(ManagerFactory(center=center))
    assert 'href="/queue/stats/"' in client.get("/dashboard/").content.decode()

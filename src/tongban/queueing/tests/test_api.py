"""The API contracts kiosks and hall devices depend on."""

from __future__ import annotations

from datetime import date, time

import pytest
from freezegun import freeze_time
from rest_framework.test import APIClient

from tongban.accounts.tests.factories import ClerkFactory, ManagerFactory, ResidentFactory
from tongban.catalog.tests.factories import CenterFactory
from tongban.queueing.models import AppointmentSlot, Ticket
from tongban.queueing.services import ticket_issue
from tongban.queueing.tests.factories import QueueFactory, hall

pytestmark = pytest.mark.django_db
T0 = "2026-11-25 02:00:00"


def staff_client(user):
    c = APIClient()
    c.force_authenticate(user)
    return c


@freeze_time(T0)
def test_take_a_ticket_without_login(django_assert_num_queries):
    center, _, _ = hall()
    client = APIClient()
    ticket_issue(center=center, queue="A")
    # rules and queue come from the 30 s config cache (warmed by the first ticket); center by code (first
    # look-up, then cached), counter (UPDATE … RETURNING), insert, position count, estimate (2, cached 30 s
    # per center). PostgreSQL counts the line, takes the number and inserts in one statement, which needs no
    # transaction (and so no SAVEPOINT/RELEASE under the test's transaction either).
    from django.db import connection

    with django_assert_num_queries(4 if connection.vendor == "postgresql" else 6):
        r = client.post(f"/api/v1/centers/{center.code}/tickets", {"queue": "A"}, format="json")
    assert r.status_code == 201
    body = r.json()
    assert body == {
        "id": Ticket.objects.get(number="A002").pk,
        "number": "A002",
        "queue": "A",
        "queue_name": "综合受理",
        "priority_reason": "",
        "waiting_before": 1,
        "estimated_wait_minutes": 8,
        "issued_at": "2026-11-25T10:00:00+08:00",
        "follow_url": body["follow_url"],  # test_follow.py follows it
    }
    assert body["follow_url"].startswith("http://testserver/queue/t/")
    # every later ticket within 30 s, of either kind: the numbered insert and the position count (on
    # PostgreSQL one statement)
    ticket_issue(center=center, queue="A", priority_reason="military")  # V001: the V counter and queue
    with django_assert_num_queries(1 if connection.vendor == "postgresql" else 3):
        r = client.post(f"/api/v1/centers/{center.code}/tickets", {"queue": "A"}, format="json")
    assert (r.status_code, r.json()["number"], r.json()["waiting_before"]) == (201, "A003", 3)
    with django_assert_num_queries(1 if connection.vendor == "postgresql" else 3):
        r = client.post(
            f"/api/v1/centers/{center.code}/tickets",
            {"queue": "A", "priority_reason": "military"},
            format="json",
        )
    assert (r.status_code, r.json()["number"], r.json()["waiting_before"]) == (201, "V002", 1)


@freeze_time(T0)
def test_take_a_ticket_errors_are_precise():
    center, _, _ = hall()
    client = APIClient()
    r = client.post(f"/api/v1/centers/{center.code}/tickets", {"queue": "A", "matter": "M1"}, format="json")
    assert (r.status_code, r.json()["error"]["code"]) == (400, "queue.invalid_request")
    r = client.post(
        f"/api/v1/centers/{center.code}/tickets", {"priority_reason": "vip", "queue": "A"}, format="json"
    )
    assert (r.status_code, r.json()["error"]["code"]) == (400, "invalid")
    r = client.post("/api/v1/centers/NOPE/tickets", {"queue": "A"}, format="json")
    assert (r.status_code, r.json()["error"]["code"]) == (404, "queue.center_not_found")
    r = client.post(f"/api/v1/centers/{center.code}/tickets", {"appointment_code": "ZZZZZZ"}, format="json")
    assert (r.status_code, r.json()["error"]["code"]) == (404, "appointment.not_found")
    r = client.post(
        f"/api/v1/centers/{center.code}/tickets", {"id_number": "310110195601010048"}, format="json"
    )
    assert (r.status_code, r.json()["error"]["code"]) == (400, "queue.invalid_id_number")  # checksum
    closed = CenterFactory(open_24h=False, opening_hours={"mon": [["09:00", "17:00"]]})
    QueueFactory(center=closed)
    r = client.post(f"/api/v1/centers/{closed.code}/tickets", {"queue": "A"}, format="json")
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "queue.hall_closed"
    assert r.json()["error"]["details"] == {"opens_at": "2026-11-30T09:00:00+08:00"}
    assert Ticket.objects.count() == 0


@freeze_time(T0)
def test_an_empty_priority_reason_is_no_reason(django_assert_num_queries):
    """A machine that sends every field of its form sends "" for no reason: a plain ticket, not a 400; with
    nothing else chosen it is still a request for nothing. The fast path takes it (no serializer)."""
    from django.db import connection

    center, _, _ = hall()
    client = APIClient()
    ticket_issue(center=center, queue="A")
    url = f"/api/v1/centers/{center.code}/tickets"
    client.post(url, {"queue": "A"}, format="json")  # the center and the estimate's inputs cached
    with django_assert_num_queries(1 if connection.vendor == "postgresql" else 3):  # as any plain ticket
        r = client.post(url, {"queue": "A", "priority_reason": ""}, format="json")
    assert (r.status_code, r.json()["number"], r.json()["priority_reason"]) == (201, "A003", "")
    r = client.post(url, {"priority_reason": ""}, format="json")
    assert (r.status_code, r.json()["error"]["code"]) == (400, "queue.invalid_request")


@freeze_time(T0)
def test_call_next_then_recall_no_show_transfer_finish():
    center, _, (w1, w2) = hall()
    clerk = ClerkFactory(center=center)
    client = staff_client(clerk)
    r = client.post(f"/api/v1/windows/{w1.pk}/call-next")
    assert (r.status_code, r.content) == (204, b"")
    a1 = ticket_issue(center=center, queue="A").ticket
    a2 = ticket_issue(center=center, queue="A").ticket
    r = client.post(f"/api/v1/windows/{w1.pk}/call-next")
    assert r.status_code == 200
    assert r.json() == {
        "ticket": {
            "id": a1.pk,
            "number": "A001",
            "queue": "A",
            "state": "called",
            "priority_reason": "",
            "window": 1,
            "call_count": 1,
            "matter": None,
            "issued_at": "2026-11-25T10:00:00+08:00",
            "called_at": "2026-11-25T10:00:00+08:00",
            "served_at": None,
            "finished_at": None,
        },
        "announcement": "请 A001 号到 1 号窗口",
    }
    r = client.post(f"/api/v1/windows/{w1.pk}/call-next")
    assert (r.status_code, r.json()["error"]["code"]) == (409, "queue.window_busy")
    assert r.json()["error"]["details"] == {"ticket": "A001", "ticket_id": a1.pk}
    r = client.post(f"/api/v1/tickets/{a1.pk}/recall")
    assert (r.status_code, r.json()["ticket"]["call_count"]) == (200, 2)
    r = client.post(f"/api/v1/tickets/{a1.pk}/no-show")
    assert (r.status_code, r.json()["ticket"]["state"]) == (200, "no_show")
    r = client.post(f"/api/v1/tickets/{a1.pk}/recall")
    assert (r.status_code, r.json()["error"]["code"]) == (409, "queue.invalid_transition")
    with freeze_time("2026-11-25 02:01:00"):  # the late arrival comes back a minute later
        r = client.post(f"/api/v1/tickets/{a1.pk}/requeue")
        assert (r.status_code, r.json()["ticket"]["state"]) == (200, "waiting")
        r = client.post(f"/api/v1/windows/{w1.pk}/call-next")
        assert r.json()["ticket"]["number"] == "A002"
        # what does not exist is named, and a ticket is not "transferred" to the window it is at
        for target, code, says in (
            ({"queue": "z"}, "queue.transfer_queue_not_found", "队列 Z 不存在或已停用"),
            ({"window": 99}, "queue.transfer_window_not_found", "99 号窗口不存在或已停用"),
            ({"window": w1.number}, "queue.transfer_target", "号码已在本窗口"),
        ):
            r = client.post(f"/api/v1/tickets/{a2.pk}/transfer", target, format="json")
            assert r.status_code in (400, 404) and r.json()["error"]["code"] == code, r.json()
            assert says in r.json()["error"]["message"]
        assert Ticket.objects.get(pk=a2.pk).state == "called"
        r = client.post(f"/api/v1/tickets/{a2.pk}/transfer", {"window": 2}, format="json")
        assert (r.status_code, r.json()["ticket"]["state"]) == (200, "waiting")
        r = client.post(f"/api/v1/tickets/{a2.pk}/transfer", {}, format="json")
        assert r.status_code == 400
        r = client.post(f"/api/v1/windows/{w1.pk}/call-next")
        assert r.json()["ticket"]["number"] == "A001"  # A002 now belongs to window 2
        r = client.post(f"/api/v1/tickets/{a1.pk}/start")
        assert r.json()["ticket"]["state"] == "serving"
        r = client.post(f"/api/v1/tickets/{a1.pk}/finish", {"applications": []}, format="json")
        assert (r.status_code, r.json()["ticket"]["state"]) == (200, "finished")


@freeze_time(T0)
def test_numbers_too_large_for_a_database_key_are_refused_not_a_500():
    """A window or a case id beyond a 64-bit key reached the database, and SQLite refused to bind it (a 500,
    found by schemathesis). The body's ids are bounded like the URL's: a 400 naming the field."""
    center, _, (w1, _) = hall()
    clerk = ClerkFactory(center=center)
    client = staff_client(clerk)
    ticket_issue(center=center, queue="A")
    called = client.post(f"/api/v1/windows/{w1.pk}/call-next").json()["ticket"]["id"]
    huge = 79529425137938923520
    r = client.post(f"/api/v1/tickets/{called}/transfer", {"window": huge}, format="json")
    assert r.status_code == 400 and "window" in str(r.json()), r.json()
    r = client.post(f"/api/v1/tickets/{called}/finish", {"applications": [huge]}, format="json")
    assert r.status_code == 400 and "applications" in str(r.json()), r.json()
    r = client.post(f"/api/v1/tickets/{huge}/finish", {"applications": []}, format="json")
    assert r.status_code == 404
    r = client.post(f"/api/v1/tickets/{called}/finish", {"applications": []}, format="json")
    assert (r.status_code, r.json()["ticket"]["state"]) == (200, "finished")


@freeze_time(T0)
def test_a_finish_retried_with_its_cases_is_answered_200():
    from tongban.applications.tests.factories import draft

    center, _, (w1, _) = hall()
    clerk = ClerkFactory(center=center)
    client = staff_client(clerk)
    ticket_issue(center=center, queue="A")
    called = client.post(f"/api/v1/windows/{w1.pk}/call-next").json()["ticket"]["id"]
    case = draft(clerk=clerk)
    first = client.post(f"/api/v1/tickets/{called}/finish", {"applications": [case.pk]}, format="json")
    retry = client.post(f"/api/v1/tickets/{called}/finish", {"applications": [case.pk]}, format="json")
    assert (first.status_code, retry.status_code) == (200, 200)
    assert retry.json() == first.json()


def test_staff_endpoints_deny_outsiders():
    center, _, (w1, _) = hall()
    ticket_issue(center=center, queue="A")
    r = APIClient().post(f"/api/v1/windows/{w1.pk}/call-next")
    assert (r.status_code, r.json()["error"]["code"]) == (401, "not_authenticated")
    r = staff_client(ResidentFactory()).post(f"/api/v1/windows/{w1.pk}/call-next")
    assert (r.status_code, r.json()["error"]["code"]) == (403, "forbidden")
    r = staff_client(ClerkFactory(center=CenterFactory())).post(f"/api/v1/windows/{w1.pk}/call-next")
    assert r.status_code == 403
    owner = ClerkFactory(center=center)
    t = staff_client(owner).post(f"/api/v1/windows/{w1.pk}/call-next").json()["ticket"]
    r = staff_client(ClerkFactory(center=center)).post(f"/api/v1/tickets/{t['id']}/finish")
    assert (r.status_code, r.json()["error"]["code"]) == (403, "queue.window_not_staffed")
    r = staff_client(ClerkFactory(center=center)).post(f"/api/v1/windows/{w1.pk}/call-next")
    assert (r.status_code, r.json()["error"]["code"]) == (409, "queue.window_staffed_by_other")
    assert r.json()["error"]["details"] == {"clerk": owner.display_name or owner.username}
    assert r.json()["error"]["message"].startswith(f"该窗口已由{owner.display_name or owner.username}值守")
    assert staff_client(owner).post("/api/v1/tickets/999999/recall").status_code == 404


@freeze_time(T0)
def test_a_session_write_without_the_csrf_token_is_named_and_changes_nothing():
    """A workbench page left open past its CSRF cookie read as "you may not do this" (a reviewer, issue 4)."""
    center, _, (w1, _) = hall()
    ticket = ticket_issue(center=center, queue="A").ticket
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(ClerkFactory(center=center))
    r = client.post(f"/api/v1/windows/{w1.pk}/call-next")
    assert r.status_code == 403
    assert r.json()["error"] == {
        "code": "csrf_failed",
        "message": "请求缺少或带有无效的 CSRF 令牌，请刷新页面后重试",
        "message_en": "CSRF token missing or invalid; reload the page and try again",
        "details": {"reason": "CSRF cookie not set."},
    }
    assert Ticket.objects.get(pk=ticket.pk).state == "waiting"
    token = "k" * 32
    client.cookies["csrftoken"] = token
    r = client.post(f"/api/v1/windows/{w1.pk}/call-next")
    assert (r.status_code, r.json()["error"]["code"]) == (403, "csrf_failed")
    assert r.json()["error"]["details"] == {"reason": "CSRF token missing."}
    r = client.post(f"/api/v1/windows/{w1.pk}/call-next", HTTP_X_CSRFTOKEN=token)
    assert (r.status_code, r.json()["ticket"]["number"]) == (200, "A001")


@freeze_time(T0)
def test_a_refusal_names_the_ticket_state_and_an_unknown_window_is_named():
    center, _, (w1, _) = hall()
    client = staff_client(ClerkFactory(center=center))
    ticket_issue(center=center, queue="A")
    t = client.post(f"/api/v1/windows/{w1.pk}/call-next").json()["ticket"]
    client.post(f"/api/v1/tickets/{t['id']}/no-show")
    r = client.post(f"/api/v1/tickets/{t['id']}/start")
    assert r.status_code == 409
    assert r.json()["error"] == {
        "code": "queue.invalid_transition",
        "message": "号码当前状态为“过号”，不能执行此操作",
        "message_en": "The ticket was marked as a no-show; this action is not possible",
        "details": {"state": "no_show", "ticket": "A001"},
    }
    gone = w1.pk + 1000
    for action in ("call-next", "pause", "resume"):
        r = client.post(f"/api/v1/windows/{gone}/{action}")
        assert r.status_code == 404
        assert r.json()["error"] == {
            "code": "queue.window_not_found",
            "message": "窗口不存在",
            "message_en": "Window not found",
        }


@freeze_time(T0)
def test_pause_and_resume():
    from tongban.queueing.models import WindowSession

    center, _, (w1, _) = hall()
    clerk = ClerkFactory(center=center)
    c = staff_client(clerk)
    # not signed on at the window: pausing (or resuming) it does not sign the clerk on
    for action in ("pause", "resume"):
        r = c.post(f"/api/v1/windows/{w1.pk}/{action}", {"reason": "午休"}, format="json")
        assert (r.status_code, r.json()["error"]["code"]) == (403, "queue.window_not_staffed")
    assert not WindowSession.objects.exists()
    assert c.post(f"/api/v1/windows/{w1.pk}/call-next").status_code == 204  # the first call signs on
    r = c.post(f"/api/v1/windows/{w1.pk}/pause", {"reason": "午休"}, format="json")
    assert (r.status_code, r.json()["state"], r.json()["window"]) == (200, "paused", 1)
    ticket_issue(center=center, queue="A")
    r = c.post(f"/api/v1/windows/{w1.pk}/call-next")
    assert (r.status_code, r.json()["error"]["code"]) == (409, "queue.window_paused")
    assert c.post(f"/api/v1/windows/{w1.pk}/resume").json()["state"] == "open"


@freeze_time(T0)
def test_display_is_public_and_query_bounded(django_assert_num_queries):
    center, _, (w1, _) = hall()
    clerk = ClerkFactory(center=center)
    for _ in range(3):
        ticket_issue(center=center, queue="A")
    staff_client(clerk).post(f"/api/v1/windows/{w1.pk}/call-next")
    client = APIClient()
    with django_assert_num_queries(4):
        r = client.get(f"/api/v1/centers/{center.code}/display")
    body = r.json()
    assert r.status_code == 200
    assert body["current"] == [
        {
            "ticket": body["current"][0]["ticket"],
            "number": "A001",
            "window": 1,
            "at": "2026-11-25T10:00:00+08:00",
            "kind": "call",
        }
    ]
    assert [(w["prefix"], w["waiting"]) for w in body["waiting"]] == [("A", 2), ("V", 0), ("Y", 0)]
    assert body["center"] == {"code": center.code, "name": center.name, "name_en": center.name_en}
    # an English hall TV redraws the waiting list from this: it needs the English names too
    center.queues.filter(prefix="A").update(name_en="General services")
    body = client.get(f"/api/v1/centers/{center.code}/display").json()
    assert {w["prefix"]: w["name_en"] for w in body["waiting"]}["A"] == "General services"


@freeze_time(T0)
def test_stats_for_managers_only():
    center, _, (w1, _) = hall()
    clerk = ClerkFactory(center=center)
    ticket_issue(center=center, queue="A")
    t = staff_client(clerk).post(f"/api/v1/windows/{w1.pk}/call-next").json()["ticket"]
    with freeze_time("2026-11-25 02:06:00"):
        staff_client(clerk).post(f"/api/v1/tickets/{t['id']}/finish")
    assert staff_client(clerk).get(f"/api/v1/centers/{center.code}/queue-stats").status_code == 403
    assert (
        staff_client(ManagerFactory(center=CenterFactory()))
        .get(f"/api/v1/centers/{center.code}/queue-stats")
        .status_code
        == 403
    )
    r = staff_client(ManagerFactory(center=center)).get(f"/api/v1/centers/{center.code}/queue-stats")
    body = r.json()
    assert r.status_code == 200
    assert (body["issued"], body["called"], body["finished"], body["avg_wait_minutes"]) == (1, 1, 1, 0.0)
    assert body["windows"] == [{"window": 1, "served": 1, "avg_service_minutes": 6.0}]
    assert (body["from"], body["to"]) == ("2026-11-25", "2026-11-25")
    r = staff_client(ManagerFactory(center=center)).get(
        f"/api/v1/centers/{center.code}/queue-stats", {"date_from": "2026-11-26", "date_to": "2026-11-25"}
    )
    assert r.status_code == 400
    # the statistics page's names for the dates: refused by name, not answered with today's figures
    r = staff_client(ManagerFactory(center=center)).get(
        f"/api/v1/centers/{center.code}/queue-stats", {"from": "2026-11-01", "to": "2026-11-24"}
    )
    assert r.status_code == 400 and r.json()["error"]["details"] == {"unknown": ["from", "to"]}
    assert "date_from" in r.json()["error"]["message"]


@freeze_time(T0)
def test_appointment_api_book_change_cancel():
    center, q, _ = hall()
    s1 = AppointmentSlot.objects.create(
        center=center, queue=q["Y"], day=date(2026, 11, 26), start=time(9), end=time(9, 30), capacity=1
    )
    s2 = AppointmentSlot.objects.create(
        center=center, queue=q["Y"], day=date(2026, 11, 26), start=time(10), end=time(10, 30), capacity=1
    )
    r = APIClient().get(f"/api/v1/centers/{center.code}/appointment-slots", {"date_from": "2026-11-26"})
    assert [(x["start"], x["available"]) for x in r.json()] == [("09:00", 1), ("10:00", 1)]
    me = ResidentFactory(id_number="310110199006150037", phone="13800000009")
    c = staff_client(me)
    r = c.post("/api/v1/appointments", {"slot": s1.pk}, format="json")
    assert r.status_code == 201
    body = r.json()
    assert (body["state"], body["queue"], body["start"], body["phone"]) == (
        "booked",
        "Y",
        "09:00",
        "138****0009",
    )
    r = c.post("/api/v1/appointments", {"slot": s1.pk}, format="json")
    assert (r.status_code, r.json()["error"]["code"]) == (409, "appointment.already_booked")
    r = c.post(f"/api/v1/appointments/{body['id']}/change", {"slot": s2.pk}, format="json")
    assert (r.status_code, r.json()["start"]) == (200, "10:00")
    assert [a["code"] for a in c.get("/api/v1/appointments").json()] == [body["code"]]
    r = staff_client(ResidentFactory(id_number="310110195601010049")).post(
        f"/api/v1/appointments/{body['id']}/cancel"
    )
    assert r.status_code == 403
    r = c.post(f"/api/v1/appointments/{body['id']}/cancel")
    assert (r.status_code, r.json()["state"]) == (200, "cancelled")
    # staff book for a resident
    clerk = ClerkFactory(center=center)
    r = staff_client(clerk).post(
        "/api/v1/appointments",
        {"slot": s1.pk, "name": "王小明", "id_number": "310110195601010049", "phone": "13900000001"},
        format="json",
    )
    assert (r.status_code, r.json()["phone"]) == (201, "139****0001")


@freeze_time(T0)
def test_call_next_and_finish_statement_budget(django_assert_num_queries):
    """Calling and finishing run all day at every window: their statements are pinned, on top of whatever
    one audit entry costs (core.audit owns that)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tongban.core.audit import audit_log
    from tongban.queueing.selectors import queue_by_pk

    center, queues, (w1, _) = hall()
    client = staff_client(ClerkFactory(center=center))
    assert client.post(f"/api/v1/windows/{w1.pk}/call-next").status_code == 204  # signs on, caches the window
    for q in queues.values():
        queue_by_pk(q.pk)  # configuration: cached per process for 30 s
    for i in range(3):
        ticket_issue(center=center, queue="A", priority_reason="military" if i == 2 else "")
    audit_log(action="test.warm")
    with CaptureQueriesContext(connection) as captured:
        audit_log(action="test.cost")
    audit = len(captured.captured_queries)  # now: each request resets the connection's query log
    pg = connection.vendor == "postgresql"
    # PostgreSQL: one statement and no transaction: the session locked with the window's ticket in hand, the
    # fair-order pick, claim, call event, audit entry and the session's ticket and priority streak. SQLite:
    # savepoint; the session locked with its ticket in hand; claim, event, "anyone waiting for an SMS?", the
    # session's ticket and streak, the audit entry; release.
    call = 1 if pg else 7 + audit
    with django_assert_num_queries(call):
        r = client.post(f"/api/v1/windows/{w1.pk}/call-next")
    assert r.json()["ticket"]["number"] == "V001"
    ticket = r.json()["ticket"]["id"]
    # PostgreSQL: the ticket (if this clerk staffs its window and handled no case since the call), the finish
    # event, the audit entry and the session that no longer holds it, in one statement. SQLite: savepoint; the
    # ticket locked with "does this clerk staff its window"; the cases handled since the call (none here); the
    # update, the event, the session, the audit entry; release.
    with django_assert_num_queries(1 if pg else 7 + audit):
        r = client.post(f"/api/v1/tickets/{ticket}/finish", {}, format="json")
    assert r.json()["ticket"]["state"] == "finished"
    with django_assert_num_queries(call):  # the streak back to 0
        r = client.post(f"/api/v1/windows/{w1.pk}/call-next")
    assert r.json()["ticket"]["number"] == "A001"
    client.post(f"/api/v1/tickets/{r.json()['ticket']['id']}/finish", {}, format="json")
    with django_assert_num_queries(call):  # a normal call after a normal call
        r = client.post(f"/api/v1/windows/{w1.pk}/call-next")
    assert r.json()["ticket"]["number"] == "A002"


def test_finish_names_cases_by_receipt_number_and_answers_with_the_numbers_linked(clerk_at):
    """The Applications API shows a case's number, never its id: finish takes numbers (ids still work) and says
    which cases the ticket ended up linked to (a reviewer could not name a case in practice, issue 4)."""
    from tongban.applications.tests.factories import draft
    from tongban.queueing.models import TicketApplication

    center, _, (w1, w2) = hall()
    clerk, colleague = clerk_at(w1), clerk_at(w2)
    with freeze_time("2026-11-25 01:50:00"):  # before the call: not found from the history
        waiting = ticket_issue(center=center, queue="A").ticket
        earlier, by_id = draft(clerk=colleague), draft(clerk=colleague)
    elsewhere = draft(clerk=ClerkFactory(center=CenterFactory()))
    client = staff_client(clerk)
    with freeze_time(T0):
        t = client.post(f"/api/v1/windows/{w1.pk}/call-next").json()["ticket"]
    assert t["id"] == waiting.pk
    with freeze_time("2026-11-25 02:05:00"):
        handled = draft(clerk=clerk)  # an intake at the window: found from the history
    with freeze_time("2026-11-25 02:10:00"):
        for named, unknown in (
            ([earlier.number, "YP-NOPE", elsewhere.number], sorted(["YP-NOPE", elsewhere.number])),
            (["  "], None),
        ):
            r = client.post(f"/api/v1/tickets/{t['id']}/finish", {"applications": named}, format="json")
            assert r.status_code == 400, r.json()
            if unknown is None:
                assert r.json()["error"]["code"] == "invalid"  # a blank number, refused by the serializer
            else:
                assert r.json()["error"]["code"] == "queue.application_unknown"
                assert r.json()["error"]["details"] == {"applications": unknown}
                assert all(n in r.json()["error"]["message"] for n in unknown)
        assert Ticket.objects.get(pk=t["id"]).state == "called"
        assert not TicketApplication.objects.exists()
        r = client.post(
            f"/api/v1/tickets/{t['id']}/finish", {"applications": [earlier.number, by_id.pk]}, format="json"
        )
    assert r.status_code == 200, r.json()
    assert r.json()["ticket"]["state"] == "finished"
    assert r.json()["applications"] == sorted([earlier.number, by_id.number, handled.number])
    linked = set(TicketApplication.objects.filter(ticket_id=t["id"]).values_list("application_id", flat=True))
    assert linked == {earlier.pk, by_id.pk, handled.pk}
    # a ticket read again (as after a double click): its links are read back
    from tongban.queueing.api.views import _linked_numbers

    again = Ticket.objects.get(pk=t["id"])
    assert again.linked_application_ids is None
    assert _linked_numbers(again, {}) == sorted([earlier.number, by_id.number, handled.number])


@freeze_time(T0)
def test_finish_by_number_says_nothing_about_another_centers_cases():
    from tongban.applications.tests.factories import draft

    center, _, (w1, _) = hall()
    ticket_issue(center=center, queue="A")
    t = staff_client(ClerkFactory(center=center)).post(f"/api/v1/windows/{w1.pk}/call-next").json()["ticket"]
    case = draft(clerk=ClerkFactory(center=center))
    outsider = staff_client(ClerkFactory(center=CenterFactory()))
    for named in ([case.number], ["YP-NOPE"]):  # the same answer whether the number exists or not
        r = outsider.post(f"/api/v1/tickets/{t['id']}/finish", {"applications": named}, format="json")
        assert (r.status_code, r.json()["error"]["code"]) == (403, "forbidden")
    r = outsider.post("/api/v1/tickets/999999/finish", {"applications": ["YP-NOPE"]}, format="json")
    assert (r.status_code, r.json()["error"]["code"]) == (404, "queue.ticket_not_found")
    assert Ticket.objects.get(pk=t["id"]).state == "called"


@freeze_time(T0)
def test_a_plain_finish_answers_the_cases_found_from_the_history(clerk_at):
    from tongban.applications.tests.factories import draft

    center, _, (w1, _) = hall()
    clerk = clerk_at(w1)
    client = staff_client(clerk)
    for _ in range(2):
        ticket_issue(center=center, queue="A")
    first = client.post(f"/api/v1/windows/{w1.pk}/call-next").json()["ticket"]
    r = client.post(f"/api/v1/tickets/{first['id']}/finish", {}, format="json")
    assert (r.status_code, r.json()["applications"]) == (200, [])
    with freeze_time("2026-11-25 02:01:00"):
        second = client.post(f"/api/v1/windows/{w1.pk}/call-next").json()["ticket"]
    with freeze_time("2026-11-25 02:02:00"):
        handled = draft(clerk=clerk)
    with freeze_time("2026-11-25 02:03:00"):
        r = client.post(f"/api/v1/tickets/{second['id']}/finish")
    assert (r.status_code, r.json()["applications"]) == (200, [handled.number])


def test_the_slots_api_lists_a_slot_exactly_while_booking_takes_it(django_assert_num_queries):
    """Booking refuses a slot whose end has come (appointment.slot_past), not one that has only begun: the
    list of bookable slots says the same, to the second, on the slot's day and for a past date_from."""
    center, q, _ = hall()

    def make(day, start, end, capacity=2):
        return AppointmentSlot.objects.create(
            center=center, queue=q["Y"], day=day, start=start, end=end, capacity=capacity
        )

    make(date(2026, 11, 25), time(9), time(9, 30))  # yesterday
    make(date(2026, 11, 26), time(8, 30), time(9))  # over an hour ago
    begun = make(date(2026, 11, 26), time(9), time(9, 30))
    full = make(date(2026, 11, 26), time(10), time(10, 30), capacity=1)
    AppointmentSlot.objects.filter(pk=full.pk).update(booked=1)  # listed, with no place available
    make(date(2026, 11, 27), time(9), time(9, 30))
    url = f"/api/v1/centers/{center.code}/appointment-slots"

    def listed(at):
        with freeze_time(at):
            return [
                (x["day"], x["start"], x["available"])
                for x in APIClient().get(url, {"date_from": "2026-11-25"}).json()
            ]

    with freeze_time("2026-11-26 01:29:59"), django_assert_num_queries(2):  # 09:29:59: the center, the slots
        APIClient().get(url, {"date_from": "2026-11-25"})
    assert listed("2026-11-26 01:29:59") == [
        ("2026-11-26", "09:00", 2),
        ("2026-11-26", "10:00", 0),
        ("2026-11-27", "09:00", 2),
    ]
    assert listed("2026-11-26 01:30:00") == [("2026-11-26", "10:00", 0), ("2026-11-27", "09:00", 2)]
    me = ResidentFactory(id_number="310110199006150037", phone="13800000009")
    with freeze_time("2026-11-26 01:29:59"):
        assert (
            staff_client(me).post("/api/v1/appointments", {"slot": begun.pk}, format="json").status_code
            == 201
        )
    other = ResidentFactory(id_number="310110195601010049", phone="13800000008")
    with freeze_time("2026-11-26 01:30:00"):
        r = staff_client(other).post("/api/v1/appointments", {"slot": begun.pk}, format="json")
    assert (r.status_code, r.json()["error"]["code"]) == (409, "appointment.slot_past")

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time
from rest_framework.test import APIClient

from tongban.accounts.tests.factories import PASSWORD, ClerkFactory, ManagerFactory, ReviewerFactory
from tongban.queueing.models import CallEvent, Queue, Ticket
from tongban.ratings import services
from tongban.ratings.models import Rating, ServiceEvent, WorkOrder
from tongban.ratings.services import RatingInput
from tongban.ratings.tests.factories import OnlineEventFactory, SupervisorFactory, TicketEventFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    return APIClient()


def finished_ticket(window, clerk, minutes_ago=1, matter=None):
    queue, _ = Queue.objects.get_or_create(center=window.center, prefix="A", defaults={"name": "综合"})
    now = timezone.now() - timedelta(minutes=minutes_ago)
    seq = Ticket.objects.filter(queue=queue).count() + 1
    return Ticket.objects.create(
        center=window.center,
        queue=queue,
        day=timezone.localdate(now),
        seq=seq,
        number=f"A{seq:03d}",
        state="finished",
        matter=matter,
        queued_at=now,
        issued_at=now,
        called_at=now,
        served_at=now,
        finished_at=now,
        called_window=window,
        called_by=clerk,
    )


# --- POST /api/v1/ratings ---------------------------------------------------------------


def test_api_rates_a_finished_ticket_then_409(api):
    event = TicketEventFactory(served_at=timezone.now() - timedelta(minutes=20))
    clerk = event.clerk
    ticket = finished_ticket(event.window, clerk, matter=event.matter)
    response = api.post(
        "/api/v1/ratings", {"ticket": ticket.pk, "level": 1, "comment": "太慢"}, format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["level"] == 1 and body["level_name"] == "非常不满意"
    order = WorkOrder.objects.get()
    assert body["work_order"] == order.number
    rating = Rating.objects.get(number=body["number"])
    assert rating.event.clerk == clerk and rating.event.window == event.window
    assert rating.event.ticket_number == ticket.number
    again = api.post("/api/v1/ratings", {"ticket": ticket.pk, "level": 5}, format="json")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "rating.already_rated"


def test_api_ticket_older_than_30_minutes_is_refused(api):
    event = TicketEventFactory()
    ticket = finished_ticket(event.window, event.clerk, minutes_ago=31)
    response = api.post("/api/v1/ratings", {"ticket": ticket.pk, "level": 5}, format="json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "rating.window_closed"


def test_api_unfinished_or_unknown_ticket_is_404(api):
    event = TicketEventFactory()
    ticket = finished_ticket(event.window, event.clerk)
    Ticket.objects.filter(pk=ticket.pk).update(state="serving")
    assert api.post("/api/v1/ratings", {"ticket": ticket.pk, "level": 5}, format="json").status_code == 404
    assert api.post("/api/v1/ratings", {"ticket": 999999, "level": 5}, format="json").status_code == 404


def test_api_link_rating_and_bad_inputs(api):
    event = OnlineEventFactory()
    token = services.rating_link_token(event=event)
    bad = api.post("/api/v1/ratings", {"application": event.application_number, "level": 4}, format="json")
    assert bad.status_code == 400
    both = api.post(
        "/api/v1/ratings", {"ticket": 1, "token": token, "application": "x", "level": 4}, format="json"
    )
    assert both.status_code == 400
    wrong = api.post("/api/v1/ratings", {"application": "OTHER", "token": token, "level": 4}, format="json")
    assert wrong.status_code == 403
    ok = api.post(
        "/api/v1/ratings",
        {
            "application": event.application_number,
            "token": token,
            "level": 4,
            "indicators": {"convenience": 5},
        },
        format="json",
    )
    assert ok.status_code == 201
    assert ok.json()["work_order"] is None
    assert Rating.objects.get().indicators == {"convenience": 5}


def test_api_rate_limited_with_retry_after(api, settings):
    settings.RATINGS_RATE_LIMIT = 2
    for _ in range(2):
        api.post("/api/v1/ratings", {"ticket": 424242, "level": 5}, format="json")
    response = api.post("/api/v1/ratings", {"ticket": 424242, "level": 5}, format="json")
    assert response.status_code == 429
    assert response["Retry-After"] == str(settings.RATINGS_RATE_WINDOW_SECONDS)


# --- GET /api/v1/rectifications ------------------------------------------------------------


def _bad(center=None, **kw):
    event = TicketEventFactory(**({"center": center} if center else {}), **kw)
    services.rating_submit(event=event, data=RatingInput(level=2), source=Rating.Source.PAD)
    return WorkOrder.objects.get(rating__event=event)


def test_rectifications_for_the_managers_center_with_deadlines(api, django_assert_max_num_queries):
    mine = _bad()
    _bad()  # another center
    manager = ManagerFactory(center=mine.center)
    api.force_authenticate(manager)
    with django_assert_max_num_queries(4):
        response = api.get("/api/v1/rectifications")
    assert response.status_code == 200
    rows = response.json()
    assert [r["number"] for r in rows] == [mine.number]
    assert rows[0]["contact_due"] == mine.contact_due.isoformat()
    assert rows[0]["close_due"] == mine.close_due.isoformat()
    assert rows[0]["state"] == "open" and rows[0]["late"] is False
    assert api.get("/api/v1/rectifications?state=closed").json() == []
    assert api.get("/api/v1/rectifications?state=bogus").status_code == 400
    step = api.post(
        f"/api/v1/rectifications/{mine.number}/steps", {"step": "contacted", "note": "已回访"}, format="json"
    )
    assert step.status_code == 200 and step.json()["state"] == "contacted"
    skip = api.post(
        f"/api/v1/rectifications/{mine.number}/steps", {"step": "reported", "note": "x"}, format="json"
    )
    assert skip.status_code == 409


def test_rectifications_are_closed_to_clerks_and_anonymous(api):
    order = _bad()
    assert api.get("/api/v1/rectifications").status_code in {401, 403}
    api.force_authenticate(ClerkFactory(center=order.center))
    assert api.get("/api/v1/rectifications").status_code == 403
    response = api.post(
        f"/api/v1/rectifications/{order.number}/steps", {"step": "contacted", "note": "x"}, format="json"
    )
    assert response.status_code == 403


def test_supervisor_sees_every_center_but_cannot_act(api):
    a, b = _bad(), _bad()
    api.force_authenticate(SupervisorFactory())
    assert {r["number"] for r in api.get("/api/v1/rectifications").json()} == {a.number, b.number}
    response = api.post(
        f"/api/v1/rectifications/{a.number}/steps", {"step": "contacted", "note": "x"}, format="json"
    )
    assert response.status_code == 403


def test_appeal_api_flow(api):
    order = _bad()
    manager = ManagerFactory(center=order.center)
    api.force_authenticate(manager)
    filed = api.post(
        f"/api/v1/ratings/{order.rating.number}/appeals", {"reason": "误评，有录像"}, format="json"
    )
    assert filed.status_code == 201
    api.force_authenticate(ReviewerFactory())
    decided = api.post(
        f"/api/v1/appeals/{filed.json()['id']}/decision",
        {"uphold": True, "reason": "核实属误评"},
        format="json",
    )
    assert decided.status_code == 200 and decided.json()["state"] == "upheld"
    assert Rating.objects.get().state == Rating.State.ANNULLED


# --- export -----------------------------------------------------------------------------


EXPECTED_KEYS = [
    "evaluation_id", "case_number", "matter_code", "matter_name", "department_code", "department_name",
    "region_code", "region_name", "service_center", "service_channel", "evaluation_channel", "evaluation_type",
    "level", "level_name", "indicators", "comment", "evaluated_at", "served_at", "window", "staff_id",
    "staff_name", "rectification_status", "follow_up_level", "valid", "annul_reason",
]  # fmt: skip


@freeze_time("2026-11-26 10:00:00+08:00")
def test_export_json_and_csv_in_the_national_shape(api):
    event = TicketEventFactory()
    services.rating_submit(
        event=event, data=RatingInput(level=1, indicators={"attitude": 1}, comment="态度差"), source="pad"
    )
    api.force_authenticate(ManagerFactory(center=event.center))
    response = api.get("/api/v1/ratings/export?from=2026-11-01&to=2026-11-30&export=json")
    assert response.status_code == 200
    body = json.loads(response.content)
    assert body["count"] == 1 and body["period"] == {"from": "2026-11-01", "to": "2026-11-30"}
    record = body["records"][0]
    assert list(record) == EXPECTED_KEYS
    assert record["region_code"] == "310110" and record["region_name"] == "杨浦区"
    assert record["level"] == 1 and record["level_name"] == "非常不满意"
    assert record["indicators"] == {"服务态度": 1}
    assert record["evaluation_type"] == "一次一评"
    assert record["staff_id"] == event.clerk.username
    assert record["rectification_status"] == "待回访"
    assert record["evaluated_at"] == "2026-11-26T10:00:00+08:00"
    assert record["valid"] is True
    # the evaluator is not in it
    assert "13800000001" not in response.content.decode()

    response = api.get("/api/v1/ratings/export?from=2026-11-01&to=2026-11-30&export=csv")
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:3] == ["评价编号", "办件编号", "事项编码"]
    assert len(rows) == 2 and rows[1][0] == record["evaluation_id"]
    assert api.get("/api/v1/ratings/export?export=xml").status_code == 400
    assert api.get("/api/v1/ratings/export?from=2026-13-01").status_code == 400


def test_export_forbidden_to_clerks(api):
    api.force_authenticate(ClerkFactory())
    assert api.get("/api/v1/ratings/export").status_code == 403


# --- pages -----------------------------------------------------------------------------------


def test_pad_offers_the_latest_finished_ticket_once(client):
    event = TicketEventFactory(served_at=timezone.now() - timedelta(minutes=10))
    window = event.window
    ticket = finished_ticket(window, event.clerk)
    page = client.get(reverse("ratings:pad", args=[window.pk]))
    assert page.status_code == 200
    content = page.content.decode()
    assert ticket.number in content and "非常不满意" in content
    # the clerk's name is not shown on the pad
    assert str(event.clerk) not in content
    from tongban.ratings.models import ServiceEvent

    ticket_event = ServiceEvent.objects.get(kind="ticket", ref=str(ticket.pk))
    posted = client.post(
        reverse("ratings:pad-submit", args=[window.pk]),
        {"event": ticket_event.pk, "level": "1", "ind_attitude": "1", "comment": "没人理"},
    )
    assert posted.status_code == 200 and "感谢您的评价" in posted.content.decode()
    # no phone is known for this ticket: the pad does not promise a call it cannot make
    assert (
        "请到咨询台留下联系电话" in posted.content.decode()
        and "1个工作日内联系您" not in posted.content.decode()
    )
    assert WorkOrder.objects.filter(rating__event=ticket_event).count() == 1
    # the same ticket cannot be rated twice
    again = client.post(
        reverse("ratings:pad-submit", args=[window.pk]), {"event": ticket_event.pk, "level": "5"}
    )
    assert "已评价过" in again.content.decode()
    assert Rating.objects.filter(event=ticket_event).count() == 1
    # ...and the pad goes idle: the older unrated ticket's holder (the factory's) left long ago
    panel = client.get(reverse("ratings:pad-current", args=[window.pk])).content.decode()
    assert event.ticket_number not in panel and ticket.number not in panel


def test_pad_stops_asking_once_the_window_calls_the_next_person(client):
    event = TicketEventFactory(served_at=timezone.now() - timedelta(minutes=20))
    ticket = finished_ticket(event.window, event.clerk, minutes_ago=2)
    url = reverse("ratings:pad-current", args=[event.window.pk])
    assert ticket.number in client.get(url).content.decode()
    form = client.get(reverse("ratings:pad", args=[event.window.pk])).content.decode()
    ticket_event = ServiceEvent.objects.get(kind="ticket", ref=str(ticket.pk))
    # the clerk calls the next ticket (and may transfer it away at once): whoever stands at the pad now did
    # not have the service to rate, even with the old form still on the screen
    now = timezone.now()
    following = Ticket.objects.create(
        center=ticket.center,
        queue=ticket.queue,
        day=ticket.day,
        seq=ticket.seq + 1,
        number="A999",
        state="waiting",
        queued_at=now,
        issued_at=now,
    )
    CallEvent.objects.create(ticket=following, center=ticket.center, kind="call", window=event.window, at=now)
    assert ticket.number not in client.get(url).content.decode()
    assert ticket.number in form
    late = client.post(
        reverse("ratings:pad-submit", args=[event.window.pk]), {"event": ticket_event.pk, "level": "1"}
    )
    assert "感谢您的评价" not in late.content.decode() and not Rating.objects.exists()
    api = APIClient()
    refused = api.post("/api/v1/ratings", {"ticket": ticket.pk, "level": 1}, format="json")
    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "rating.not_current")


def test_a_bad_rating_of_a_ticket_names_the_case_handled_and_a_phone_to_call_back(client):
    """The window linked the case it handled to the ticket at finish: the work order of a bad rating then
    shows the matter and the case number, and the phone to call the resident back on."""
    from tongban.applications.tests.factories import draft
    from tongban.queueing.models import TicketApplication

    event = TicketEventFactory(served_at=timezone.now() - timedelta(minutes=45))  # older: not offered
    window, clerk = event.window, event.clerk
    clerk.center = window.center
    clerk.save()
    case = draft(clerk=clerk)
    ticket = finished_ticket(window, clerk)
    TicketApplication.objects.create(ticket=ticket, application=case, linked_at=timezone.now())
    client.get(reverse("ratings:pad", args=[window.pk]))
    from tongban.ratings.models import ServiceEvent

    ticket_event = ServiceEvent.objects.get(kind="ticket", ref=str(ticket.pk))
    assert (ticket_event.application_number, ticket_event.matter) == (case.number, case.matter)
    assert ticket_event.rater_phone == case.applicant.phone != ""
    thanks = client.post(
        reverse("ratings:pad-submit", args=[window.pk]), {"event": ticket_event.pk, "level": "1"}
    )
    assert "我们会在1个工作日内联系您" in thanks.content.decode()
    order = WorkOrder.objects.get(rating__event=ticket_event)
    assert order.rating.event.application_number == case.number
    client.force_login(ManagerFactory(center=window.center))
    page = client.get(reverse("ratings:work-order", args=[order.pk])).content.decode()
    assert (
        f'href="/cases/{case.number}/"' in page and case.matter.name in page
    )  # the manager goes to the case
    client.cookies["django_language"] = "en"
    english = client.get(reverse("ratings:work-order", args=[order.pk])).content.decode()
    assert "Record the call back" in english and "记录回访" not in english and "号窗口" not in english


def test_pad_idle_when_nothing_to_rate(client):
    event = TicketEventFactory(served_at=timezone.now() - timedelta(minutes=45))
    page = client.get(reverse("ratings:pad-current", args=[event.window.pk])).content.decode()
    assert "办事结束后请在此评价" in page


def test_link_page_rates_once(client):
    event = OnlineEventFactory()
    url = reverse("ratings:link", args=[services.rating_link_token(event=event)])
    assert "指南准确度" in client.get(url).content.decode()
    done = client.post(url, {"level": "5", "ind_guide_accuracy": "5"})
    assert "感谢您的评价" in done.content.decode()
    assert "只能评价一次" in client.get(url).content.decode()
    assert client.get(reverse("ratings:link", args=["garbage"])).status_code == 403


def test_manager_pages_and_clerk_denied(client):
    order = _bad()
    manager = ManagerFactory(center=order.center)
    clerk = order.rating.event.clerk
    clerk.set_password(PASSWORD)
    clerk.save()
    client.force_login(manager)
    assert order.number in client.get(reverse("ratings:work-orders")).content.decode()
    detail = client.get(reverse("ratings:work-order", args=[order.pk])).content.decode()
    assert "138****0001" in detail and "13800000001" not in detail
    response = client.post(
        reverse("ratings:work-order", args=[order.pk]),
        {"step": "contacted", "note": "已回访", "version": "1"},
    )
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.state == "contacted"
    assert order.rating.number in client.get(reverse("ratings:index")).content.decode()
    client.force_login(clerk)
    assert client.get(reverse("ratings:work-orders")).status_code == 403
    assert client.get(reverse("ratings:index")).status_code == 403
    mine = client.get(reverse("ratings:mine"))
    assert mine.status_code == 200
    assert order.rating.number not in mine.content.decode()


def test_pad_poll_is_cheap(client, django_assert_num_queries):
    event = TicketEventFactory(served_at=timezone.now() - timedelta(minutes=3))
    finished_ticket(event.window, event.clerk)
    url = reverse("ratings:pad-current", args=[event.window.pk])
    client.get(url)  # first poll records the ticket's event
    # window, finished tickets at the window, their known events, the event to rate, a call since it
    with django_assert_num_queries(5):
        assert client.get(url).status_code == 200


def test_appeal_pages_manager_files_reviewer_annuls(client):
    order = _bad()
    manager = ManagerFactory(center=order.center)
    client.force_login(manager)
    url = reverse("ratings:work-order", args=[order.pk])
    assert client.post(url, {"action": "appeal", "reason": "评价人按错了键，现场确认"}).status_code == 302
    reviewer = ReviewerFactory()
    client.force_login(reviewer)
    page = client.get(reverse("ratings:appeals")).content.decode()
    assert "评价人按错了键" in page and order.rating.number in page
    appeal = order.rating.appeals.get()
    response = client.post(
        reverse("ratings:appeals"), {"appeal": appeal.pk, "uphold": "1", "reason": "核实属误评"}
    )
    assert response.status_code == 302
    order.rating.refresh_from_db()
    order.refresh_from_db()
    assert order.rating.state == Rating.State.ANNULLED and order.state == WorkOrder.State.CANCELLED
    # the annulled rating is still listed for oversight, struck through
    client.force_login(manager)
    listing = client.get(reverse("ratings:index")).content.decode()
    assert order.rating.number in listing and "核实属误评" in listing


def test_phone_reveal_on_the_work_order_page_is_audited(client):
    from tongban.core.models import AuditEntry

    order = _bad()
    manager = ManagerFactory(center=order.center)
    client.force_login(manager)
    page = client.post(reverse("ratings:work-order", args=[order.pk]), {"action": "reveal"}).content.decode()
    assert "13800000001" in page
    assert AuditEntry.objects.filter(action="ratings.rater_phone.reveal", actor_id=manager.pk).count() == 1


def test_the_work_order_list_puts_the_work_still_to_do_first(client):
    """A list cut at a few hundred rows must not bury the open orders under months of closed ones."""
    from datetime import date

    first = _bad()
    center = first.center
    others = [first, *(_bad(center=center) for _ in range(3))]
    dues = [date(2026, 12, 10), date(2026, 11, 2), date(2026, 11, 20), date(2026, 11, 25)]
    for order, due in zip(others, dues, strict=True):
        order.close_due = due
        order.save(update_fields=["close_due"])
    WorkOrder.objects.filter(pk__in=[others[1].pk, others[3].pk]).update(state=WorkOrder.State.CLOSED)
    client.force_login(ManagerFactory(center=center))
    html = client.get(reverse("ratings:work-orders")).content.decode()
    shown = [f">{o.number}<" for o in (others[2], others[0], others[3], others[1])]
    positions = [html.index(number) for number in shown]
    assert positions == sorted(positions)  # open by deadline, then closed, the latest first


def test_an_unknown_or_foreign_work_order_is_a_404_not_a_500(client):
    mine, foreign = _bad(), _bad()
    client.force_login(ManagerFactory(center=mine.center))
    assert client.get(reverse("ratings:work-order", args=[mine.pk])).status_code == 200
    assert client.get(reverse("ratings:work-order", args=[foreign.pk])).status_code == 404
    assert client.get(reverse("ratings:work-order", args=[987654])).status_code == 404


def test_a_pad_answers_only_on_the_halls_network_where_the_center_lists_one(client):
    """Nobody rates a window from home: the center's hall networks (the ticket machine's) bind its pads."""
    from tongban.queueing.tests.factories import QueueSettingsFactory

    event = TicketEventFactory(served_at=timezone.now() - timedelta(minutes=20))
    ticket = finished_ticket(event.window, event.clerk)
    QueueSettingsFactory(center=event.window.center, kiosk_networks="10.12.0.0/16")
    window = event.window
    outside = {"REMOTE_ADDR": "203.0.113.5"}
    assert client.get(reverse("ratings:pad", args=[window.pk]), **outside).status_code == 403
    assert client.get(reverse("ratings:pad-current", args=[window.pk]), **outside).status_code == 403
    refused = client.post(reverse("ratings:pad-submit", args=[window.pk]), {"level": "1"}, **outside)
    assert refused.status_code == 403 and "不在服务中心大厅的网络内" in refused.content.decode()
    assert not Rating.objects.exists()
    # the public API is held to the same rule: a ticket id counted through from home rates nothing
    api = APIClient(REMOTE_ADDR="203.0.113.5")
    from_home = api.post("/api/v1/ratings", {"ticket": ticket.pk, "level": 1}, format="json")
    assert (from_home.status_code, from_home.json()["error"]["code"]) == (403, "rating.not_in_hall")
    assert not Rating.objects.exists()
    inside = {"REMOTE_ADDR": "10.12.3.4"}
    page = client.get(reverse("ratings:pad", args=[window.pk]), **inside)
    assert page.status_code == 200 and ticket.number in page.content.decode()


def test_the_pad_is_english_through_and_through_when_english_is_chosen(client):
    from django.conf import settings

    event = TicketEventFactory(served_at=timezone.now() - timedelta(minutes=20))
    ticket = finished_ticket(event.window, event.clerk)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get(reverse("ratings:pad", args=[event.window.pk])).content.decode()
    assert ticket.number in html
    for english in ("Very satisfied", "Very dissatisfied", "Speed of service", "Attitude"):
        assert english in html, english
    for chinese in ("非常满意", "非常不满意", "服务效率", "服务态度"):
        assert chinese not in html, chinese

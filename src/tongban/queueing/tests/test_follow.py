"""The resident's own page of a ticket (扫码看进度): the slip's QR code, the page, the API and cancelling."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from freezegun import freeze_time
from rest_framework.test import APIClient

from tongban.core.models import AuditEntry
from tongban.queueing import live
from tongban.queueing.errors import TicketNotCancellable
from tongban.queueing.links import follow_token, follow_url, ticket_id_from_token
from tongban.queueing.models import CallEvent, Ticket
from tongban.queueing.selectors import queue_stats
from tongban.queueing.services import (
    ticket_call_next,
    ticket_cancel,
    ticket_finish,
    ticket_issue,
    ticket_no_show,
    window_session_open,
)
from tongban.queueing.tests.factories import hall

pytestmark = pytest.mark.django_db
T0 = "2026-11-25 02:00:00"  # Wednesday 10:00 Shanghai
HX = {"HTTP_HX_REQUEST": "true"}


def issue(center, n=1, **kw):
    return [ticket_issue(center=center, **{"queue": "A", **kw}).ticket for _ in range(n)]


def page(client, ticket, **extra):
    return client.get(f"/queue/t/{follow_token(ticket.pk)}/", **extra)


def test_the_token_names_one_ticket_and_cannot_be_made_up():
    token = follow_token(42)
    assert ticket_id_from_token(token) == 42
    number, signature = token.split(":")
    assert ticket_id_from_token(f"43:{signature}") is None  # the next ticket's id with this signature
    assert ticket_id_from_token(f"{number}:{signature[:-1]}x") is None
    assert ticket_id_from_token("42") is None
    assert ticket_id_from_token("") is None


def test_the_link_uses_the_public_origin_when_set(settings, rf):
    settings.ALLOWED_HOSTS = ["10.0.0.5"]
    request = rf.get("/", HTTP_HOST="10.0.0.5:8000")  # a kiosk on the hall's network
    assert follow_url(7, request).startswith("http://10.0.0.5:8000/queue/t/7:")
    settings.PUBLIC_BASE_URL = "https://tongban.example.gov.cn/"
    assert follow_url(7, request) == f"https://tongban.example.gov.cn/queue/t/{follow_token(7)}/"


@freeze_time(T0)
def test_the_page_follows_the_ticket_from_waiting_to_the_window(client, clerk_at):
    center, _, (w1, _) = hall()
    first, second, mine = issue(center, 3)
    r = page(client, mine)
    html = r.content.decode()
    assert r.status_code == 200
    assert mine.number in html and center.name in html
    assert "前面还有 2 人" in html
    assert 'hx-trigger="every 10s"' in html  # it refreshes itself while the ticket is live
    assert "no-store" in r["Cache-Control"]  # and no browser or proxy keeps an old state of it
    assert "不想等了？取消排队" in html

    clerk = clerk_at(w1)
    window_session_open(window=w1, clerk=clerk)
    ticket_finish(ticket_id=ticket_call_next(window=w1, clerk=clerk).pk, actor=clerk)
    html = page(client, mine, **HX).content.decode()
    assert "前面还有 1 人" in html
    assert "<html" not in html  # the refresh gets the part that changes, not the whole page

    ticket_finish(ticket_id=ticket_call_next(window=w1, clerk=clerk).pk, actor=clerk)
    assert "下一位就是您" in page(client, mine, **HX).content.decode()

    assert ticket_call_next(window=w1, clerk=clerk).pk == mine.pk
    html = page(client, mine, **HX).content.decode()
    assert f"请到 {w1.number} 号窗口" in html
    assert "取消排队" not in html  # too late: the window is waiting for them

    ticket_finish(ticket_id=mine.pk, actor=clerk)
    html = page(client, mine).content.decode()
    assert "已办结" in html
    assert "hx-trigger" not in html  # nothing more will change


@freeze_time(T0)
def test_the_page_shows_no_priority_reason_and_no_phone(client):
    center, _, _ = hall()
    (ticket,) = issue(center, priority_reason="disabled")
    Ticket.objects.filter(pk=ticket.pk).update(
        notify_phone="13900001111"
    )  # as the kiosk's SMS option leaves it
    html = page(client, ticket).content.decode()
    assert ticket.number in html
    assert "残疾" not in html and "disabled" not in html
    # neither the number nor its masked form (the page's token and CSRF token are random: a bare "139"
    # could turn up in them by chance)
    assert "13900001111" not in html and "139****1111" not in html and "****" not in html


@freeze_time(T0)
def test_a_made_up_or_altered_link_finds_nothing(client):
    center, _, _ = hall()
    (ticket,) = issue(center)
    _, signature = follow_token(ticket.pk).split(":")
    for token in (f"{ticket.pk + 1}:{signature}", str(ticket.pk), "x"):
        r = client.get(f"/queue/t/{token}/")
        assert r.status_code == 404
        assert "没有找到这个号码" in r.content.decode()
    deleted = follow_token(ticket.pk + 1000)  # signed, but no such ticket
    assert client.get(f"/queue/t/{deleted}/").status_code == 404


def test_yesterdays_slip_says_it_is_void(client):
    with freeze_time(T0):
        center, _, _ = hall()
        (ticket,) = issue(center)
    with freeze_time("2026-11-26 02:00:00"):
        html = page(client, ticket).content.decode()
        assert "已经失效" in html
        assert "取消排队" not in html and "hx-trigger" not in html
        with pytest.raises(TicketNotCancellable):
            ticket_cancel(ticket_id=ticket.pk)
    assert Ticket.objects.get(pk=ticket.pk).state == Ticket.State.WAITING  # the nightly close's to settle


@freeze_time(T0)
def test_cancelling_asks_once_more_then_gives_up_the_place(client):
    center, _, _ = hall()
    before, mine, after = issue(center, 3)
    html = client.get(f"/queue/t/{follow_token(mine.pk)}/?confirm=cancel").content.decode()
    assert "确定不再等候吗" in html and "继续等候" in html
    assert Ticket.objects.get(pk=mine.pk).state == Ticket.State.WAITING  # asking changes nothing

    r = client.post(f"/queue/t/{follow_token(mine.pk)}/cancel/")
    assert r.status_code == 302
    html = client.get(r["Location"]).content.decode()
    assert "这个号码已取消" in html and "hx-trigger" not in html
    # a second tap (or the page open in another tab) is answered as done, not with "不能再取消"
    again = client.post(f"/queue/t/{follow_token(mine.pk)}/cancel/")
    assert again.status_code == 302 and "这个号码已取消" in client.get(again["Location"]).content.decode()
    assert AuditEntry.objects.filter(action="queueing.ticket.cancel").count() == 1

    assert Ticket.objects.get(pk=mine.pk).state == Ticket.State.ABANDONED
    event = CallEvent.objects.get(ticket=mine, kind=CallEvent.Kind.ABANDON)
    assert event.data == {"was": "waiting", "by": "resident"}
    entry = AuditEntry.objects.get(action="queueing.ticket.cancel")
    assert (entry.object_id, entry.actor_id, entry.ip) == (str(mine.pk), None, "127.0.0.1")
    # the one behind moves up, and the day's figures count the resident as having left
    assert "前面还有 1 人" in page(client, after).content.decode()
    day = timezone.localdate()
    assert queue_stats(center, day_from=day, day_to=day)["abandonment_rate"] == round(1 / 3, 3)


@freeze_time(T0)
def test_a_called_ticket_cannot_be_cancelled_and_the_page_says_why(client, clerk_at):
    center, _, (w1, _) = hall()
    (ticket,) = issue(center)
    clerk = clerk_at(w1)
    window_session_open(window=w1, clerk=clerk)
    ticket_call_next(window=w1, clerk=clerk)
    r = client.post(f"/queue/t/{follow_token(ticket.pk)}/cancel/")
    assert r.status_code == 409
    html = r.content.decode()
    assert "不能再取消" in html and f"请到 {w1.number} 号窗口" in html
    assert (
        f'hx-get="/queue/t/{follow_token(ticket.pk)}/"' in html
    )  # it goes on refreshing the page, not the POST
    assert Ticket.objects.get(pk=ticket.pk).state == Ticket.State.CALLED
    assert not CallEvent.objects.filter(ticket=ticket, kind=CallEvent.Kind.ABANDON).exists()
    ticket_no_show(ticket_id=ticket.pk, actor=clerk)
    with pytest.raises(TicketNotCancellable):
        ticket_cancel(ticket_id=ticket.pk)
    assert "已过号" in page(client, ticket).content.decode()


@freeze_time(T0)
def test_a_cancelled_ticket_is_never_called_and_the_display_hears_of_it(
    clerk_at, django_capture_on_commit_callbacks
):
    center, _, (w1, _) = hall()
    gone, stays = issue(center, 2)
    sub = live.get_broker().subscribe(live.channel_for(center.pk))
    try:
        with django_capture_on_commit_callbacks(execute=True):
            ticket_cancel(ticket_id=gone.pk)
        assert sub.get(1.0) == {"type": "waiting"}  # the display re-reads its waiting counts
    finally:
        sub.close()
    clerk = clerk_at(w1)
    window_session_open(window=w1, clerk=clerk)
    assert ticket_call_next(window=w1, clerk=clerk).pk == stays.pk
    with pytest.raises(TicketNotCancellable):  # a second click on the page's button
        ticket_cancel(ticket_id=gone.pk)
    assert CallEvent.objects.filter(ticket=gone, kind=CallEvent.Kind.ABANDON).count() == 1


@freeze_time(T0)
def test_the_page_reads_two_statements_while_waiting(client, django_assert_num_queries):
    center, _, _ = hall()
    _, mine = issue(center, 2)
    page(client, mine)  # the wait estimate's inputs are cached per center for 30 s
    with django_assert_num_queries(2):  # the ticket with its center, queue and window; the line before it
        r = page(client, mine, **HX)
    assert r.status_code == 200


@freeze_time(T0)
def test_the_slip_carries_the_qr_code_of_the_ticket_page(client):
    center, _, _ = hall()
    r = client.post(f"/queue/ticket-machine/{center.code}/", {"queue": "A"})
    html = client.get(r["Location"]).content.decode()
    ticket = Ticket.objects.get(number="A001")
    assert "手机扫码，随时查看排队进度" in html
    assert f'data-url="http://testserver/queue/t/{follow_token(ticket.pk)}/"' in html
    assert re.search(r'id="follow-qr"[^>]*>\s*<svg', html)


@freeze_time(T0)
def test_the_api_follows_and_cancels_by_the_link_it_gave():
    center, _, _ = hall()
    client = APIClient()
    issue(center)
    body = client.post(f"/api/v1/centers/{center.code}/tickets", {"queue": "A"}, format="json").json()
    token = body["follow_url"].rstrip("/").rsplit("/", 1)[1]
    r = client.get(f"/api/v1/tickets/follow/{token}")
    assert r.status_code == 200
    assert r.json() == {
        "number": "A002",
        "queue": "A",
        "queue_name": "综合受理",
        "center": center.code,
        "state": "waiting",
        "valid_today": True,
        "waiting_before": 1,
        "estimated_wait_minutes": body["estimated_wait_minutes"],
        "window": None,
        "called_at": None,
        "cancellable": True,
    }
    r = client.post(f"/api/v1/tickets/follow/{token}/cancel")
    assert (r.status_code, r.json()["state"], r.json()["cancellable"]) == (200, "abandoned", False)
    r = client.post(f"/api/v1/tickets/follow/{token}/cancel")
    error = r.json()["error"]
    assert (r.status_code, error["code"]) == (409, "queue.not_cancellable")
    assert "不能再取消" in error["message"] and "no longer be cancelled" in error["message_en"]
    r = client.get(f"/api/v1/tickets/follow/{body['id']}")
    assert (r.status_code, r.json()["error"]["code"]) == (404, "queue.ticket_not_found")


@freeze_time(T0)
def test_the_api_names_the_window_once_called(clerk_at):
    center, _, (w1, _) = hall()
    (ticket,) = issue(center)
    clerk = clerk_at(w1)
    window_session_open(window=w1, clerk=clerk)
    ticket_call_next(window=w1, clerk=clerk)
    body = APIClient().get(f"/api/v1/tickets/follow/{follow_token(ticket.pk)}").json()
    assert (body["state"], body["window"], body["waiting_before"], body["cancellable"]) == (
        "called",
        w1.number,
        None,
        False,
    )
    assert body["called_at"] == "2026-11-25T10:00:00+08:00"

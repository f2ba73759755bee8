"""The screen above a window (窗口屏): what it shows through a window's day, and when it is told to look again."""

from __future__ import annotations

import json

import pytest
from freezegun import freeze_time

from tongban.accounts.tests.factories import ClerkFactory
from tongban.catalog.tests.factories import WindowFactory
from tongban.queueing.services import (
    ticket_call_next,
    ticket_finish,
    ticket_issue,
    ticket_start,
    window_pause,
    window_resume,
    window_session_close,
    window_session_open,
)
from tongban.queueing.tests.factories import hall

pytestmark = pytest.mark.django_db
T0 = "2026-11-25 02:00:00"  # Wednesday 10:00 Shanghai
HX = {"HTTP_HX_REQUEST": "true"}


def screen(client, window, **extra):
    return client.get(f"/queue/display/{window.center.code}/windows/{window.number}/", **extra)


@freeze_time(T0)
def test_the_screen_follows_its_window_through_the_day(client):
    center, _, (w1, w2) = hall()
    clerk = ClerkFactory(center=center, display_name="陆晓燕")
    html = screen(client, w1).content.decode()
    assert "1号窗口" in html and "本窗口暂停服务" in html  # nobody staffs it yet
    assert "陆晓燕" not in html

    window_session_open(window=w1, clerk=clerk)
    page = screen(client, w1).content.decode()
    # it follows the center's event stream, narrowed to its window (test below), and re-reads its part then
    assert f'data-events="/queue/display/{center.code}/events?window=1"' in page
    assert 'src="/static/queueing/window_screen.js"' in page
    html = screen(client, w1, **HX).content.decode()
    assert "欢迎办理" in html and "服务人员：陆晓燕" in html
    assert "<html" not in html and "hx-trigger" not in html  # the part alone, and it does not poll by itself

    for _ in range(2):
        ticket_issue(center=center, queue="A")
    ticket = ticket_call_next(window=w1, clerk=clerk)
    html = screen(client, w1).content.decode()
    assert f'id="ws-number">{ticket.number}<' in html and "请 A001 号到本窗口办理" in html
    assert "ws-called" in html
    assert "A001" not in screen(client, w2).content.decode()  # the other window's screen is not this one's

    ticket_start(ticket_id=ticket.pk, actor=clerk)
    html = screen(client, w1).content.decode()
    assert "正在办理" in html and "ws-called" not in html

    ticket_finish(ticket_id=ticket.pk, actor=clerk)
    assert "欢迎办理" in screen(client, w1).content.decode()

    window_pause(window=w1, clerk=clerk, reason="午休")
    html = screen(client, w1).content.decode()
    assert "暂停服务" in html and "午休" not in html  # the reason is for the staff, not the hall
    window_resume(window=w1, clerk=clerk)
    window_session_close(window=w1, clerk=clerk)
    assert "本窗口暂停服务" in screen(client, w1).content.decode()


@freeze_time(T0)
def test_no_such_window_and_the_list_for_installers(client):
    center, _, (w1, w2) = hall()
    WindowFactory(center=center, number=9, active=False)
    assert client.get(f"/queue/display/{center.code}/windows/9/").status_code == 404
    assert client.get(f"/queue/display/{center.code}/windows/99/").status_code == 404
    assert client.get(f"/queue/display/{center.code}/windows/999999999999999999/").status_code == 404
    assert client.get("/queue/display/NOPE/windows/1/").status_code == 404
    html = client.get(f"/queue/display/{center.code}/windows/").content.decode()
    assert (
        f"/queue/display/{center.code}/windows/1/" in html
        and f"/queue/display/{center.code}/windows/2/" in html
    )
    assert "/windows/9/" not in html


@freeze_time(T0)
def test_the_screen_reads_two_queries(client, django_assert_num_queries):
    center, _, (w1, _) = hall()
    clerk = ClerkFactory(center=center)
    window_session_open(window=w1, clerk=clerk)
    ticket_issue(center=center, queue="A")
    ticket_call_next(window=w1, clerk=clerk)
    screen(client, w1)  # the center by code is cached after its first look-up
    with django_assert_num_queries(2):  # the window; its open session with the clerk and the ticket in hand
        assert screen(client, w1, **HX).status_code == 200


@freeze_time(T0)
def test_a_ticket_sent_to_another_window_leaves_this_screen(client):
    from tongban.queueing.services import ticket_transfer

    center, _, (w1, w2) = hall()
    clerk = ClerkFactory(center=center)
    window_session_open(window=w1, clerk=clerk)
    ticket_issue(center=center, queue="A")
    ticket = ticket_call_next(window=w1, clerk=clerk)
    assert "A001" in screen(client, w1).content.decode()
    ticket_transfer(ticket_id=ticket.pk, actor=clerk, to_window=w2)
    html = screen(client, w1).content.decode()
    assert "A001" not in html and "欢迎办理" in html


# closing a streamed response ends the request, which closes the database connection: not inside a test's
# transaction, so that the next request can open a new one
@pytest.mark.django_db(transaction=True)
def test_the_screens_stream_tells_what_happens_at_its_window_and_nothing_else(client):
    """The window screen re-reads its part on each message of its stream: every change at its window comes
    (sign-on, call, recall, start, the ticket leaving), and nothing else — not the hall's every new ticket, not
    the other windows' calls."""
    from tongban.queueing.services import ticket_recall, ticket_transfer

    center, _, (w1, w2) = hall()
    clerk1, clerk2 = ClerkFactory(center=center), ClerkFactory(center=center)
    r = client.get(f"/queue/display/{center.code}/events?window=1")
    stream = iter(r.streaming_content)
    assert [next(stream), next(stream)[:12]] == [b"retry: 1000\n\n", b"event: hello"]
    window_session_open(window=w2, clerk=clerk2)
    window_session_open(window=w1, clerk=clerk1)
    for _ in range(3):
        ticket_issue(center=center, queue="A")
    other = ticket_call_next(window=w2, clerk=clerk2)
    mine = ticket_call_next(window=w1, clerk=clerk1)
    ticket_recall(ticket_id=mine.pk, actor=clerk1)
    ticket_start(ticket_id=mine.pk, actor=clerk1)
    ticket_transfer(ticket_id=other.pk, actor=clerk2, to_window=w1)  # leaves window 2; waits for 1
    ticket_finish(ticket_id=mine.pk, actor=clerk1)
    ticket_call_next(window=w1, clerk=clerk1)  # the transferred ticket
    ticket_finish(ticket_id=other.pk, actor=clerk1)
    window_pause(window=w2, clerk=clerk2)
    window_pause(window=w1, clerk=clerk1)
    told = []
    while len(told) < 8:
        chunk = next(stream).decode()
        if not chunk.startswith(":"):  # keep-alive
            told.append(chunk)
    r.close()
    messages = [json.loads(c.split("data: ", 1)[1]) for c in told]
    assert [(m["type"], m.get("number") or m.get("state") or m.get("ticket")) for m in messages] == [
        ("window", "open"),
        ("call", mine.number),
        ("recall", mine.number),
        ("state", mine.pk),
        ("finish", mine.pk),
        ("call", other.number),
        ("finish", other.pk),
        ("window", "paused"),
    ]
    assert {m["window"] for m in messages} == {1}

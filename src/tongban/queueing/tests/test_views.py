"""Pages: ticket machine, window panel (htmx), display + SSE, appointments, statistics."""

from __future__ import annotations

import re
from datetime import date, time

import pytest
from django.urls import reverse
from freezegun import freeze_time

from tongban.accounts.tests.factories import ClerkFactory, ManagerFactory, ResidentFactory
from tongban.catalog.tests.factories import CenterFactory
from tongban.queueing import live
from tongban.queueing.models import Appointment, AppointmentSlot, BookingSuspension, Ticket, WindowSession
from tongban.queueing.services import ticket_issue
from tongban.queueing.tests.factories import QueueFactory, hall

pytestmark = pytest.mark.django_db
T0 = "2026-11-25 02:00:00"
HX = {"HTTP_HX_REQUEST": "true"}


def test_landing_urls_resolve():
    assert reverse("queueing:ticket-machine-home") == "/queue/ticket-machine/"
    assert reverse("queueing:display-home") == "/queue/display/"
    assert reverse("queueing:window-panel") == "/queue/window/panel/"
    assert reverse("queueing:window") == "/queue/window/"
    assert reverse("queueing:stats") == "/queue/stats/"


@freeze_time(T0)
def test_ticket_machine_home_goes_straight_to_the_only_center(client):
    center, _, _ = hall()
    r = client.get("/queue/ticket-machine/")
    assert (r.status_code, r["Location"]) == (302, f"/queue/ticket-machine/{center.code}/")
    hall()
    r = client.get("/queue/ticket-machine/")
    assert r.status_code == 200
    assert center.name in r.content.decode()


@freeze_time(T0)
def test_machine_buttons_promise_what_the_slip_will_say(client):
    # every window calls from every queue, so a B ticket waits behind the A line too: the button must not
    # say "nobody waiting" when the slip then says "2 ahead"
    from tongban.queueing.services import appointment_book

    center, q, _ = hall()
    QueueFactory(center=center, prefix="B", name="社保医保", order=4)
    ticket_issue(center=center, queue="A")
    ticket_issue(center=center, queue="A")
    # an appointment at 10:15 checked in at 10:00: queued at its slot's start, so not ahead of a ticket yet
    slot = AppointmentSlot.objects.create(
        center=center, queue=q["Y"], day=date(2026, 11, 25), start=time(10, 15), end=time(10, 45), capacity=2
    )
    early = appointment_book(
        slot=slot, actor=ClerkFactory(center=center), id_number="310110195601010049", phone="13900000001"
    )
    ticket_issue(center=center, appointment_code=early.code)
    html = client.get(f"/queue/ticket-machine/{center.code}/").content.decode()
    assert html.count('前面 <span class="waiting-count">2</span> 人') == 2  # the A and the B button
    assert html.count("约 16 分钟") == 2  # 2 ahead × 8 minutes each, one window open
    r = client.post(f"/queue/ticket-machine/{center.code}/", {"queue": "B"})
    assert r["Location"].endswith("?ahead=2&eta=16")
    assert "前面还有 2 人" in client.get(r["Location"]).content.decode()


@freeze_time(T0)
def test_machine_buttons_say_no_wait_when_the_hall_is_empty(client):
    center, _, _ = hall()
    html = client.get(f"/queue/ticket-machine/{center.code}/").content.decode()
    assert "无需等候" in html and "waiting-count" not in html


@freeze_time(T0)
def test_take_a_ticket_on_the_machine_and_ask_for_sms(client):
    center, _, _ = hall()
    for _ in range(4):
        ticket_issue(center=center, queue="A")
    page = client.get(f"/queue/ticket-machine/{center.code}/")
    html = page.content.decode()
    assert "综合受理" in html and "预约签到" in html and "优先通道" in html
    r = client.post(f"/queue/ticket-machine/{center.code}/", {"queue": "A"})
    t = Ticket.objects.get(number="A005")
    assert r.status_code == 302
    assert r["Location"] == f"/queue/ticket-machine/{center.code}/tickets/{t.pk}/?ahead=4&eta=32"
    page = client.get(r["Location"])
    html = page.content.decode()
    assert "A005" in html and "前面还有 4 人" in html and "预计等候约 32 分钟" in html
    # typed in groups, as the sign-in page's example shows it: the field must take the spaces too
    assert 'name="phone" inputmode="numeric" maxlength="20"' in html
    r = client.post(r["Location"], {"phone": "139 1234 567"})  # a digit short
    assert r.status_code == 400 and "请输入11位手机号" in r.content.decode()
    assert 'value="139 1234 567"' in r.content.decode()  # kept, to add the digit
    r = client.post(
        f"/queue/ticket-machine/{center.code}/tickets/{t.pk}/?ahead=4&eta=32", {"phone": "139 1234 5678"}
    )
    assert r.status_code == 302
    t.refresh_from_db()
    assert t.notify_phone == "13912345678"
    assert "139****5678" in client.get(r["Location"]).content.decode()
    # another browser cannot open somebody else's ticket page
    from django.test import Client

    other = Client().get(f"/queue/ticket-machine/{center.code}/tickets/{t.pk}/")
    assert (other.status_code, other["Location"]) == (302, f"/queue/ticket-machine/{center.code}/")


@freeze_time(T0)
def test_no_sms_reminder_is_offered_when_few_are_ahead_already(client):
    """The reminder goes when 3 are ahead (the center's setting): with 3 or fewer ahead already it would come at
    once, so the form is not offered."""
    center, _, _ = hall()
    for _ in range(3):
        ticket_issue(center=center, queue="A")
    html = client.get(client.post(f"/queue/ticket-machine/{center.code}/", {"queue": "A"})["Location"])
    html = html.content.decode()
    assert "前面还有 3 人" in html and 'id="notify-form"' not in html and 'name="phone"' not in html
    html = client.get(client.post(f"/queue/ticket-machine/{center.code}/", {"queue": "A"})["Location"])
    assert 'id="notify-form"' in html.content.decode()  # 4 ahead


@freeze_time(T0)
def test_the_priority_lane_on_the_machine_gives_a_priority_ticket(client):
    """优先通道 as the machine sends it: the reason button, and for the elderly the ID number typed or read."""
    center, _, _ = hall()
    url = f"/queue/ticket-machine/{center.code}/"
    page = client.get(url + "?step=priority").content.decode()
    assert 'name="priority_reason" value="elderly"' in page and 'name="queue"' not in page
    r = client.post(
        url, {"step": "priority", "id_number": "310110195601010049", "priority_reason": "elderly"}
    )
    assert r.status_code == 302
    assert client.get(r["Location"]).status_code == 200
    r = client.post(url, {"step": "priority", "id_number": "", "priority_reason": "military"})
    assert r.status_code == 302
    tickets = list(
        Ticket.objects.order_by("number").values_list("number", "priority_reason", "appointment_id")
    )
    assert tickets == [("V001", "elderly", None), ("V002", "military", None)]
    young = client.post(
        url, {"step": "priority", "id_number": "310110199006150037", "priority_reason": "elderly"}
    )
    assert young.status_code == 400 and "老年人优先适用于" in young.content.decode()


@freeze_time(T0)
def test_the_machines_search_knows_everyday_words_and_offers_a_general_ticket(client):
    """A resident types what they call it (病历本), not the matter's official name; and when nothing is
    found, the screen's advice to take a general ticket comes with the button that does it."""
    from tongban.catalog.tests.factories import MatterFactory

    center, _, _ = hall()
    record_book = MatterFactory(name="门急诊就医记录册申领", guide__synonyms="病历本 就医记录册")
    url = f"/queue/ticket-machine/{center.code}/"
    html = client.get(url, {"q": "病历本"}).content.decode()
    assert f'name="matter" value="{record_book.code}"' in html and 'id="search-general"' not in html
    nothing = client.get(url, {"q": "火星签证"}).content.decode()
    assert "没有找到" in nothing
    assert 'id="search-general"' in nothing and 'name="queue" value="A"' in nothing
    assert "领取综合受理号（A 字头）" in nothing


@freeze_time(T0)
def test_machine_shows_errors_and_closed_hours(client):
    center, _, _ = hall()
    r = client.post(
        f"/queue/ticket-machine/{center.code}/",
        {"priority_reason": "elderly", "queue": "A", "step": "priority", "id_number": "310110199006150037"},
    )
    assert r.status_code == 400
    assert "老年人优先适用于70周岁及以上" in r.content.decode()
    closed = CenterFactory(open_24h=False, opening_hours={"mon": [["09:00", "17:00"]]})
    QueueFactory(center=closed)
    html = client.get(f"/queue/ticket-machine/{closed.code}/").content.decode()
    assert "服务中心现在不在开放时间" in html and "11月30日 09:00" in html
    r = client.post(f"/queue/ticket-machine/{closed.code}/", {"queue": "A"})
    assert r.status_code == 409
    assert Ticket.objects.count() == 0


@freeze_time(T0)
def test_machine_search_and_appointment_steps(client):
    center, _, _ = hall()
    from tongban.catalog.tests.factories import MatterFactory

    MatterFactory(name="居住证签注")
    html = client.get(f"/queue/ticket-machine/{center.code}/", {"q": "居住证"}).content.decode()
    assert "居住证签注" in html
    assert (
        "输入短信中的预约码"
        in client.get(f"/queue/ticket-machine/{center.code}/", {"step": "appointment"}).content.decode()
    )
    # check-in mistakes say what to do: nothing typed, a mistyped ID number (not "no appointment found")
    url = f"/queue/ticket-machine/{center.code}/"
    empty = client.post(url, {"step": "appointment", "appointment_code": " "})
    assert empty.status_code == 400 and "请输入预约码，或刷身份证" in empty.content.decode()
    short = client.post(url, {"step": "appointment", "id_number": "123"})
    assert short.status_code == 400 and "身份证号码不对，请核对这18位" in short.content.decode()
    assert "没有找到这个预约" not in short.content.decode() and Ticket.objects.count() == 0
    # a mistyped code: what to check, and the way on (the ID card, or a ticket for the business)
    wrong = client.post(url, {"step": "appointment", "appointment_code": "ABC123"})
    assert wrong.status_code == 404 and "请核对短信里的预约码，或刷身份证签到" in wrong.content.decode()
    assert 'value="ABC123"' in wrong.content.decode()  # kept, to correct one character
    # one wrong digit of 18 on the priority lane: the number stays to be corrected
    typo = client.post(
        url, {"step": "priority", "id_number": "310110195001010013", "priority_reason": "elderly"}
    )
    assert typo.status_code == 400 and 'id="id_number_pr"' in typo.content.decode()
    assert 'value="310110195001010013"' in typo.content.decode()


def test_machine_tells_an_id_card_its_appointment_is_another_day_in_either_language(client):
    from tongban.queueing.services import appointment_book

    center, q, _ = hall()
    slot = AppointmentSlot.objects.create(
        center=center, queue=q["Y"], day=date(2026, 11, 27), start=time(14), end=time(14, 30), capacity=2
    )
    with freeze_time(T0):
        appointment_book(
            slot=slot, actor=ClerkFactory(center=center), id_number="310110195601010049", phone="13900000001"
        )
        url = f"/queue/ticket-machine/{center.code}/"
        form = {"step": "appointment", "id_number": "310110195601010049"}
        r = client.post(url, form)
        html = r.content.decode()
        assert r.status_code == 409
        assert "您今天没有预约，预约在其他日期" in html and "14:00" not in html
        assert "没有找到这个预约" not in html
        client.cookies["django_language"] = "en"
        html = client.post(url, form).content.decode()
        assert "You have no appointment today; it is on another day" in html
    assert Ticket.objects.count() == 0


@freeze_time(T0)
def test_window_panel_flow_with_htmx(client):
    center, _, (w1, _) = hall()
    clerk = ClerkFactory(center=center, default_window=w1)
    client.force_login(clerk)
    assert client.get("/queue/window/").status_code == 200
    html = client.post("/queue/window/panel/open/", {"window": w1.pk}, **HX).content.decode()
    assert "已开始值守" in html and "1号窗口" in html and "叫下一位" in html
    r = client.post("/queue/window/panel/call/", **HX)
    assert "当前无人等候" in r.content.decode()
    ticket_issue(center=center, queue="A")
    r = client.post("/queue/window/panel/call/", **HX)
    html = r.content.decode()
    t = Ticket.objects.get()
    assert t.state == "called" and 'id="current-number">A001<' in html
    r = client.post("/queue/window/panel/call/", **HX)
    assert r.status_code == 200 and "当前号码尚未办结或过号" in r.content.decode()
    client.post("/queue/window/panel/recall/", {"ticket": t.pk}, **HX)
    r = client.post("/queue/window/panel/finish/", {"ticket": t.pk, "applications": [""]}, **HX)
    assert "已办结，请邀请群众评价" in r.content.decode()
    t.refresh_from_db()
    assert (t.state, t.call_count) == ("finished", 2)
    client.post("/queue/window/panel/pause/", **HX)
    assert WindowSession.objects.get(window=w1).state == "paused"
    r = client.post("/queue/window/panel/nonsense/", **HX)
    assert r.status_code == 404
    r = client.post("/queue/window/panel/recall/", {"ticket": "x"}, **HX)
    assert (r.status_code, "输入有误" in r.content.decode()) == (200, True)
    # without htmx: redirect with a message
    r = client.post("/queue/window/panel/resume/")
    assert (r.status_code, r["Location"]) == (302, "/queue/window/")


@freeze_time(T0)
def test_an_unstaffed_window_offers_no_pause_and_refuses_one(client):
    center, _, (w1, _) = hall()
    clerk = ClerkFactory(center=center, default_window=w1)
    client.force_login(clerk)
    html = client.get("/queue/window/panel/").content.decode()
    assert "选择值守窗口" in html and "暂停" not in html and "结束值守" not in html
    r = client.post("/queue/window/panel/pause/", **HX)
    assert r.status_code == 200 and "您不是该窗口的值守人员" in r.content.decode()
    assert not WindowSession.objects.exists()


def _options(html):
    """The window chooser's options: (text, selected, disabled)."""
    return [
        (" ".join(text.split()[1:]), " selected" in attrs, " disabled" in attrs)
        for attrs, text in re.findall(r'<option value="\d+"([^>]*)>([^<]*)</option>', html)
    ]


@freeze_time(T0)
def test_a_clerk_with_a_default_window_may_choose_another(client):
    """After 结束值守 the workbench fell back to the clerk's default window and never offered the chooser again:
    a clerk moved to window 3 for the afternoon could not get there. Staffing no window, the clerk chooses,
    the default window preselected; a window another clerk staffs is named and not offered."""
    from tongban.queueing.services import window_session_open

    center, _, (w1, w2, w3) = hall(windows=3)
    clerk = ClerkFactory(center=center, default_window=w1)
    window_session_open(window=w2, clerk=ClerkFactory(center=center, display_name="顾俊"))
    client.force_login(clerk)
    html = client.get("/queue/window/panel/").content.decode()
    assert _options(html) == [
        ("1号窗口", True, False),
        ("2号窗口 · 顾俊值守中", False, True),
        ("3号窗口", False, False),
    ]
    # from a chooser loaded before 顾俊 came: refused, naming him
    html = client.post("/queue/window/panel/open/", {"window": w2.pk}, **HX).content.decode()
    assert "该窗口已由顾俊值守；如需接替，请其先结束值守，或请中心负责人释放窗口" in html
    client.post("/queue/window/panel/open/", {"window": w1.pk}, **HX)
    html = client.post("/queue/window/panel/close/", **HX).content.decode()
    assert "已结束值守" in html and "选择值守窗口" in html  # signed off: the chooser, not window 1's panel
    assert _options(html)[0] == ("1号窗口", True, False)
    html = client.post("/queue/window/panel/open/", {"window": w3.pk}, **HX).content.decode()
    assert "3号窗口" in html and "叫下一位" in html
    assert WindowSession.objects.exclude(state="closed").get(clerk=clerk).window == w3


@freeze_time(T0)
def test_window_panel_lets_a_clerk_without_window_choose_one(client):
    center, _, (w1, w2) = hall()
    clerk = ClerkFactory(center=center)
    client.force_login(clerk)
    html = client.get("/queue/window/panel/").content.decode()
    assert "选择值守窗口" in html
    client.post("/queue/window/panel/open/", {"window": w2.pk}, **HX)
    assert WindowSession.objects.get().window == w2
    client.force_login(ResidentFactory())
    assert client.get("/queue/window/panel/").status_code == 403


@freeze_time(T0)
def test_a_manager_releases_a_window_from_the_workbench(client):
    """The manager's chooser lists the windows others staff, what each has in hand, and 释放窗口, asked once
    more in the browser; a clerk's does not, and a clerk's post is refused. Posts need the CSRF token."""
    from django.test import Client

    from tongban.queueing.services import ticket_call_next, window_session_open

    center, _, (w1, w2) = hall()
    gone = ClerkFactory(center=center, display_name="陆晓燕")
    ticket_issue(center=center, queue="A")
    window_session_open(window=w1, clerk=gone)
    called = ticket_call_next(window=w1, clerk=gone)
    manager = ManagerFactory(center=center)

    client.force_login(ClerkFactory(center=center))
    html = client.get("/queue/window/panel/").content.decode()
    assert "释放窗口" not in html
    r = client.post("/queue/window/panel/release/", {"window": w1.pk}, **HX)
    assert "只有本中心的负责人或管理员可以释放窗口" in r.content.decode()

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(manager)
    html = browser.get("/queue/window/").content.decode()
    token = browser.cookies["csrftoken"].value
    html = browser.get("/queue/window/panel/").content.decode()
    assert "1号窗口 · 陆晓燕 · 服务中 · 手中号码 A001" in html
    assert (
        'hx-confirm="释放1号窗口？陆晓燕将被签退，手中号码 A001 回到等候队列原位置，稍后重新叫号。"' in html
    )
    no_token = browser.post("/queue/window/panel/release/", {"window": w1.pk}, **HX)
    assert no_token.status_code == 403
    assert WindowSession.objects.get(window=w1).state == "open"
    r = browser.post("/queue/window/panel/release/", {"window": w1.pk}, HTTP_X_CSRFTOKEN=token, **HX)
    html = r.content.decode()
    assert "已释放1号窗口（陆晓燕已签退），号码 A001 已回到等候队列原位置" in html
    assert 'id="staffed-windows"' not in html  # nobody staffs a window now
    assert (Ticket.objects.get(pk=called.pk).state, WindowSession.objects.get(window=w1).state) == (
        "waiting",
        "closed",
    )
    r = browser.post("/queue/window/panel/release/", {"window": w1.pk}, HTTP_X_CSRFTOKEN=token, **HX)
    assert "1号窗口已无人值守" in r.content.decode()

    # the released clerk's next click (a stale panel) is refused, and the page says what happened and by whom
    clerk = Client()
    clerk.force_login(gone)
    html = clerk.post("/queue/window/panel/start/", {"ticket": called.pk}, **HX).content.decode()
    assert f"{manager}于 10:00 释放了您的1号窗口，您已签退；号码 A001 已回到等候队列原位置" in html
    # until the clerk opens a window again
    html = clerk.post("/queue/window/panel/open/", {"window": w2.pk}, **HX).content.decode()
    assert "释放了您的" not in html
    clerk.post("/queue/window/panel/close/", **HX)
    assert (
        "释放了您的" not in clerk.get("/queue/window/panel/", **HX).content.decode()
    )  # signed off by themselves


@freeze_time(T0)
def test_a_specialised_window_serving_no_queue_says_so(client, admin_client):
    """A specialised window calls only the queues that name it. One that none names never calls anyone: its
    panel says so (not "nobody waiting", which sent the clerk to wait for no one), and the admin's queue list
    warns of it until a queue names it."""
    from tongban.catalog.models import Window
    from tongban.catalog.tests.factories import WindowFactory

    center, q, _ = hall()
    permits = QueueFactory(center=center, prefix="C", name="居住证", order=4)
    seven = WindowFactory(center=center, number=7, kind=Window.Kind.SPECIALISED)
    client.force_login(ClerkFactory(center=center))
    html = client.post("/queue/window/panel/open/", {"window": seven.pk}, **HX).content.decode()
    assert "本窗口未配置办理的队列，请联系管理员" in html
    assert re.search(r'id="btn-call"[^>]* disabled>', html)  # 叫下一位 could only say "nobody waiting"
    page = admin_client.get("/admin/queueing/queue/").content.decode()
    assert "以下专业窗口未配置办理的队列，在那里叫号叫不到任何人" in page and f"{center.name} 7号窗口" in page

    permits.windows.add(seven)
    from tongban.queueing.rules import config_cache

    config_cache.clear()  # the configuration is cached per process for 30 s
    html = client.get("/queue/window/panel/").content.decode()
    assert "本窗口未配置办理的队列" not in html and not re.search(r'id="btn-call"[^>]* disabled>', html)
    page = admin_client.get("/admin/queueing/queue/").content.decode()
    assert "未配置办理的队列" not in page
    assert '<td class="field-specialised_windows">7号窗口</td>' in page  # queue C's row


@freeze_time(T0)
def test_the_transfer_form_offers_only_what_a_transfer_takes(client):
    """Not the priority or appointment queue (a transfer grants neither), not the ticket's own queue alone,
    not a window that serves none of the queues it could go to."""
    from tongban.catalog.models import Window
    from tongban.catalog.tests.factories import WindowFactory

    center, q, (w1, w2) = hall()
    permits = QueueFactory(center=center, prefix="C", name="居住证", order=4)
    QueueFactory(center=center, prefix="D", name="社保", order=5)
    seven = WindowFactory(center=center, number=7, kind=Window.Kind.SPECIALISED)
    WindowFactory(center=center, number=8, kind=Window.Kind.SPECIALISED)  # serves no queue
    v_only = WindowFactory(center=center, number=9, kind=Window.Kind.SPECIALISED)
    permits.windows.add(seven)
    q["V"].windows.add(v_only)
    ticket_issue(center=center, queue="A")
    client.force_login(ClerkFactory(center=center))
    client.post("/queue/window/panel/open/", {"window": w1.pk}, **HX)
    html = client.post("/queue/window/panel/call/", **HX).content.decode()
    queues = re.search(r'<select name="queue".*?</select>', html).group(0)
    windows = re.search(r'<select name="window".*?</select>', html).group(0)
    assert re.findall(r'<option value="(\w+)">', queues) == ["C", "D"]
    assert re.findall(r'<option value="(\d+)">', windows) == ["2", "7"]


@freeze_time(T0)
def test_display_page_and_sse_stream(client):
    center, _, _ = hall()
    ticket_issue(center=center, queue="A")
    html = client.get(f"/queue/display/{center.code}/").content.decode()
    assert "请以下号码到窗口办理" in html and 'id="announce-log"' in html
    r = client.get(f"/queue/display/{center.code}/events")
    assert r["Content-Type"] == "text/event-stream"
    stream = iter(r.streaming_content)
    assert next(stream) == b"retry: 1000\n\n"
    assert next(stream) == f'event: hello\ndata: {{"center": "{center.code}"}}\n\n'.encode()
    # once the client has its hello, the stream is subscribed: a call published at that very moment arrives
    # (a screen that re-reads itself on hello then misses nothing)
    live.publish_center_event(center.pk, {"type": "call", "text": "请 A001 号到 1 号窗口"})
    assert next(stream).decode() == 'data: {"type": "call", "text": "请 A001 号到 1 号窗口"}\n\n'
    r.close()
    assert live.get_broker()._subs.get(live.channel_for(center.pk)) == []  # closed with the response


def _chunks(response, n):
    stream = iter(response.streaming_content)
    return [next(stream).decode() for _ in range(n)]


def _call_event(ticket, kind="call"):
    from tongban.queueing.models import CallEvent

    return CallEvent.objects.filter(ticket=ticket, kind=kind).latest("id").pk


# closing a streamed response ends the request, which closes the database connection: not inside a test's
# transaction, so that the next request can open a new one
@pytest.mark.django_db(transaction=True)
def test_a_display_reconnecting_is_told_the_calls_it_missed(client, clerk_at):
    """The stream ends every five minutes and the browser is back a second later with the id of the last call
    it heard (Last-Event-ID: its call event's id): the calls made after it come first, so none goes
    unannounced, and none twice."""
    from tongban.queueing.services import ticket_call_next, ticket_finish, ticket_recall

    center, _, (w1, w2) = hall()
    clerk1, clerk2 = clerk_at(w1), clerk_at(w2)
    with freeze_time("2026-11-25 02:00:00"):
        for _ in range(4):
            ticket_issue(center=center, queue="A")
        old = ticket_call_next(window=w1, clerk=clerk1)  # three minutes before: not announced again
        ticket_finish(ticket_id=old.pk, actor=clerk1)
    with freeze_time("2026-11-25 02:02:00"):
        heard = ticket_call_next(window=w1, clerk=clerk1)  # the last call the display heard
    with freeze_time("2026-11-25 02:02:30"):
        missed = ticket_call_next(window=w2, clerk=clerk2)
    with freeze_time("2026-11-25 02:02:40"):
        ticket_recall(ticket_id=heard.pk, actor=clerk1)
    heard_id, missed_id, recall_id = _call_event(heard), _call_event(missed), _call_event(heard, "recall")
    with freeze_time("2026-11-25 02:03:00"):
        url = f"/queue/display/{center.code}/events"
        r = client.get(url, HTTP_LAST_EVENT_ID=str(heard_id))
        retry, hello, first, second = _chunks(r, 4)
        r.close()
        assert hello.startswith("event: hello")
        assert first == (
            f"id: {missed_id}\n"
            f'data: {{"type": "call", "event": {missed_id}, "ticket": {missed.pk}, "number": "A003", '
            '"window": 2, "at": "2026-11-25T02:02:30+00:00", "text": "请 A003 号到 2 号窗口"}\n\n'
        )
        assert second.startswith(f"id: {recall_id}\n") and '"type": "recall"' in second
        assert "请 A002 号到 1 号窗口" in second

        # away for long: only the last two minutes' calls are still worth calling out, not 02:00's
        r = client.get(url, HTTP_LAST_EVENT_ID="0")
        chunks = _chunks(r, 5)
        r.close()
        assert [c.split("\n")[0] for c in chunks[2:]] == [
            f"id: {heard_id}",
            f"id: {missed_id}",
            f"id: {recall_id}",
        ]
        # a first connection, or an id that is not an event's (a time, as before): nothing from before
        for header in (
            {},
            {"HTTP_LAST_EVENT_ID": "not-an-id"},
            {"HTTP_LAST_EVENT_ID": "2026-11-25T02:02:00+00:00"},
            {"HTTP_LAST_EVENT_ID": "-1"},
        ):
            r = client.get(url, **header)
            stream = iter(r.streaming_content)
            next(stream), next(stream)  # retry, hello
            live.publish_center_event(center.pk, {"type": "waiting"})
            assert next(stream) == b'data: {"type": "waiting"}\n\n'  # the next thing is live, not a replay
            r.close()


@pytest.mark.django_db(transaction=True)
def test_a_call_committed_after_a_later_one_is_not_announced_again_on_reconnect(client, clerk_at):
    """The call's time is taken before it commits, so a display can hear two calls in the other order of their
    times. Its last id is then the earlier call's; the replay after it must not repeat the other (it did, when
    ids were times)."""
    from tongban.queueing.services import ticket_call_next

    center, _, (w1, w2) = hall()
    with freeze_time(T0):
        for _ in range(2):
            ticket_issue(center=center, queue="A")
    with freeze_time("2026-11-25 02:00:05"):
        first = ticket_call_next(window=w2, clerk=clerk_at(w2))  # heard first, later time
    with freeze_time("2026-11-25 02:00:04"):
        second = ticket_call_next(window=w1, clerk=clerk_at(w1))  # heard last, earlier time
    with freeze_time("2026-11-25 02:00:10"):
        r = client.get(f"/queue/display/{center.code}/events", HTTP_LAST_EVENT_ID=str(_call_event(second)))
        stream = iter(r.streaming_content)
        next(stream), next(stream)  # retry, hello
        live.publish_center_event(center.pk, {"type": "waiting"})
        assert next(stream) == b'data: {"type": "waiting"}\n\n'  # nothing replayed: both were heard
        r.close()
    assert first.number == "A001" and second.number == "A002"


# closing a streamed response ends the request, which closes the database connection: not inside a test's
# transaction, so that the next request can open a new one
@pytest.mark.django_db(transaction=True)
@freeze_time(T0)
def test_a_call_both_missed_and_live_is_told_once(client, clerk_at):
    from tongban.queueing.services import ticket_call_next

    center, _, (w1, _) = hall()
    ticket_issue(center=center, queue="A")
    ticket = ticket_call_next(window=w1, clerk=clerk_at(w1))
    event = _call_event(ticket)
    r = client.get(f"/queue/display/{center.code}/events", HTTP_LAST_EVENT_ID=str(event - 1))
    stream = iter(r.streaming_content)
    next(stream), next(stream)
    assert next(stream).decode().startswith(f"id: {event}\n")  # the replay
    late = {
        "type": "call",
        "event": event,
        "ticket": ticket.pk,
        "at": "2026-11-25T02:00:00+00:00",
        "text": "…",
    }
    live.publish_center_event(center.pk, late)  # the same call, live, after the replay
    live.publish_center_event(center.pk, {"type": "waiting"})
    assert next(stream) == b'data: {"type": "waiting"}\n\n'
    r.close()


@freeze_time(T0)
def test_stats_page_and_csv(client):
    center, _, _ = hall()
    ticket_issue(center=center, queue="A")
    client.force_login(ClerkFactory(center=center))
    assert client.get("/queue/stats/").status_code == 403
    client.force_login(ManagerFactory(center=center))
    html = client.get("/queue/stats/").content.decode()
    assert "排队叫号统计" in html and 'id="stat-issued">1<' in html
    r = client.get("/queue/stats/", {"format": "csv"})
    assert r["Content-Type"] == "text/csv; charset=utf-8"
    lines = r.content.decode("utf-8-sig").splitlines()
    # the headline the page shows comes first: the numbers a manager reports
    assert lines[0] == "统计区间,2026-11-25 – 2026-11-25"
    assert lines[1:4] == ["取号,1", "已叫号,0", "办结,0"]
    assert "过号率(%)," in lines and "预约履约率(%)," in lines
    table = lines.index("队列,名称,取号,当前等候,平均等候(分),P90等候(分)")
    assert lines[table + 1] == "A,综合受理,1,1,,"
    assert "工作人员,办结,平均办理(分)" in lines
    # a range it cannot use is said, not silently replaced
    html = client.get("/queue/stats/", {"from": "abc"}).content.decode()
    assert "日期格式不对" in html
    html = client.get("/queue/stats/", {"from": "2026-11-25", "to": "2026-11-01"}).content.decode()
    assert "开始日期晚于结束日期，已对调" in html and 'value="2026-11-01"' in html


@freeze_time(T0)
def test_appointments_page_book_and_cancel(client):
    center, q, _ = hall()
    slot = AppointmentSlot.objects.create(
        center=center, queue=q["Y"], day=date(2026, 11, 26), start=time(9), end=time(9, 30), capacity=3
    )
    me = ResidentFactory(id_number="310110199006150037", phone="13800000009")
    client.force_login(me)
    html = client.get("/queue/appointments/", {"center": center.code}).content.decode()
    assert "09:00–09:30" in html and "余 3" in html
    # inside the portal's frame: the resident can go back to their cases from here
    assert 'aria-label="门户导航"' in html and "/portal/cases/" in html
    r = client.post(f"/queue/appointments/?center={center.code}", {"action": "book", "slot": slot.pk})
    assert r.status_code == 302
    a = Appointment.objects.get()
    assert (a.resident, a.state) == (me, "booked")
    html = client.get(r["Location"]).content.decode()
    assert f"预约成功，预约码 {a.code}" in html
    # one tap must not lose the booking: the browser asks first, naming the appointment
    assert f"return confirm('确定取消预约 {a.code} 吗？" in html
    client.post(f"/queue/appointments/?center={center.code}", {"action": "cancel", "appointment": a.pk})
    a.refresh_from_db()
    assert a.state == "cancelled"


@freeze_time(T0)
def test_the_slot_picker_names_the_queue_when_the_center_books_in_several(client):
    """Two appointment queues with slots at the same times: each slot says whose it is, in the page's language.
    A center with one appointment queue shows its slots as before, without a name."""
    center, q, _ = hall()
    social = QueueFactory(
        center=center, prefix="Z", name="社保预约", name_en="Social insurance", kind="appointment", order=4
    )
    for queue in (q["Y"], social):
        AppointmentSlot.objects.create(
            center=center, queue=queue, day=date(2026, 11, 26), start=time(9), end=time(9, 30), capacity=3
        )
    client.force_login(ResidentFactory(id_number="310110199006150037", phone="13800000009"))
    html = client.get("/queue/appointments/", {"center": center.code}).content.decode()
    assert "09:00–09:30 · 预约办理 <span" in html and "09:00–09:30 · 社保预约 <span" in html
    client.cookies["django_language"] = "en"
    html = client.get("/queue/appointments/", {"center": center.code}).content.decode()
    assert "09:00–09:30 · Social insurance <span" in html
    assert "09:00–09:30 · 预约办理 <span" in html  # no English name given: the Chinese one
    # the second queue's slots all taken by the clock: the picker still says whose the rest are
    AppointmentSlot.objects.filter(queue=social).update(day=date(2026, 11, 24))
    client.cookies["django_language"] = "zh-hans"
    html = client.get("/queue/appointments/", {"center": center.code}).content.decode()
    assert "09:00–09:30 · 预约办理 <span" in html and "社保预约" not in html
    # one appointment queue: no name beside the times
    social.active = False
    social.save()
    html = client.get("/queue/appointments/", {"center": center.code}).content.decode()
    assert "09:00–09:30 <span" in html and " · 预约办理" not in html


@freeze_time(T0)
def test_a_clerks_refused_booking_keeps_the_callers_details(client):
    """A mistyped phone: the clerk corrects it, not name, ID number and slot all over again. The same caller
    twice in a day is refused in words about the caller."""
    center, q, _ = hall()
    other_center, _, _ = hall()
    slot = AppointmentSlot.objects.create(
        center=center, queue=q["Y"], day=date(2026, 11, 26), start=time(9), end=time(9, 30), capacity=3
    )
    client.force_login(ClerkFactory(center=center))
    caller = {"action": "book", "slot": slot.pk, "name": "王小明", "id_number": "310110199006150037"}
    r = client.post(f"/queue/appointments/?center={center.code}", {**caller, "phone": "1391234"})
    html = r.content.decode()
    assert r.status_code == 400 and "手机号码应为11位" in html
    assert 'value="王小明"' in html and 'value="310110199006150037"' in html and 'value="1391234"' in html
    assert f'value="{slot.pk}" checked' in html
    assert not Appointment.objects.exists()
    huge = client.post(f"/queue/appointments/?center={center.code}", {**caller, "slot": "9" * 30})
    assert huge.status_code in (400, 404)  # no such slot, and not a 500
    ok = client.post(f"/queue/appointments/?center={center.code}", {**caller, "phone": "13912345678"})
    assert ok.status_code == 302
    again = client.post(f"/queue/appointments/?center={center.code}", {**caller, "phone": "13912345678"})
    assert again.status_code == 409 and "该居民当天在本中心已有预约" in again.content.decode()
    # another center's code in the address: this clerk's own center, not the other's slots
    html = client.get("/queue/appointments/", {"center": other_center.code}).content.decode()
    assert f"{other_center.name} · " not in html and f"{center.name} · " in html  # the slots' heading


@freeze_time(T0)
def test_a_clerk_finds_a_callers_appointment_by_code_phone_or_id(client):
    """A resident rings to cancel or to ask: the clerk finds the appointment by whatever they have to hand,
    sees the phone masked to confirm it with them, and the look-up is audited without the number in it."""
    from tongban.core.models import AuditEntry
    from tongban.queueing.services import appointment_book

    center, q, _ = hall()
    other_center, other_q, _ = hall()
    clerk = ClerkFactory(center=center)
    slots = [
        AppointmentSlot.objects.create(
            center=c, queue=queue["Y"], day=date(2026, 11, 26), start=time(9), end=time(9, 30), capacity=3
        )
        for c, queue in ((center, q), (other_center, other_q))
    ]
    mine = appointment_book(slot=slots[0], actor=clerk, id_number="310110195601010049", phone="13900000001")
    appointment_book(slot=slots[0], actor=clerk, id_number="310110199006150037", phone="13900000002")
    elsewhere = appointment_book(
        slot=slots[1],
        actor=ClerkFactory(center=other_center),
        id_number="310110195601010049",
        phone="13900000001",
    )
    client.force_login(clerk)
    for q_ in (mine.code.lower(), "139 0000 0001", "310110195601010049"):
        html = client.get("/queue/appointments/", {"q": q_}).content.decode()
        assert mine.code in html, q_
        assert "139****0001" in html and "13900000001" not in html
        assert "139****0002" not in html  # the other caller's booking is not listed
        assert elsewhere.code not in html  # another center's, for the same person: not this clerk's to see
    for nothing in ("13900009999", "1390000"):  # another number; part of one
        html = client.get("/queue/appointments/", {"q": nothing}).content.decode()
        assert "没有找到" in html and mine.code not in html
    logged = [
        e.data["q"] for e in AuditEntry.objects.filter(action="queueing.appointment.search").order_by("seq")
    ]
    assert logged == [mine.code, "139****0001", "310110********0049", "139****9999", "*******"]
    assert client.get("/queue/appointments/").content.decode().count("139****000") == 2  # coming, unfiltered
    assert "门户导航" not in client.get("/queue/appointments/").content.decode()  # staff: the staff frame


def _suspended_caller(center, q):
    """A caller booked by a clerk (ID number and phone 13900000001) who missed it: suspended at ``center``
    (noshow_limit 1) from 2026-11-23 18:00 to 2026-12-23 18:00."""
    from tongban.queueing.services import appointment_book, appointments_mark_no_shows

    slot = AppointmentSlot.objects.create(
        center=center, queue=q["Y"], day=date(2026, 11, 23), start=time(9), end=time(9, 30), capacity=3
    )
    with freeze_time("2026-11-20 02:00:00"):
        appointment_book(
            slot=slot, actor=ClerkFactory(center=center), id_number="310110195601010049", phone="13900000001"
        )
    with freeze_time("2026-11-23 10:00:00"):
        appointments_mark_no_shows()
    return BookingSuspension.objects.get(center=center)


SUSPENDED = "该居民在{center}的预约已暂停至 2026-12-23 18:00（30天内爽约1次）"


@freeze_time(T0)
def test_a_clerk_searching_a_suspended_caller_sees_it_and_who_can_lift_it(client):
    center, q, _ = hall(noshow_limit=1)
    suspension = _suspended_caller(center, q)
    client.force_login(ClerkFactory(center=center))
    for q_ in ("13900000001", "310110195601010049"):  # by either key
        html = client.get("/queue/appointments/", {"q": q_}).content.decode()
        assert SUSPENDED.format(center=center.name) in html, q_
        assert "中心负责人可以解除暂停" in html and 'value="lift"' not in html
    assert "已暂停至" not in client.get("/queue/appointments/", {"q": "13900000002"}).content.decode()
    assert "已暂停至" not in client.get("/queue/appointments/").content.decode()  # no search, no person
    # a forged lift from a clerk: refused, and nothing changes
    r = client.post(
        "/queue/appointments/", {"action": "lift", "suspension": suspension.pk, "q": "13900000001"}
    )
    assert r.status_code == 403 and "只有该中心的负责人或系统管理员可以解除暂停预约" in r.content.decode()
    assert BookingSuspension.objects.get().lifted_at is None


@freeze_time(T0)
def test_a_manager_lifts_a_suspension_from_the_search_and_can_book_the_caller(client):
    from tongban.core.models import AuditEntry

    center, q, _ = hall(noshow_limit=1)
    suspension = _suspended_caller(center, q)
    manager = ManagerFactory(center=center)
    client.force_login(manager)
    html = client.get("/queue/appointments/", {"center": center.code, "q": "13900000001"}).content.decode()
    assert SUSPENDED.format(center=center.name) in html
    assert "return confirm('确定解除该居民的暂停预约吗？" in html and "csrfmiddlewaretoken" in html
    assert f'name="suspension" value="{suspension.pk}"' in html and "中心负责人可以解除暂停" not in html
    r = client.post(
        f"/queue/appointments/?center={center.code}&q=13900000001",
        {"action": "lift", "suspension": suspension.pk, "q": "13900000001"},
        REMOTE_ADDR="10.1.2.3",
    )
    assert (r.status_code, r["Location"]) == (302, f"/queue/appointments/?center={center.code}&q=13900000001")
    suspension.refresh_from_db()
    assert (str(suspension.lifted_at), suspension.lifted_by) == ("2026-11-25 02:00:00+00:00", manager)
    entry = AuditEntry.objects.get(action="queueing.booking.lift")
    assert (entry.actor_id, entry.object_id, entry.ip) == (manager.pk, str(suspension.pk), "10.1.2.3")
    html = client.get(r["Location"]).content.decode()
    assert "已解除暂停预约，现在可以为该居民预约" in html and "已暂停至" not in html
    slot = AppointmentSlot.objects.create(
        center=center, queue=q["Y"], day=date(2026, 11, 26), start=time(9), end=time(9, 30), capacity=3
    )
    booked = client.post(
        f"/queue/appointments/?center={center.code}",
        {"action": "book", "slot": slot.pk, "phone": "13900000001"},
    )
    assert booked.status_code == 302 and Appointment.objects.filter(state="booked").count() == 1


@freeze_time(T0)
def test_another_centers_manager_neither_sees_nor_lifts_the_suspension(client):
    center, q, _ = hall(noshow_limit=1)
    suspension = _suspended_caller(center, q)
    client.force_login(ManagerFactory(center=hall()[0]))
    assert "已暂停至" not in client.get("/queue/appointments/", {"q": "13900000001"}).content.decode()
    r = client.post("/queue/appointments/", {"action": "lift", "suspension": suspension.pk, "q": ""})
    assert r.status_code == 403
    assert BookingSuspension.objects.get().lifted_at is None
    missing = client.post("/queue/appointments/", {"action": "lift", "suspension": 999999})
    assert missing.status_code == 404 and "没有找到这条暂停预约记录" in missing.content.decode()


@freeze_time(T0)
def test_admin_refuses_a_queue_prefix_already_printed_on_a_slip_today(admin_client):
    """A001 was issued today; queue A is renamed X, and then V is given "A": its next number would be A001
    again, which the ticket machine could not insert. The admin says so, in the admin's language, and keeps the
    queue as it was. The day after, the prefix is free."""
    from django.utils import translation

    from tongban.queueing.admin import QueueAdminForm

    center, q, _ = hall()
    ticket_issue(center=center, queue="A")

    def form(queue, prefix):
        fields = ["center", "name", "kind", "default_service_minutes", "order", "active"]
        data = {f: getattr(queue, f if f != "center" else "center_id") for f in fields}
        return QueueAdminForm(data={**data, "prefix": prefix}, instance=queue)

    assert form(q["A"], "A").is_valid()  # unchanged: of course
    renamed = form(q["A"], "X")
    assert renamed.is_valid(), renamed.errors
    renamed.save()
    refused = form(q["V"], "A")
    assert not refused.is_valid()
    assert "今天已有号码以“A”开头的号票" in refused.errors["prefix"][0]
    with translation.override("en"):
        assert "were issued today" in form(q["V"], "A").errors["prefix"][0]
    q["V"].refresh_from_db()
    assert q["V"].prefix == "V"
    with freeze_time("2026-11-26 02:00:00"):
        assert form(q["V"], "A").is_valid()
    # the admin's change page shows the refusal rather than failing later at the ticket machine
    page = admin_client.post(
        f"/admin/queueing/queue/{q['Y'].pk}/change/",
        {
            **{f: getattr(q["Y"], f) for f in ["name", "kind", "default_service_minutes", "order"]},
            "center": center.pk,
            "prefix": "A",
            "active": "on",
        },
    )
    assert page.status_code == 200 and "今天已有号码以" in page.content.decode()


@freeze_time(T0)
def test_admin_pages_render_and_tickets_are_read_only(admin_client):
    center, _, _ = hall()
    t = ticket_issue(center=center, queue="A").ticket
    for url in (
        "/admin/queueing/queue/",
        "/admin/queueing/queuesettings/",
        "/admin/queueing/appointmentslot/",
        "/admin/queueing/ticket/",
        "/admin/queueing/appointment/",
        "/admin/queueing/callevent/",
        "/admin/queueing/bookingsuspension/",
        f"/admin/queueing/ticket/{t.pk}/change/",
    ):
        assert admin_client.get(url).status_code == 200, url
    assert admin_client.get("/admin/queueing/ticket/add/").status_code == 403


@freeze_time(T0)
def test_the_machine_says_when_a_phone_has_had_its_reminders_for_the_day(client):
    from tongban.core.crypto import blind_index
    from tongban.notifications.models import Message

    center, _, _ = hall()
    for _ in range(3):  # three reminders already sent to this phone today
        Message.objects.create(
            to="13912345678",
            to_hash=blind_index("13912345678"),
            body="-",
            purpose="queueing.ticket.ahead",
            backend="outbox",
        )
    r = client.post(f"/queue/ticket-machine/{center.code}/", {"queue": "A"})
    page = r["Location"]
    r = client.post(page, {"phone": "139 1234 5678"})
    assert r.status_code == 429
    assert "该手机号今天已收到3条叫号提醒" in r.content.decode()
    assert not Ticket.objects.exclude(notify_phone="").exists()
    r = client.post(page, {"phone": "13800001111"})  # another phone is fine
    assert r.status_code == 302


@freeze_time(T0)
def test_the_machine_keeps_its_paper_and_prints_the_slip_on_a_page_of_that_size(client):
    """An installer opens the machine once with ?paper=58 (docs/deploy.md): the machine keeps it, though 完成
    and the idle wipe come back without the query, and the slip's page is a 58 mm roll's."""
    from tongban.queueing.views import PAPER_COOKIE_SECONDS

    center, _, _ = hall()
    url = f"/queue/ticket-machine/{center.code}/"
    r = client.get(url + "?paper=58")
    assert r.cookies["tb_paper"].value == "58"
    assert r.cookies["tb_paper"]["max-age"] == PAPER_COOKIE_SECONDS
    assert client.get(url).cookies.get("tb_paper") is None  # kept, not set again on every page
    ticket_page = client.post(url, {"queue": "A"})["Location"]
    assert "paper" not in ticket_page
    html = client.get(ticket_page).content.decode()
    assert 'class="touch machine paper-58"' in html
    assert '<style media="print">@page { size: 58mm 190mm; margin: 2mm; }</style>' in html
    assert 'data-autoprint="1"' in html and 'id="print-btn"' in html

    # 80 mm, the default of a machine never told
    from django.test import Client

    fresh = Client()
    page = fresh.post(url, {"queue": "A"})["Location"]
    html = fresh.get(page).content.decode()
    assert "paper-80" in html and "@page { size: 80mm 150mm; margin: 2mm; }" in html

    # a machine without a printer shows the slip and prints nothing
    client.get(url + "?paper=screen")
    html = client.get(client.post(url, {"queue": "A"})["Location"]).content.decode()
    assert "paper-screen" in html and 'data-autoprint="0"' in html
    assert "@page" not in html and 'id="print-btn"' not in html and "小票正在打印" not in html
    # anything else is not a paper: not kept, not put into the page
    r = client.get(url + '?paper=a4"><b>')
    assert "tb_paper" not in r.cookies and 'a4"' not in r.content.decode()


@freeze_time(T0)
def test_a_refused_check_in_offers_a_regular_ticket_next_to_back(client):
    """Late for the slot (or cancelled, or not found): the screen says why, and the way on is one tap away."""
    from tongban.queueing.services import appointment_book

    center, q, _ = hall()
    slot = AppointmentSlot.objects.create(  # 08:30–09:00; it is 10:00, past the late check-in minutes
        center=center, queue=q["Y"], day=date(2026, 11, 25), start=time(8, 30), end=time(9), capacity=2
    )
    with freeze_time("2026-11-25 00:00:00"):  # booked at 08:00
        late = appointment_book(
            slot=slot, actor=ClerkFactory(center=center), id_number="310110195601010049", phone="13900000001"
        )
    url = f"/queue/ticket-machine/{center.code}/"
    r = client.post(url, {"step": "appointment", "appointment_code": late.code})
    assert r.status_code == 409
    html = r.content.decode()
    assert '<button class="btn btn-primary btn-lg" name="queue" value="A" id="checkin-regular">' in html
    assert "普通取号" in html and "返回" in html
    r = client.post(url, {"queue": "A"})  # the button
    assert r.status_code == 302 and Ticket.objects.get().number == "A001"
    # no such button before anything went wrong
    assert 'id="checkin-regular"' not in client.get(url, {"step": "appointment"}).content.decode()

    # with several regular queues, the start screen to choose one
    QueueFactory(center=center, prefix="B", name="社保医保", order=4)
    html = client.post(url, {"step": "appointment", "appointment_code": "NOSUCH"}).content.decode()
    assert f'<a class="btn btn-primary btn-lg flex-fill" href="{url}" id="checkin-regular">' in html


def _hall_with_hours():
    center, q, wins = hall()
    center.open_24h = False
    center.opening_hours = {"wed": [["09:00", "12:00"], ["13:30", "17:00"]]}
    center.save()
    return center, q, wins


def test_the_machine_shows_todays_hours_and_the_slip_warns_when_the_wait_passes_closing(client):
    """Wednesday 09:00–12:00 and 13:30–17:00: shown on every machine screen. At 16:30, five ahead at 8 minutes
    each runs to 17:10: the slip says so before the resident waits for nothing."""
    center, _, _ = _hall_with_hours()
    url = f"/queue/ticket-machine/{center.code}/"
    with freeze_time("2026-11-25 02:00:00"):  # 10:00
        html = client.get(url).content.decode()
        assert (
            '<div class="fs-5 text-secondary" id="today-hours">今日开放时间 09:00–12:00 / 13:30–17:00</div>'
            in html
        )
        for _ in range(5):
            ticket_issue(center=center, queue="A")
        html = client.get(client.post(url, {"queue": "A"})["Location"]).content.decode()
        assert "前面还有 5 人" in html and "预计等候约 40 分钟" in html and "slip-late" not in html
    with freeze_time("2026-11-25 08:30:00"):  # 16:30
        page = client.post(url, {"queue": "A"})["Location"]
        assert page.endswith("?ahead=6&eta=48")
        html = client.get(page).content.decode()
        assert (
            '<div class="slip-late fw-bold" id="slip-late" data-speak>预计等候超过今天闭厅时间（17:00），'
            "可能无法在今天闭厅前办理；可改日再来或网上预约。</div>"
        ) in html
    with freeze_time("2026-11-25 08:55:00"):  # 16:55, and nobody ahead: called before closing
        Ticket.objects.update(state=Ticket.State.ABANDONED)
        html = client.get(client.post(url, {"queue": "A"})["Location"]).content.decode()
        assert "前面还有 0 人" in html and "slip-late" not in html


@freeze_time("2026-11-28 02:00:00")  # a Saturday: closed all day
def test_the_machine_says_when_the_hall_does_not_open_today_or_never_closes(client):
    center, _, _ = _hall_with_hours()
    html = client.get(f"/queue/ticket-machine/{center.code}/").content.decode()
    assert '<div class="fs-5 text-secondary" id="today-hours">今日不开放</div>' in html
    open_all_day, _, _ = hall()
    html = client.get(f"/queue/ticket-machine/{open_all_day.code}/").content.decode()
    assert '<div class="fs-5 text-secondary" id="today-hours">24小时开放</div>' in html


def test_an_id_number_suspended_through_a_phone_is_refused_noticed_and_found_alike(client, settings):
    """Missed: X by ID number + phone 139…11, then E and 9 by 139…11 alone; the third miss (no ID number)
    triggers the suspension. Booking the ID number with a new phone was accepted while the staff page said the
    ID number was suspended and the admin's search by it found nothing: now all three say the same."""
    from tongban.accounts.tests.factories import AdminFactory
    from tongban.core.crypto import blind_index
    from tongban.queueing.errors import BookingSuspended
    from tongban.queueing.services import appointment_book, appointments_mark_no_shows

    id_number, phone = "310110198001010014", "13900000011"
    center, q, _ = hall(noshow_limit=3)
    clerk = ClerkFactory(center=center)
    slots = {
        d: AppointmentSlot.objects.create(
            center=center, queue=q["Y"], day=date(2026, 11, d), start=time(9), end=time(9, 30), capacity=3
        )
        for d in (23, 24, 25, 30)
    }
    with freeze_time("2026-11-20 02:00:00"):
        appointment_book(slot=slots[23], actor=clerk, id_number=id_number, phone=phone)
        appointment_book(slot=slots[24], actor=clerk, phone=phone)
        appointment_book(slot=slots[25], actor=clerk, phone=phone)
    for d in (23, 24, 25):
        with freeze_time(f"2026-11-{d} 03:00:00"):
            assert appointments_mark_no_shows() == 1
    suspension = BookingSuspension.objects.get()
    assert suspension.person_hash == blind_index(phone)
    client.force_login(clerk)
    with freeze_time("2026-11-26 02:00:00"):
        html = client.get("/queue/appointments/", {"q": id_number}).content.decode()
        assert "该居民在" in html and "已暂停至" in html
        with pytest.raises(BookingSuspended):
            appointment_book(slot=slots[30], actor=clerk, id_number=id_number, phone="13900000099")
        # a new phone alone is nobody suspended: no notice, and booked
        assert "已暂停至" not in client.get("/queue/appointments/", {"q": "13900000099"}).content.decode()
        assert appointment_book(slot=slots[30], actor=clerk, phone="13900000099")
    assert Appointment.objects.filter(state="booked").count() == 1
    settings.STAFF_2FA_REQUIRED = False
    client.force_login(AdminFactory(username="root"))
    found = client.get("/admin/queueing/bookingsuspension/", {"q": id_number}).content.decode()
    assert f"/admin/queueing/bookingsuspension/{suspension.pk}/change/" in found
    other = client.get("/admin/queueing/bookingsuspension/", {"q": "310110195601010049"}).content.decode()
    assert f"/admin/queueing/bookingsuspension/{suspension.pk}/change/" not in other

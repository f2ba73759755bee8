"""The hall screens in English (django_language=en cookie); Chinese stays the default and the spoken
call text stays zh-CN."""

from __future__ import annotations

import pytest
from freezegun import freeze_time

from tongban.accounts.tests.factories import ClerkFactory
from tongban.catalog.tests.factories import CenterFactory
from tongban.queueing.services import ticket_issue
from tongban.queueing.tests.factories import QueueFactory, hall

pytestmark = pytest.mark.django_db
T0 = "2026-11-25 02:00:00"
HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def en_client(client):
    client.cookies["django_language"] = "en"
    return client


def _assert_labels(html: str, english: list[str], chinese: list[str]) -> None:
    missing = [s for s in english if s not in html]
    leftover = [s for s in chinese if s in html]
    assert (missing, leftover) == ([], [])


@freeze_time(T0)
def test_ticket_machine_in_english(en_client):
    center, _, _ = hall()
    ticket_issue(center=center, queue="A")
    html = en_client.get(f"/queue/ticket-machine/{center.code}/").content.decode()
    assert '<html lang="en">' in html
    _assert_labels(
        html,
        [
            "<title>Ticket machine",
            "Take a ticket</h1>",
            "Elderly mode",
            "Start over",
            "Choose your service to take a ticket.",
            "A tickets",
            '<span class="waiting-count">1</span> ahead',
            "Appointment check-in",
            "Priority service",
            "Search, e.g. residence permit",
        ],
        [
            "取号",
            "长者模式",
            "重新开始",
            "请选择要办理的业务",
            "字头",
            "前面",
            "预约签到",
            "优先通道",
            "搜事项",
        ],
    )
    # the priority step: reasons (model choices) and the error shown to the person are English too
    r = en_client.post(
        f"/queue/ticket-machine/{center.code}/",
        {"priority_reason": "elderly", "queue": "A", "step": "priority", "id_number": "310110199006150037"},
    )
    html = r.content.decode()
    assert r.status_code == 400
    _assert_labels(
        html,
        ["Elderly priority applies from age 70", "Military (priority by law)", "Pregnant woman", "Back"],
        ["老年人优先适用于", "军人依法优先", "孕妇", "返回"],
    )


@freeze_time(T0)
def test_ticket_slip_and_closed_hall_in_english(en_client):
    center, _, _ = hall()
    for _ in range(4):  # more ahead than the SMS reminder's 3: the form is offered
        ticket_issue(center=center, queue="A")
    r = en_client.post(f"/queue/ticket-machine/{center.code}/", {"queue": "A"})
    html = en_client.get(r["Location"]).content.decode()
    _assert_labels(
        html,
        ["A005", "4 people ahead of you", "Estimated wait: about 32 minutes", "Print ticket", "Text me"],
        ["前面还有", "预计等候", "打印小票", "短信提醒我"],
    )
    closed = CenterFactory(open_24h=False, opening_hours={"mon": [["09:00", "17:00"]]})
    QueueFactory(center=closed)
    html = en_client.get(f"/queue/ticket-machine/{closed.code}/").content.decode()
    _assert_labels(
        html,
        ["The service center is closed now.", "It opens on 30 November 09:00.", "Available 24 hours a day:"],
        ["不在开放时间", "11月30日", "24小时可用"],
    )


@freeze_time(T0)
def test_window_page_and_panel_in_english(en_client):
    center, _, (w1, _) = hall()
    en_client.force_login(ClerkFactory(center=center, default_window=w1))
    html = en_client.get("/queue/window/").content.decode()
    _assert_labels(
        html,
        ["<title>Window calling", "Loading…", "Shortcuts: F2 call next · F3 recall"],
        ["窗口叫号", "加载中", "快捷键"],
    )
    _assert_labels(
        en_client.get("/queue/window/panel/").content.decode(),
        ["Choose your window", "Open window"],
        ["选择值守窗口", "开始值守"],
    )
    en_client.post("/queue/window/panel/open/", {"window": w1.pk}, **HX)
    r = en_client.post("/queue/window/panel/call/", **HX)
    _assert_labels(
        r.content.decode(),
        ["Window 1", "Nobody is waiting", "Call next", "No ticket in service", "Served today: 0", "Pause"],
        ["号窗口", "当前无人等候", "叫下一位", "当前无办理中的号码", "今日办结", "暂停"],
    )
    ticket_issue(center=center, queue="A")
    en_client.post("/queue/window/panel/call/", **HX)
    r = en_client.post("/queue/window/panel/call/", **HX)
    _assert_labels(
        r.content.decode(),
        [
            "Recall <kbd>F3</kbd>",
            "No-show <kbd>F6</kbd>",
            "Finish <kbd>F9</kbd>",
            "Called 1×",
            "Issued 10:00",
        ],
        ["重呼", "过号", "办结", "已呼", "当前号码尚未办结"],
    )


@freeze_time(T0)
def test_display_labels_translate_but_the_voice_stays_chinese(en_client):
    center, _, (w1, _) = hall()
    clerk = ClerkFactory(center=center, default_window=w1)
    ticket_issue(center=center, queue="A")
    en_client.force_login(clerk)
    en_client.post("/queue/window/panel/open/", {"window": w1.pk}, **HX)
    r = en_client.post(f"/api/v1/windows/{w1.pk}/call-next")
    assert r.json()["announcement"] == "请 A001 号到 1 号窗口"
    html = en_client.get(f"/queue/display/{center.code}/").content.decode()
    _assert_labels(
        html,
        ['data-l-window="Window {n}"', '<td class="cd-win">Window 1</td>', "Now calling", "People waiting"],
        ["号窗口", "正在呼叫", "等候人数", "点击开启语音播报"],
    )


@freeze_time(T0)
def test_chinese_is_still_the_default(client):
    center, _, _ = hall()
    html = client.get(f"/queue/ticket-machine/{center.code}/").content.decode()
    assert "取号</h1>" in html and "长者模式" in html and "Take a ticket" not in html


@freeze_time(T0)
def test_ticket_page_on_the_phone_in_english(en_client):
    from tongban.queueing.links import follow_token

    center, _, _ = hall()
    ticket_issue(center=center, queue="A")
    ticket = ticket_issue(center=center, queue="A").ticket
    url = f"/queue/t/{follow_token(ticket.pk)}/"
    _assert_labels(
        en_client.get(url).content.decode(),
        ["Your place in the queue", "1 person ahead of you", "Please wait in the hall", "Leave the queue"],
        ["排队进度", "前面还有", "请在大厅等候", "取消排队"],
    )
    _assert_labels(
        en_client.get(url + "?confirm=cancel").content.decode(),
        ["Leave the queue? Ticket A002", "Yes, leave the queue", "Keep my place"],
        ["确定不再等候吗", "继续等候"],
    )


def test_appointment_page_from_the_sms_in_english(en_client):
    from datetime import date, time

    from tongban.queueing.links import appointment_token
    from tongban.queueing.models import AppointmentSlot
    from tongban.queueing.services import appointment_book

    center, q, _ = hall()
    slot = AppointmentSlot.objects.create(
        center=center, queue=q["Y"], day=date(2026, 11, 26), start=time(9), end=time(9, 30), capacity=2
    )
    with freeze_time(T0):
        appointment = appointment_book(
            slot=slot, actor=ClerkFactory(center=center), id_number="310110195601010049", phone="13900000001"
        )
        url = f"/queue/a/{appointment_token(appointment.pk)}/"
        _assert_labels(
            en_client.get(url).content.decode(),
            [
                "Your appointment",
                "Thursday",
                "Appointment code",
                "check in at the ticket machine",
                "Can't come? Cancel the appointment",
            ],
            ["预约详情", "预约码", "取号机签到", "取消预约"],
        )
        _assert_labels(
            en_client.get(url + "?confirm=cancel").content.decode(),
            ["Cancel this appointment?", "Yes, cancel it", "Keep the appointment"],
            ["确定取消", "保留预约"],
        )


@freeze_time(T0)
def test_window_screen_in_english(en_client):
    from tongban.queueing.services import ticket_call_next, window_session_open

    center, _, (w1, _) = hall()
    clerk = ClerkFactory(center=center, display_name="Lu Xiaoyan")
    url = f"/queue/display/{center.code}/windows/{w1.number}/"
    _assert_labels(
        en_client.get(url).content.decode(), ["Window 1", "This window is closed"], ["号窗口", "暂停服务"]
    )
    window_session_open(window=w1, clerk=clerk)
    ticket_issue(center=center, queue="A")
    ticket_call_next(window=w1, clerk=clerk)
    _assert_labels(
        en_client.get(url).content.decode(),
        ["Number A001, please come to this window", "Served by Lu Xiaoyan"],
        ["请 A001", "服务人员"],
    )


@freeze_time(T0)
def test_english_pages_use_the_english_names_the_catalog_and_queues_have(en_client):
    from django.test import Client

    from tongban.catalog.tests.factories import BundleFactory

    center, queues, (w1, _) = hall()
    type(center).objects.filter(pk=center.pk).update(name="长白新村中心", name_en="Changbai Xincun Center")
    queues["A"].name_en = "General services"
    queues["A"].save()
    bundle = BundleFactory(name="退休一件事", name_en="Retirement, all in one")
    html = en_client.get(f"/queue/ticket-machine/{center.code}/").content.decode()
    assert "General services" in html and "Changbai Xincun Center" in html
    assert "综合受理" not in html and "长白新村中心" not in html
    taken = en_client.post(f"/queue/ticket-machine/{center.code}/", {"bundle": bundle.code})
    assert "Retirement, all in one" in en_client.get(taken["Location"]).content.decode()
    # Chinese stays Chinese
    assert "综合受理" in Client().get(f"/queue/ticket-machine/{center.code}/").content.decode()


@freeze_time(T0)
def test_english_pages_name_a_window_in_english_where_it_has_an_english_name(en_client):
    """The English workbench said "Window 2 · 2号综合窗口": a window had no English name (issue 4)."""
    from django.test import Client

    center, _, (w1, w2) = hall()
    type(w1).objects.filter(pk=w1.pk).update(name="1号综合窗口", name_en="Comprehensive window 1")
    type(w2).objects.filter(pk=w2.pk).update(name="2号综合窗口")  # none: its Chinese name stays
    clerk = ClerkFactory(center=center, default_window=w1)
    en_client.force_login(clerk)
    chooser = en_client.get("/queue/window/panel/", **HX).content.decode()
    assert "Comprehensive window 1" in chooser and "1号综合窗口" not in chooser
    panel = en_client.post("/queue/window/panel/open/", {"window": w1.pk}, **HX).content.decode()
    assert "Window 1 · Comprehensive window 1" in panel and "1号综合窗口" not in panel
    screens = en_client.get(f"/queue/display/{center.code}/windows/").content.decode()
    assert "Window 1 · Comprehensive window 1" in screens and "Window 2 · 2号综合窗口" in screens
    screen = en_client.get(f"/queue/display/{center.code}/windows/1/").content.decode()
    assert "Comprehensive window 1" in screen and "1号综合窗口" not in screen
    chinese = Client()
    chinese.force_login(clerk)
    assert "1号综合窗口" in chinese.post("/queue/window/panel/call/", **HX).content.decode()

"""End to end in Chromium: a resident takes tickets at the machine, two window clerks call them, the hall
display updates live and queues the voice announcements (zh-CN), a recall is announced again."""

from __future__ import annotations

import pytest

from tongban.accounts.tests.factories import PASSWORD, ClerkFactory
from tongban.queueing.models import Ticket
from tongban.queueing.tests.factories import hall


def login(context, base, username):
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(f"{base}/accounts/login/?next=/queue/window/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{base}/queue/window/")
    page.wait_for_selector("#queue-panel")
    return page


def open_default_window(page):
    """Staffing no window, the clerk is offered the chooser with the default window preselected."""
    page.get_by_role("button", name="开始值守").click()
    page.wait_for_selector("#btn-call")
    return page


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_tickets_two_windows_and_the_speaking_display(browser_page, live_server, tmp_path):
    base = live_server.url
    center, _, (w1, w2) = hall()
    ClerkFactory(username="clerk1", center=center, default_window=w1)
    ClerkFactory(username="clerk2", center=center, default_window=w2)

    display = browser_page
    display.goto(f"{base}/queue/display/{center.code}/")
    display.wait_for_selector("#cd-current")
    display.wait_for_function("document.getElementById('cd-status').textContent === ''")

    browser = display.context.browser
    machine_ctx = browser.new_context(locale="zh-CN", viewport={"width": 1080, "height": 1920})
    machine = machine_ctx.new_page()
    machine.set_default_timeout(10_000)
    machine.goto(f"{base}/queue/ticket-machine/")
    machine.get_by_role("button", name="综合受理").click()
    assert machine.locator("#ticket-number").inner_text() == "A001"
    assert "前面还有 0 人" in machine.inner_text("body")
    machine.screenshot(path=str(tmp_path / "ticket.png"))
    machine.get_by_role("link", name="完成").click()
    machine.get_by_role("button", name="综合受理").click()
    assert machine.locator("#ticket-number").inner_text() == "A002"
    # the display's waiting count follows without a reload
    display.wait_for_function("document.querySelector('#cd-waiting [data-prefix=A] b').textContent === '2'")

    clerk1 = open_default_window(login(browser.new_context(locale="zh-CN"), base, "clerk1"))
    clerk2 = open_default_window(login(browser.new_context(locale="zh-CN"), base, "clerk2"))
    clerk1.click("#btn-call")
    clerk1.wait_for_function("document.getElementById('current-number').textContent === 'A001'")
    clerk2.keyboard.press("F2")  # the hotkey
    clerk2.wait_for_function("document.getElementById('current-number').textContent === 'A002'")

    display.wait_for_function("document.querySelectorAll('#cd-current tr[data-ticket]').length === 2")
    rows = display.locator("#cd-current tr").all_inner_texts()
    assert sorted(" ".join(r.split()) for r in rows) == ["A001 1号窗口", "A002 2号窗口"]
    display.wait_for_function("document.querySelectorAll('#announce-log li').length === 2")
    assert display.locator("#announce-log li").all_inner_texts() == [
        "请 A001 号到 1 号窗口",
        "请 A002 号到 2 号窗口",
    ]

    clerk1.get_by_role("button", name="重呼").click()
    clerk1.wait_for_function("(document.getElementById('panel-notice') || {}).textContent === '已重呼'")
    display.wait_for_function("document.querySelectorAll('#announce-log li').length === 3")
    assert display.locator("#announce-log li").nth(2).inner_text() == "请 A001 号到 1 号窗口"
    clerk1.get_by_role("button", name="办结").click()
    clerk1.wait_for_function(
        "(document.getElementById('panel-notice') || {}).textContent === '已办结，请邀请群众评价'"
    )
    display.wait_for_function("document.querySelectorAll('#cd-current tr[data-ticket]').length === 1")
    display.screenshot(path=str(tmp_path / "display.png"))
    assert Ticket.objects.get(number="A001").state == "finished"
    assert Ticket.objects.get(number="A002").state == "called"
    for ctx in (machine_ctx, clerk1.context, clerk2.context):
        ctx.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_display_clock_shows_the_halls_time_whatever_the_tvs_settings(browser_page, live_server):
    """A hall TV set to another time zone, with its own clock years off, still shows the center's local time:
    the page gives the center's time zone and each snapshot the server's time."""
    import re
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from django.conf import settings

    center, _, _ = hall()
    context = browser_page.context.browser.new_context(locale="zh-CN", timezone_id="America/New_York")
    tv = context.new_page()
    tv.clock.install(time=datetime(2020, 1, 1, 8, 0, tzinfo=ZoneInfo("UTC")))  # the TV's own clock: wrong
    tv.goto(f"{live_server.url}/queue/display/{center.code}/")
    text = tv.locator("#cd-clock").inner_text()
    found = re.search(r"(\d{4})/(\d{1,2})/(\d{1,2}) (\d{1,2}):(\d{2}):(\d{2})", text)
    assert found, text
    shown = datetime(*(int(x) for x in found.groups()))
    hall_now = datetime.now(ZoneInfo(settings.TIME_ZONE)).replace(tzinfo=None)
    assert abs((shown - hall_now).total_seconds()) < 120, (text, hall_now)
    context.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_resident_follows_the_ticket_on_a_phone_until_called(
    browser_page, live_server, monkeypatch, tmp_path
):
    """The slip's QR code opens the ticket's page on a phone; it moves up as others are called, names the
    window once called, and a resident who gives up is asked once more before the place is given up."""
    from tongban.queueing.services import ticket_call_next, ticket_finish, window_session_open

    monkeypatch.setattr("tongban.queueing.views.FOLLOW_REFRESH_SECONDS", 1)
    base = live_server.url
    center, _, (w1, _) = hall()
    clerk = ClerkFactory(center=center, default_window=w1)
    machine = browser_page
    machine.goto(f"{base}/queue/ticket-machine/{center.code}/")
    links = []
    for _ in range(3):
        machine.get_by_role("button", name="综合受理").click()
        links.append(machine.locator("#follow-qr").get_attribute("data-url"))
        assert machine.locator("#follow-qr svg").is_visible()
        machine.get_by_role("link", name="完成").click()

    phone_ctx = machine.context.browser.new_context(
        locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    phone = phone_ctx.new_page()
    phone.set_default_timeout(10_000)
    phone.goto(links[1])
    assert phone.locator(".follow-number").inner_text() == "A002"
    assert phone.locator("#follow-ahead").inner_text() == "前面还有 1 人"

    window_session_open(window=w1, clerk=clerk)
    ticket_finish(ticket_id=ticket_call_next(window=w1, clerk=clerk).pk, actor=clerk)
    phone.wait_for_selector("#follow-ahead:has-text('下一位就是您')")
    ticket_call_next(window=w1, clerk=clerk)
    phone.wait_for_selector("#follow-called")
    assert phone.locator("#follow-called").inner_text() == "请到 1 号窗口"
    assert phone.title().startswith("请到 1 号窗口 · A002")
    assert phone.locator("#follow-cancel-ask").count() == 0
    phone.screenshot(path=str(tmp_path / "follow-called.png"))

    phone.goto(links[2])
    phone.locator("#follow-cancel-ask").click()
    phone.locator("#follow-cancel-confirm").click()
    phone.wait_for_selector("#follow-closed")
    assert "这个号码已取消" in phone.locator("#follow-status").inner_text()
    assert Ticket.objects.get(number="A003").state == "abandoned"
    phone_ctx.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_screen_above_a_window_shows_each_call_to_it(browser_page, live_server, tmp_path, monkeypatch):
    """The screen follows the center's event stream for its window: each change there shows at once (its own
    check of the database is put off here, so only the stream can bring it), and the part is replaced only when
    it changed, so the called number flashes when new or recalled, not on every re-read."""
    from tongban.queueing.services import (
        ticket_call_next,
        ticket_finish,
        ticket_issue,
        ticket_recall,
        window_pause,
        window_session_open,
    )

    monkeypatch.setattr("tongban.queueing.views.WINDOW_SCREEN_CHECK_SECONDS", 600)
    center, _, (w1, w2) = hall()
    clerk = ClerkFactory(center=center, display_name="陆晓燕")
    screen = browser_page
    screen.set_viewport_size({"width": 1280, "height": 400})  # a wide strip above the window
    screen.goto(f"{live_server.url}/queue/display/{center.code}/windows/{w1.number}/")
    screen.wait_for_selector("#ws-closed")
    screen.wait_for_selector("#ws-root[data-live='1']")
    window_session_open(window=w1, clerk=clerk)
    screen.wait_for_selector("#ws-idle", timeout=3_000)
    assert "服务人员：陆晓燕" in screen.inner_text("#ws")
    for _ in range(2):
        ticket_issue(center=center, queue="A")
    called = ticket_call_next(window=w1, clerk=clerk)
    screen.wait_for_selector("#ws-number.ws-called:has-text('A001')", timeout=3_000)
    screen.screenshot(path=str(tmp_path / "window-screen.png"))

    # what happens elsewhere, and a re-read of the same content: the part stays (no flash)
    screen.evaluate(
        "document.getElementById('ws').__seen = true; document.getElementById('ws-number').__seen = true"
    )
    other = ClerkFactory(center=center)
    ticket_call_next(window=w2, clerk=other)
    ticket_issue(center=center, queue="A")
    screen.evaluate("window.tbWindowScreen.refresh()")
    screen.wait_for_timeout(500)
    assert screen.evaluate("document.getElementById('ws-number').__seen === true")
    # a recall flashes the number again: the same part, the number's element new
    ticket_recall(ticket_id=called.pk, actor=clerk)
    screen.wait_for_function("document.getElementById('ws-number').__seen === undefined", timeout=3_000)
    assert screen.evaluate("document.getElementById('ws').__seen === true")

    ticket_finish(ticket_id=called.pk, actor=clerk)  # a window pauses between people, not during one
    window_pause(window=w1, clerk=clerk)
    screen.wait_for_selector("#ws-paused", timeout=3_000)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_without_an_event_stream_the_window_screen_polls(browser_page, live_server):
    from tongban.queueing.services import ticket_call_next, ticket_issue, window_session_open

    center, _, (w1, _) = hall()
    clerk = ClerkFactory(center=center)
    screen = browser_page
    screen.add_init_script("delete window.EventSource;")
    screen.goto(f"{live_server.url}/queue/display/{center.code}/windows/{w1.number}/")
    screen.wait_for_selector("#ws-root[data-live='polling']")
    window_session_open(window=w1, clerk=clerk)
    ticket_issue(center=center, queue="A")
    ticket_call_next(window=w1, clerk=clerk)
    screen.wait_for_selector("#ws-number:has-text('A001')", timeout=5_000)


def two_windows_staffed_and_two_waiting():
    """A hall with windows 1 and 2 each staffed by a clerk, and A001 and A002 waiting."""
    from tongban.queueing.services import ticket_issue, window_session_open

    center, _, (w1, w2) = hall()
    clerk1, clerk2 = ClerkFactory(center=center), ClerkFactory(center=center)
    window_session_open(window=w1, clerk=clerk1)
    window_session_open(window=w2, clerk=clerk2)
    for _ in range(2):
        ticket_issue(center=center, queue="A")
    return center, (w1, clerk1), (w2, clerk2)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_call_made_while_the_display_reconnects_is_still_announced(browser_page, live_server, monkeypatch):
    """Each event stream ends after a while and the browser reconnects; a call made in between must still be
    spoken. Here the streams last 3 s and the display is kept off the stream while a call is made."""
    import time

    from tongban.queueing.services import ticket_call_next

    monkeypatch.setattr("tongban.queueing.views.SSE_SECONDS", 3)
    center, (w1, clerk1), (w2, clerk2) = two_windows_staffed_and_two_waiting()
    display = browser_page
    display.goto(f"{live_server.url}/queue/display/{center.code}/")
    display.wait_for_function("document.getElementById('cd-status').textContent === ''")
    time.sleep(0.5)  # the stream is open
    ticket_call_next(window=w1, clerk=clerk1)
    display.wait_for_function("document.querySelectorAll('#announce-log li').length === 1")

    display.route("**/events", lambda route: route.abort())  # the next reconnection fails
    time.sleep(3.5)  # the open stream has ended meanwhile: nobody is listening
    ticket_call_next(window=w2, clerk=clerk2)
    display.unroute("**/events")
    display.wait_for_function("document.querySelectorAll('#announce-log li').length === 2", timeout=8_000)
    assert display.locator("#announce-log li").nth(1).inner_text() == "请 A002 号到 2 号窗口"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_without_an_event_stream_the_display_announces_every_call_between_two_polls(
    browser_page, live_server
):
    """A TV whose browser (or proxy) cannot keep an event stream polls every second; two calls made within one
    poll must both be announced, oldest first."""
    from tongban.queueing.services import ticket_call_next

    center, (w1, clerk1), (w2, clerk2) = two_windows_staffed_and_two_waiting()
    display = browser_page
    display.add_init_script("delete window.EventSource;")
    display.goto(f"{live_server.url}/queue/display/{center.code}/")
    display.wait_for_function("document.getElementById('cd-status').textContent === '轮询模式'")
    display.wait_for_timeout(1500)  # the first poll has seen the hall as it was
    ticket_call_next(window=w1, clerk=clerk1)
    ticket_call_next(window=w2, clerk=clerk2)
    display.wait_for_function("document.querySelectorAll('#announce-log li').length === 2")
    assert display.locator("#announce-log li").all_inner_texts() == [
        "请 A001 号到 1 号窗口",
        "请 A002 号到 2 号窗口",
    ]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_an_appointment_booked_by_a_clerk_is_cancelled_from_its_sms(
    browser_page, live_server, settings, tmp_path
):
    """A resident without an account rings the center; the clerk books a slot for them. The SMS they get holds
    a link: on the phone it shows the slot and the code, and cancelling (asked once more) frees the place."""
    import re
    from datetime import time, timedelta

    from django.utils import timezone

    from tongban.notifications.models import Message
    from tongban.queueing.models import Appointment, AppointmentSlot

    settings.PUBLIC_BASE_URL = live_server.url
    center, q, _ = hall()
    ClerkFactory(username="clerk1", center=center)
    slot = AppointmentSlot.objects.create(
        center=center,
        queue=q["Y"],
        day=timezone.localdate() + timedelta(days=1),
        start=time(9),
        end=time(9, 30),
        capacity=3,
    )
    desk = browser_page
    desk.goto(f"{live_server.url}/accounts/login/?next=/queue/appointments/")
    desk.fill("#id_username", "clerk1")
    desk.fill("#id_password", PASSWORD)
    desk.click("main form button[type=submit]")
    desk.wait_for_url(f"{live_server.url}/queue/appointments/*")
    desk.fill("#book-form input[name=id_number]", "310110195601010049")
    desk.fill("#book-form input[name=phone]", "13900000001")
    desk.click(f"label[for=slot-{slot.pk}]")
    desk.get_by_role("button", name="确认预约").click()
    desk.wait_for_selector(".alert-success")
    code = Appointment.objects.get().code
    assert code in desk.inner_text(".alert-success")

    (link,) = re.findall(r"https?://\S+", Message.objects.get(purpose="queueing.appointment.booked").body)
    phone_ctx = desk.context.browser.new_context(
        locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    phone = phone_ctx.new_page()
    phone.set_default_timeout(10_000)
    phone.goto(link)
    assert phone.locator("#appointment-code").inner_text() == code
    assert "09:00–09:30" in phone.inner_text("#appointment-when")
    phone.screenshot(path=str(tmp_path / "appointment-own.png"))
    phone.locator("#appointment-cancel-ask").click()
    phone.locator("#appointment-cancel-confirm").click()
    phone.wait_for_selector("#appointment-state:has-text('已取消')")
    assert phone.locator("#appointment-cancel-ask").count() == 0
    slot.refresh_from_db()
    assert (Appointment.objects.get().state, slot.booked) == ("cancelled", 0)
    phone_ctx.close()


# window.print() in a page, counted: headless Chromium has no print dialog to wait for
COUNT_PRINTS = "window.__prints = 0; window.print = function () { window.__prints += 1; };"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_slip_prints_by_itself_once_on_the_machines_paper(browser_page, live_server, tmp_path):
    """A resident who never sees the print button still gets the slip: it prints as the number is given (with
    --kiosk-printing, straight to the printer), once — a reload does not print it again, the button does — on
    one page of the machine's roll. A machine without a printer prints nothing."""
    import io

    from pypdf import PdfReader

    center, _, _ = hall()
    machine = browser_page
    machine.set_viewport_size({"width": 1080, "height": 1920})
    machine.add_init_script(COUNT_PRINTS)
    machine.goto(f"{live_server.url}/queue/ticket-machine/{center.code}/?paper=58")
    machine.get_by_role("button", name="综合受理").click()
    machine.wait_for_selector("#ticket-number")
    machine.wait_for_function("window.__prints === 1")
    assert machine.locator("#print-note").is_visible()  # "printing: take it from the slot"
    machine.reload(wait_until="load")
    machine.wait_for_timeout(300)
    assert machine.evaluate("window.__prints") == 0  # the same ticket's page again: not a second slip
    assert machine.locator("#print-note").count() == 0  # nor a note sending the resident to wait for one
    machine.get_by_role("button", name="打印小票").click()
    assert machine.evaluate("window.__prints") == 1

    machine.emulate_media(media="print")
    pdf = PdfReader(io.BytesIO(machine.pdf(prefer_css_page_size=True, print_background=True)))
    (page,) = pdf.pages  # one slip, one page
    width_mm = float(page.mediabox.width) / 72 * 25.4
    assert abs(width_mm - 58) < 0.5, width_mm
    text = page.extract_text()
    assert "A001" in text and "前面还有 0 人" in text and "打印小票" not in text
    (tmp_path / "slip-58.pdf").write_bytes(machine.pdf(prefer_css_page_size=True))
    machine.emulate_media(media="screen")

    machine.goto(f"{live_server.url}/queue/ticket-machine/{center.code}/?paper=screen")
    machine.get_by_role("button", name="综合受理").click()
    machine.wait_for_selector("#ticket-number:has-text('A002')")
    machine.wait_for_timeout(300)
    assert machine.evaluate("window.__prints") == 0
    assert machine.locator("#print-btn").count() == 0


# what the page would say aloud, recorded instead of spoken (headless Chromium has no voice)
RECORD_SPEECH = (
    "window.__spoken = [];"
    "window.speechSynthesis.speak = function (u) { window.__spoken.push(u.text); };"
    "window.speechSynthesis.cancel = function () {};"
)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_elderly_mode_reads_each_step_and_the_slip_aloud(browser_page, live_server):
    """长者模式 reads what a step asks, not only its first line: the priority lane's and the check-in's
    instructions, and on the slip the number, how many are ahead and the wait."""
    from tongban.queueing.services import ticket_issue

    center, _, _ = hall()
    for _ in range(4):
        ticket_issue(center=center, queue="A")
    machine = browser_page
    machine.add_init_script(RECORD_SPEECH + COUNT_PRINTS)
    base = f"{live_server.url}/queue/ticket-machine/{center.code}/"
    machine.goto(base)
    machine.locator("#elderly-toggle").click()
    assert machine.evaluate("window.__spoken") == ["请选择要办理的业务，领取排队号"]

    machine.goto(base + "?step=priority")  # elderly mode stays on: read as the page opens
    (said,) = machine.evaluate("window.__spoken")
    assert said.startswith("优先通道。军人依法优先；70周岁及以上老年人（请刷身份证）、残疾人、孕妇优先办理")
    assert said.endswith("身份证号（老年人优先必填）")
    machine.goto(base + "?step=appointment")
    assert machine.evaluate("window.__spoken") == [
        "预约签到。输入短信中的预约码。或刷身份证 / 输入身份证号签到"
    ]
    machine.goto(base + "?q=火星签证")
    assert machine.evaluate("window.__spoken") == [
        "“火星签证”的查找结果。没有找到。请换个说法，或直接领取综合号"
    ]

    machine.goto(base)
    machine.get_by_role("button", name="综合受理").click()
    machine.wait_for_selector("#ticket-number:has-text('A005')")
    assert machine.evaluate("window.__spoken") == [
        "您的号码是 A005。前面还有 4 人。预计等候约 32 分钟。小票正在打印，请从出纸口取走"
    ]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("refusal", ["not-allowed", "silence"])
def test_a_tv_that_may_not_speak_says_so_and_shows_the_voice_button_again(browser_page, live_server, refusal):
    """Voice on is remembered across reloads, but after a reboot Chromium refuses to speak until someone taps
    the page — with an error, or by never starting. The TV then shows the button again, saying the voice is
    off, instead of calling numbers in silence until someone notices."""
    center, _, _ = hall()
    tv = browser_page
    if refusal == "not-allowed":
        speak = "setTimeout(function () { u.onerror({error: 'not-allowed'}); }, 10);"
    else:
        speak = ""  # nothing happens at all
    tv.add_init_script(
        "localStorage.setItem('tb-display-voice', '1');"
        f"window.speechSynthesis.speak = function (u) {{ {speak} }};"
    )
    tv.clock.install()
    tv.goto(f"{live_server.url}/queue/display/{center.code}/")
    assert not tv.locator("#voice-on").is_visible()  # remembered: on
    tv.evaluate("window.tbDisplay.announce('请 A001 号到 1 号窗口')")
    tv.clock.run_for(6_000)
    tv.wait_for_selector("#voice-on:visible")
    assert tv.locator("#voice-on").inner_text() == "语音未开启，请点击开启"
    assert tv.evaluate("localStorage.getItem('tb-display-voice')") == ""  # a reload shows the button too
    tv.evaluate("() => { window.speechSynthesis.speak = function (u) { u.onstart(); u.onend(); }; }")
    tv.locator("#voice-on").click()  # the tap Chromium waited for
    assert not tv.locator("#voice-on").is_visible()
    assert tv.evaluate("localStorage.getItem('tb-display-voice')") == "1"


# every current call's row, as the TV shows it: inside the screen, and not cut at its right edge
ROWS_SHOWN = """() => Array.from(document.querySelectorAll('#cd-current tr[data-ticket]')).map(function (tr) {
  var box = tr.getBoundingClientRect();
  return box.bottom <= window.innerHeight && box.right <= window.innerWidth && tr.scrollWidth <= tr.clientWidth + 1;
})"""


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_hall_tv_shows_every_current_call_of_a_big_hall(browser_page, live_server, tmp_path):
    """Sixteen windows calling at once: at 96 px a 1080p TV showed seven rows and cut the rest off. The rows
    get smaller and go into columns until every one is on the screen, on a 1366×768 TV too; with two calls
    they are as large as before."""
    from tongban.queueing.services import ticket_call_next, ticket_issue, window_session_open

    # Every call is made before the TV opens a page: the test's in-memory SQLite refuses a write at once ("table
    # is locked", no busy wait) while the live server's thread reads a snapshot, which fourteen quick calls under
    # an open TV hit in CI (on PostgreSQL the two never block each other). Two halls, then: one with two calls,
    # one with sixteen; the same fit runs after every live update (display.js render).
    def hall_calling(n):
        center, _, windows = hall(windows=16)
        for _ in range(n):
            ticket_issue(center=center, queue="A")
        for window in windows[:n]:
            clerk = ClerkFactory(center=center)
            window_session_open(window=window, clerk=clerk)
            ticket_call_next(window=window, clerk=clerk)
        return center

    small, big = hall_calling(2), hall_calling(16)
    tv = browser_page
    tv.set_viewport_size({"width": 1920, "height": 1080})
    tv.goto(f"{live_server.url}/queue/display/{small.code}/")
    tv.wait_for_function("document.querySelectorAll('#cd-current tr[data-ticket]').length === 2")
    assert tv.locator(".cd-current").get_attribute("data-fit") == "0"  # one column, 96 px
    assert tv.locator("#cd-current td.cd-num").first.evaluate("el => getComputedStyle(el).fontSize") == "96px"

    tv.goto(f"{live_server.url}/queue/display/{big.code}/")
    tv.wait_for_function("document.querySelectorAll('#cd-current tr[data-ticket]').length === 16")
    tv.wait_for_timeout(300)
    assert tv.evaluate(ROWS_SHOWN) == [True] * 16
    tv.screenshot(path=str(tmp_path / "display-16-1920.png"))
    tv.set_viewport_size({"width": 1366, "height": 768})
    tv.wait_for_timeout(300)
    assert tv.evaluate(ROWS_SHOWN) == [True] * 16
    tv.screenshot(path=str(tmp_path / "display-16-1366.png"))

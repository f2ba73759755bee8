import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from freezegun import freeze_time

from tongban.core.audit import audit_log, audit_seal


@pytest.mark.django_db
def test_landing_lists_every_front_end_and_marks_missing_ones(client):
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "通办" in html
    for title in [
        "一网通办 居民门户",
        "取号机",
        "叫号屏",
        "窗口工作台",
        "智能文件柜",
        "运行看板",
        "后台管理",
    ]:
        assert title in html
    # The admin exists from day one: its door is a link, not a "not yet" badge.
    assert 'href="/admin/"' in html


@pytest.mark.django_db
def test_healthz_reports_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == "ok"


@pytest.mark.django_db
def test_healthz_reports_pending_and_stalled_audit_entries(client, settings):
    settings.AUDIT_SEAL_STALE_SECONDS = 300
    with freeze_time("2026-10-01 08:00:00"):
        audit_log(action="test.old")
    with freeze_time("2026-10-01 08:09:00"):
        audit_log(action="test.recent")
        body = client.get("/healthz").json()
    assert (body["status"], body["audit_sealing"], body["audit_pending"], body["audit_stalled"]) == (
        "ok",
        "stalled",
        2,
        1,
    )
    audit_seal()
    body = client.get("/healthz").json()
    assert (body["audit_sealing"], body["audit_pending"], body["audit_stalled"]) == ("ok", 0, 0)


@pytest.mark.django_db
def test_healthz_is_503_when_database_is_down(client, monkeypatch):
    def broken(*args, **kwargs):
        raise connection.Database.OperationalError("connection refused")

    with CaptureQueriesContext(connection):
        monkeypatch.setattr(connection, "cursor", broken)
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"


@pytest.mark.django_db
def test_chinese_is_the_default_whatever_the_browser_asks(client):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response["Content-Language"] == "zh-hans"


@pytest.mark.django_db
def test_the_language_button_switches_to_english(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    response = client.get("/")
    assert response["Content-Language"] == "en"


@pytest.mark.django_db
def test_landing_is_complete_in_english(client):
    client.cookies["django_language"] = "en"
    html = client.get("/").content.decode()
    assert "get it done at any window" in html
    assert "Smart cabinet" in html or "Smart file cabinet" in html
    assert "智能文件柜" not in html


@pytest.mark.django_db
def test_a_request_in_english_does_not_leave_english_active(client):
    from django.utils import translation

    client.cookies["django_language"] = "en"
    client.get("/")
    assert translation.get_language() == "zh-hans"


@pytest.mark.django_db
def test_the_header_names_a_resident_by_their_masked_phone_not_a_generated_user_name(client):
    """A resident who signs in by SMS for the first time has no name yet, only a generated user name."""
    from tongban.accounts.tests.factories import ResidentFactory

    resident = ResidentFactory(username="r2492f809270b", display_name="", phone="13900000003")
    client.force_login(resident)
    html = client.get("/queue/appointments/").content.decode()
    assert '<span class="small text-secondary" id="nav-user">139****0003</span>' in html
    assert "r2492f809270b" not in html and "13900000003" not in html
    resident.display_name = "王小明"
    resident.save()
    assert 'id="nav-user">王小明</span>' in client.get("/queue/appointments/").content.decode()


@pytest.mark.django_db
def test_a_missing_page_tells_a_person_where_to_go_in_their_language(client):
    """Not Django's bare 'Not Found': what happened, where to ask, and a way back, in Chinese or English."""
    response = client.get("/portal/matters/NO-SUCH-MATTER/")
    assert response.status_code == 404
    html = response.content.decode()
    assert 'id="error-404"' in html and "页面不存在" in html and 'href="/"' in html and "12345" in html
    client.cookies["django_language"] = "en"
    assert "Page not found" in client.get("/no/such/page/").content.decode()


def test_the_server_error_page_needs_no_context_and_speaks_both_languages():
    from django.template import loader

    html = loader.get_template("500.html").render()  # rendered as Django renders it: no context at all
    assert "系统暂时出了问题" in html and "Something went wrong" in html and 'href="/"' in html


def test_an_unknown_api_address_answers_in_the_apis_json(client):
    """A hall device that sends a malformed id gets the API's error shape, not the residents' HTML page."""
    response = client.post("/api/v1/windows/abc/call-next")
    assert response.status_code == 404 and response["Content-Type"] == "application/json"
    error = response.json()["error"]
    assert error["code"] == "not_found" and "接口或对象不存在" in error["message"] and error["message_en"]
    assert "接口或对象不存在".encode() in response.content  # UTF-8, like the API's other answers
    page = client.get("/no-such-page/")
    assert page.status_code == 404 and "页面不存在" in page.content.decode()


@pytest.mark.django_db
def test_the_hall_screens_offer_english_and_the_kiosk_wipe_goes_back_to_chinese(client, settings):
    """An English speaker at the ticket machine, the kiosk or the cabinet screen can switch; the next
    person at the kiosk starts in Chinese again."""
    from tongban.cabinet.tests.factories import CabinetFactory
    from tongban.queueing.tests.factories import hall

    center, _, _ = hall()
    cabinet = CabinetFactory()
    for url in (f"/queue/ticket-machine/{center.code}/", "/kiosk/", f"/cabinet/{cabinet.code}/"):
        html = client.get(url).content.decode()
        assert 'id="language-switch"' in html and 'value="en"' in html, url
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    wiped = client.get("/kiosk/reset/")
    assert wiped.cookies[settings.LANGUAGE_COOKIE_NAME].value == ""  # deleted

from datetime import date

import pytest

from tongban.accounts.tests.factories import AdminFactory, ClerkFactory
from tongban.core.calendar import is_workday
from tongban.core.models import AuditEntry, CalendarYear

pytestmark = pytest.mark.django_db

IMPORT = "/admin/core/calendaryear/import/"
SEED = "/admin/core/calendaryear/seed/"
NOTICE_2027 = """year: 2027
reference: 国办发明电〔2026〕1号
holidays:
  - {name: 春节, start: 2027-02-05, end: 2027-02-12}
makeup_workdays:
  - {date: 2027-02-20, name: 春节调休上班}
"""


@pytest.fixture
def admin_client(client):
    client.force_login(AdminFactory())
    return client


def test_year_list_shows_status_and_counts(admin_client, official_calendar, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        response = admin_client.get("/admin/core/calendaryear/")
    assert response.status_code == 200
    text = response.content.decode()
    assert "国办发明电〔2025〕7号" in text
    assert "正式（已按通知核定）" in text and "暂定" in text
    assert IMPORT in text and SEED in text


def test_year_page_is_view_only(admin_client, official_notices):
    response = admin_client.get("/admin/core/calendaryear/2026/change/")
    assert response.status_code == 200
    assert b'name="_save"' not in response.content
    assert admin_client.post("/admin/core/calendaryear/2026/change/", {}).status_code == 403
    assert admin_client.get("/admin/core/calendaryear/2026/delete/").status_code == 403
    assert admin_client.get("/admin/core/calendaryear/add/").status_code == 403


def test_grid_shows_holidays_and_makeup_days(admin_client, official_notices):
    response = admin_client.get("/admin/core/calendaryear/2026/calendar/")
    assert response.status_code == 200
    text = response.content.decode()
    assert 'class="makeup" title="2026-10-10 国庆节调休上班"' in text
    assert 'class="holiday" title="2026-10-01 国庆节"' in text
    assert "10月 · 18个工作日" in text
    months = response.context["months"]
    assert sum(m.workdays for m in months) == 248


def test_import_form_prefills_and_imports(admin_client):
    form = admin_client.get(IMPORT)
    assert "year: 2027" in form.context["form"].initial["text"]
    response = admin_client.post(IMPORT, {"text": NOTICE_2027})
    assert response.status_code == 302
    assert response["Location"] == "/admin/core/calendaryear/2027/calendar/"
    year = CalendarYear.objects.get(year=2027)
    assert year.official is True
    assert is_workday(date(2027, 2, 20)) is True
    entry = AuditEntry.objects.get(action="core.calendar.import_notice")
    assert entry.actor_repr == response.wsgi_request.user.username
    # prefilled for corrections with what is stored
    again = admin_client.get(IMPORT + "?year=2027")
    assert '"reference": "国办发明电〔2026〕1号"' in again.context["form"].initial["text"]


def test_import_upload(admin_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("2027.yaml", NOTICE_2027.encode(), content_type="application/x-yaml")
    response = admin_client.post(IMPORT, {"text": "", "file": upload})
    assert response.status_code == 302
    assert CalendarYear.objects.get(year=2027).official


def test_import_errors_are_listed_and_nothing_changes(admin_client):
    bad = "year: 2027\nreference: x\nholidays:\n  - {name: 春节, start: 2027-02-10, end: 2027-02-05}\nmakeup_workdays: [2027-02-01]\n"
    response = admin_client.post(IMPORT, {"text": bad})
    assert response.status_code == 200
    assert [e["field"] for e in response.context["notice_errors"]] == [
        "holidays[0].end",
        "makeup_workdays[0]",
    ]
    assert "节假日通知有2处错误，未导入" in response.content.decode()
    assert CalendarYear.objects.count() == 0
    empty = admin_client.post(IMPORT, {"text": "  "})
    assert "请粘贴通知内容或上传文件" in empty.content.decode()


def test_seed_view(admin_client, official_notices):
    response = admin_client.post(SEED, {"first": 2024, "last": 2026}, follow=True)
    assert response.status_code == 200
    assert "2024 已补充；2025 已有正式通知，未改动；2026 已有正式通知，未改动" in response.content.decode()
    assert CalendarYear.objects.get(year=2024).official is False
    bad = admin_client.post(SEED, {"first": 2030, "last": 2020})
    assert "结束年份应不早于起始年份，且最多20年" in bad.content.decode()


def test_staff_without_permission_cannot_import_or_seed(client):
    client.force_login(ClerkFactory())
    assert client.get(IMPORT).status_code == 403
    assert client.post(SEED, {"first": 2024, "last": 2024}).status_code == 403
    assert client.get("/admin/core/auditentry/").status_code == 403
    assert CalendarYear.objects.count() == 0


def test_grid_in_english(admin_client, official_notices, settings):
    admin_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # the language button
    response = admin_client.get("/admin/core/calendaryear/2026/calendar/")
    text = response.content.decode()
    assert "Working-day calendar 2026" in text
    assert "Month 10 · 18 working days" in text

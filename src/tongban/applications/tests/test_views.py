"""Pages: access per role, the case page's actions and messages, pinned queries on the workbench."""

from __future__ import annotations

import pytest
from django.test import Client

from tongban.accounts.models import User
from tongban.accounts.tests.factories import ReviewerFactory
from tongban.applications import services as s
from tongban.applications.models import Application, Status
from tongban.applications.tests.factories import clerk_at, draft, resident, valid_id
from tongban.catalog.tests.factories import BundleFactory, CenterFactory, DepartmentFactory, MatterFactory

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


@pytest.fixture
def clerk():
    return clerk_at(CenterFactory(code="YP-V"))


def test_pages_by_role(clerk):
    app = draft(clerk=clerk)
    c = signed_in(clerk)
    assert c.get("/cases/workbench/").status_code == 200
    assert c.get(f"/cases/{app.number}/").status_code == 200
    assert c.get("/cases/board/").status_code == 200
    assert c.get("/cases/reviews/").status_code == 403
    other = signed_in(clerk_at(CenterFactory()))
    assert other.get(f"/cases/{app.number}/").status_code == 404
    assert other.post(f"/cases/{app.number}/act/", {"action": "accept"}).status_code == 404
    assert other.get(f"/cases/{app.number}/pdf/receipt/").status_code == 404
    res = signed_in(resident())
    assert res.get("/cases/workbench/").status_code == 403
    assert res.get(f"/cases/{app.number}/").status_code == 403
    assert Client().get("/cases/workbench/").status_code == 302  # to sign-in
    app.refresh_from_db()
    assert app.status == Status.DRAFT


def test_reviewer_cannot_use_window_actions_but_answers_in_the_inbox(clerk):
    dept = DepartmentFactory()
    matter = MatterFactory()
    matter.review_departments.set([dept])
    app = s.application_accept(application=draft(clerk=clerk, matter=matter), actor=clerk)
    reviewer = signed_in(ReviewerFactory(department=dept, center=clerk.center))
    assert (
        reviewer.post(f"/cases/{app.number}/act/", {"action": "decide", "outcome": "approved"}).status_code
        == 403
    )
    page = reviewer.get("/cases/reviews/")
    assert app.number in page.content.decode()
    review = app.reviews.get()
    r = reviewer.post(
        f"/cases/reviews/{review.pk}/opinion/", {"opinion": "disagree", "text": ""}, follow=True
    )
    assert "有条件同意或不同意须写明意见" in r.content.decode()
    r = reviewer.post(f"/cases/reviews/{review.pk}/opinion/", {"opinion": "agree"}, follow=True)
    assert f"已提交对 {app.number} 的意见" in r.content.decode()


def test_accept_with_a_missing_material_shows_the_service_message(clerk):
    app = draft(clerk=clerk, received=False)
    r = signed_in(clerk).post(f"/cases/{app.number}/act/", {"action": "accept", "version": "1"}, follow=True)
    body = r.content.decode()
    assert "缺少必需材料：" in body
    app.refresh_from_db()
    assert app.status == Status.DRAFT


def _error_alert(page: str) -> str:
    # shown as an error (Bootstrap's red "danger", announced by screen readers), not as plain text: Django
    # tags an error "error", a class Bootstrap does not style
    error = page[page.index('<div class="alert alert-danger" role="alert">') :]
    return error[: error.index("</div>")]


def _field(page: str, name: str) -> str:
    """The value an input of the page holds."""
    tag = page[page.index(f'name="{name}"') :]
    tag = tag[: tag.index(">")]
    return tag[tag.index('value="') + 7 :].split('"')[0] if 'value="' in tag else ""


def test_a_refused_intake_keeps_what_the_clerk_typed(clerk):
    """A refused intake answers on the same page with the error and the form as the clerk left it, so
    that a wrong check digit costs one keystroke, not the whole form; the ID number stays out of the URL."""
    matter = MatterFactory(name="居住证办理")
    r = signed_in(clerk).post(
        "/cases/new/",
        {
            "id_number": "310110195103070019",
            "name": "张三",
            "phone": "13900001111",
            "target": f"m:{matter.code}",
            "delivery": "post",
            "delivery_address": "上海市杨浦区国和路1号",
        },
    )
    assert r.status_code == 400
    page = r.content.decode()
    assert "身份证" in _error_alert(page)
    assert _field(page, "id_number") == "310110195103070019"
    assert _field(page, "name") == "张三"
    assert _field(page, "phone") == "13900001111"
    assert _field(page, "delivery_address") == "上海市杨浦区国和路1号"
    assert '<option value="post" selected>' in page
    chosen = page[page.index(f'value="m:{matter.code}"') :]
    assert chosen.index("checked") < chosen.index(">") and "居住证办理" in chosen[:400]
    assert matter.applications.count() == 0


def test_a_refused_intake_registers_nobody(clerk):
    """Registering the applicant and opening the case are one transaction: a case refused after the
    applicant was found new leaves no half-registered resident behind."""
    before = User.objects.count()
    new_person = valid_id("31011019800101009")
    r = signed_in(clerk).post("/cases/new/", {"id_number": new_person, "name": "王五", "target": ""})
    assert r.status_code == 400
    page = r.content.decode()
    assert "请选择要办理的事项或一件事" in _error_alert(page)
    assert _field(page, "id_number") == new_person
    assert User.objects.count() == before


def test_a_refused_intake_keeps_a_chosen_bundle(clerk):
    bundle = BundleFactory(name="我要开餐馆")
    r = signed_in(clerk).post(
        "/cases/new/",
        {
            "id_number": valid_id("31011019800101010"),
            "name": "赵六",
            "phone": "1390000",
            "target": f"b:{bundle.code}",
        },
    )
    assert r.status_code == 400  # not a mobile number
    page = r.content.decode()
    assert "手机号" in _error_alert(page)
    assert _field(page, "phone") == "1390000"
    chosen = page[page.index(f'value="b:{bundle.code}"') :]
    assert "checked" in chosen[: chosen.index(">")] and "我要开餐馆" in chosen[:400]
    assert Application.objects.count() == 0


def test_an_intake_with_the_familys_phone_opens_the_case_and_says_where_its_sms_go(clerk):
    resident(phone="13900002222", id_number=valid_id("31011019950101001"))  # the son, signed up with it
    matter = MatterFactory()
    c = signed_in(clerk)
    r = c.post(
        "/cases/new/",
        {
            "id_number": valid_id("31011019510307001"),
            "name": "张建国",
            "phone": "13900002222",
            "target": f"m:{matter.code}",
        },
        follow=True,
    )
    (app,) = matter.applications.all()
    assert r.redirect_chain[-1][0] == f"/cases/{app.number}/"
    page = r.content.decode()
    assert "本件短信通知发往 139****2222" in page  # the flash, masked
    assert "本件联系电话 139****2222" in page  # the case header
    assert "13900002222" not in page
    assert app.contact_phone == "13900002222" and app.applicant.phone == ""


def test_workbench_query_count_does_not_grow_with_cases(clerk, django_assert_num_queries):
    c = signed_in(clerk)
    for _ in range(2):
        draft(clerk=clerk)
    c.get("/cases/workbench/")
    with django_assert_num_queries(5) as first:  # session, user, its center, its window, the cases (joined)
        c.get("/cases/workbench/")
    for _ in range(5):
        draft(clerk=clerk, matter=MatterFactory())
    with django_assert_num_queries(len(first.captured_queries)):
        c.get("/cases/workbench/")


def test_the_workbench_lists_the_live_cases_not_the_delivered_ones(clerk):
    """Delivered cases are done: with old deadlines they sorted first and pushed the live ones off the
    page (cut at 50)."""
    from tongban.applications.models import Application, Status

    c = signed_in(clerk)
    live = draft(clerk=clerk)
    done = [draft(clerk=clerk) for _ in range(3)]
    Application.objects.filter(pk__in=[d.pk for d in done]).update(
        status=Status.DELIVERED, due_date="2026-08-01"
    )
    html = c.get("/cases/workbench/").content.decode()
    assert live.number in html
    assert "/static/queueing/panel.js" in html  # the embedded queue panel's F2 … F9 work here too
    assert not any(d.number in html for d in done)


def test_public_progress_page(clerk):
    app = draft(clerk=clerk)
    c = Client()
    r = c.get("/cases/progress/", {"number": app.number, "id_last4": app.applicant_id_last4})
    assert "草稿" in r.content.decode()
    r = c.get("/cases/progress/", {"number": app.number, "id_last4": "0000"})
    assert "未找到办件" in r.content.decode()


def test_the_case_page_corrects_the_contact_phone(clerk):
    app = draft(clerk=clerk)
    c = signed_in(clerk)
    assert 'id="contact-phone"' in c.get(f"/cases/{app.number}/").content.decode()
    r = c.post(
        f"/cases/{app.number}/act/",
        {"action": "contact_phone", "contact_phone": "13700001111", "version": str(app.version)},
        follow=True,
    )
    page = r.content.decode()
    assert "本件联系电话已更正" in page and "本件联系电话 137****1111" in page
    assert "13700001111" not in page
    app.refresh_from_db()
    assert app.contact_phone == "13700001111"

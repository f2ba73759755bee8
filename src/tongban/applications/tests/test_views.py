"""Pages: access per role, the case page's actions and messages, pinned queries on the workbench."""

from __future__ import annotations

import pytest
from django.test import Client

from tongban.accounts.tests.factories import ReviewerFactory
from tongban.applications import services as s
from tongban.applications.models import Status
from tongban.applications.tests.factories import clerk_at, draft, resident
from tongban.catalog.tests.factories import CenterFactory, DepartmentFactory, MatterFactory

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


def test_intake_from_the_workbench_with_an_invalid_id_number(clerk):
    matter = MatterFactory()
    r = signed_in(clerk).post(
        "/cases/new/",
        {"id_number": "310110195103070019", "name": "张三", "target": f"m:{matter.code}"},
        follow=True,
    )
    assert r.redirect_chain[-1][0] == "/cases/workbench/"
    # shown as an error (Bootstrap's red "danger", announced by screen readers), not as plain text: Django
    # tags an error "error", a class Bootstrap does not style
    page = r.content.decode()
    error = page[page.index('<div class="alert alert-danger" role="alert">') :]
    assert "身份证" in error[: error.index("</div>")]
    assert matter.applications.count() == 0


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


def test_public_progress_page(clerk):
    app = draft(clerk=clerk)
    c = Client()
    r = c.get("/cases/progress/", {"number": app.number, "id_last4": app.applicant_id_last4})
    assert "草稿" in r.content.decode()
    r = c.get("/cases/progress/", {"number": app.number, "id_last4": "0000"})
    assert "未找到办件" in r.content.decode()

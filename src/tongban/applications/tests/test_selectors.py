from __future__ import annotations

import pytest

from tongban.accounts.models import Role
from tongban.accounts.tests.factories import ReviewerFactory, StaffFactory
from tongban.applications import services as s
from tongban.applications.selectors import applications_list, applications_page, applications_visible_to
from tongban.applications.tests.factories import clerk_at, draft
from tongban.catalog.tests.factories import CenterFactory, DepartmentFactory, MatterFactory

pytestmark = pytest.mark.django_db


def test_reviewer_fast_page_equals_the_scoped_list(django_assert_num_queries):
    dept, other = DepartmentFactory(), DepartmentFactory()
    clerk = clerk_at(CenterFactory())
    own = MatterFactory(department=dept)
    routed = MatterFactory(department=other)
    routed.review_departments.set([dept])
    unrelated = MatterFactory(department=other)
    for m in (own, routed, unrelated, own, routed):
        app = draft(clerk=clerk, matter=m)
        if m is routed:
            s.application_accept(application=app, actor=clerk)
    reviewer = ReviewerFactory(department=dept, center=clerk.center)
    expected = list(applications_list(user=reviewer).values_list("number", flat=True))
    assert len(expected) == 4
    with django_assert_num_queries(1):  # two ordered index scans merged in one statement
        page = list(applications_page(user=reviewer, limit=3, offset=0))
    assert [a.number for a in page] == expected[:3]
    assert [a.number for a in applications_page(user=reviewer, limit=3, offset=3)] == expected[3:]


def test_scope_by_role():
    c1, c2 = CenterFactory(), CenterFactory()
    a1, a2 = draft(clerk=clerk_at(c1)), draft(clerk=clerk_at(c2))
    assert list(applications_visible_to(user=clerk_at(c1))) == [a1]
    assert set(applications_visible_to(user=StaffFactory(role=Role.SUPERVISOR, center=c1))) == {a1, a2}
    assert list(applications_visible_to(user=a2.applicant)) == [a2]
    assert list(applications_visible_to(user=ReviewerFactory(department=None, center=c1))) == []


def test_search_by_number_prefix_and_name():
    clerk = clerk_at(CenterFactory(code="YP-S"))
    app = draft(clerk=clerk, matter=MatterFactory(name="居住证申领"))
    assert list(applications_list(user=clerk, q=app.number[:12].lower())) == [app]
    assert list(applications_list(user=clerk, q="居住证")) == [app]
    assert list(applications_list(user=clerk, q=app.applicant_name[:2])) == [app]
    assert list(applications_list(user=clerk, q="不存在")) == []

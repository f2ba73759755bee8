"""The staff list's written-out statements (``listing.page_rows``) against the ORM queryset they replace
(``applications_page(...).values(*LIST_COLUMNS)``): the same rows, in the same order, for every role,
filter, search and page, and the same JSON as the documented ``ApplicationListOut``."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone, translation
from rest_framework.renderers import JSONRenderer

from tongban.accounts.models import Role
from tongban.accounts.tests.factories import (
    AdminFactory,
    ManagerFactory,
    ReviewerFactory,
    StaffFactory,
    SupervisorFactory,
)
from tongban.applications import listing
from tongban.applications import services as s
from tongban.applications.api import serializers as ser
from tongban.applications.models import Application, DeadlineColour
from tongban.applications.selectors import LIST_COLUMNS, applications_page, applications_page_rows
from tongban.applications.tests.factories import clerk_at, draft, resident
from tongban.catalog import cache as catalog_cache
from tongban.catalog.models import Matter
from tongban.catalog.tests.factories import BundleFactory, CenterFactory, DepartmentFactory, MatterFactory

pytestmark = pytest.mark.django_db

FILTERS: list[dict[str, Any]] = [
    {},
    {"status": "draft"},
    {"status": "under_review"},
    {"status": "nonsense"},
    {"colour": "red"},
    {"colour": "yellow"},
    {"colour": "green"},  # not a filter value: only "clock running"
    {"status": "accepted", "colour": "red"},
    {"q": "LS-A"},  # a center's receipt numbers (prefix)
    {"q": "ls-b-"},  # lower case: numbers are upper case
    {"q": "LS_A"},  # LIKE's wildcards are escaped
    {"q": "%"},
    {"q": "0001"},  # digits (an ID's last four) are ASCII: a number prefix
    {"q": "  LS-C  "},
    {"q": "张"},  # an applicant's name (prefix)
    {"q": "李四"},
    {"q": "王五"},
    {"q": "户籍"},  # a matter whose name contains it
    {"q": "办理"},  # several matters
    {"q": "不存在"},
    {"q": "张", "status": "accepted"},
    {"q": "LS-", "colour": "red"},
]
PAGES = [(20, 0), (3, 0), (3, 3), (2, 5), (100, 0), (100, 20)]


@pytest.fixture
def world() -> dict[str, Any]:
    """Three centers, three departments; own, routed (parallel review) and unrelated matters; cases in
    draft, accepted, under review, refused and withdrawn; a bundle; red and yellow deadlines."""
    centers = [CenterFactory(code=code) for code in ("LS-A", "LS-B", "LS-C")]
    dept, other, third = DepartmentFactory(), DepartmentFactory(), DepartmentFactory()
    own = MatterFactory(department=dept, name="户籍证明办理", guide__materials=1)
    routed = MatterFactory(department=other, name="居住证办理", guide__materials=1)
    routed.review_departments.set([dept, third])
    unrelated = MatterFactory(department=third, name="社保卡补办", guide__materials=1)
    bundle = BundleFactory(matters=[MatterFactory(department=dept), MatterFactory(department=other)])
    names = ["张三", "张三丰", "李四", "王五", "赵六"]
    clerks = [clerk_at(c) for c in centers]
    apps: list[Application] = []
    for i in range(24):
        clerk = clerks[i % 3]
        matter = (own, routed, unrelated)[i % 4 % 3]
        app = draft(clerk=clerk, matter=matter, applicant=resident(display_name=names[i % 5]))
        if i % 6 in (1, 2, 3):
            app = s.application_accept(application=app, actor=clerk)
        elif i % 6 == 4:
            app = s.application_refuse(
                application=app, actor=clerk, reason="不属于受理范围", legal_basis="依据"
            )
        elif i % 6 == 5:
            app = s.application_withdraw(application=app, actor=clerk, reason="撤回")
        apps.append(app)
    s.application_create(
        actor=clerks[0],
        applicant=resident(display_name="张三"),
        center=centers[0],
        channel="window",
        bundle=bundle,
    )
    # deadlines: some past due (red), some flagged yellow and not yet due
    today = timezone.localdate()
    running = Application.objects.filter(status__in=["accepted", "under_review"]).order_by("id")
    ids = list(running.values_list("id", flat=True))
    Application.objects.filter(id__in=ids[::3]).update(due_date=today - timedelta(days=2))
    Application.objects.filter(id__in=ids[1::3]).update(
        due_date=today + timedelta(days=1), warning_level=DeadlineColour.YELLOW
    )
    users = {
        "admin": AdminFactory(center=centers[0]),
        "supervisor": SupervisorFactory(center=centers[1]),
        "manager": ManagerFactory(center=centers[1]),
        "clerk": clerks[0],
        "clerk-c": clerks[2],
        "clerk-no-center": StaffFactory(role=Role.CLERK, center=None),
        "reviewer": ReviewerFactory(department=dept, center=centers[0]),
        "reviewer-third": ReviewerFactory(department=third, center=centers[0]),
        "reviewer-no-department": ReviewerFactory(department=None, center=centers[0]),
        "resident": apps[0].applicant,
        "inactive-clerk": clerk_at(centers[0], is_active=False),
    }
    return {"users": users, "apps": apps}


def orm_rows(user: Any, limit: int, offset: int, **filters: Any) -> list[dict[str, Any]]:
    return list(applications_page(user=user, limit=limit, offset=offset, **filters).values(*LIST_COLUMNS))


def test_written_out_list_returns_the_querysets_rows(world):
    users = world["users"]
    seen: dict[str, int] = {}
    for who, user in users.items():
        for filters in FILTERS:
            for limit, offset in PAGES:
                expected = orm_rows(user, limit, offset, **filters)
                got = applications_page_rows(user=user, limit=limit, offset=offset, **filters)
                assert got == expected, (who, filters, limit, offset)
                seen[who] = max(seen.get(who, 0), len(got))
    # the dataset exercises every scope: nothing for those who may see nothing, something for the rest
    assert seen["clerk-no-center"] == seen["reviewer-no-department"] == seen["inactive-clerk"] == 0
    assert seen["admin"] == seen["supervisor"] == Application.objects.count() == 26
    assert 0 < seen["resident"] < seen["clerk"] < seen["admin"]
    assert seen["reviewer-third"] > 0 and 0 < seen["reviewer"] < seen["admin"]


def test_every_filter_of_the_dataset_finds_something(world):
    """So that the comparison above compares rows, not empty lists."""
    admin = world["users"]["admin"]
    empty = {
        json.dumps(f, ensure_ascii=False)
        for f in FILTERS
        if not applications_page_rows(user=admin, limit=100, offset=0, **f)
    }
    assert empty == {
        '{"status": "nonsense"}',
        '{"q": "LS_A"}',
        '{"q": "%"}',
        '{"q": "0001"}',
        '{"q": "不存在"}',
    }


@pytest.mark.parametrize("who", ["clerk", "manager", "reviewer", "admin"])
def test_written_out_rows_render_the_documented_json(world, who):
    user = world["users"][who]
    render = JSONRenderer().render
    for filters in ({}, {"q": "LS-A"}, {"q": "张"}, {"q": "居住证"}, {"colour": "red"}):
        models = list(
            applications_page(user=user, limit=50, **filters).select_related("matter", "center", "department")
        )
        rows = applications_page_rows(user=user, limit=50, **filters)
        documented = render(ser.ApplicationListOut(models, many=True).data)
        assert render(ser.list_rows(rows)) == documented, filters
        with translation.override("en"):
            assert render(ser.list_rows(rows)) == render(ser.ApplicationListOut(models, many=True).data)


def test_statements_per_page(world, django_assert_num_queries):
    reviewer, clerk = world["users"]["reviewer"], world["users"]["clerk"]
    with django_assert_num_queries(2):  # the catalog's codes and names (then kept 30 s), the page
        assert applications_page_rows(user=clerk)
    with django_assert_num_queries(1):  # the reviewer's two index scans merged in one statement
        assert applications_page_rows(user=reviewer)
    with django_assert_num_queries(1):
        assert applications_page_rows(user=clerk, q="LS-A")
    with django_assert_num_queries(1):  # a name: the matters whose name contains it come from memory
        assert applications_page_rows(user=clerk, q="户籍")
    with django_assert_num_queries(0):
        assert applications_page_rows(user=world["users"]["clerk-no-center"]) == []


def test_a_matter_newer_than_the_cached_labels_is_read_again(world, django_assert_num_queries):
    """Another process may add a matter (and cases of it) within the snapshot's 30 s."""
    clerk = world["users"]["clerk"]
    stale = catalog_cache.catalog_labels()
    matter = MatterFactory(name="新设事项")  # in this process the signal drops the snapshot…
    app = draft(clerk=clerk, matter=matter)
    catalog_cache._catalog._data[("labels",)] = (time.monotonic(), stale)  # …elsewhere it would not
    with django_assert_num_queries(2):  # the page, then the labels again
        rows = applications_page_rows(user=clerk, limit=1)
    assert rows[0]["number"] == app.number and rows[0]["matter__name"] == "新设事项"
    assert rows == orm_rows(clerk, 1, 0)


def test_a_renamed_matter_shows_its_new_name_in_this_process_at_once(world):
    clerk = world["users"]["clerk"]
    before = applications_page_rows(user=clerk, q="户籍")
    assert before and {r["matter__name"] for r in before} == {"户籍证明办理"}
    matter = Matter.objects.get(name="户籍证明办理")
    matter.name = "户籍证明开具"
    matter.save()
    assert {r["matter__name"] for r in applications_page_rows(user=clerk, q="户籍")} == {"户籍证明开具"}
    assert applications_page_rows(user=clerk, q="户籍证明办理") == []


def test_the_select_list_follows_list_columns():
    select = listing._select()
    assert [name for name, _ in select.own] + [r[0] for r in select.related] == sorted(
        LIST_COLUMNS, key=lambda c: "__" in c
    )
    assert " JOIN " not in select.statement and "WHERE" not in select.statement

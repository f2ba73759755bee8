"""The per-process catalog cache intake reads (tongban.catalog.cache): hits cost no query, every
change is seen — at once in this process, within the TTL in others."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest

from tongban.accounts.tests.factories import UserFactory
from tongban.catalog import cache
from tongban.catalog.models import Matter
from tongban.catalog.services import guide_publish
from tongban.catalog.tests.factories import CenterFactory, DepartmentFactory, MatterFactory
from tongban.core import cache as core_cache

pytestmark = pytest.mark.django_db


def test_a_published_guide_is_read_once_then_served_with_no_query(django_assert_num_queries):
    matter = MatterFactory(guide__materials=3)
    with django_assert_num_queries(2):  # the version, its materials
        guide = cache.published_guide(matter.current_version_id)
    with django_assert_num_queries(0):
        again = cache.published_guide(matter.current_version_id)
        names = [m.name for m in again.materials.all()]
    assert again is guide
    assert names == list(
        matter.current_version.materials.order_by("order", "id").values_list("name", flat=True)
    )


def test_a_matter_is_read_once_then_served_with_no_query(django_assert_num_queries):
    matter = MatterFactory(guide__materials=2)
    matter.review_departments.set([DepartmentFactory(code="ZZ-B"), DepartmentFactory(code="ZZ-A")])
    cache._clear()
    with django_assert_num_queries(4):  # matter + department, guide, materials, review departments
        found = cache.intake_matter(matter.code)
    with django_assert_num_queries(0):
        again = cache.intake_matter(matter.code)
        assert again is found
        assert again.department.code == matter.department.code
        assert again.current_version.version == 1
        assert len(again.current_version.materials.all()) == 2
        assert [d.code for d in again.review_departments.all()] == ["ZZ-A", "ZZ-B"]


def test_an_unknown_code_is_not_cached():
    assert cache.intake_matter("NOPE") is None
    matter = MatterFactory(code="NOPE")
    assert cache.intake_matter("NOPE") == matter


def test_deactivating_a_matter_is_seen_at_once():
    matter = MatterFactory()
    assert cache.intake_matter(matter.code).active
    matter.active = False
    matter.save()  # the admin's save
    assert not cache.intake_matter(matter.code).active


def test_publishing_a_new_version_is_seen_at_once():
    matter = MatterFactory(guide__materials=1)
    assert cache.intake_matter(matter.code).current_version.version == 1
    actor = UserFactory()
    guide_publish(matter=matter, actor=actor, changes={"promised_days": 9}, materials=None, note="n")
    found = cache.intake_matter(matter.code)
    assert (found.current_version.version, found.current_version.promised_days) == (2, 9)
    assert len(found.current_version.materials.all()) == 1


def test_changing_review_departments_or_a_department_is_seen_at_once():
    matter = MatterFactory()
    dept = DepartmentFactory(code="ZZ-R", review_days=3)
    assert list(cache.intake_matter(matter.code).review_departments.all()) == []
    matter.review_departments.add(dept)
    assert [d.review_days for d in cache.intake_matter(matter.code).review_departments.all()] == [3]
    dept.review_days = 7
    dept.save()
    assert [d.review_days for d in cache.intake_matter(matter.code).review_departments.all()] == [7]
    matter.review_departments.clear()
    assert list(cache.intake_matter(matter.code).review_departments.all()) == []


def test_a_changed_center_is_seen_at_once(django_assert_num_queries):
    center = CenterFactory(code="ZZ-C1")
    assert cache.center_by_pk(center.pk).code == "ZZ-C1"
    assert cache.center_by_code("ZZ-C1") == center
    with django_assert_num_queries(0):
        assert cache.center_by_pk(center.pk).code == "ZZ-C1"
        assert cache.center_by_code("ZZ-C1") == center
    center.code = "ZZ-C2"
    center.save()
    assert cache.center_by_pk(center.pk).code == "ZZ-C2"
    assert cache.center_by_code("ZZ-C1") is None
    assert cache.center_by_code("ZZ-C2") == center


def test_a_change_made_elsewhere_is_seen_within_the_ttl(monkeypatch):
    """Another process's change sends this one no signal: the TTL bounds how long it is missed."""
    matter = MatterFactory()
    assert cache.intake_matter(matter.code).active
    Matter.objects.filter(pk=matter.pk).update(active=False)  # no signal, as in another process
    assert cache.intake_matter(matter.code).active
    later = time.monotonic() + cache.CATALOG_TTL_SECONDS + 1
    monkeypatch.setattr(core_cache, "time", SimpleNamespace(monotonic=lambda: later))
    assert not cache.intake_matter(matter.code).active

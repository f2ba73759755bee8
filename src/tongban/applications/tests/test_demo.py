from __future__ import annotations

import io

import pytest

from tongban.applications import demo
from tongban.applications.models import Application, BundleCase
from tongban.applications.tests.factories import demo_world

pytestmark = pytest.mark.django_db


def test_demo_skips_without_catalog_and_accounts():
    out = io.StringIO()
    demo.load(out)
    assert "skipped" in out.getvalue()
    assert Application.objects.count() == 0


def test_demo_is_idempotent_and_leaves_the_walkable_states():
    world = demo_world()
    demo.load(io.StringIO())
    demo.load(io.StringIO())
    case = BundleCase.objects.get()
    parts = list(case.parts.order_by("number"))
    assert [p.matter.name for p in parts] == ["生育生活津贴申领", "新生儿医保参保登记"]
    assert {p.status for p in parts} == {"draft"}
    assert {p.applicant_id for p in parts} == {world["li_mei"].pk}
    missing = {m.name for p in parts for m in p.materials.all() if m.state == "missing"}
    assert missing == {"出生医学证明"}
    permit = Application.objects.get(matter=world["permit"])
    assert (permit.status, permit.delivery, permit.applicant_id) == ("ready", "cabinet", world["zhang"].pk)
    assert Application.objects.count() == 4  # two parts, the permit, the booklet

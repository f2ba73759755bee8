"""The intake endpoint parses well-formed input without a serializer: what it takes must be exactly
what ``CreateIn`` gives, and everything else must reach ``CreateIn`` (its errors, word for word)."""

from __future__ import annotations

import json

import pytest
from rest_framework.renderers import JSONRenderer
from rest_framework.test import APIClient

from tongban.applications import services
from tongban.applications.api import fast
from tongban.applications.api import serializers as s
from tongban.applications.api.views import detail_queryset
from tongban.applications.tests.factories import clerk_at, draft, resident
from tongban.catalog.tests.factories import CenterFactory, DepartmentFactory, MatterFactory

ID = "310110199006150037"
GOOD = {"matter_code": "M-1", "channel": "window", "applicant": {"id_number": ID, "name": "李梅"}}

VALID = [
    {"channel": "window"},
    {"channel": "online", "matter_code": "", "bundle_code": "", "center_code": ""},
    GOOD,
    {**GOOD, "accept": True, "materials": [{"material_type_id": 3}, {"material_type_id": 4}]},
    {**GOOD, "accept": False, "note": "备注 一行", "delivery": "post", "delivery_address": "上海市杨浦区1号"},
    {**GOOD, "delivery": "window"},
    {**GOOD, "applicant": {"id_number": ID}},
    {**GOOD, "applicant": {"id_number": ID, "name": "", "phone": ""}},
    {**GOOD, "applicant": {"id_number": ID, "name": "王" * 100, "phone": "13800138000"}},
    {
        **GOOD,
        "materials": [
            {
                "material_type_id": 3,
                "state": "deferred",
                "received_form": "复印件",
                "received_count": 0,
                "problem": "p" * 300,
            },
            {"material_type_id": 999_999_999_999_999_999, "state": "n_a", "received_count": 9999},
        ],
    },
    {**GOOD, "materials": []},
    {"bundle_code": "B-1", "channel": "kiosk", "center_code": "C-1"},
    {**GOOD, "note": "x" * 2000, "delivery_address": "y" * 300},
]

# everything below is for the serializer (valid or not): the fast path must step aside
OTHER = [
    [],
    "text",
    None,
    {},
    {**GOOD, "unknown": 1},
    {**GOOD, "channel": ""},
    {**GOOD, "channel": "fax"},
    {**GOOD, "channel": None},
    {**GOOD, "channel": ["window"]},
    {**GOOD, "matter_code": " M-1"},
    {**GOOD, "matter_code": "M-1\n"},
    {**GOOD, "matter_code": "   "},
    {**GOOD, "matter_code": 5},
    {**GOOD, "matter_code": None},
    {**GOOD, "matter_code": "a\x00b"},
    {**GOOD, "matter_code": "\ud800"},
    {**GOOD, "matter_code": "\u3000M"},
    {**GOOD, "note": "x" * 2001},
    {**GOOD, "note": "两行\n文字"},
    {**GOOD, "delivery_address": "y" * 301},
    {**GOOD, "delivery": "drone"},
    {**GOOD, "delivery": ""},
    {**GOOD, "accept": "true"},
    {**GOOD, "accept": 1},
    {**GOOD, "accept": None},
    {**GOOD, "applicant": None},
    {**GOOD, "applicant": []},
    {**GOOD, "applicant": {}},
    {**GOOD, "applicant": {"id_number": ""}},
    {**GOOD, "applicant": {"id_number": " " + ID}},
    {**GOOD, "applicant": {"id_number": "1" * 31}},
    {**GOOD, "applicant": {"id_number": 310110199006150037}},
    {**GOOD, "applicant": {"id_number": ID, "name": "王" * 101}},
    {**GOOD, "applicant": {"id_number": ID, "name": None}},
    {**GOOD, "applicant": {"id_number": ID, "name": " 李梅 "}},
    {**GOOD, "applicant": {"id_number": ID, "phone": "1" * 21}},
    {**GOOD, "applicant": {"id_number": ID, "extra": 1}},
    {**GOOD, "materials": None},
    {**GOOD, "materials": {"material_type_id": 3}},
    {**GOOD, "materials": [3]},
    {**GOOD, "materials": [{}]},
    {**GOOD, "materials": [{"material_type_id": "3"}]},
    {**GOOD, "materials": [{"material_type_id": 3.0}]},
    {**GOOD, "materials": [{"material_type_id": True}]},
    {**GOOD, "materials": [{"material_type_id": None}]},
    {**GOOD, "materials": [{"material_type_id": 3, "state": "lost"}]},
    {**GOOD, "materials": [{"material_type_id": 3, "state": ""}]},
    {**GOOD, "materials": [{"material_type_id": 3, "received_count": -1}]},
    {**GOOD, "materials": [{"material_type_id": 0}]},
    {**GOOD, "materials": [{"material_type_id": -1}]},
    {**GOOD, "materials": [{"material_type_id": 10**18}]},  # beyond a database key: SQLite could not bind it
    {**GOOD, "materials": [{"material_type_id": 3, "received_count": 10_000}]},
    {**GOOD, "materials": [{"material_type_id": 3, "received_count": "2"}]},
    {**GOOD, "materials": [{"material_type_id": 3, "received_count": False}]},
    {**GOOD, "materials": [{"material_type_id": 3, "problem": "p" * 301}]},
    {**GOOD, "materials": [{"material_type_id": 3, "received_form": " 原件"}]},
    {**GOOD, "materials": [{"material_type_id": 3, "extra": 1}]},
]


def _ids(body):
    return json.dumps(body, ensure_ascii=True)[:80]


@pytest.mark.parametrize("body", VALID, ids=_ids)
def test_intake_input_fast_path_gives_what_the_serializer_gives(body):
    slow = s.CreateIn(data=body)
    assert slow.is_valid(), slow.errors
    fast_data = fast.create_in(body)
    assert fast_data is not None
    assert fast_data == json.loads(json.dumps(slow.validated_data))
    assert fast_data == slow.validated_data  # the very values, enum members included


@pytest.mark.parametrize("body", OTHER, ids=_ids)
def test_intake_input_fast_path_leaves_everything_else_to_the_serializer(body):
    """Unusual or invalid input is never taken by the fast path: the view hands it to CreateIn, so
    every error is the serializer's own."""
    assert fast.create_in(body) is None


@pytest.mark.django_db
def test_an_invalid_intake_body_gets_the_serializers_errors():
    body = {**GOOD, "channel": "fax", "materials": [{"material_type_id": "x"}]}
    client = APIClient()
    client.force_authenticate(clerk_at(CenterFactory()))
    r = client.post("/api/v1/applications", body, format="json")
    slow = s.CreateIn(data=body)
    assert not slow.is_valid()
    assert r.status_code == 400
    error = r.json()["error"]
    assert error["code"] == "invalid"
    assert error["message"] == "输入有误，请检查标出的字段"
    assert error["details"] == json.loads(json.dumps(slow.errors))


# --- the answer -------------------------------------------------------------------------------


def _same(app):
    got, expected = fast.detail_out(app), s.detail_data(app)
    assert list(got) == list(expected)  # the same keys in the same order: the same JSON bytes
    assert got == expected
    assert JSONRenderer().render(got) == JSONRenderer().render(expected)


@pytest.mark.django_db
@pytest.mark.parametrize("accept", [False, True])
def test_intake_answer_built_directly_equals_the_serializers(accept):
    """The intake's in-memory case (relations filled from what was just written) and the case read
    back, rendered by :func:`fast.detail_out` and by ``ApplicationDetailOut``."""
    center = CenterFactory()
    clerk = clerk_at(center)
    matter = MatterFactory(guide__materials=2, guide__promised_days=4)
    matter.review_departments.set([DepartmentFactory(code="ZZ-B"), DepartmentFactory(code="ZZ-A")])
    types = list(matter.current_version.materials.values_list("material_type_id", flat=True))
    create = services.application_create_and_accept if accept else services.application_create
    ticks = types if accept else types[:1]
    (app,) = create(
        actor=clerk,
        applicant=resident(),
        center=center,
        channel="window",
        matter=matter,
        materials=[services.MaterialTick(material_type_id=t) for t in ticks],
        note="备注",
        contact_phone="13700001111",
    )
    assert fast.detail_out(app)["contact_phone_masked"] == "137****1111"
    _same(app)
    _same(detail_queryset().get(pk=app.pk))


@pytest.mark.django_db
def test_answer_built_directly_equals_the_serializers_for_every_relation():
    """A notice, a suspension (ended) and an extension: every list and the notice are rendered alike."""
    center = CenterFactory()
    clerk = clerk_at(center)
    matter = MatterFactory(guide__materials=2, guide__promised_days=4)
    noticed = draft(clerk=clerk, matter=matter, received=False)
    services.application_request_supplement(application=noticed, actor=clerk, items=[], note="请补齐")
    _same(detail_queryset().get(pk=noticed.pk))
    app = draft(clerk=clerk, matter=matter)
    services.application_accept(application=app, actor=clerk)
    services.application_suspend(application=app, actor=clerk, kind="hearing", reason="听证")
    services.application_resume(application=app, actor=clerk)
    services.application_request_extension(application=app, actor=clerk, days=3, reason="复杂")
    read = detail_queryset().get(pk=app.pk)
    assert read.suspensions.all() and read.extensions.all()
    _same(read)

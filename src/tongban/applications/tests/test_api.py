"""The API: happy path, denial for each endpoint, bad input, pinned query counts."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from rest_framework.test import APIClient

from tongban.accounts.models import User
from tongban.accounts.tests.factories import ManagerFactory, ReviewerFactory
from tongban.applications import services as s
from tongban.applications.models import Application, Status
from tongban.applications.tests.factories import clerk_at, draft, resident, valid_id
from tongban.catalog.tests.factories import BundleFactory, CenterFactory, DepartmentFactory, MatterFactory
from tongban.core.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def center():
    return CenterFactory(code="YP-API")


@pytest.fixture
def clerk(center):
    return clerk_at(center)


def client_for(user) -> APIClient:
    c = APIClient()
    c.force_authenticate(user)
    return c


def url(number: str, action: str = "") -> str:
    return f"/api/v1/applications/{number}" + (f"/{action}" if action else "")


@pytest.mark.parametrize("accept", [False, True])
def test_api_intake_with_a_phone_another_resident_signs_in_with(clerk, accept):
    """The number goes on the case as its contact phone (masked in the answer) and the new applicant is
    registered without a sign-in phone: the intake is not refused for a family's shared phone."""
    from tongban.accounts.models import User

    resident(phone="13800000002", id_number=valid_id("31011019950101001"))
    matter = MatterFactory(guide__materials=1)
    types = list(matter.current_version.materials.values_list("material_type_id", flat=True))
    r = client_for(clerk).post(
        "/api/v1/applications",
        {
            "matter_code": matter.code,
            "applicant": {
                "id_number": valid_id("31011019510307001"),
                "name": "张建国",
                "phone": "13800000002",
            },
            "channel": "window",
            "accept": accept,
            "materials": [{"material_type_id": t} for t in types],
        },
        format="json",
    )
    assert r.status_code == 201, r.content
    (body,) = r.json()
    assert body["contact_phone_masked"] == "138****0002"
    assert "13800000002" not in r.content.decode()
    app = Application.objects.get(number=body["number"])
    assert app.contact_phone == "13800000002"
    with (
        connection.cursor() as cursor
    ):  # personal data: encrypted at rest, whichever way the case was written
        cursor.execute("SELECT contact_phone FROM applications_application WHERE id = %s", [app.pk])
        assert "13800000002" not in cursor.fetchone()[0]
    assert User.objects.get(pk=app.applicant_id).phone == ""
    assert client_for(clerk).get(url(app.number)).json()["contact_phone_masked"] == "138****0002"


def test_api_corrects_the_contact_phone(clerk):
    app = draft(clerk=clerk)
    r = client_for(clerk).post(
        url(app.number, "contact-phone"), {"phone": "13700001111", "version": app.version}, format="json"
    )
    assert r.status_code == 200, r.content
    assert r.json()["contact_phone_masked"] == "137****1111" and "13700001111" not in r.content.decode()
    r = client_for(clerk).post(
        url(app.number, "contact-phone"), {"phone": "12345", "version": None}, format="json"
    )
    assert r.status_code == 400 and r.json()["error"]["code"].startswith("identity.mobile")
    stranger = client_for(clerk_at(CenterFactory()))
    assert stranger.post(url(app.number, "contact-phone"), {"phone": ""}, format="json").status_code == 404
    app.refresh_from_db()
    assert app.contact_phone == "13700001111"


def test_staff_intake_by_api_end_to_end(clerk):
    matter = MatterFactory(guide__materials=2, guide__promised_days=5)
    c = client_for(clerk)
    r = c.post(
        "/api/v1/applications",
        {
            "matter_code": matter.code,
            "applicant": {"id_number": valid_id(), "name": "李梅", "phone": "13800000002"},
            "channel": "window",
        },
        format="json",
    )
    assert r.status_code == 201, r.content
    (body,) = r.json()
    number = body["number"]
    assert body["status"] == "draft"
    assert body["applicant_id_masked"].count("*") == 8
    ticks = [{"material_type_id": m["material_type_id"]} for m in body["materials"]]
    r = c.post(url(number, "materials"), {"materials": ticks, "version": body["version"]}, format="json")
    assert r.status_code == 200
    r = c.post(url(number, "accept"), {"version": r.json()["version"]}, format="json")
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "accepted"
    assert r.json()["deadline"]["colour"] == "green"
    r = c.post(url(number, "decide"), {"outcome": "approved"}, format="json")
    assert r.json()["status"] == "decided"
    r = c.post(url(number, "ready"), {"method": "window"}, format="json")
    r = c.post(url(number, "deliver"), {"via": "window"}, format="json")
    assert r.json()["status"] == "delivered"
    assert [h["action"] for h in r.json()["history"]] == ["create", "accept", "decide", "ready", "deliver"]
    pdf = c.get(url(number, "documents/receipt.pdf"))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"


def test_intake_sees_a_deactivated_matter_and_a_new_guide_at_once(clerk):
    """The matter and its guide come from a per-process cache (tongban.catalog.cache): a matter
    taken out of service or a newly published guide must still take effect on the next intake."""
    from tongban.catalog.services import guide_publish

    matter = MatterFactory(guide__materials=1)
    c = client_for(clerk)

    def intake() -> object:
        body = {"matter_code": matter.code, "applicant": {"id_number": valid_id(), "name": "李梅"}}
        return c.post("/api/v1/applications", {**body, "channel": "window"}, format="json")

    assert intake().json()[0]["guide_version"] == 1
    guide_publish(matter=matter, actor=clerk, changes={"promised_days": 9}, materials=None, note="n")
    assert intake().json()[0]["guide_version"] == 2
    matter.active = False
    matter.save()
    r = intake()
    assert r.status_code == 400 and r.json()["error"]["code"] == "application.unknown_matter"
    assert Application.objects.count() == 2


def test_bad_inputs_are_precise_4xx_and_change_nothing(clerk):
    c = client_for(clerk)
    r = c.post(
        "/api/v1/applications",
        {"matter_code": "NOPE", "applicant": {"id_number": valid_id(), "name": "x"}, "channel": "window"},
        format="json",
    )
    assert r.status_code == 400 and r.json()["error"]["code"] == "application.unknown_matter"
    matter = MatterFactory()
    r = c.post(
        "/api/v1/applications",
        {
            "matter_code": matter.code,
            "applicant": {"id_number": "310110195103070019", "name": "x"},
            "channel": "window",
        },
        format="json",
    )
    assert r.status_code == 400 and r.json()["error"]["code"].startswith("identity.")
    r = c.post("/api/v1/applications", {"matter_code": matter.code, "channel": "fax"}, format="json")
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid"
    assert Application.objects.count() == 0

    app = draft(clerk=clerk, received=False)
    r = c.post(url(app.number, "accept"), {}, format="json")
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "application.material_missing"
    assert r.json()["error"]["message"].startswith("缺少必需材料：")
    r = c.post(url(app.number, "decide"), {"outcome": "approved"}, format="json")
    assert r.status_code == 409 and r.json()["error"]["code"] == "application.invalid_transition"
    r = c.post(url(app.number, "accept"), {"version": 99}, format="json")
    assert r.status_code == 409 and r.json()["error"]["code"] == "application.stale"
    app.refresh_from_db()
    assert app.status == Status.DRAFT and app.version == 1


def test_upload_limits(clerk, settings):
    settings.UPLOAD_MAX_BYTES = 1024
    app = draft(clerk=clerk)
    c = client_for(clerk)
    big = SimpleUploadedFile("scan.pdf", b"%PDF-1.4 " + b"x" * 2000, content_type="application/pdf")
    r = c.post(url(app.number, "attachments"), {"file": big}, format="multipart")
    assert r.status_code == 413 and r.json()["error"]["code"] == "application.attachment_too_large"
    exe = SimpleUploadedFile("scan.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    r = c.post(url(app.number, "attachments"), {"file": exe}, format="multipart")
    assert r.status_code == 415 and r.json()["error"]["code"] == "application.attachment_type"
    ok = SimpleUploadedFile("scan.png", b"\x89PNG\r\n\x1a\n" + b"0" * 100, content_type="image/png")
    r = c.post(url(app.number, "attachments"), {"file": ok}, format="multipart")
    assert r.status_code == 201 and r.json()["content_type"] == "image/png"
    assert app.attachments.count() == 1
    app.refresh_from_db()
    assert app.version == 1  # rejected uploads left nothing behind


ACTIONS = [
    ("materials", {"materials": []}),
    ("accept", {}),
    ("supplement-request", {}),
    ("supplement-received", {}),
    ("refuse", {"reason": "x", "legal_basis": "y"}),
    ("decide", {"outcome": "approved"}),
    ("ready", {"method": "window"}),
    ("deliver", {"via": "window"}),
    ("withdraw", {}),
    ("suspend", {"kind": "expert", "reason": "x"}),
    ("resume", {}),
    ("extensions", {"days": 5, "reason": "x"}),
    ("submit", {}),
]


@pytest.mark.parametrize(("action", "payload"), ACTIONS)
def test_other_center_clerk_gets_404_for_every_action(clerk, action, payload):
    app = draft(clerk=clerk)
    other = clerk_at(CenterFactory())
    r = client_for(other).post(url(app.number, action), payload, format="json")
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "application.not_found"
    app.refresh_from_db()
    assert app.version == 1


@pytest.mark.parametrize(("action", "payload"), [a for a in ACTIONS if a[0] not in ("submit",)])
def test_reviewer_routed_to_the_case_still_cannot_run_window_actions(clerk, action, payload):
    dept = DepartmentFactory()
    matter = MatterFactory()
    matter.review_departments.set([dept])
    app = s.application_accept(application=draft(clerk=clerk, matter=matter), actor=clerk)
    reviewer = ReviewerFactory(department=dept, center=clerk.center)
    r = client_for(reviewer).post(url(app.number, action), payload, format="json")
    assert r.status_code in (403, 409), r.content
    if r.status_code == 403:
        assert r.json()["error"]["code"] == "application.forbidden"
    app.refresh_from_db()
    assert app.status == Status.UNDER_REVIEW


def test_reads_are_scoped(clerk):
    app = draft(clerk=clerk)
    other = clerk_at(CenterFactory())
    assert client_for(other).get(url(app.number)).status_code == 404
    assert client_for(other).get(url(app.number, "documents/receipt.pdf")).status_code == 404
    assert client_for(other).get("/api/v1/applications").json() == []
    stranger = resident()
    assert client_for(stranger).get(url(app.number)).status_code == 404
    assert client_for(app.applicant).get(url(app.number)).status_code == 200
    assert APIClient().get("/api/v1/applications").status_code in (401, 403)


def test_reviews_api_inbox_and_opinion(clerk):
    d1, d2 = DepartmentFactory(), DepartmentFactory()
    matter = MatterFactory()
    matter.review_departments.set([d1, d2])
    app = s.application_accept(application=draft(clerk=clerk, matter=matter), actor=clerk)
    r1 = ReviewerFactory(department=d1, center=clerk.center)
    inbox = client_for(r1).get("/api/v1/reviews").json()
    assert [(i["application_number"], i["department_code"]) for i in inbox] == [(app.number, d1.code)]
    other_review = app.reviews.get(department=d2)
    r = client_for(r1).post(f"/api/v1/reviews/{other_review.pk}/opinion", {"opinion": "agree"}, format="json")
    assert r.status_code == 404
    r = client_for(r1).post(
        f"/api/v1/reviews/{inbox[0]['id']}/opinion", {"opinion": "disagree"}, format="json"
    )
    assert r.status_code == 400 and r.json()["error"]["code"] == "application.invalid_input"
    r = client_for(r1).post(f"/api/v1/reviews/{inbox[0]['id']}/opinion", {"opinion": "agree"}, format="json")
    assert r.status_code == 200 and r.json()["opinion"] == "agree"
    assert client_for(clerk).get("/api/v1/reviews").status_code == 403


def test_extension_decision_needs_a_manager(clerk, center):
    app = s.application_accept(application=draft(clerk=clerk), actor=clerk)
    c = client_for(clerk)
    body = c.post(url(app.number, "extensions"), {"days": 5, "reason": "现场核查"}, format="json").json()
    ext_id = body["extensions"][0]["id"]
    r = c.post(url(app.number, f"extensions/{ext_id}/decision"), {"approve": True}, format="json")
    assert r.status_code == 403
    r = client_for(ManagerFactory(center=center)).post(
        url(app.number, f"extensions/{ext_id}/decision"), {"approve": True}, format="json"
    )
    assert r.status_code == 200 and r.json()["extension_days"] == 5


def test_progress_endpoint_is_public_but_needs_the_last_four(clerk):
    app = draft(clerk=clerk)
    c = APIClient()
    r = c.get("/api/v1/applications/progress", {"number": app.number, "id_last4": app.applicant_id_last4})
    assert r.status_code == 200 and r.json()["status"] == "draft"
    r = c.get("/api/v1/applications/progress", {"number": app.number, "id_last4": "9999"})
    assert r.status_code == 404


def test_list_query_count_is_flat(clerk, django_assert_num_queries):
    matter = MatterFactory()
    for _ in range(3):
        draft(clerk=clerk, matter=matter)
    c = client_for(clerk)
    # the catalog's codes and names (kept per process, dropped when the catalog changes), the page;
    # force_authenticate: no session or token read
    with django_assert_num_queries(2):
        r = c.get("/api/v1/applications")
    assert len(r.json()) == 3
    with django_assert_num_queries(1):  # one list query
        c.get("/api/v1/applications")
    for _ in range(5):
        draft(clerk=clerk, matter=MatterFactory())
    with django_assert_num_queries(2):  # new matters: the labels are read again
        r = c.get("/api/v1/applications?limit=50")
    assert len(r.json()) == 8
    with django_assert_num_queries(1):
        assert c.get("/api/v1/applications?limit=50").json() == r.json()


def test_list_paging_beyond_a_database_number_is_a_clear_400(clerk):
    """An offset too large for the database (found probing the API) was a 500 on SQLite."""
    draft(clerk=clerk)
    c = client_for(clerk)
    r = c.get("/api/v1/applications?offset=100000000000000000000")
    assert r.status_code == 400 and "offset" in r.json()["error"]["details"], r.json()
    r = c.get("/api/v1/applications?offset=abc")
    assert r.status_code == 400
    assert c.get("/api/v1/applications?offset=999999999999999999").json() == []
    assert len(c.get("/api/v1/applications?offset=0").json()) == 1


def test_list_rows_are_exactly_what_the_documented_serializer_gives(clerk):
    """The list's hot path builds plain dicts; the OpenAPI file documents ApplicationListOut.
    Both must give the same JSON for every kind of row (draft, accepted with a deadline, bundle part)."""
    import json

    from django.utils import translation
    from rest_framework.renderers import JSONRenderer

    from tongban.applications.api import serializers as ser
    from tongban.applications.selectors import applications_page, applications_page_rows

    matter = MatterFactory(guide__materials=1, guide__promised_days=3)
    draft(clerk=clerk, matter=matter)
    s.application_accept(application=draft(clerk=clerk, matter=matter), actor=clerk)
    bundle = BundleFactory(matters=[MatterFactory(), MatterFactory()])
    s.application_create(
        actor=clerk, applicant=resident(), center=clerk.center, channel="window", bundle=bundle
    )
    models = list(applications_page(user=clerk, limit=50).select_related("matter", "center", "department"))
    rows = applications_page_rows(user=clerk, limit=50)
    assert len(rows) == len(models) == 4
    render = JSONRenderer().render
    expected = json.loads(render(ser.ApplicationListOut(models, many=True).data))
    assert json.loads(render(ser.list_rows(rows))) == expected
    with translation.override("en"):  # labels in the reader's language, looked up once per page
        english = json.loads(render(ser.ApplicationListOut(models, many=True).data))
        assert json.loads(render(ser.list_rows(rows))) == english
    assert {r["status_label"] for r in english} != {r["status_label"] for r in expected}
    assert {row["status"] for row in expected} == {"draft", "accepted"}
    assert any(row["deadline"]["due_date"] for row in expected)
    assert any(row["bundle_case"] for row in expected)


def test_shared_detail_serializer_renders_each_case_like_a_fresh_one(clerk):
    """Case answers reuse one ApplicationDetailOut (building its fields cost more than the case).
    For a case with everything - one-time notice, parallel reviews (one answered), a suspension,
    an extension - and for a plain draft rendered right after it, the output must equal a fresh
    serializer's: no state carried from one case to the next."""
    import json

    from rest_framework.renderers import JSONRenderer

    from tongban.applications.api import serializers as ser
    from tongban.applications.api.views import detail_queryset

    d1, d2 = DepartmentFactory(), DepartmentFactory()
    matter = MatterFactory(guide__materials=2)
    matter.review_departments.set([d1, d2])
    rich = draft(clerk=clerk, matter=matter)
    s.application_request_supplement(
        application=rich, actor=clerk, items=[s.SupplementItem(problem="复印件不清晰", name="户口簿")]
    )
    s.application_supplement_received(application=rich, actor=clerk)
    s.application_accept(application=rich, actor=clerk)
    review = rich.reviews.get(department=d1)
    s.review_give_opinion(
        review=review, actor=ReviewerFactory(department=d1, center=clerk.center), opinion="agree", text="同意"
    )
    s.application_suspend(application=rich, actor=clerk, kind="expert", reason="专家评审")
    s.application_resume(application=rich, actor=clerk)
    s.application_request_extension(application=rich, actor=clerk, days=5, reason="需现场核查")
    plain = draft(clerk=clerk)
    render = JSONRenderer().render
    for app in detail_queryset().filter(pk__in=[rich.pk, plain.pk]).order_by("pk"):
        expected = json.loads(render(ser.ApplicationDetailOut(app).data))
        assert json.loads(render(ser.detail_data(app))) == expected
    rich_out = ser.detail_data(detail_queryset().get(pk=rich.pk))
    assert rich_out["supplement_notice"] and rich_out["suspensions"] and rich_out["extensions"]
    assert sorted(r["opinion"] for r in rich_out["reviews"]) == ["", "agree"]


def test_detail_query_count_is_pinned(clerk, django_assert_num_queries):
    app = s.application_accept(application=draft(clerk=clerk), actor=clerk)
    c = client_for(clerk)
    with django_assert_num_queries(7):  # visible lookup, case+joins, 5 prefetches
        r = c.get(url(app.number))
    assert r.status_code == 200


def test_bundle_intake_by_api(clerk):
    m1, m2 = MatterFactory(), MatterFactory()
    bundle = BundleFactory(matters=[m1, m2])
    r = client_for(clerk).post(
        "/api/v1/applications",
        {
            "bundle_code": bundle.code,
            "applicant": {"id_number": valid_id(), "name": "李梅"},
            "channel": "window",
        },
        format="json",
    )
    assert r.status_code == 201
    assert [(p["matter_code"], p["bundle_case"]) for p in r.json()] == [
        (m1.code, r.json()[0]["number"][:-2]),
        (m2.code, r.json()[0]["number"][:-2]),
    ]
    # the applicant's registration is in the audit log, before the parts' creation
    actions = list(AuditEntry.objects.order_by("seq").values_list("action", flat=True))
    assert actions[:3] == [
        "applications.applicant.register",
        "applications.application.create",
        "applications.application.create",
    ]


@pytest.mark.parametrize("accept", [False, True])
def test_the_applicant_look_up_is_audited_with_the_case(clerk, accept):
    """The API writes the look-up's entry in the case's own statement (PostgreSQL) or transaction: a
    draft, an accepted case, and a look-up of someone already registered all leave it."""
    matter = MatterFactory(guide__materials=1)
    types = list(matter.current_version.materials.values_list("material_type_id", flat=True))
    person = {"id_number": valid_id(), "name": "李梅"}
    payload = {"matter_code": matter.code, "applicant": person, "channel": "window", "accept": accept}
    payload["materials"] = [{"material_type_id": t} for t in types]
    c = client_for(clerk)
    for expected in ("applications.applicant.register", "applications.applicant.lookup"):
        r = c.post("/api/v1/applications", payload, format="json")
        assert r.status_code == 201
        app = Application.objects.get(number=r.json()[0]["number"])
        entry = AuditEntry.objects.filter(action=expected).get()
        assert (entry.object_id, entry.actor_id, entry.data) == (str(app.applicant_id), clerk.pk, {})
        assert (
            entry.seq
            < AuditEntry.objects.get(action="applications.application.create", object_id=str(app.pk)).seq
        )


def test_create_and_accept_in_one_step_is_all_or_nothing(clerk):
    matter = MatterFactory(guide__materials=2)
    types = list(matter.current_version.materials.values_list("material_type_id", flat=True))
    c = client_for(clerk)
    payload = {
        "matter_code": matter.code,
        "applicant": {"id_number": valid_id(), "name": "李梅"},
        "channel": "window",
        "accept": True,
        "materials": [{"material_type_id": types[0]}],
    }
    r = c.post("/api/v1/applications", payload, format="json")
    assert r.status_code == 400 and r.json()["error"]["code"] == "application.material_missing"
    assert Application.objects.count() == 0
    payload["materials"] = [{"material_type_id": t} for t in types]
    r = c.post("/api/v1/applications", payload, format="json")
    assert r.status_code == 201 and r.json()[0]["status"] == "accepted"


def test_one_step_intake_query_budget(clerk, django_assert_max_num_queries):
    """Pinned so it only goes down: see bench/README.md (applications) for why it matters."""
    matter = MatterFactory(guide__materials=2)
    types = list(matter.current_version.materials.values_list("material_type_id", flat=True))
    payload = {
        "matter_code": matter.code,
        "applicant": {"id_number": valid_id(), "name": "李梅"},
        "channel": "window",
        "accept": True,
        "materials": [{"material_type_id": t} for t in types],
    }
    c = client_for(clerk)
    c.post("/api/v1/applications", payload, format="json")  # registers the applicant
    before = AuditEntry.objects.count()
    c.force_authenticate(User.objects.get(pk=clerk.pk))  # a fresh clerk, as a token gives: nothing cached
    # 9 = the view's transaction (a savepoint inside the test's: 2), the applicant look-up and its
    # audit entry, the number, the case, checklist, history and audit INSERTs; the matter, guide
    # and center come from the catalog cache (filled by the first request). On PostgreSQL 5: the
    # look-up, the case's key from its sequence, then one statement that takes the number and writes
    # the case with its checklist, history and audit entries, the look-up's entry among them.
    from django.db import connection

    postgresql = connection.vendor == "postgresql"
    with django_assert_max_num_queries(5 if postgresql else 9) as captured:
        r = c.post("/api/v1/applications", payload, format="json")
    assert r.status_code == 201
    if postgresql:
        # the center's counter stays locked until commit: the statement that takes it is the last
        statements = [q["sql"] for q in captured.captured_queries if "SAVEPOINT" not in q["sql"]]
        assert "applications_casenumbersequence" in statements[-1]
        assert "applications_applicationmaterial" in statements[-1]
        assert not any("applications_casenumbersequence" in q for q in statements[:-1])
    assert Application.objects.get(number=r.json()[0]["number"]).window_id == clerk.default_window_id
    # three audit entries: applicant look-up (a sensitive read), then create + accept in one INSERT
    inserts = sum('INSERT INTO "core_auditentry"' in q["sql"] for q in captured.captured_queries)
    assert inserts == (1 if postgresql else 2)
    assert list(AuditEntry.objects.order_by("seq").values_list("action", flat=True)[before:]) == [
        "applications.applicant.lookup",
        "applications.application.create",
        "applications.application.accept",
    ]


@pytest.mark.parametrize("accept", [False, True])
def test_intake_answer_equals_the_case_read_back(clerk, accept):
    """Intake answers from what it just wrote instead of re-reading the case: the answer must be
    exactly what GET /applications/<number> then shows — materials, history, parallel reviews."""
    matter = MatterFactory(guide__materials=2, guide__promised_days=4)
    matter.review_departments.set([DepartmentFactory(code="ZZ-B"), DepartmentFactory(code="ZZ-A")])
    types = list(matter.current_version.materials.values_list("material_type_id", flat=True))
    c = client_for(clerk)
    r = c.post(
        "/api/v1/applications",
        {
            "matter_code": matter.code,
            "applicant": {"id_number": valid_id(), "name": "李梅"},
            "channel": "window",
            "accept": accept,
            "materials": [{"material_type_id": t} for t in (types if accept else types[:1])],
        },
        format="json",
    )
    assert r.status_code == 201, r.content
    (answer,) = r.json()
    assert answer == c.get(url(answer["number"])).json()
    if accept:
        assert answer["status"] == "under_review"
        assert [h["to_status"] for h in answer["history"]] == ["draft", "accepted", "under_review"]
        assert [rv["department_code"] for rv in answer["reviews"]] == ["ZZ-A", "ZZ-B"]
    else:
        assert [m["state"] for m in answer["materials"]].count("received") == 1


def test_bundle_intake_answer_equals_the_parts_read_back(clerk):
    m1, m2 = MatterFactory(guide__materials=1), MatterFactory(guide__materials=1)
    bundle = BundleFactory(matters=[m1, m2])
    types = {
        t for m in (m1, m2) for t in m.current_version.materials.values_list("material_type_id", flat=True)
    }
    c = client_for(clerk)
    for accept in (False, True):
        r = c.post(
            "/api/v1/applications",
            {
                "bundle_code": bundle.code,
                "applicant": {"id_number": valid_id(), "name": "李梅"},
                "channel": "window",
                "accept": accept,
                "materials": [{"material_type_id": t} for t in types],
            },
            format="json",
        )
        assert r.status_code == 201, r.content
        assert r.json() == [c.get(url(part["number"])).json() for part in r.json()]


def test_staff_without_second_factor_is_stopped_when_required(clerk, settings):
    settings.STAFF_2FA_REQUIRED = True
    app = draft(clerk=clerk)
    c = APIClient()
    c.force_login(clerk)  # password only: no OTP device verified in this session
    r = c.post(url(app.number, "accept"), {}, format="json")
    assert r.status_code in (401, 403)
    app.refresh_from_db()
    assert app.status == Status.DRAFT
    page = c.get(f"/cases/{app.number}/")
    assert page.status_code == 302 and "/accounts/" in page["Location"]

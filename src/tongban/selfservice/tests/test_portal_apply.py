"""Apply online, my cases, supplement uploads, PDFs — and resident A never sees resident B's case."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tongban.accounts.tests.factories import ResidentFactory
from tongban.applications.models import Application, Attachment
from tongban.catalog.models import Bundle, Center, Matter
from tongban.catalog.tests.factories import CenterFactory

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def center(catalog):
    return CenterFactory(code="C-PORTAL", name="长白新村街道社区事务受理服务中心")


@pytest.fixture
def resident_a():
    return ResidentFactory(display_name="张三", id_number="310110195103070019")


@pytest.fixture
def resident_b():
    return ResidentFactory(display_name="李四", id_number="11010519491231002X")


def _material_type_id(matter_code, name):
    matter = Matter.objects.get(code=matter_code)
    return matter.current_version.materials.get(name=name).material_type_id


def _required_files(code, *, but=()):
    """A PDF for every required material of a matter (or a bundle's shared list), except those named."""
    if Matter.objects.filter(code=code).exists():
        rows = Matter.objects.get(code=code).current_version.materials.filter(required=True)
        wanted = {m.material_type_id: m.name for m in rows}
    else:
        wanted = {}
        for item in Bundle.objects.get(code=code).items.select_related("matter"):
            for m in item.matter.current_version.materials.filter(required=True):
                wanted[m.material_type_id] = m.name
    return {
        f"material-{type_id}": SimpleUploadedFile(f"{type_id}.pdf", PDF, content_type="application/pdf")
        for type_id, name in wanted.items()
        if name not in but
    }


def _apply(
    client,
    center,
    *,
    action="submit",
    files=None,
    delivery="window",
    address="",
    code="T-RESIDENCE",
    complete=True,
):
    """Apply as the form does; a submission brings every required material unless ``complete`` is False."""
    data = {"center": center.pk, "delivery": delivery, "address": address, "action": action}
    if action == "submit" and complete:
        data.update(_required_files(code))
    data.update(files or {})
    return client.post(f"/portal/apply/{code}/", data)


def test_resident_applies_online_with_an_upload_and_sees_it_in_progress(client, center, resident_a):
    client.force_login(resident_a)
    page = client.get("/portal/apply/T-RESIDENCE/")
    assert page.status_code == 200
    assert "租赁合同" in page.content.decode()
    type_id = _material_type_id("T-RESIDENCE", "租赁合同")
    response = _apply(
        client,
        center,
        files={f"material-{type_id}": SimpleUploadedFile("lease.pdf", PDF, content_type="application/pdf")},
    )
    app = Application.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/portal/cases/{app.pk}/"
    assert (app.applicant, app.channel, app.status, app.center, app.matter.code) == (
        resident_a,
        "online",
        "submitted",
        center,
        "T-RESIDENCE",
    )
    attachment = Attachment.objects.get(material__name="租赁合同")  # with the other required ones
    assert (attachment.application, attachment.content_type) == (app, "application/pdf")
    assert Attachment.objects.filter(application=app).count() == len(_required_files("T-RESIDENCE"))
    case_page = client.get(f"/portal/cases/{app.pk}/").content.decode()
    assert app.number in case_page and "已提交" in case_page and "lease.pdf" in case_page
    assert app.number in client.get("/portal/cases/").content.decode()


def test_draft_is_saved_then_submitted_from_the_case_page(client, center, resident_a):
    client.force_login(resident_a)
    _apply(client, center, action="draft")
    app = Application.objects.get()
    assert app.status == "draft"
    type_id = _material_type_id("T-RESIDENCE", "照片")
    # the photo alone: the draft stays a draft, and the page names what is still missing
    refused = client.post(
        f"/portal/cases/{app.pk}/",
        {
            "action": "submit",
            f"material-{type_id}": SimpleUploadedFile("me.png", PNG, content_type="image/png"),
        },
        follow=True,
    )
    assert "还缺 2 项必需材料：居民身份证、租赁合同" in refused.content.decode()
    app.refresh_from_db()
    assert app.status == "draft" and not Attachment.objects.exists()  # one transaction: nothing kept
    response = client.post(
        f"/portal/cases/{app.pk}/",
        {
            "action": "submit",
            **_required_files("T-RESIDENCE", but=("照片",)),
            f"material-{type_id}": SimpleUploadedFile("me.png", PNG, content_type="image/png"),
        },
    )
    assert response.status_code == 302
    app.refresh_from_db()
    assert app.status == "submitted"
    assert Attachment.objects.get(material__name="照片").original_name == "me.png"


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("lease.pdf", b"MZ\x90\x00 not a pdf", "只能上传 PDF、JPG 或 PNG 文件"),
        ("lease.png", PDF, "扩展名须与内容一致"),
    ],
)
def test_a_rejected_upload_leaves_no_draft(client, center, resident_a, name, data, message):
    client.force_login(resident_a)
    type_id = _material_type_id("T-RESIDENCE", "租赁合同")
    response = _apply(client, center, files={f"material-{type_id}": SimpleUploadedFile(name, data)})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Application.objects.count() == 0 and Attachment.objects.count() == 0


def test_too_large_upload_is_refused(client, center, resident_a, settings):
    settings.UPLOAD_MAX_BYTES = 1024 * 1024
    client.force_login(resident_a)
    type_id = _material_type_id("T-RESIDENCE", "租赁合同")
    big = SimpleUploadedFile("lease.pdf", PDF + b"0" * (1024 * 1024))
    response = _apply(client, center, files={f"material-{type_id}": big})
    assert response.status_code == 400
    assert "文件超过 1 MB" in response.content.decode()
    assert Application.objects.count() == 0


def test_post_delivery_needs_an_address(client, center, resident_a):
    client.force_login(resident_a)
    response = _apply(client, center, delivery="post")
    assert response.status_code == 400 and "邮寄送达须填写地址" in response.content.decode()
    response = _apply(client, center, delivery="post", address="上海市杨浦区长白路1号")
    assert response.status_code == 302
    assert Application.objects.get().delivery == "post"


def test_a_window_only_matter_cannot_be_applied_for_online(client, center, resident_a):
    client.force_login(resident_a)
    assert client.get("/portal/apply/T-BOOKLET/").status_code == 409
    assert _apply(client, center, code="T-BOOKLET").status_code == 409
    assert Application.objects.count() == 0


def test_bundle_applies_once_with_shared_materials_uploaded_once(client, center, resident_a):
    client.force_login(resident_a)
    type_id = (
        Matter.objects.get(code="T-BIRTH-INS")
        .current_version.materials.get(name="出生医学证明")
        .material_type_id
    )
    response = client.post(
        "/portal/apply-bundle/T-B-BIRTH/",
        {
            "center": center.pk,
            "delivery": "window",
            "action": "submit",
            **_required_files("T-B-BIRTH", but=("出生医学证明",)),
            f"material-{type_id}": SimpleUploadedFile("b.pdf", PDF, content_type="application/pdf"),
        },
    )
    assert response.status_code == 302
    apps = list(Application.objects.order_by("number"))
    assert [a.matter.code for a in apps] == ["T-BIRTH-INS", "T-MATERNITY", "T-SSCARD"]
    assert {a.bundle_case.bundle for a in apps} == {Bundle.objects.get(code="T-B-BIRTH")}
    assert all(a.status == "submitted" for a in apps)
    # the birth certificate is needed by two of the three parts: one upload, attached to each
    assert sorted(
        a.application.matter.code for a in Attachment.objects.filter(material__name="出生医学证明")
    ) == ["T-BIRTH-INS", "T-MATERNITY"]


def test_resident_a_never_sees_resident_b_case(client, center, resident_a, resident_b):
    client.force_login(resident_b)
    _apply(client, center)
    b_case = Application.objects.get(applicant=resident_b)
    client.force_login(resident_a)
    assert b_case.number not in client.get("/portal/cases/").content.decode()
    assert client.get(f"/portal/cases/{b_case.pk}/").status_code == 404
    assert client.get(f"/portal/cases/{b_case.pk}/receipt.pdf").status_code == 404
    type_id = _material_type_id("T-RESIDENCE", "照片")
    response = client.post(
        f"/portal/cases/{b_case.pk}/",
        {
            "action": "upload",
            f"material-{type_id}": SimpleUploadedFile("x.png", PNG, content_type="image/png"),
        },
    )
    assert response.status_code == 404
    assert not Attachment.objects.filter(application=b_case, original_name="x.png").exists()
    assert client.get(f"/api/v1/guide/search?q={b_case.number}").json()["results"] == []


def test_receipt_pdf_downloads_for_my_submitted_case(client, center, resident_a):
    client.force_login(resident_a)
    _apply(client, center)
    app = Application.objects.get()
    response = client.get(f"/portal/cases/{app.pk}/receipt.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert client.get(f"/portal/cases/{app.pk}/result.pdf").status_code == 404  # not decided yet


def test_staff_and_anonymous_get_no_case_pages(client, center, resident_a):
    from tongban.accounts.tests.factories import ClerkFactory

    client.force_login(resident_a)
    _apply(client, center)
    app = Application.objects.get()
    client.logout()
    assert client.get(f"/portal/cases/{app.pk}/").status_code == 302
    client.force_login(ClerkFactory(center=Center.objects.get(code="C-PORTAL")))
    assert client.get(f"/portal/cases/{app.pk}/").status_code == 403


def test_a_submission_without_a_required_material_says_which_and_creates_nothing(client, center, resident_a):
    """Told exactly what is missing the first time: the form names every required material not uploaded,
    marks each, and opens no case. A draft may still be saved without them."""
    client.force_login(resident_a)
    files = _required_files("T-RESIDENCE", but=("照片", "租赁合同"))
    response = _apply(client, center, complete=False, files=files)
    html = response.content.decode()
    assert response.status_code == 400 and not Application.objects.exists()
    assert "还缺 2 项必需材料：租赁合同、照片" in html
    assert html.count("请上传此项必需材料") == 2
    draft = _apply(client, center, action="save")
    assert draft.status_code == 302 and Application.objects.get().status == "draft"


def test_a_refused_case_shows_its_reason_and_where_to_ask(client, center, resident_a):
    """'不予受理' alone leaves a resident guessing: the page gives the reason, its basis and a next step."""
    from tongban.accounts.tests.factories import ClerkFactory
    from tongban.applications.services import application_refuse

    client.force_login(resident_a)
    _apply(client, center)
    app = Application.objects.get()
    application_refuse(
        application=app,
        actor=ClerkFactory(center=center),
        reason="户籍不在本街道，请到户籍所在地街道办理",
        legal_basis="《上海市居住证管理办法》第十条",
    )
    html = client.get(f"/portal/cases/{app.pk}/").content.decode()
    assert 'id="case-refused"' in html and "户籍不在本街道，请到户籍所在地街道办理" in html
    assert "《上海市居住证管理办法》第十条" in html and "12345" in html

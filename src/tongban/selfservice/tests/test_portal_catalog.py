"""Portal catalog pages: browse, search, the guide as a checklist, bundles with shared materials once."""

import pytest

from tongban.catalog.models import Matter

pytestmark = pytest.mark.django_db


def test_home_lists_bundles_and_matters(client, catalog, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        response = client.get("/portal/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "出生一件事" in html and "居住证申领" in html
    assert html.count("可网办") == 5


def test_home_search_uses_the_guide(client, catalog):
    html = client.get("/portal/", {"q": "孩子刚出生要办什么"}).content.decode()
    assert "为什么：" in html and "/portal/bundles/T-B-BIRTH/" in html


def test_matter_page_is_a_checklist_with_apply_under_it(client, catalog):
    html = client.get("/portal/matters/T-RESIDENCE/").content.decode()
    assert "要带的材料" in html
    for material in ("居民身份证", "租赁合同", "照片"):
        assert material in html
    assert "承诺办结（工作日）" in html and "到现场次数" in html


def test_inactive_or_unknown_matter_is_404(client, catalog):
    Matter.objects.filter(code="T-DIBAO").update(active=False)
    assert client.get("/portal/matters/T-DIBAO/").status_code == 404
    assert client.get("/portal/matters/NOPE/").status_code == 404
    assert client.get("/portal/bundles/NOPE/").status_code == 404


def test_bundle_lists_shared_materials_once(client, catalog):
    from tongban.selfservice.selectors import portal_bundle_get

    bundle, matters, materials = portal_bundle_get(code="T-B-BIRTH")
    names = [m.name for m in materials]
    assert names == ["出生医学证明", "户口簿", "居民身份证", "照片"]
    birth_cert = materials[0]
    assert birth_cert.matters == ("新生儿参加城乡居民基本医疗保险", "生育保险待遇申领")
    html = client.get("/portal/bundles/T-B-BIRTH/").content.decode()
    assert html.count("出生医学证明") == 1
    # a part done on the spot reads 即办, not "0 个工作日"
    from tongban.catalog.models import GuideVersion

    GuideVersion.objects.filter(matter__code="T-SSCARD").update(promised_days=0)
    html = client.get("/portal/bundles/T-B-BIRTH/").content.decode()
    assert "即办" in html and "0 个工作日" not in html


def test_apply_needs_a_resident_sign_in(client, catalog):
    response = client.get("/portal/apply/T-RESIDENCE/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/resident/login/?next=%2Fportal%2Fapply%2FT-RESIDENCE%2F"


def test_staff_cannot_use_the_resident_portal(client, catalog):
    from tongban.accounts.tests.factories import ClerkFactory

    client.force_login(ClerkFactory())
    assert client.get("/portal/apply/T-RESIDENCE/").status_code == 403
    assert client.get("/portal/cases/").status_code == 403

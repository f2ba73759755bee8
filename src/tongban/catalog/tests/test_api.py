import pytest
from rest_framework.test import APIClient

from tongban.catalog.models import Matter
from tongban.catalog.services import guide_publish

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    return APIClient()


def test_matter_search_contract_and_query_count(demo_catalog, api, django_assert_num_queries):
    with django_assert_num_queries(3):  # synonyms, count, page
        response = api.get("/api/v1/matters", {"q": "病历本"})
    assert response.status_code == 200
    assert response["Cache-Control"] == "public, max-age=60"
    assert response.json() == {
        "count": 1,
        "results": [
            {
                "code": "YB-RECORD-BOOK",
                "name": "门急诊就医记录册申领、调换",
                "name_en": "Outpatient medical record booklet issue and exchange",
                "type": "public_service",
                "type_display": "公共服务",
                "department": "YP-YB",
                "department_name": "杨浦区医疗保障局",
                "group": "YB",
                "group_name": "医疗保险",
                "promised_days": 0,
                "statutory_days": 0,
                "visits": 1,
                "online": False,
                "version": 1,
            }
        ],
    }


def test_matter_list_pages_and_filters(demo_catalog, api, django_assert_num_queries):
    with django_assert_num_queries(2):  # no q: count, page
        body = api.get("/api/v1/matters", {"limit": 10, "offset": 40}).json()
    assert body["count"] == 45 and len(body["results"]) == 5
    body = api.get("/api/v1/matters", {"group": "CL", "online": "true"}).json()
    assert [r["code"] for r in body["results"]] == ["CL-CARD", "CL-SUBSIDY"]


def test_matter_list_rejects_bad_parameters(api, db):
    response = api.get("/api/v1/matters", {"limit": 0, "type": "nope"})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert set(error["details"]) == {"limit", "type"}


def test_matter_detail_with_guide_and_versions(demo_catalog, api, django_assert_num_queries):
    matter = Matter.objects.get(code="YB-MATERNITY")
    guide_publish(matter=matter, actor=None, changes={"promised_days": 8}, materials=None, note="压缩时限")
    with django_assert_num_queries(4):  # matter+department+group+guide, reviewers, materials, bundles
        body = api.get("/api/v1/matters/YB-MATERNITY").json()
    assert body["version"] == 2 and body["promised_days"] == 8
    assert body["review_departments"] == [
        {"code": "YP-RS", "name": "杨浦区人力资源和社会保障局"},
        {"code": "YP-YB", "name": "杨浦区医疗保障局"},
    ]
    assert body["bundles"] == [{"code": "BD-BIRTH", "name": "出生一件事"}]
    guide = body["guide"]
    assert (guide["version"], guide["current"], guide["promised_days"], guide["change_note"]) == (
        2,
        True,
        8,
        "压缩时限",
    )
    assert [m["material_type"] for m in guide["materials"]] == [
        "ID_CARD",
        "BIRTH_CERT",
        "FORM_MATERNITY",
        "BANK_ACCOUNT",
        "MARRIAGE_CERT",
    ]
    assert guide["materials"][4] == {
        "material_type": "MARRIAGE_CERT",
        "name": "结婚证",
        "form": "copy",
        "form_display": "复印件",
        "count": 1,
        "required": True,
        "rongque": True,
        "template_url": "",
        "notes": "可先受理，10个工作日内补交",
    }
    old = api.get("/api/v1/matters/YB-MATERNITY", {"version": 1}).json()["guide"]
    assert (old["version"], old["current"], old["promised_days"]) == (1, False, 10)
    versions = api.get("/api/v1/matters/YB-MATERNITY/versions").json()
    assert [(v["version"], v["current"], v["change_note"]) for v in versions] == [
        (2, True, "压缩时限"),
        (1, False, "演示目录"),
    ]


def test_unknown_codes_are_404_with_stable_codes(demo_catalog, api):
    cases = {
        "/api/v1/matters/NOPE": "catalog.matter_not_found",
        "/api/v1/matters/YB-NEWBORN?version=9": "catalog.guide_version_not_found",
        "/api/v1/matters/NOPE/versions": "catalog.matter_not_found",
        "/api/v1/bundles/NOPE": "catalog.bundle_not_found",
        "/api/v1/centers/NOPE": "catalog.center_not_found",
        "/api/v1/centers/NOPE/windows": "catalog.center_not_found",
    }
    for url, code in cases.items():
        response = api.get(url)
        assert response.status_code == 404, url
        assert response.json()["error"]["code"] == code
        assert "Cache-Control" not in response or "max-age=60" not in response["Cache-Control"]


def test_bundles_list_and_detail_with_deduplicated_materials(demo_catalog, api, django_assert_num_queries):
    with django_assert_num_queries(3):  # synonyms, bundles, items with matters
        body = api.get("/api/v1/bundles", {"q": "生孩子"}).json()
    # 出生一件事 names it; 退休一件事 only mentions 计划生育 (生孩子 → 生育), so it ranks after
    assert [b["code"] for b in body["results"]] == ["BD-BIRTH", "BD-RETIRE"]
    birth = body["results"][0]
    assert (birth["code"], birth["name"], birth["promised_days"], birth["visits"], birth["online"]) == (
        "BD-BIRTH",
        "出生一件事",
        15,
        1,
        True,
    )
    assert [m["code"] for m in birth["matters"]] == [
        "GA-BIRTH-HUKOU",
        "YB-NEWBORN",
        "RS-SSCARD",
        "YB-MATERNITY",
    ]
    assert api.get("/api/v1/bundles").json()["count"] == 3

    with django_assert_num_queries(4):  # bundle, its items+matters, items+guides for merging, materials
        detail = api.get("/api/v1/bundles/BD-BIRTH").json()
    names = [m["name"] for m in detail["materials"]]
    assert names.count("出生医学证明") == 1 and names.count("居民身份证") == 1
    birth_cert = detail["materials"][0]
    assert birth_cert["matters"] == ["GA-BIRTH-HUKOU", "YB-NEWBORN", "RS-SSCARD", "YB-MATERNITY"]
    assert [u["matter"] for u in birth_cert["uses"]] == birth_cert["matters"]


def test_centers_and_windows(demo_catalog, api, django_assert_num_queries):
    with django_assert_num_queries(2):
        centers = api.get("/api/v1/centers").json()
    assert [c["code"] for c in centers] == ["YP-CBXC", "YP-YJXC"]
    cbxc = centers[0]
    assert (cbxc["name"], cbxc["open_24h"]) == ("杨浦区长白新村街道社区事务受理服务中心", True)
    assert len(cbxc["zones"]) == 9 and cbxc["zones"][0]["kind"] == "consultation"
    assert api.get("/api/v1/centers/YP-YJXC").json()["opening_hours"]["sun"] == []
    with django_assert_num_queries(4):  # center, windows, groups, matters
        windows = api.get("/api/v1/centers/YP-CBXC/windows").json()
    assert [w["number"] for w in windows] == [1, 2, 3, 4, 5, 6, 7]
    assert windows[6]["kind"] == "specialised" and windows[6]["matter_groups"] == ["HJ"]
    assert (windows[1]["name"], windows[1]["name_en"]) == ("2号综合窗口", "Comprehensive window 2")
    assert set(windows[0]) == {
        "id",
        "number",
        "name",
        "name_en",
        "kind",
        "kind_display",
        "active",
        "matter_groups",
        "matters",
    }


def test_public_endpoints_ignore_credentials(demo_catalog, api):
    api.credentials(HTTP_AUTHORIZATION="Bearer not-a-real-token")
    assert api.get("/api/v1/matters").status_code == 200
    assert api.post("/api/v1/matters", {}).status_code == 405

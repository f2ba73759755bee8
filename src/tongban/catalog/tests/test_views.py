import pytest
from django.urls import reverse

from tongban.accounts.tests.factories import PASSWORD, AdminFactory, ClerkFactory
from tongban.catalog.models import GuideVersion, Matter
from tongban.catalog.services import guide_publish
from tongban.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_catalog_home_is_the_landing_door_and_lists_groups_and_bundles(
    demo_catalog, client, django_assert_max_num_queries
):
    assert reverse("catalog:home") == "/catalog/"
    with django_assert_max_num_queries(8):
        response = client.get("/catalog/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "共 45 个事项" in html
    for text in (
        "出生一件事",
        "退休一件事",
        "身后一件事",
        "社保与就业",
        "门急诊就医记录册申领、调换",
        "长白新村街道社区事务受理服务中心",
    ):
        assert text in html
    landing = client.get("/").content.decode()
    assert 'href="/catalog/"' in landing


def test_catalog_search_finds_colloquial_words_and_says_when_nothing_matches(demo_catalog, client):
    html = client.get("/catalog/", {"q": "病历本"}).content.decode()
    assert "门急诊就医记录册申领、调换" in html and "共 1 个事项" in html
    html = client.get("/catalog/", {"q": "火星移民"}).content.decode()
    assert "没有找到与“火星移民”相关的事项。" in html
    html = client.get("/catalog/", {"group": "CL"}).content.decode()
    assert "残疾人证申领（第二代）" in html and "新生儿城乡居民医保参保登记" not in html


def test_matter_page_reads_like_a_checklist(demo_catalog, client, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        response = client.get("/catalog/matters/YB-MATERNITY/")
    html = response.content.decode()
    for text in (
        "要带的材料（可逐项打勾）",
        "产妇本人居民身份证",
        "结婚证",
        "可先受理、后补交",
        "10 个工作日",
        "法定时限 20 个工作日",
        "1 次",
        "不收费",
        "杨浦区人力资源和社会保障局、杨浦区医疗保障局",
        "出生一件事",
        "12393",
    ):
        assert text in html, text
    assert "历史版本" not in html


def test_an_old_guide_version_stays_readable_and_is_marked(demo_catalog, client):
    matter = Matter.objects.get(code="GA-BIRTH-HUKOU")
    guide_publish(matter=matter, actor=None, changes={"promised_days": 0}, materials=None, note="改为即办")
    html = client.get("/catalog/matters/GA-BIRTH-HUKOU/", {"version": 1}).content.decode()
    assert "您在查看历史版本（第 1 版），它已被第 2 版取代" in html
    assert "3 个工作日" in html and "当场办结" not in html
    current = client.get("/catalog/matters/GA-BIRTH-HUKOU/").content.decode()
    assert "当场办结" in current and "改为即办" in current and "历史版本（" not in current


def test_bundle_and_center_pages(demo_catalog, client):
    html = client.get("/catalog/bundles/BD-DEATH/").content.decode()
    assert "身后一件事" in html and "居民死亡医学证明（推断）书" in html
    assert html.count("居民死亡医学证明（推断）书</span>") == 1
    assert "4 件事共用" in html
    html = client.get("/catalog/centers/YP-CBXC/").content.decode()
    for text in ("母婴室", "开水房", "24小时自助服务区", "7 号", "居住证与人口", "00:00—24:00"):
        assert text in html, text


def test_unknown_pages_are_404(demo_catalog, client):
    for url in (
        "/catalog/matters/NOPE/",
        "/catalog/matters/YB-NEWBORN/?version=7",
        "/catalog/bundles/NOPE/",
        "/catalog/centers/NOPE/",
    ):
        assert client.get(url).status_code == 404, url


def test_admin_publishes_a_new_version_and_old_versions_stay_read_only(demo_catalog, client):
    admin_user = AdminFactory(username="root", is_staff=True)
    assert client.login(username="root", password=PASSWORD)
    matter = Matter.objects.get(code="YB-RECORD-BOOK")
    url = reverse("admin:catalog_matter_publish", args=[matter.pk])
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "发布新版本：门急诊就医记录册申领、调换" in html and 'value="SS_CARD" selected' in html

    form = page.context["form"]
    formset = page.context["formset"]
    data = {}
    for name in form.fields:
        value = form[name].value()
        if isinstance(value, bool):
            if value:
                data[name] = "on"
        elif value is not None:
            data[name] = value
    data.update(
        {
            "promised_days": 1,
            "statutory_days": 5,
            "change_note": "可预约后到窗口领取",
            "steps_text": "取号\n领取",
            "delivery": ["window", "cabinet"],
        }
    )
    data.update(
        {
            "materials-TOTAL_FORMS": str(formset.total_form_count()),
            "materials-INITIAL_FORMS": str(formset.initial_form_count()),
            "materials-MIN_NUM_FORMS": "0",
            "materials-MAX_NUM_FORMS": "1000",
        }
    )
    for i, initial in enumerate(formset.initial):
        for key, value in initial.items():
            if value is True:
                data[f"materials-{i}-{key}"] = "on"
            elif value is not False:
                data[f"materials-{i}-{key}"] = value
    for i in range(
        formset.initial_form_count(), formset.total_form_count()
    ):  # blank rows as a browser posts them
        data.update(
            {f"materials-{i}-form": "original", f"materials-{i}-count": "1", f"materials-{i}-required": "on"}
        )
    data["materials-2-DELETE"] = "on"  # drop the agent's ID card
    response = client.post(url, data)
    if response.status_code != 302:
        ctx = response.context
        raise AssertionError((ctx["form"].errors, ctx["formset"].errors, [str(m) for m in ctx["messages"]]))
    matter.refresh_from_db()
    v2 = matter.current_version
    assert v2.statutory_days == 5
    assert (v2.version, v2.promised_days, v2.steps, v2.delivery_options, v2.published_by) == (
        2,
        1,
        ["取号", "领取"],
        ["window", "cabinet"],
        "root",
    )
    assert list(v2.materials.values_list("material_type__code", flat=True)) == ["SS_CARD", "RECORD_BOOK"]
    v1 = GuideVersion.objects.get(matter=matter, version=1)
    assert v1.promised_days == 0 and v1.materials.count() == 3
    assert AuditEntry.objects.filter(action="catalog.guide.publish", actor_id=admin_user.pk).count() == 1

    # published versions: viewable, never editable or deletable
    change = reverse("admin:catalog_guideversion_change", args=[v1.pk])
    assert client.get(change).status_code == 200
    assert client.post(change, {"promised_days": 9}).status_code == 403
    assert (
        client.post(reverse("admin:catalog_guideversion_delete", args=[v1.pk]), {"post": "yes"}).status_code
        == 403
    )
    assert client.get(reverse("admin:catalog_matter_delete", args=[matter.pk])).status_code == 403
    v1.refresh_from_db()
    assert v1.promised_days == 0


def test_admin_publish_shows_errors_and_refuses_unchanged(demo_catalog, client):
    AdminFactory(username="root2", is_staff=True)
    client.login(username="root2", password=PASSWORD)
    matter = Matter.objects.get(code="YB-NEWBORN")
    url = reverse("admin:catalog_matter_publish", args=[matter.pk])
    base = {
        "promised_days": 30,
        "statutory_days": 0,
        "visits": 1,
        "fees": "不收费",
        "complaint_phone": "12345",
        "change_note": "x",
        "materials-TOTAL_FORMS": "0",
        "materials-INITIAL_FORMS": "0",
        "materials-MIN_NUM_FORMS": "0",
        "materials-MAX_NUM_FORMS": "1000",
    }
    response = client.post(url, base)
    assert response.status_code == 200
    assert "承诺办结时限（工作日）：承诺时限（30）不能长于法定时限（0）" in response.content.decode()
    assert GuideVersion.objects.filter(matter=matter).count() == 1


def test_admin_changes_to_reference_data_are_audited(demo_catalog, client):
    AdminFactory(username="root3", is_staff=True)
    client.login(username="root3", password=PASSWORD)
    from tongban.catalog.models import Synonym

    syn = Synonym.objects.get(term="低保")
    response = client.post(
        reverse("admin:catalog_synonym_change", args=[syn.pk]),
        {"term": "低保", "expansions": "最低生活保障 救助"},
    )
    assert response.status_code == 302
    entry = AuditEntry.objects.get(action="catalog.synonym.update")
    assert entry.data == {"fields": ["expansions"]} and entry.object_id == str(syn.pk)


def test_clerks_cannot_open_the_catalog_admin(demo_catalog, client):
    ClerkFactory(username="clerk1", is_staff=True)
    client.login(username="clerk1", password=PASSWORD)
    matter = Matter.objects.get(code="YB-NEWBORN")
    response = client.get(reverse("admin:catalog_matter_publish", args=[matter.pk]))
    assert response.status_code == 403
    assert (
        client.post(
            reverse("admin:catalog_matter_publish", args=[matter.pk]), {"promised_days": 1}
        ).status_code
        == 403
    )
    assert GuideVersion.objects.filter(matter=matter).count() == 1


def test_admin_import_page_dry_runs_lists_errors_and_imports(demo_catalog, client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tongban.catalog.models import Department

    admin_user = AdminFactory(username="root4", is_staff=True)
    client.login(username="root4", password=PASSWORD)
    url = reverse("admin:catalog_matter_transfer")
    good = "departments:\n  - {code: YP-NEW, name: 杨浦区新部门}\n".encode()
    bad = "departments:\n  - {code: YP-NEW}\n  - {code: YP-NEW, name: 重复}\n".encode()

    html = client.post(url, {"file": SimpleUploadedFile("bad.yaml", bad), "dry_run": ""}).content.decode()
    assert "导入文件有 2 处错误，未导入任何内容" in html
    assert "departments[0] YP-NEW" in html and "必须填写" in html and "“YP-NEW”在文件中重复" in html
    assert not Department.objects.filter(code="YP-NEW").exists()

    html = client.post(url, {"file": SimpleUploadedFile("good.yaml", good), "dry_run": "on"}).content.decode()
    assert "试导入结果（未写入）" in html
    assert not Department.objects.filter(code="YP-NEW").exists()

    html = client.post(url, {"file": SimpleUploadedFile("good.yaml", good)}).content.decode()
    assert "导入完成。" in html
    assert Department.objects.get(code="YP-NEW").name == "杨浦区新部门"
    assert AuditEntry.objects.filter(action="catalog.import", actor_id=admin_user.pk).count() == 1

    html = client.post(url, {"file": SimpleUploadedFile("x.txt", b"hello")}).content.decode()
    assert "只接受 .yaml、.yml、.json 或 .csv 文件" in html

    response = client.get(reverse("admin:catalog_matter_export", args=["csv"]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="tongban-catalog-')
    assert response.content.decode().lstrip("\ufeff").startswith("matter,order,material_type")
    assert client.get(reverse("admin:catalog_matter_export", args=["xml"])).status_code == 403

    ClerkFactory(username="clerk2", is_staff=True)
    client.logout()
    client.login(username="clerk2", password=PASSWORD)
    assert client.get(url).status_code == 403

import pytest

from tongban.catalog.models import Bundle, Matter, Window
from tongban.catalog.selectors import (
    CenterNotFound,
    bundle_materials,
    bundle_summary,
    center_get,
    guide_get,
    matter_search,
    matters_for_window,
    synonym_expansions,
)
from tongban.catalog.services import guide_publish
from tongban.catalog.tests.factories import BundleFactory, MaterialTypeFactory, MatterFactory

pytestmark = pytest.mark.django_db


def codes(qs):
    return [m.code for m in qs]


def test_birth_bundle_lists_shared_materials_once(demo_catalog):
    bundle = Bundle.objects.get(code="BD-BIRTH")
    rows = bundle_materials(bundle=bundle)
    by_code = {r.material_type.code: r for r in rows}
    assert [r.material_type.code for r in rows] == [
        "BIRTH_CERT",
        "HUKOU",
        "ID_CARD",
        "MARRIAGE_CERT",
        "PHOTO_RECEIPT",
        "FORM_MATERNITY",
        "BANK_ACCOUNT",
    ]
    birth = by_code["BIRTH_CERT"]
    assert birth.matter_codes == ["GA-BIRTH-HUKOU", "YB-NEWBORN", "RS-SSCARD", "YB-MATERNITY"]
    assert (birth.form, birth.count, birth.required, birth.rongque) == ("original", 1, True, False)
    assert by_code["ID_CARD"].matter_codes == ["GA-BIRTH-HUKOU", "YB-NEWBORN", "RS-SSCARD", "YB-MATERNITY"]
    assert "生育保险待遇申领（生育生活津贴、生育医疗费补贴）：产妇本人居民身份证" in by_code["ID_CARD"].notes
    # 户口登记 wants the original marriage certificate, 生育金 a copy that may follow later
    marriage = by_code["MARRIAGE_CERT"]
    assert (marriage.form, marriage.required, marriage.rongque) == ("both", True, False)
    summary = bundle_summary(
        Bundle.objects.prefetch_related("items__matter__current_version").get(pk=bundle.pk)
    )
    assert (summary.matter_count, summary.promised_days, summary.visits, summary.online) == (4, 15, 1, True)


def test_bundle_material_merge_rules():
    a, b = MatterFactory(guide__materials=0), MatterFactory(guide__materials=0)
    MaterialTypeFactory(code="T1", name="材料一")
    MaterialTypeFactory(code="T2", name="材料二")
    guide_publish(
        matter=a,
        actor=None,
        changes={},
        note="",
        materials=[
            {"material_type": "T1", "form": "copy", "count": 1, "required": False},
            {"material_type": "T2", "form": "electronic", "rongque": True},
        ],
    )
    guide_publish(
        matter=b,
        actor=None,
        changes={},
        note="",
        materials=[
            {"material_type": "T1", "form": "copy", "count": 3, "rongque": True},
            {"material_type": "T2", "form": "original", "rongque": True},
        ],
    )
    rows = {r.material_type.code: r for r in bundle_materials(bundle=BundleFactory(matters=[a, b]))}
    assert (rows["T1"].form, rows["T1"].count, rows["T1"].required, rows["T1"].rongque) == (
        "copy",
        3,
        True,
        True,
    )
    assert (rows["T2"].form, rows["T2"].required, rows["T2"].rongque) == ("original", True, True)


def test_search_uses_names_keywords_synonym_rows_and_filters(demo_catalog):
    assert codes(matter_search(q="病历本")) == ["YB-RECORD-BOOK"]
    assert codes(matter_search(q="低保")) == ["MZ-DIBAO"]
    assert codes(matter_search(q="宝宝 医保")) == ["YB-NEWBORN"]
    assert codes(matter_search(q="yb-newborn")) == ["YB-NEWBORN"]
    assert codes(matter_search(q="生育金"))[0] == "YB-MATERNITY"
    assert set(codes(matter_search(q="居住证", group="HJ", online=False))) == {"GA-RP-PICKUP"}
    assert codes(matter_search(q="", department="YP-CL")) == ["CL-AIDS", "CL-CARD", "CL-SUBSIDY"]
    assert codes(matter_search(q="火星移民")) == []
    Matter.objects.filter(code="MZ-DIBAO").update(active=False)
    assert codes(matter_search(q="低保")) == []
    assert codes(matter_search(q="低保", include_inactive=True)) == ["MZ-DIBAO"]
    assert synonym_expansions("我想换个病历本") == {"门急诊就医记录册"}


def test_matters_for_window_follow_groups_and_single_assignments(demo_catalog):
    center = center_get("YP-CBXC")
    window1 = Window.objects.get(center=center, number=1)
    window7 = Window.objects.get(center=center, number=7)
    assert matters_for_window(window1).count() == 45
    assert set(codes(matters_for_window(window7))) == {
        "GA-RP-APPLY",
        "GA-RP-ENDORSE",
        "GA-RP-PICKUP",
        "GA-RP-REISSUE",
        "GA-RESIDENCE-REG",
        "GA-BIRTH-HUKOU",
        "GA-DEATH-HUKOU",
    }
    window7.matters.add(Matter.objects.get(code="YB-NEWBORN"))
    assert "YB-NEWBORN" in codes(matters_for_window(window7))
    assert matters_for_window(window7).count() == 8


def test_center_get_and_guide_get_raise_typed_not_found(demo_catalog):
    with pytest.raises(CenterNotFound) as exc:
        center_get("NOPE")
    assert (exc.value.status_code, exc.value.code) == (404, "catalog.center_not_found")
    matter = Matter.objects.get(code="YB-NEWBORN")
    assert guide_get(matter).version == 1
    assert guide_get(matter, 1).pk == matter.current_version_id
    with pytest.raises(Exception, match="catalog.guide_version_not_found"):
        guide_get(matter, 2)

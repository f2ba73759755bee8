import pytest
from freezegun import freeze_time

from tongban.accounts.tests.factories import AdminFactory
from tongban.catalog.models import GuideVersion, Material
from tongban.catalog.services import (
    GuideDraft,
    GuideInvalid,
    GuideUnchanged,
    guide_publish,
    guides_publish_bulk,
)
from tongban.catalog.tests.factories import DepartmentFactory, MaterialTypeFactory, MatterFactory
from tongban.core.audit import audit_verify
from tongban.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def _materials(version):
    return [
        (m.material_type.code, m.name, m.form, m.count, m.required, m.rongque)
        for m in version.materials.all()
    ]


@freeze_time("2026-03-02 10:00:00")
def test_publish_creates_next_version_and_leaves_the_old_one_untouched():
    matter = MatterFactory(guide__materials=2, guide__promised_days=5)
    v1 = matter.current_version
    v1_materials = _materials(v1)
    actor = AdminFactory(username="catalog-admin")

    v2 = guide_publish(
        matter=matter,
        actor=actor,
        changes={"promised_days": 3, "fees": "不收费"},
        materials=None,
        note="压缩时限",
    )

    assert (v2.version, v2.promised_days, v2.change_note, v2.published_by) == (
        2,
        3,
        "压缩时限",
        "catalog-admin",
    )
    assert v2.published_at.isoformat() == "2026-03-02T10:00:00+00:00"
    assert _materials(v2) == v1_materials  # materials=None keeps them (copied, not shared)
    assert set(v2.materials.values_list("pk", flat=True)).isdisjoint(
        v1.materials.values_list("pk", flat=True)
    )
    matter.refresh_from_db()
    assert matter.current_version_id == v2.pk
    v1.refresh_from_db()
    assert v1.promised_days == 5 and _materials(v1) == v1_materials
    entry = AuditEntry.objects.get(action="catalog.guide.publish")
    assert entry.actor_id == actor.pk
    assert entry.object_id == str(v2.pk)
    assert entry.data == {
        "matter": matter.code,
        "version": 2,
        "previous_version": 1,
        "changed_fields": ["promised_days"],
        "materials_changed": False,
        "note": "压缩时限",
    }
    assert audit_verify() == []


def test_publish_replaces_materials_in_the_given_order_with_defaults():
    matter = MatterFactory(guide__materials=1)
    id_card = MaterialTypeFactory(code="ID_CARD", name="居民身份证")
    birth = MaterialTypeFactory(code="BIRTH_CERT", name="出生医学证明")

    v2 = guide_publish(
        matter=matter,
        actor=None,
        changes={},
        materials=[
            {"material_type": "BIRTH_CERT", "form": "copy", "count": 2},
            {"material_type": id_card, "name": "监护人居民身份证", "rongque": True},
        ],
        note="调整材料",
    )

    assert _materials(v2) == [
        ("BIRTH_CERT", "出生医学证明", "copy", 2, True, False),
        ("ID_CARD", "监护人居民身份证", "original", 1, True, True),
    ]
    assert list(v2.materials.values_list("order", flat=True)) == [0, 1]
    assert birth.pk in v2.materials.values_list("material_type_id", flat=True)
    assert AuditEntry.objects.get(action="catalog.guide.publish").data["materials_changed"] is True


def test_first_publication_of_a_matter_without_a_guide_is_version_one():
    matter = MatterFactory.build(code="NEW-1", department=DepartmentFactory(), group=None)
    matter.save()
    v1 = guide_publish(
        matter=matter,
        actor=None,
        changes={"promised_days": 0, "visits": 0, "online": True},
        materials=[],
        note="首次发布",
    )
    assert (v1.version, v1.promised_days, v1.visits, v1.online, v1.fees) == (1, 0, 0, True, "不收费")
    assert matter.current_version == v1


def test_publishing_nothing_new_is_refused_and_writes_nothing():
    matter = MatterFactory(guide__materials=2, guide__promised_days=5)
    with pytest.raises(GuideUnchanged) as exc:
        guide_publish(matter=matter, actor=None, changes={"promised_days": 5}, materials=None, note="")
    assert exc.value.code == "catalog.guide_unchanged"
    assert GuideVersion.objects.filter(matter=matter).count() == 1
    assert not AuditEntry.objects.filter(action="catalog.guide.publish").exists()


def test_an_invalid_change_lists_every_problem_and_publishes_nothing():
    matter = MatterFactory(guide__materials=1, guide__statutory_days=20)
    MaterialTypeFactory(code="ID_CARD")
    with pytest.raises(GuideInvalid) as exc:
        guide_publish(
            matter=matter,
            actor=None,
            changes={
                "promised_days": 30,
                "delivery_options": ["drone"],
                "visits": 0,
                "online": False,
                "colour": "红",
            },
            materials=[
                {"material_type": "ID_CARD"},
                {"material_type": "ID_CARD"},
                {"material_type": "NOPE"},
                {"material_type": "ID_CARD_X", "required": False, "rongque": True},
                {
                    "material_type": "ID_CARD",
                    "count": 0,
                    "form": "fax",
                    "template_url": "javascript:alert(1)",
                },
            ],
            note="",
        )
    errors = {(e["field"], e["message"]) for e in exc.value.details["errors"]}
    assert exc.value.status_code == 400 and exc.value.code == "catalog.guide_invalid"
    assert errors == {
        ("colour", "未知字段"),
        ("promised_days", "承诺时限（30）不能长于法定时限（20）"),
        ("visits", "到现场 0 次即全程网办，须同时设置“可网上办理”"),
        ("delivery_options", "未知的送达方式：drone（可选：cabinet、electronic、post、window）"),
        ("materials[1].material_type", "材料类型“ID_CARD”在同一指南中重复"),
        ("materials[2].material_type", "材料类型“NOPE”不存在"),
        ("materials[3].material_type", "材料类型“ID_CARD_X”不存在"),
        ("materials[3].rongque", "容缺后补只适用于必需材料"),
        ("materials[4].material_type", "材料类型“ID_CARD”在同一指南中重复"),
        ("materials[4].form", "形式应为 both、copy、electronic、original 之一"),
        ("materials[4].count", "份数应为 1 到 20 之间的整数"),
        ("materials[4].template_url", "表格地址应以 https://、http:// 或 / 开头"),
    }
    assert all(e["record"] == matter.code for e in exc.value.details["errors"])
    assert GuideVersion.objects.filter(matter=matter).count() == 1
    assert Material.objects.filter(guide__matter=matter).count() == 1


def test_versions_keep_counting_and_each_keeps_its_own_content():
    matter = MatterFactory(guide__materials=0, guide__promised_days=10)
    for days in (9, 8, 7):
        guide_publish(
            matter=matter, actor=None, changes={"promised_days": days}, materials=None, note=f"{days}天"
        )
    assert list(
        GuideVersion.objects.filter(matter=matter).order_by("version").values_list("version", "promised_days")
    ) == [(1, 10), (2, 9), (3, 8), (4, 7)]


def test_bulk_publish_numbers_each_matter_on_its_own_and_audits_once(django_assert_max_num_queries):
    old = MatterFactory(guide__materials=1)
    guide_publish(matter=old, actor=None, changes={"promised_days": 4}, materials=None, note="v2")
    new = MatterFactory.build(code="NEW-2", department=DepartmentFactory(), group=None)
    new.save()
    MaterialTypeFactory(code="ID_CARD", name="居民身份证")
    drafts = [
        GuideDraft(matter=old, fields={"promised_days": 3}, materials=[{"material_type": "ID_CARD"}]),
        GuideDraft(matter=new, fields={"promised_days": 0, "visits": 0, "online": True}, materials=[]),
    ]
    with django_assert_max_num_queries(
        14
    ):  # constant in the number of drafts (savepoints and audit included)
        versions = guides_publish_bulk(drafts=drafts, actor=None, note="批量")
    assert [(v.matter.code, v.version) for v in versions] == [(old.code, 3), ("NEW-2", 1)]
    old.refresh_from_db()
    new.refresh_from_db()
    assert (old.current_version.promised_days, new.current_version.online) == (3, True)
    assert [m.material_type.code for m in old.current_version.materials.all()] == ["ID_CARD"]
    assert GuideVersion.objects.get(matter=old, version=2).promised_days == 4
    entry = AuditEntry.objects.get(action="catalog.guide.publish_bulk")
    assert entry.data == {
        "note": "批量",
        "published": [{"matter": old.code, "version": 3}, {"matter": "NEW-2", "version": 1}],
    }


def test_bulk_publish_lists_problems_of_every_draft_and_writes_nothing():
    a, b = MatterFactory(guide__materials=0), MatterFactory(guide__materials=0)
    with pytest.raises(GuideInvalid) as exc:
        guides_publish_bulk(
            drafts=[
                GuideDraft(matter=a, fields={"promised_days": None}, materials=[]),
                GuideDraft(matter=b, fields={"promised_days": 1}, materials=[{"material_type": "NOPE"}]),
            ],
            actor=None,
            note="",
        )
    assert [(e["record"], e["field"]) for e in exc.value.details["errors"]] == [
        (a.code, "promised_days"),
        (b.code, "materials[0].material_type"),
    ]
    assert GuideVersion.objects.filter(matter__in=[a, b]).count() == 2

"""Self-service test data: a small, realistic catalog for the 百事通 (independent of the demo YAML)."""

from __future__ import annotations

from django.utils import timezone

from tongban.catalog.models import Bundle, BundleItem, GuideVersion, Material, MaterialType, Matter, Synonym
from tongban.catalog.tests.factories import DepartmentFactory

MATTERS = [
    # code, name, keywords, synonyms, materials, online
    (
        "T-BIRTH-INS",
        "新生儿参加城乡居民基本医疗保险",
        "新生儿 医保 参保",
        "宝宝医保",
        ["出生医学证明", "户口簿"],
        True,
    ),
    (
        "T-MATERNITY",
        "生育保险待遇申领",
        "生育金 生育津贴 生育医疗费",
        "生育金",
        ["居民身份证", "出生医学证明"],
        True,
    ),
    (
        "T-BOOKLET",
        "退休人员门急诊就医记录册调换",
        "就医记录册 医保",
        "病历卡",
        ["居民身份证", "旧就医记录册"],
        False,
    ),
    ("T-RESIDENCE", "居住证申领", "居住证 来沪 积分", "暂住证", ["居民身份证", "租赁合同", "照片"], True),
    ("T-RES-PICKUP", "居住证领取", "居住证 领取 取证 智能文件柜", "", ["受理回执"], False),
    ("T-SSCARD", "社会保障卡申领补换", "社保卡 补卡 换卡 挂失", "医保卡", ["居民身份证", "照片"], True),
    ("T-ELDERLY", "老年综合津贴申领", "老年 津贴 高龄 65周岁", "老人补贴", ["居民身份证", "银行卡"], True),
    ("T-DIBAO", "最低生活保障申请", "低保 困难 救助", "低保", ["户口簿", "收入证明"], False),
]
BUNDLES = [
    (
        "T-B-BIRTH",
        "出生一件事",
        "出生 新生儿 生育",
        "生孩子 添丁",
        ["T-BIRTH-INS", "T-MATERNITY", "T-SSCARD"],
    ),
    ("T-B-RETIRE", "退休一件事", "退休 养老金", "", ["T-BOOKLET", "T-SSCARD"]),
]
SYNONYMS = [
    ("病历本", "门急诊就医记录册 就医记录册"),
    ("生孩子", "生育 出生"),
    ("坐月子", "生育"),
    ("孩子出生", "出生 新生儿"),
]


def mini_catalog() -> None:
    dept = DepartmentFactory(code="T-DEPT", name="杨浦区医疗保障局")
    matters: dict[str, Matter] = {}
    for code, name, keywords, synonyms, materials, online in MATTERS:
        matter = Matter.objects.create(code=code, name=name, type=Matter.Type.PUBLIC_SERVICE, department=dept)
        guide = GuideVersion.objects.create(
            matter=matter,
            version=1,
            published_at=timezone.now(),
            promised_days=5,
            keywords=keywords,
            synonyms=synonyms,
            online=online,
            delivery_options=["window", "cabinet", "post"],
        )
        for i, material in enumerate(materials):
            mt, _ = MaterialType.objects.get_or_create(code=f"T-MT-{material}", defaults={"name": material})
            Material.objects.create(guide=guide, material_type=mt, name=material, order=i)
        matter.current_version = guide
        matter.save(update_fields=["current_version"])
        matters[code] = matter
    for code, name, keywords, synonyms, members in BUNDLES:
        bundle = Bundle.objects.create(code=code, name=name, keywords=keywords, synonyms=synonyms)
        for i, m in enumerate(members):
            BundleItem.objects.create(bundle=bundle, matter=matters[m], order=i)
    for term, expansions in SYNONYMS:
        Synonym.objects.create(term=term, expansions=expansions)

"""Generate a large synthetic catalog (default 5,000 matters) in real-style Chinese for the latency benchmark.

Names combine a subject (居住证, 社会保障卡, 残疾人证…), an action (申领, 补办, 变更…) and often a
qualifier (退休人员, 来沪人员…), with keywords, colloquial names and 2–6 materials, so the index has
the size and vocabulary shape of a city-wide catalog (Shanghai lists 3,700+ matters).
"""

from __future__ import annotations

import random

SUBJECTS = [
    "居住证",
    "社会保障卡",
    "残疾人证",
    "门急诊就医记录册",
    "老年综合津贴",
    "最低生活保障",
    "失业保险金",
    "生育保险待遇",
    "基本养老金",
    "城乡居民医疗保险",
    "长期护理保险",
    "独生子女父母光荣证",
    "优待证",
    "廉租住房",
    "临时救助",
    "特困供养",
    "居家养老服务补贴",
    "殡葬服务费用",
    "就业困难人员",
    "灵活就业参保",
    "户口",
    "出生医学证明",
    "计划生育奖励费",
    "助听器",
    "轮椅",
    "护理补贴",
    "医疗费用",
    "抚恤金",
    "丧葬补助金",
    "异地就医",
    "门诊大病",
    "社会保险",
    "住房租金补贴",
    "高龄津贴",
    "燃气补贴",
    "供暖补贴",
    "公共租赁住房",
    "职业技能培训补贴",
    "创业担保贷款",
    "见义勇为奖励",
    "法律援助",
    "调解",
    "老年人意外伤害保险",
    "助餐服务",
    "无障碍改造",
    "养老机构入住",
    "家庭医生签约",
    "预防接种证",
    "孕产妇建册",
    "学生医保",
]
ACTIONS = [
    "申领",
    "补办",
    "换领",
    "变更",
    "注销",
    "认定",
    "登记",
    "申请",
    "查询",
    "打印",
    "备案",
    "续签",
    "年审",
    "审核",
]
QUALIFIERS = [
    "",
    "",
    "",
    "退休人员",
    "来沪人员",
    "困难家庭",
    "重度残疾人",
    "新生儿",
    "老年人",
    "退役军人",
    "失独家庭",
    "在校学生",
    "外籍人员",
]
COLLOQUIAL = [
    "办证",
    "领钱",
    "补贴",
    "证丢了",
    "换新的",
    "到期了",
    "本子",
    "卡坏了",
    "没工作",
    "生孩子",
    "老人",
    "看病",
]
MATERIALS = [
    "居民身份证",
    "居民户口簿",
    "出生医学证明",
    "结婚证",
    "社会保障卡",
    "本人银行账户信息",
    "数码照片回执",
    "住所证明",
    "在沪就业或就读证明",
    "解除或终止劳动合同证明",
    "门急诊就医记录册",
    "医疗费用原始收据",
    "出院小结",
    "诊断证明",
    "死亡医学证明",
    "火化证明",
    "亲属关系证明",
    "家庭经济状况核对授权书",
    "家庭成员收入证明",
    "残疾人证",
    "退役证件",
    "授权委托书",
    "申请表",
    "租赁合同",
    "学生证",
]


def matter_rows(n: int, seed: int = 20261126) -> list[dict]:
    rnd = random.Random(seed)
    rows = []
    for i in range(n):
        subject = rnd.choice(SUBJECTS)
        action = rnd.choice(ACTIONS)
        qualifier = rnd.choice(QUALIFIERS)
        name = f"{qualifier}{subject}{action}"
        rows.append(
            {
                "code": f"GEN-{i:05d}",
                "name": f"{name}（{i % 97 + 1}类）",
                "keywords": " ".join({subject, action, rnd.choice(SUBJECTS)}),
                "synonyms": " ".join(rnd.sample(COLLOQUIAL, 2)),
                "materials": rnd.sample(MATERIALS, rnd.randint(2, 6)),
                "conditions": f"本市{qualifier or '居民'}符合{subject}相关规定的，可以申请{action}。",
                "online": rnd.random() < 0.6,
            }
        )
    return rows


def questions(n: int, seed: int = 7) -> list[str]:
    rnd = random.Random(seed)
    templates = [
        "{s}怎么{a}",
        "{q}{s}要带什么",
        "{s}{c}了怎么办",
        "我想{a}{s}",
        "{s}在哪里{a}",
        "请问{q}{s}{a}要多久",
    ]
    return [
        rnd.choice(templates).format(
            s=rnd.choice(SUBJECTS), a=rnd.choice(ACTIONS), q=rnd.choice(QUALIFIERS), c=rnd.choice(COLLOQUIAL)
        )
        for _ in range(n)
    ]


def load(n: int) -> None:
    """Bulk-insert ``n`` matters with published guides and materials (Django must be set up)."""
    from django.db import transaction
    from django.utils import timezone

    from tongban.catalog.models import Department, GuideVersion, Material, MaterialType, Matter

    dept, _ = Department.objects.get_or_create(code="GEN-DEPT", defaults={"name": "生成数据部门"})
    types = {
        name: MaterialType.objects.get_or_create(code=f"GEN-{k}", defaults={"name": name})[0]
        for k, name in enumerate(MATERIALS)
    }
    rows = matter_rows(n)
    now = timezone.now()
    with transaction.atomic():
        matters = Matter.objects.bulk_create(
            [
                Matter(code=r["code"], name=r["name"], type=Matter.Type.PUBLIC_SERVICE, department=dept)
                for r in rows
            ]
        )
        guides = GuideVersion.objects.bulk_create(
            [
                GuideVersion(
                    matter=m,
                    version=1,
                    published_at=now,
                    promised_days=5,
                    keywords=r["keywords"],
                    synonyms=r["synonyms"],
                    conditions=r["conditions"],
                    online=r["online"],
                )
                for m, r in zip(matters, rows, strict=True)
            ]
        )
        Material.objects.bulk_create(
            [
                Material(guide=g, material_type=types[name], name=name, order=k)
                for g, r in zip(guides, rows, strict=True)
                for k, name in enumerate(r["materials"])
            ]
        )
        for m, g in zip(matters, guides, strict=True):
            m.current_version = g
        Matter.objects.bulk_update(matters, ["current_version"], batch_size=1000)

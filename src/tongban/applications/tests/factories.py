"""Factories and helpers for applications tests."""

from __future__ import annotations

from typing import Any

from tongban.accounts.tests.factories import ClerkFactory, ResidentFactory
from tongban.applications.models import Application, ApplicationMaterial, Channel
from tongban.applications.services import MaterialTick, application_create
from tongban.catalog.tests.factories import CenterFactory, MatterFactory, WindowFactory

_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def valid_id(body17: str = "31011019900101123") -> str:
    """A GB 11643 number with the right check digit."""
    total = sum(int(a) * w for a, w in zip(body17, _WEIGHTS, strict=True)) % 11
    return body17 + "10X98765432"[total]


def resident(**kwargs: Any) -> Any:
    kwargs.setdefault("id_number", valid_id())
    return ResidentFactory(**kwargs)


def clerk_at(center: Any, **kwargs: Any) -> Any:
    window = WindowFactory(center=center)
    return ClerkFactory(center=center, default_window=window, **kwargs)


def draft(
    *, clerk: Any = None, applicant: Any = None, matter: Any = None, received: bool = True, **kwargs: Any
) -> Application:
    """A window draft for one matter, every material ticked as received unless ``received`` is False."""
    center = clerk.center if clerk else CenterFactory()
    clerk = clerk or clerk_at(center)
    matter = matter or MatterFactory()
    applicant = applicant or resident()
    ticks = []
    if received:
        assert matter.current_version is not None
        ticks = [
            MaterialTick(material_type_id=m.material_type_id) for m in matter.current_version.materials.all()
        ]
    (app,) = application_create(
        actor=clerk,
        applicant=applicant,
        center=center,
        channel=Channel.WINDOW,
        matter=matter,
        materials=ticks,
        **kwargs,
    )
    return app


def received_all(app: Application) -> list[MaterialTick]:
    return [
        MaterialTick(material_type_id=row.material_type_id)
        for row in ApplicationMaterial.objects.filter(application=app)
    ]


def demo_world() -> dict[str, Any]:
    """What the catalog and accounts demos provide, in miniature: center YP-CBXC, window1, manager,
    a 医保 reviewer, residents 张建国/李梅, and the 出生一件事 bundle sharing 身份证 + 出生医学证明."""
    from tongban.accounts.tests.factories import ManagerFactory, ReviewerFactory
    from tongban.catalog.models import Material
    from tongban.catalog.tests.factories import BundleFactory, DepartmentFactory, MaterialTypeFactory

    center = CenterFactory(code="YP-CBXC", name="杨浦区长白新村街道社区事务受理服务中心")
    yb = DepartmentFactory(code="YP-YB", name="杨浦区医疗保障局", review_days=3)
    rs = DepartmentFactory(code="YP-RS", name="杨浦区人力资源和社会保障局", review_days=5)
    gaj = DepartmentFactory(code="YP-GA", name="杨浦公安分局")
    id_card = MaterialTypeFactory(code="ID", name="居民身份证")
    birth = MaterialTypeFactory(code="BIRTH", name="出生医学证明")
    hukou = MaterialTypeFactory(code="HUKOU", name="户口簿")

    def matter(code: str, name: str, dept: Any, materials: list[Any], days: int) -> Any:
        m = MatterFactory(
            code=code, name=name, department=dept, guide__materials=0, guide__promised_days=days
        )
        for i, mt in enumerate(materials):
            Material.objects.create(guide=m.current_version, material_type=mt, name=mt.name, order=i)
        return m

    maternity = matter("SYJ", "生育生活津贴申领", rs, [id_card, birth], 10)
    maternity.review_departments.set([yb, rs])
    newborn = matter("XSEYB", "新生儿医保参保登记", yb, [id_card, birth, hukou], 5)
    permit = matter("JZZ", "居住证申领", gaj, [id_card], 7)
    matter("BLC", "门急诊就医记录册更换", yb, [id_card], 1)
    bundle = BundleFactory(code="CSYJS", name="出生一件事", matters=[maternity, newborn])
    window1 = WindowFactory(center=center, number=1)
    clerk = ClerkFactory(username="window1", center=center, default_window=window1, display_name="窗口一")
    manager = ManagerFactory(username="manager", center=center, phone="13900000001")
    reviewer = ReviewerFactory(username="reviewer", center=center, department=yb)
    reviewer_rs = ReviewerFactory(username="reviewer-rs", center=center, department=rs)
    zhang = resident(phone="13800000001", display_name="张建国", id_number=valid_id("31011019510307001"))
    li_mei = resident(phone="13800000002", display_name="李梅", id_number=valid_id("31011019920315002"))
    return {
        "center": center,
        "clerk": clerk,
        "manager": manager,
        "reviewer": reviewer,
        "reviewer_rs": reviewer_rs,
        "zhang": zhang,
        "li_mei": li_mei,
        "bundle": bundle,
        "permit": permit,
        "maternity": maternity,
        "newborn": newborn,
    }

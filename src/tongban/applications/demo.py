"""Demo cases, made through the services (idempotent: each case is found again by its demo marker).

* 出生一件事 for 李梅 (13800000002): a window draft with every material in but the
  birth certificate (出生医学证明), so a person can walk it: one-time notice → document
  received → accept → departments review in parallel → decide → ready for cabinet.
* 居住证 for 张建国 (13800000001): decided and ready for smart-cabinet delivery
  (the cabinet app deposits it).
* A few others: one supplement requested, one refused, one under review.

Depends on the catalog demo (center YP-CBXC, bundle 出生一件事, 居住证 matters) and the
accounts demo (window1, manager, residents); skips with a note when they are missing.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from tongban.accounts.models import Role, User
from tongban.applications import services
from tongban.applications.models import Application, ApplicationMaterial, DeliveryMethod
from tongban.catalog.models import Bundle, Center, Matter
from tongban.core.crypto import blind_index

CENTER = "YP-CBXC"
MARK = "演示数据:"


def _resident(phone: str) -> User | None:
    return User.objects.filter(phone_hash=blind_index(phone)).first()


def _existing(key: str) -> Application | None:
    return Application.objects.filter(note=MARK + key).order_by("pk").first()


def _matter(*names: str) -> Matter | None:
    for name in names:
        m = (
            Matter.objects.filter(active=True, current_version__isnull=False)
            .filter(Q(name=name) | Q(name__contains=name))
            .order_by("code")
            .first()
        )
        if m is not None:
            return m
    return None


def _all_received(app: Application) -> list[services.MaterialTick]:
    return [
        services.MaterialTick(material_type_id=t)
        for t in ApplicationMaterial.objects.filter(application=app).values_list(
            "material_type_id", flat=True
        )
    ]


def _single(
    *, key: str, clerk: User, applicant: User, center: Center, matter: Matter, delivery: str = "window"
) -> Application:
    existing = _existing(key)
    if existing is not None:
        return existing
    (app,) = services.application_create(
        actor=clerk,
        applicant=applicant,
        center=center,
        channel="window",
        matter=matter,
        delivery=delivery,
        note=MARK + key,
    )
    return app


def load(stdout: Any) -> None:
    center = Center.objects.filter(code=CENTER).first()
    clerk = User.objects.filter(username="window1").first()
    manager = User.objects.filter(username="manager").first()
    li_mei = _resident("13800000002")
    zhang = _resident("13800000001")
    bundle = Bundle.objects.filter(name__contains="出生一件事").first()
    if not all([center, clerk, manager, li_mei, zhang]):
        stdout.write("  applications: skipped (catalog/accounts demo data not loaded yet)")
        return
    assert center and clerk and manager and li_mei and zhang

    # Every department that reviews the bundle in parallel needs someone to answer in the demo: the
    # accounts demo has the 医保 reviewer; add one per other review department (reviewer-<dept code>).
    if bundle is not None:
        from django.conf import settings

        from tongban.accounts.services import user_create_staff
        from tongban.catalog.models import Department

        depts = Department.objects.filter(reviewed_matters__bundles=bundle).distinct().order_by("code")
        for dept in depts:
            if User.objects.filter(role=Role.REVIEWER, department=dept).exists():
                continue
            username = f"reviewer-{dept.code.lower()}"
            if not User.objects.filter(username=username).exists():
                user_create_staff(
                    actor=None,
                    username=username,
                    role=Role.REVIEWER,
                    display_name=f"{dept.short_name or dept.name}审核员",
                    password=settings.DEMO_PASSWORD,
                    center=center,
                    department=dept,
                )
                stdout.write(f"  {username:10} 部门审核人员 {dept.name}")

    # 1. 出生一件事: a draft at window 1 with every material but the birth certificate.
    if bundle is not None and _existing("newborn") is None:
        parts = services.application_create(
            actor=clerk,
            applicant=li_mei,
            center=center,
            channel="window",
            bundle=bundle,
            delivery=DeliveryMethod.CABINET,
            note=MARK + "newborn",
        )
        ticks = []
        for mt_id, name in ApplicationMaterial.objects.filter(application__in=parts).values_list(
            "material_type_id", "name"
        ):
            state = "missing" if "出生医学证明" in name else "received"
            ticks.append(services.MaterialTick(material_type_id=mt_id, state=state))
        services.application_tick_materials(application=parts[0], actor=clerk, ticks=ticks)
        stdout.write(f"  出生一件事 draft {parts[0].bundle_case} for 李梅 (one document missing)")

    # 2. 居住证: decided, ready for smart-cabinet delivery.
    permit = _matter("居住证申领", "居住证")
    if permit is not None:
        app = _single(
            key="permit-cabinet",
            clerk=clerk,
            applicant=zhang,
            center=center,
            matter=permit,
            delivery="cabinet",
        )
        if app.status == "draft":
            services.application_tick_materials(application=app, actor=clerk, ticks=_all_received(app))
            app = services.application_accept(application=app, actor=clerk)
            for review in app.reviews.all():  # if the catalog routes it to a department, it agrees
                reviewer = User.objects.filter(role=Role.REVIEWER, department_id=review.department_id).first()
                if reviewer is not None:
                    services.review_give_opinion(review=review, actor=reviewer, opinion="agree", text="")
            app.refresh_from_db()
            if (
                app.status in ("accepted", "under_review")
                and not app.reviews.filter(answered_at=None).exists()
            ):
                services.application_decide(
                    application=app, actor=clerk, outcome="approved", reason="符合申领条件"
                )
                services.application_mark_ready_for_delivery(application=app, actor=clerk, method="cabinet")
        app.refresh_from_db()
        stdout.write(f"  居住证 {app.number} for 张建国: {app.get_status_display()}")

    # 3. Some others, for the lists and the board.
    others = [
        ("booklet-accepted", ("门急诊就医记录册", "病历"), "accept"),
        ("unemployment-supplement", ("失业", "退休"), "supplement"),
        ("refused", ("最低生活保障", "低保"), "refuse"),
    ]
    for key, names, step in others:
        matter = _matter(*names)
        if matter is None or _existing(key) is not None:
            continue
        app = _single(key=key, clerk=clerk, applicant=zhang, center=center, matter=matter)
        if step == "accept":
            services.application_tick_materials(application=app, actor=clerk, ticks=_all_received(app))
            services.application_accept(application=app, actor=clerk)
        elif step == "supplement":
            services.application_request_supplement(
                application=app, actor=clerk, items=[], note="请补齐后再来"
            )
        else:
            services.application_refuse(
                application=app,
                actor=clerk,
                reason="申请人户籍不在本街道，不属于本中心受理范围",
                legal_basis="《中华人民共和国行政许可法》第三十二条第一款第二项",
            )
        stdout.write(f"  {matter.name} {app.number}: {step}")

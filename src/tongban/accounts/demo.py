"""Demo people: the printed staff logins, three residents and one enterprise. Idempotent.

Runs after the catalog's demo (app order), so center YP-CBXC, its windows and the
medical-insurance department normally exist; if not, minimal rows are created by
natural key so the logins still work (the catalog's loader updates them later).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction

from tongban.accounts import services as accounts_services
from tongban.accounts.models import Role, User
from tongban.core.crypto import blind_index

CENTER_CODE = "YP-CBXC"
# 医保 department: the catalog demo's code first, then the fallback agreed for an empty catalog.
MEDICAL_INSURANCE_CODES = ("YP-YB",)

STAFF = [
    # username, role, display name, window number, needs department
    ("admin", Role.ADMIN, "系统管理员", None, False),
    ("manager", Role.MANAGER, "周敏", None, False),
    ("window1", Role.CLERK, "陆晓燕", 1, False),
    ("window2", Role.CLERK, "顾俊", 2, False),
    ("reviewer", Role.REVIEWER, "沈洁", None, True),
    ("supervisor", Role.SUPERVISOR, "钱志刚", None, False),
]

RESIDENTS = [
    # phone, name, ID number (valid GB 11643 check digits; all born in Yangpu, 310110)
    ("13800000001", "张建国", "310110195103070014"),  # born 1951-03-07, retired: replaces his 病历本
    ("13800000002", "李梅", "310110199305120049"),  # born 1993-05-12, a new mother: 出生一件事
    ("13800000003", "王秀英", "310110194408150029"),  # born 1944-08-15, over 80: elderly green channel
]

ENTERPRISE: dict[str, str] = {
    "name": "上海长白科技有限公司",
    "credit_code": "91310110MA1G8X0L7W",
    "phone": "13800000010",
    "contact_name": "陈志强",
}


def _center() -> Any:
    from tongban.catalog.models import Center

    center, _ = Center.objects.get_or_create(
        code=CENTER_CODE,
        defaults={
            "name": "杨浦区长白新村街道社区事务受理服务中心",
            "district": "杨浦区",
            "subdistrict": "长白新村街道",
            "address": "上海市杨浦区长白路",
            "open_24h": True,
        },
    )
    return center


def _window(center: Any, number: int) -> Any:
    from tongban.catalog.models import Window

    window, _ = Window.objects.get_or_create(
        center=center,
        number=number,
        defaults={
            "name": f"{number}号综合窗口",
            "name_en": f"Comprehensive window {number}",
            "kind": Window.Kind.COMPREHENSIVE,
        },
    )
    return window


def _medical_insurance_department() -> Any:
    from tongban.catalog.models import Department

    for code in MEDICAL_INSURANCE_CODES:
        found = Department.objects.filter(code=code).first()
        if found is not None:
            return found
    by_name = Department.objects.filter(name__contains="医疗保障").order_by("code").first()
    if by_name is not None:
        return by_name
    department, _ = Department.objects.get_or_create(
        code=MEDICAL_INSURANCE_CODES[-1], defaults={"name": "杨浦区医疗保障局", "short_name": "区医保局"}
    )
    return department


MANAGER_GROUP = "中心负责人"


def _manager_group() -> Any:
    """Center managers maintain the catalog (matters, guides, windows) and look up people in the admin."""
    from django.contrib.auth.models import Group, Permission

    group, _ = Group.objects.get_or_create(name=MANAGER_GROUP)
    perms = Permission.objects.filter(content_type__app_label="catalog").exclude(
        codename__startswith="delete_"
    )
    extra = Permission.objects.filter(
        content_type__app_label__in=["accounts", "notifications"], codename__in=["view_user", "view_message"]
    )
    group.permissions.set(list(perms) + list(extra))
    return group


def _load_staff(stdout: Any) -> None:
    center = _center()
    managers = _manager_group()
    department = _medical_insurance_department()
    for username, role, name, window_no, needs_department in STAFF:
        window = _window(center, window_no) if window_no else None
        wants = {
            "role": role,
            "display_name": name,
            "center": center,
            "department": department if needs_department else None,
            "default_window": window,
        }
        user = User.objects.filter(username=username).first()
        if user is None:
            user = accounts_services.user_create_staff(
                actor=None,
                username=username,
                password=None,
                is_superuser=role == Role.ADMIN,
                **wants,
            )
        else:
            for field, value in wants.items():
                setattr(user, field, value)
            user.is_staff = role in accounts_services.ADMIN_SITE_ROLES
            user.is_active = True
            user.is_superuser = role == Role.ADMIN
        # The demo password may be shorter than production's validators allow: set it directly.
        user.set_password(settings.DEMO_PASSWORD)
        user.save()
        if role == Role.MANAGER:
            user.groups.add(managers)
        stdout.write(f"  {username:<10} {role.label} {name}")


def _load_residents(stdout: Any) -> None:
    for phone, name, id_number in RESIDENTS:
        user = accounts_services.resident_get_or_create_by_phone(
            phone=phone, display_name=name, id_number=id_number
        )
        if user.display_name != name:
            user.display_name = name
            user.save(update_fields=["display_name"])
        if user.id_number_hash != blind_index(id_number):
            accounts_services.user_update_pii(actor=None, user=user, id_number=id_number)
        stdout.write(f"  resident {user.masked_phone} {name}")
    existing = User.objects.filter(role=Role.ENTERPRISE, credit_code=ENTERPRISE["credit_code"]).first()
    if existing is None:
        accounts_services.enterprise_register(
            name=ENTERPRISE["name"],
            credit_code=ENTERPRISE["credit_code"],
            phone=ENTERPRISE["phone"],
            contact_name=ENTERPRISE["contact_name"],
        )
    stdout.write(f"  enterprise {ENTERPRISE['name']} ({ENTERPRISE['credit_code']})")


def load(stdout: Any) -> None:
    with transaction.atomic():
        _load_staff(stdout)
        _load_residents(stdout)

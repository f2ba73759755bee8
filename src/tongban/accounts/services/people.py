"""Accounts: staff, residents, enterprises, and revealing personal data (audited)."""
# mypy: disallow-untyped-defs

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction

from tongban.accounts.errors import (
    EnterpriseExists,
    UsernameTaken,
)
from tongban.accounts.models import STAFF_ROLES, Role, User
from tongban.accounts.services._common import (
    ADMIN_SITE_ROLES,
    _clean_credit_code,
    _clean_mobile,
    _new_username,
    _set_pii,
)
from tongban.core.audit import audit_log
from tongban.core.crypto import blind_index, mask_id_number, mask_phone
from tongban.core.errors import Forbidden, ValidationError


def user_create_staff(
    *,
    actor: User | None,
    username: str,
    role: str,
    display_name: str,
    password: str | None = None,
    center: Any = None,
    department: Any = None,
    default_window: Any = None,
    phone: str = "",
    is_superuser: bool = False,
) -> User:
    """Create a staff account. ``actor`` must be an admin (``None`` = the system, e.g. demo loading)."""
    if actor is not None and actor.role != Role.ADMIN and not actor.is_superuser:
        raise Forbidden(
            "只有系统管理员可以创建工作人员账号", "Only an administrator may create staff accounts"
        )
    if role not in STAFF_ROLES:
        raise ValidationError("角色不是工作人员角色", "Not a staff role", code="accounts.not_staff_role")
    if role in {Role.MANAGER, Role.CLERK} and center is None:
        raise ValidationError(
            "中心负责人和窗口工作人员必须指定所属中心",
            "Managers and window clerks need a center",
            code="accounts.center_required",
        )
    if role == Role.REVIEWER and department is None:
        raise ValidationError(
            "部门审核人员必须指定所属部门", "Reviewers need a department", code="accounts.department_required"
        )
    if default_window is not None and (center is None or default_window.center_id != center.pk):
        raise ValidationError(
            "默认窗口必须属于所属中心",
            "The default window must belong to the user's center",
            code="accounts.window_center_mismatch",
        )
    user = User(
        username=username,
        role=role,
        display_name=display_name,
        center=center,
        department=department,
        default_window=default_window,
        # Only admins and center managers open the Django admin (least privilege); clerks,
        # reviewers and supervisors work in their own front ends.
        is_staff=role in ADMIN_SITE_ROLES or is_superuser,
        is_superuser=is_superuser,
    )
    if password:
        try:
            validate_password(password, user)
        except DjangoValidationError as exc:
            raise ValidationError(
                "密码不符合要求：" + "；".join(exc.messages),
                "Password rejected: " + "; ".join(exc.messages),
                code="accounts.weak_password",
            ) from exc
        user.set_password(password)
    else:
        user.set_unusable_password()
    _set_pii(user, phone=phone, id_number=None)
    with transaction.atomic():
        if User.objects.filter(username=username).exists():
            raise UsernameTaken()
        try:
            with transaction.atomic():
                user.save()
        except IntegrityError as exc:  # the same name created a moment ago (a double submit): the same answer
            raise UsernameTaken() from exc
        audit_log(
            actor=actor,
            action="accounts.user.create_staff",
            obj=user,
            data={"username": username, "role": role, "center": getattr(center, "code", None)},
        )
    return user


def resident_get_or_create_by_phone(
    *, phone: str, display_name: str = "", id_number: str = "", actor: User | None = None
) -> User:
    """The resident account for ``phone``, created on first sign-in. Race-safe (unique blind index)."""
    phone = _clean_mobile(phone)
    phone_hash = blind_index(phone)
    existing = User.objects.filter(role=Role.RESIDENT, phone_hash=phone_hash).first()
    if existing is not None:
        return existing
    user = User(username=_new_username("r"), role=Role.RESIDENT, display_name=display_name)
    user.set_unusable_password()
    _set_pii(user, phone=phone, id_number=id_number or None)
    try:
        with transaction.atomic():
            user.save()
            audit_log(
                actor=actor or user,
                action="accounts.resident.create",
                obj=user,
                data={"phone": mask_phone(phone), "id_number": mask_id_number(id_number)},
            )
    except IntegrityError:
        # Someone else created the same resident a moment ago: use theirs.
        return User.objects.get(role=Role.RESIDENT, phone_hash=phone_hash)
    return user


@dataclass(frozen=True)
class EnterpriseDraft:
    name: str
    credit_code: str
    phone: str
    contact_name: str


def enterprise_registration_check(
    *, name: str, credit_code: str, phone: str, contact_name: str = ""
) -> EnterpriseDraft:
    """Validate a registration before a code is sent: every field, and that the code is not taken."""
    name = (name or "").strip()
    if not name:
        raise ValidationError("请输入企业名称", "Enter the enterprise name", code="accounts.name_required")
    draft = EnterpriseDraft(
        name=name[:100],
        credit_code=_clean_credit_code(credit_code),
        phone=_clean_mobile(phone),
        contact_name=(contact_name or "").strip()[:150],
    )
    if User.objects.filter(role=Role.ENTERPRISE, credit_code=draft.credit_code).exists():
        raise EnterpriseExists()
    return draft


def enterprise_register(
    *, name: str, credit_code: str, phone: str, contact_name: str = "", actor: User | None = None
) -> User:
    """Open an enterprise account (signs in like a resident, by phone + SMS code)."""
    draft = enterprise_registration_check(
        name=name, credit_code=credit_code, phone=phone, contact_name=contact_name
    )
    name, credit_code, phone, contact_name = draft.name, draft.credit_code, draft.phone, draft.contact_name
    user = User(
        username=f"e-{credit_code}",
        role=Role.ENTERPRISE,
        display_name=name,
        first_name=contact_name[:150],
        credit_code=credit_code,
    )
    user.set_unusable_password()
    _set_pii(user, phone=phone, id_number=None)
    try:
        with transaction.atomic():
            if User.objects.filter(role=Role.ENTERPRISE, credit_code=credit_code).exists():
                raise EnterpriseExists()
            user.save()
            audit_log(
                actor=actor or user,
                action="accounts.enterprise.register",
                obj=user,
                data={"credit_code": credit_code, "phone": mask_phone(phone)},
            )
    except IntegrityError as exc:
        raise EnterpriseExists() from exc
    return user


def user_update_pii(
    *, actor: User | None, user: User, phone: str | None = None, id_number: str | None = None
) -> User:
    """Change a person's phone and/or ID number, keeping the blind indexes in step. Values are not audited."""
    fields = _set_pii(user, phone=phone, id_number=id_number)
    if not fields:
        return user
    try:
        with transaction.atomic():
            user.save(update_fields=fields)
            audit_log(
                actor=actor,
                action="accounts.user.pii_change",
                obj=user,
                data={"fields": [f for f in fields if not f.endswith("_hash")]},
            )
    except IntegrityError as exc:
        raise ValidationError(
            "该手机号已被另一位居民使用",
            "Another resident already uses this phone",
            code="accounts.phone_taken",
        ) from exc
    return user


PII_FIELDS = ("phone", "id_number")
PII_REVEAL_ROLES = frozenset({Role.ADMIN, Role.MANAGER, Role.CLERK, Role.REVIEWER})


def pii_reveal(*, actor: User, user: User, field: str, reason: str = "", ip: str | None = None) -> str:
    """The plaintext of ``user.<field>`` for a person whose role needs it; every reveal is audited."""
    if field not in PII_FIELDS:
        raise ValidationError("不支持的字段", "Unknown field", code="pii.unknown_field")
    own = actor.pk == user.pk
    if not own:
        if not actor.is_authenticated or actor.role not in PII_REVEAL_ROLES:
            raise Forbidden("您的角色无权查看完整个人信息", "Your role may not see full personal data")
        if user.role in STAFF_ROLES and actor.role != Role.ADMIN:
            raise Forbidden(
                "只有系统管理员可查看工作人员的个人信息", "Only admins may see staff personal data"
            )
    value = str(getattr(user, field) or "")
    audit_log(
        actor=actor,
        action="pii.read",
        obj=user,
        data={"field": field, "reason": reason[:200], "own": own},
        ip=ip,
    )
    return value

"""Accounts reads: find people by their blind indexes, never by decrypting."""

from __future__ import annotations

from django.db.models import QuerySet

from tongban.accounts.models import Role, User
from tongban.core.crypto import blind_index


def user_find_by_phone(*, phone: str, role: str | None = None) -> QuerySet[User]:
    qs = User.objects.filter(phone_hash=blind_index(phone))
    return qs.filter(role=role) if role else qs


def user_find_by_id_number(*, id_number: str, role: str | None = None) -> QuerySet[User]:
    qs = User.objects.filter(id_number_hash=blind_index(id_number))
    return qs.filter(role=role) if role else qs


def resident_get_by_phone(*, phone: str) -> User | None:
    return user_find_by_phone(phone=phone, role=Role.RESIDENT).first()


def enterprise_get_by_phone(*, phone: str) -> User | None:
    return user_find_by_phone(phone=phone, role=Role.ENTERPRISE).filter(is_active=True).order_by("pk").first()


def staff_for_center(*, center_id: int) -> QuerySet[User]:
    from tongban.accounts.models import STAFF_ROLES

    return User.objects.filter(center_id=center_id, role__in=STAFF_ROLES, is_active=True).order_by("username")

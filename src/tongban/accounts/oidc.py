"""OIDC sign-in for residents (production identity provider, e.g. the city's unified identity platform).

Enabled by ``TONGBAN_OIDC_ENABLED=1`` (see docs/deploy.md, "Sign-in"). The provider's claims are
mapped to a resident through the blind indexes, never by decrypting: the ID number claim first
(``OIDC_CLAIM_ID_NUMBER``, default ``id_number``), then the phone claim (``OIDC_CLAIM_PHONE``,
default ``phone_number``). A resident is created on first sign-in. Staff never sign in this way.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.db.models import QuerySet
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from tongban.accounts import services
from tongban.accounts.models import Role, User
from tongban.core.audit import audit_log
from tongban.core.crypto import blind_index
from tongban.core.errors import TongbanError


def _claim(claims: dict[str, Any], setting: str, default: str) -> str:
    value = claims.get(getattr(settings, setting, default) or default)
    return str(value).strip() if value else ""


class ResidentOIDCBackend(OIDCAuthenticationBackend):
    def _identifiers(self, claims: dict[str, Any]) -> tuple[str, str]:
        id_number = _claim(claims, "OIDC_CLAIM_ID_NUMBER", "id_number").upper()
        phone = _claim(claims, "OIDC_CLAIM_PHONE", "phone_number").removeprefix("+86")
        return id_number, phone

    def describe_user_by_claims(self, claims: dict[str, Any]) -> str:
        return "resident by id_number/phone claims"  # never the values themselves

    def verify_claims(self, claims: dict[str, Any]) -> bool:
        id_number, phone = self._identifiers(claims)
        return bool(id_number or phone)

    def filter_users_by_claims(self, claims: dict[str, Any]) -> QuerySet[User]:
        id_number, phone = self._identifiers(claims)
        residents = User.objects.filter(role=Role.RESIDENT, is_active=True)
        if id_number:
            by_id = residents.filter(id_number_hash=blind_index(id_number))
            if by_id.exists():
                return by_id
        if phone:
            return residents.filter(phone_hash=blind_index(phone))
        return residents.none()

    def create_user(self, claims: dict[str, Any]) -> User:
        id_number, phone = self._identifiers(claims)
        if not phone:
            raise SuspiciousOperation("OIDC claims carry no phone number to open a resident account")
        try:
            user = services.resident_get_or_create_by_phone(
                phone=phone, display_name=str(claims.get("name", ""))[:100], id_number=id_number
            )
        except TongbanError as exc:
            raise SuspiciousOperation(f"OIDC claims rejected: {exc.code}") from exc
        audit_log(actor=user, action="accounts.login", obj=user, data={"method": "oidc", "created": True})
        return user

    def update_user(self, user: User, claims: dict[str, Any]) -> User:
        id_number, phone = self._identifiers(claims)
        try:
            services.user_update_pii(
                actor=user,
                user=user,
                phone=phone if phone and not user.phone else None,
                id_number=id_number if id_number and not user.id_number else None,
            )
        except TongbanError as exc:
            raise SuspiciousOperation(f"OIDC claims rejected: {exc.code}") from exc
        audit_log(actor=user, action="accounts.login", obj=user, data={"method": "oidc"})
        return user

"""Shared pieces of the accounts services: limits, identity checks, personal-data fields."""
# mypy: disallow-untyped-defs

from __future__ import annotations

import secrets

from django.conf import settings

from tongban.accounts import throttle
from tongban.accounts.models import Role, User
from tongban.core.crypto import blind_index
from tongban.core.identity import validate_credit_code, validate_mobile, validate_resident_id

# --- limits (overridable in settings for tests and deployments) -------------------------------

SMS_CODE_TTL_SECONDS = 300
SMS_CODE_MAX_ATTEMPTS = 5
SMS_PER_PHONE_MINUTE = 1
SMS_PER_PHONE_HOUR = 5
SMS_PER_IP_HOUR = 20
PASSWORD_FAILURES = throttle.Window("password", limit=10, seconds=900)
OTP_FAILURES = throttle.Window("otp", limit=10, seconds=900)


ADMIN_SITE_ROLES = frozenset({Role.ADMIN, Role.MANAGER})


def _limit(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


# --- identity checks: the core validators (GB 11643, GB 32100, mainland mobiles) ---------------


def _clean_mobile(value: str) -> str:
    return validate_mobile(value)


def _clean_resident_id(value: str) -> str:
    return validate_resident_id(value).number


def _clean_credit_code(value: str) -> str:
    return validate_credit_code(value)


def _new_username(prefix: str) -> str:
    return f"{prefix}{secrets.token_hex(6)}"


# --- accounts ---------------------------------------------------------------------------------


def _set_pii(user: User, *, phone: str | None, id_number: str | None) -> list[str]:
    changed: list[str] = []
    if phone is not None:
        phone = _clean_mobile(phone) if phone else ""
        user.phone = phone
        user.phone_hash = blind_index(phone) if phone else ""
        changed += ["phone", "phone_hash"]
    if id_number is not None:
        id_number = _clean_resident_id(id_number) if id_number else ""
        user.id_number = id_number
        user.id_number_hash = blind_index(id_number) if id_number else ""
        changed += ["id_number", "id_number_hash"]
    return changed

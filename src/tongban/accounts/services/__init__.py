"""Accounts services: sign-in (SMS code, password + TOTP), accounts, API tokens, revealing personal data.

Every write goes through here. Failures raise the typed errors of
``tongban.accounts.errors`` / ``tongban.core.errors``. Secrets (SMS codes,
tokens, TOTP keys) are never logged and never written to the audit log.
"""

# mypy: disallow-untyped-defs

from __future__ import annotations

from tongban.accounts.services._common import (
    ADMIN_SITE_ROLES,
    OTP_FAILURES,
    PASSWORD_FAILURES,
    SMS_CODE_MAX_ATTEMPTS,
    SMS_CODE_TTL_SECONDS,
    SMS_PER_IP_HOUR,
    SMS_PER_PHONE_HOUR,
    SMS_PER_PHONE_MINUTE,
)
from tongban.accounts.services.people import (
    PII_FIELDS,
    PII_REVEAL_ROLES,
    EnterpriseDraft,
    enterprise_register,
    enterprise_registration_check,
    pii_reveal,
    resident_get_or_create_by_phone,
    user_create_staff,
    user_update_pii,
)
from tongban.accounts.services.sms import (
    SmsCodeSent,
    enterprise_for_phone,
    enterprise_register_with_code,
    sms_code_request,
    sms_code_verify,
    sms_sign_in,
)
from tongban.accounts.services.staff import (
    SIGN_IN_RECORD_RETENTION_DAYS,
    IssuedToken,
    Purged,
    api_token_issue,
    api_token_revoke,
    otp_needed,
    sign_in_records_purge,
    staff_password_check,
    staff_sign_in_record,
    totp_device_confirm,
    totp_device_reset,
    totp_device_start,
    totp_verify,
    user_has_totp,
)

__all__ = [
    "ADMIN_SITE_ROLES",
    "OTP_FAILURES",
    "PASSWORD_FAILURES",
    "PII_FIELDS",
    "PII_REVEAL_ROLES",
    "SIGN_IN_RECORD_RETENTION_DAYS",
    "SMS_CODE_MAX_ATTEMPTS",
    "SMS_CODE_TTL_SECONDS",
    "SMS_PER_IP_HOUR",
    "SMS_PER_PHONE_HOUR",
    "SMS_PER_PHONE_MINUTE",
    "EnterpriseDraft",
    "IssuedToken",
    "Purged",
    "SmsCodeSent",
    "api_token_issue",
    "api_token_revoke",
    "enterprise_for_phone",
    "enterprise_register",
    "enterprise_register_with_code",
    "enterprise_registration_check",
    "otp_needed",
    "pii_reveal",
    "resident_get_or_create_by_phone",
    "sign_in_records_purge",
    "sms_code_request",
    "sms_code_verify",
    "sms_sign_in",
    "staff_password_check",
    "staff_sign_in_record",
    "totp_device_confirm",
    "totp_device_reset",
    "totp_device_start",
    "totp_verify",
    "user_create_staff",
    "user_has_totp",
    "user_update_pii",
]

"""One-time SMS codes: send, verify, sign in; enterprise self-registration proved by a code."""
# mypy: disallow-untyped-defs

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from tongban.accounts import selectors
from tongban.accounts.errors import (
    EnterpriseNotFound,
    SmsCodeError,
    SmsCodeExhausted,
    SmsCodeExpired,
    SmsCodeMissing,
)
from tongban.accounts.models import SmsCode, User
from tongban.accounts.services._common import (
    SMS_CODE_MAX_ATTEMPTS,
    SMS_CODE_TTL_SECONDS,
    SMS_PER_IP_HOUR,
    SMS_PER_PHONE_HOUR,
    SMS_PER_PHONE_MINUTE,
    _clean_mobile,
    _limit,
)
from tongban.accounts.services.people import (
    enterprise_register,
    enterprise_registration_check,
    resident_get_or_create_by_phone,
)
from tongban.core import locks
from tongban.core.audit import audit_log
from tongban.core.crypto import blind_index, mask_phone
from tongban.core.errors import Forbidden, RateLimited
from tongban.notifications.services import sms_send


@dataclass(frozen=True)
class SmsCodeSent:
    phone: str
    expires_at: datetime
    resend_after: int  # seconds until another code may be requested


def _code_hash(salt: str, code: str) -> str:
    key = settings.FIELD_HASH_KEY.encode("utf-8")
    return hmac.new(key, f"sms:{salt}:{code}".encode(), hashlib.sha256).hexdigest()


def _retry_after(oldest: datetime, window_seconds: int, now: datetime) -> int:
    return max(1, int((oldest + timedelta(seconds=window_seconds) - now).total_seconds()) + 1)


def sms_code_request(
    *, phone: str, purpose: str = SmsCode.Purpose.LOGIN, ip: str | None = None
) -> SmsCodeSent:
    """Send a fresh 6-digit code by SMS; any earlier live code for this phone dies.

    Limits: ``SMS_PER_PHONE_MINUTE`` per minute and ``SMS_PER_PHONE_HOUR`` per hour for a phone,
    ``SMS_PER_IP_HOUR`` per hour from one IP → :class:`RateLimited` with ``retry_after``.
    """
    phone = _clean_mobile(phone)
    phone_hash = blind_index(phone)
    now = timezone.now()
    per_minute = _limit("SMS_PER_PHONE_MINUTE", SMS_PER_PHONE_MINUTE)
    per_hour = _limit("SMS_PER_PHONE_HOUR", SMS_PER_PHONE_HOUR)
    per_ip = _limit("SMS_PER_IP_HOUR", SMS_PER_IP_HOUR)
    ttl = _limit("SMS_CODE_TTL_SECONDS", SMS_CODE_TTL_SECONDS)

    def _check(
        qs: Any, limit: int, seconds: int, message: str, message_en: str, *, just_sent: bool = False
    ) -> None:
        recent = list(
            qs.filter(created_at__gt=now - timedelta(seconds=seconds))
            .order_by("-created_at")
            .values_list("created_at", flat=True)[:limit]
        )
        if len(recent) >= limit:
            raise RateLimited(
                message,
                message_en,
                code="sms_code.rate_limited",
                retry_after=_retry_after(recent[-1], seconds, now),
                # a code went to this phone a moment ago and is still good: the sign-in page can ask for it
                details={"just_sent": True} if just_sent else None,
            )

    code = f"{secrets.randbelow(1_000_000):06d}"
    salt = secrets.token_hex(16)
    try:
        with transaction.atomic():
            # the checks below and the insert happen one request at a time per address and per phone:
            # without it simultaneous requests all pass the limits (and for one phone the later supersedes
            # the earlier code and sends a second SMS)
            if ip:
                locks.lock_for_transaction(locks.ADDRESS, hashlib.sha256(ip.encode()).hexdigest())
            locks.lock_for_transaction(locks.PHONE, phone_hash)
            by_phone = SmsCode.objects.filter(phone_hash=phone_hash)
            _check(
                by_phone,
                per_minute,
                60,
                "验证码已发送，请稍后再获取",
                "A code was just sent; wait a moment",
                just_sent=True,
            )
            _check(by_phone, per_hour, 3600, "获取验证码过于频繁，请稍后再试", "Too many codes; try later")
            if ip:
                _check(
                    SmsCode.objects.filter(ip=ip),
                    per_ip,
                    3600,
                    "请求过于频繁，请稍后再试",
                    "Too many requests",
                )
            SmsCode.objects.filter(phone_hash=phone_hash, purpose=purpose, live=True).update(
                live=False, outcome=SmsCode.Outcome.SUPERSEDED, closed_at=now
            )
            row = SmsCode.objects.create(
                phone_hash=phone_hash,
                purpose=purpose,
                salt=salt,
                code_hash=_code_hash(salt, code),
                ip=ip,
                created_at=now,
                expires_at=now + timedelta(seconds=ttl),
            )
            minutes = max(1, ttl // 60)
            what = "企业注册" if purpose == SmsCode.Purpose.REGISTER else "登录"
            sms_send(
                to_phone=phone,
                body=f"【通办】您的{what}验证码是 {code}，{minutes}分钟内有效。工作人员不会向您索要验证码，请勿告诉他人。",
                purpose=f"accounts.sms_code.{purpose}",
                secret=code,
            )
            audit_log(
                action="accounts.sms_code.send",
                obj=row,
                data={"phone": mask_phone(phone), "purpose": purpose},
                ip=ip,
            )
    except IntegrityError as exc:  # a concurrent request for the same phone won the race
        raise RateLimited(
            "验证码已发送，请稍后再获取",
            "A code was just sent; wait a moment",
            code="sms_code.rate_limited",
            details={"just_sent": True},
        ) from exc
    return SmsCodeSent(phone=phone, expires_at=row.expires_at, resend_after=60)


def sms_code_verify(*, phone: str, code: str, purpose: str = SmsCode.Purpose.LOGIN) -> None:
    """Use up the live code for ``phone`` if ``code`` matches; raise a :class:`SmsCodeError` otherwise.

    A wrong code counts against the code; after ``SMS_CODE_MAX_ATTEMPTS`` wrong tries it dies.
    The attempt counter is committed even though the call then raises.
    """
    phone = _clean_mobile(phone)
    code = "".join((code or "").split())
    max_attempts = _limit("SMS_CODE_MAX_ATTEMPTS", SMS_CODE_MAX_ATTEMPTS)
    now = timezone.now()
    error: SmsCodeError | None = None
    with transaction.atomic():
        row = (
            SmsCode.objects.select_for_update()
            .filter(phone_hash=blind_index(phone), purpose=purpose, live=True)
            .first()
        )
        if row is None:
            error = SmsCodeMissing()
        elif row.expires_at <= now:
            SmsCode.objects.filter(pk=row.pk).update(
                live=False, outcome=SmsCode.Outcome.EXPIRED, closed_at=now
            )
            error = SmsCodeExpired()
        elif hmac.compare_digest(row.code_hash, _code_hash(row.salt, code)):
            SmsCode.objects.filter(pk=row.pk).update(live=False, outcome=SmsCode.Outcome.USED, closed_at=now)
        else:
            attempts = row.attempts + 1
            if attempts >= max_attempts:
                SmsCode.objects.filter(pk=row.pk).update(
                    attempts=attempts, live=False, outcome=SmsCode.Outcome.EXHAUSTED, closed_at=now
                )
                error = SmsCodeExhausted()
            else:
                SmsCode.objects.filter(pk=row.pk).update(attempts=attempts)
                left = max_attempts - attempts
                error = SmsCodeError(
                    f"验证码不正确，还可以再试{left}次",
                    f"Wrong code; {left} tries left",
                    details={"attempts_left": left},
                )
        if error is not None:
            audit_log(
                action="accounts.sms_code.fail",
                object_type="accounts.smscode",
                object_id=row.pk if row is not None else "",
                data={"phone": mask_phone(phone), "reason": error.code},
            )
    if error is not None:
        raise error


def enterprise_for_phone(*, phone: str) -> User:
    """The enterprise account registered with ``phone`` (checked before a code is sent)."""
    enterprise = selectors.enterprise_get_by_phone(phone=_clean_mobile(phone))
    if enterprise is None:
        raise EnterpriseNotFound()
    return enterprise


def sms_sign_in(*, phone: str, code: str, as_enterprise: bool = False, ip: str | None = None) -> User:
    """Check the SMS code and return the resident (created on first sign-in) or the enterprise account."""
    enterprise = enterprise_for_phone(phone=phone) if as_enterprise else None
    sms_code_verify(phone=phone, code=code)
    user = enterprise or resident_get_or_create_by_phone(phone=phone)
    if not user.is_active:
        raise Forbidden("该账号已停用", "This account is disabled", code="auth.inactive")
    audit_log(actor=user, action="accounts.login", obj=user, data={"method": "sms"}, ip=ip)
    return user


def enterprise_register_with_code(
    *, name: str, credit_code: str, phone: str, code: str, contact_name: str = "", ip: str | None = None
) -> User:
    """Self-registration: the SMS code proves the phone, then the enterprise account is opened."""
    draft = enterprise_registration_check(
        name=name, credit_code=credit_code, phone=phone, contact_name=contact_name
    )
    sms_code_verify(phone=draft.phone, code=code, purpose=SmsCode.Purpose.REGISTER)
    user = enterprise_register(
        name=draft.name, credit_code=draft.credit_code, phone=draft.phone, contact_name=draft.contact_name
    )
    audit_log(
        actor=user, action="accounts.login", obj=user, data={"method": "sms", "registered": True}, ip=ip
    )
    return user

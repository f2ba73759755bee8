"""Staff sign-in: password (throttled), TOTP enrolment and verification, API tokens, housekeeping."""
# mypy: disallow-untyped-defs

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import authenticate
from django.db import transaction
from django.utils import timezone
from django_otp import devices_for_user
from django_otp.plugins.otp_totp.models import TOTPDevice

from tongban.accounts import throttle
from tongban.accounts.authentication import hash_token
from tongban.accounts.errors import (
    AuthError,
    NotStaff,
    OtpInvalid,
    OtpNotEnrolled,
    OtpRequired,
)
from tongban.accounts.models import STAFF_ROLES, ApiToken, Role, SmsCode, User
from tongban.accounts.services._common import OTP_FAILURES, PASSWORD_FAILURES, _limit
from tongban.core.audit import audit_log
from tongban.core.errors import Forbidden, RateLimited, ValidationError


def staff_password_check(*, username: str, password: str, ip: str | None = None) -> User:
    """The staff user for ``username``/``password`` (first factor only); throttled per username and IP."""
    subjects = [f"u:{username.lower()}"] + ([f"ip:{ip}"] if ip else [])
    for subject in subjects:
        wait = throttle.retry_after(PASSWORD_FAILURES, subject)
        if wait:
            raise RateLimited(
                "登录失败次数过多，请稍后再试",
                "Too many failed sign-ins; try later",
                code="auth.locked",
                retry_after=wait,
            )
    user = authenticate(None, username=username, password=password)
    if not isinstance(user, User):
        for subject in subjects:
            throttle.hit(PASSWORD_FAILURES, subject)
        audit_log(
            action="accounts.login.fail", data={"username": username[:150], "method": "password"}, ip=ip
        )
        raise AuthError()
    if not _is_staff_account(user):
        audit_log(
            actor=user,
            action="accounts.login.fail",
            data={"method": "password", "reason": "not_staff"},
            ip=ip,
        )
        raise NotStaff()
    throttle.reset(PASSWORD_FAILURES, subjects[0])
    return user


def _is_staff_account(user: User) -> bool:
    # ``createsuperuser`` makes is_staff/is_superuser accounts without a staff role: they are staff too.
    return user.role in STAFF_ROLES or user.is_staff or user.is_superuser


def user_has_totp(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def otp_needed(user: User) -> bool:
    """Does this staff sign-in need the second factor? (Required by setting, or the person enrolled.)"""
    if not _is_staff_account(user):
        return False
    return bool(settings.STAFF_2FA_REQUIRED) or user_has_totp(user)


def totp_verify(*, user: User, token: str, ip: str | None = None) -> TOTPDevice:
    """The confirmed TOTP device that accepts ``token`` (device throttling + our own window)."""
    token = "".join((token or "").split())
    subject = f"u:{user.pk}"
    wait = throttle.retry_after(OTP_FAILURES, subject)
    if wait:
        raise RateLimited(
            "动态码错误次数过多，请稍后再试",
            "Too many wrong codes; try later",
            code="auth.otp_locked",
            retry_after=wait,
        )
    matched: TOTPDevice | None = None
    with transaction.atomic():
        for device in devices_for_user(user, confirmed=True, for_verify=True):
            if isinstance(device, TOTPDevice) and device.verify_token(token):
                matched = device
                break
    if matched is None:
        throttle.hit(OTP_FAILURES, subject)
        audit_log(actor=user, action="accounts.login.fail", obj=user, data={"method": "totp"}, ip=ip)
        raise OtpInvalid()
    throttle.reset(OTP_FAILURES, subject)
    return matched


def totp_device_start(*, user: User) -> TOTPDevice:
    """An unconfirmed TOTP device to show as a QR code (reused until confirmed)."""
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name="tongban", confirmed=False)
    return device


def totp_device_confirm(*, user: User, device_id: int, token: str, ip: str | None = None) -> TOTPDevice:
    """Confirm enrolment with the first code the app shows; earlier devices of the user are removed."""
    token = "".join((token or "").split())
    with transaction.atomic():
        device = (
            TOTPDevice.objects.select_for_update().filter(pk=device_id, user=user, confirmed=False).first()
        )
        if device is None:
            raise ValidationError(
                "绑定已失效，请刷新页面重新扫码",
                "Enrolment expired; reload and scan again",
                code="auth.otp_setup_expired",
            )
        ok = device.verify_token(token)
        if ok:
            TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            audit_log(actor=user, action="accounts.totp.enroll", obj=user, data={"device": device.pk}, ip=ip)
    if not ok:
        raise OtpInvalid()
    return device


def totp_device_reset(*, actor: User, user: User) -> int:
    """Remove a person's authenticators (lost phone); they enrol again at next sign-in. Admins only."""
    if actor.role != Role.ADMIN and not actor.is_superuser:
        raise Forbidden("只有系统管理员可以重置身份验证器", "Only admins may reset authenticators")
    with transaction.atomic():
        count, _ = TOTPDevice.objects.filter(user=user).delete()
        audit_log(actor=actor, action="accounts.totp.reset", obj=user, data={"devices": count})
    return count


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_at: datetime
    user: User


def api_token_issue(
    *, username: str, password: str, otp: str | None = None, ip: str | None = None
) -> IssuedToken:
    """A new bearer token for a staff API client (password, + TOTP when 2FA applies). Only its hash is kept."""
    user = staff_password_check(username=username, password=password, ip=ip)
    if user.role not in STAFF_ROLES:
        raise NotStaff("API令牌只发给有工作人员角色的账号", "API tokens are for accounts with a staff role")
    if otp_needed(user):
        if not user_has_totp(user):
            raise OtpNotEnrolled()
        if not otp:
            raise OtpRequired()
        totp_verify(user=user, token=otp, ip=ip)
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    expires_at = now + timedelta(hours=int(getattr(settings, "API_TOKEN_TTL_HOURS", 12)))
    with transaction.atomic():
        row = ApiToken.objects.create(
            user=user, key_hash=hash_token(token), expires_at=expires_at, created_ip=ip
        )
        audit_log(
            actor=user, action="accounts.api_token.issue", obj=row, data={"expires_at": expires_at}, ip=ip
        )
    return IssuedToken(token=token, expires_at=expires_at, user=user)


def api_token_revoke(*, actor: User, token: ApiToken) -> None:
    if token.user_id != actor.pk and actor.role != Role.ADMIN and not actor.is_superuser:
        raise Forbidden()
    with transaction.atomic():
        updated = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        if updated:
            audit_log(actor=actor, action="accounts.api_token.revoke", obj=token)


def staff_sign_in_record(*, user: User, method: str, ip: str | None = None) -> None:
    """Audit a completed staff sign-in (after every required factor)."""
    audit_log(actor=user, action="accounts.login", obj=user, data={"method": method}, ip=ip)


SIGN_IN_RECORD_RETENTION_DAYS = 30


@dataclass(frozen=True)
class Purged:
    sms_codes: int
    api_tokens: int


def sign_in_records_purge() -> Purged:
    """Delete SMS-code rows and dead API tokens older than the retention period (the audit log keeps the events).

    Idempotent; run hourly. Rows younger than an hour are never touched (they are the rate-limit ledger).
    """
    days = max(1, _limit("SIGN_IN_RECORD_RETENTION_DAYS", SIGN_IN_RECORD_RETENTION_DAYS))
    cutoff = timezone.now() - timedelta(days=days)
    with transaction.atomic():
        codes, _ = SmsCode.objects.filter(created_at__lt=cutoff).delete()
        expired = ApiToken.objects.filter(expires_at__lt=cutoff)
        revoked = ApiToken.objects.filter(revoked_at__lt=cutoff)
        tokens, _ = (expired | revoked).delete()
        if codes or tokens:
            audit_log(
                action="accounts.sign_in_records.purge", data={"sms_codes": codes, "api_tokens": tokens}
            )
    return Purged(sms_codes=codes, api_tokens=tokens)

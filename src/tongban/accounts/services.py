"""Accounts services: sign-in (SMS code, password + TOTP), accounts, API tokens, revealing personal data.

Every write goes through here. Failures raise the typed errors of
``tongban.accounts.errors`` / ``tongban.core.errors``. Secrets (SMS codes,
tokens, TOTP keys) are never logged and never written to the audit log.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_otp import devices_for_user
from django_otp.plugins.otp_totp.models import TOTPDevice

from tongban.accounts import selectors, throttle
from tongban.accounts.authentication import hash_token
from tongban.accounts.errors import (
    AuthError,
    EnterpriseExists,
    EnterpriseNotFound,
    NotStaff,
    OtpInvalid,
    OtpNotEnrolled,
    OtpRequired,
    SmsCodeError,
    SmsCodeExhausted,
    SmsCodeExpired,
    SmsCodeMissing,
    UsernameTaken,
)
from tongban.accounts.models import STAFF_ROLES, ApiToken, Role, SmsCode, User
from tongban.core.audit import audit_log
from tongban.core.crypto import blind_index, mask_id_number, mask_phone
from tongban.core.errors import Forbidden, RateLimited, ValidationError
from tongban.core.identity import validate_credit_code, validate_mobile, validate_resident_id
from tongban.notifications.services import sms_send

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
        user.save()
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


# --- SMS codes -----------------------------------------------------------------------------------


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

    def _check(qs: Any, limit: int, seconds: int, message: str, message_en: str) -> None:
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
            )

    code = f"{secrets.randbelow(1_000_000):06d}"
    salt = secrets.token_hex(16)
    try:
        with transaction.atomic():
            by_phone = SmsCode.objects.filter(phone_hash=phone_hash)
            _check(
                by_phone, per_minute, 60, "验证码已发送，请稍后再获取", "A code was just sent; wait a moment"
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
            )
            audit_log(
                action="accounts.sms_code.send",
                obj=row,
                data={"phone": mask_phone(phone), "purpose": purpose},
                ip=ip,
            )
    except IntegrityError as exc:  # a concurrent request for the same phone won the race
        raise RateLimited(
            "验证码已发送，请稍后再获取", "A code was just sent; wait a moment", code="sms_code.rate_limited"
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


# --- staff sign-in: password, TOTP, tokens --------------------------------------------------------


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

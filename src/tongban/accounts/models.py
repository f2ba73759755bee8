"""Accounts: staff (admin, manager, window clerk, department reviewer, supervisor) and end users.

Residents and enterprises are users too (role ``resident`` / ``enterprise``),
signing in with phone + SMS code. ID numbers and phones are encrypted at rest
(:class:`~tongban.core.crypto.EncryptedTextField`) and found by a keyed hash.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from tongban.core.crypto import EncryptedTextField, mask_id_number, mask_phone


class Role(models.TextChoices):
    ADMIN = "admin", _("系统管理员")
    MANAGER = "manager", _("中心负责人")
    CLERK = "clerk", _("窗口工作人员")
    REVIEWER = "reviewer", _("部门审核人员")
    SUPERVISOR = "supervisor", _("督查人员")
    RESIDENT = "resident", _("居民")
    ENTERPRISE = "enterprise", _("企业")


STAFF_ROLES = frozenset({Role.ADMIN, Role.MANAGER, Role.CLERK, Role.REVIEWER, Role.SUPERVISOR})


class User(AbstractUser):
    role = models.CharField(_("角色"), max_length=12, choices=Role.choices, default=Role.RESIDENT)
    display_name = models.CharField(_("姓名/名称"), max_length=100, blank=True)
    center = models.ForeignKey(
        "catalog.Center",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
        verbose_name=_("所属中心"),
    )
    department = models.ForeignKey(
        "catalog.Department",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
        verbose_name=_("所属部门"),
    )
    default_window = models.ForeignKey(
        "catalog.Window",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("默认窗口"),
    )
    # Personal data: ciphertext + blind index (HMAC) for look-up. Never log the plaintext.
    phone = EncryptedTextField(_("手机号"), blank=True, default="")
    phone_hash = models.CharField(max_length=64, blank=True, default="", db_index=True)
    id_number = EncryptedTextField(_("证件号码"), blank=True, default="")
    id_number_hash = models.CharField(max_length=64, blank=True, default="", db_index=True)
    # Enterprises: unified social credit code (not personal data, stored plain).
    credit_code = models.CharField(
        _("统一社会信用代码"), max_length=18, blank=True, default="", db_index=True
    )

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        constraints = [
            # One resident account per phone; one enterprise account per credit code.
            models.UniqueConstraint(
                fields=["phone_hash"],
                condition=models.Q(role="resident") & ~models.Q(phone_hash=""),
                name="user_unique_resident_phone",
            ),
            models.UniqueConstraint(
                fields=["credit_code"],
                condition=models.Q(role="enterprise") & ~models.Q(credit_code=""),
                name="user_unique_enterprise_credit_code",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def is_staff_role(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number)


class ApiToken(models.Model):
    """Bearer token for staff API clients. Only a SHA-256 of the token is stored."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("用户")
    )
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("签发时间"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)
    expires_at = models.DateTimeField(_("过期时间"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)
    created_ip = models.GenericIPAddressField(_("签发IP"), null=True, blank=True)

    class Meta:
        verbose_name = _("API令牌")
        verbose_name_plural = _("API令牌")

    def __str__(self) -> str:
        return f"token of {self.user_id}"


class SmsCode(models.Model):
    """A one-time sign-in code sent by SMS. Only a keyed hash of the code is stored.

    Rows are never edited back to life: a code is *live* until it is used,
    superseded by a newer code, expired, or killed after too many wrong tries.
    At most one live code per phone and purpose (partial unique constraint),
    and the rows double as the rate-limit ledger (per phone and per IP).
    """

    class Purpose(models.TextChoices):
        LOGIN = "login", _("登录")
        REGISTER = "register", _("企业注册")

    class Outcome(models.TextChoices):
        LIVE = "", _("有效")
        USED = "used", _("已使用")
        SUPERSEDED = "superseded", _("已被新验证码取代")
        EXPIRED = "expired", _("已过期")
        EXHAUSTED = "exhausted", _("错误次数过多")

    phone_hash = models.CharField(max_length=64, db_index=True)
    purpose = models.CharField(_("用途"), max_length=20, choices=Purpose.choices, default=Purpose.LOGIN)
    salt = models.CharField(max_length=32)
    code_hash = models.CharField(max_length=64)
    ip = models.GenericIPAddressField(_("请求IP"), null=True, blank=True)
    created_at = models.DateTimeField(_("发送时间"), db_index=True)
    expires_at = models.DateTimeField(_("过期时间"))
    attempts = models.PositiveSmallIntegerField(_("错误次数"), default=0)
    live = models.BooleanField(_("有效"), default=True)
    outcome = models.CharField(_("结果"), max_length=12, choices=Outcome.choices, blank=True, default="")
    closed_at = models.DateTimeField(_("失效时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("短信验证码")
        verbose_name_plural = _("短信验证码")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["phone_hash", "purpose"], condition=models.Q(live=True), name="smscode_one_live"
            )
        ]
        indexes = [models.Index(fields=["ip", "created_at"], name="smscode_ip_created")]

    def __str__(self) -> str:
        return f"sms code #{self.pk} ({self.purpose})"

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

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API令牌")
        verbose_name_plural = _("API令牌")

    def __str__(self) -> str:
        return f"token of {self.user_id}"

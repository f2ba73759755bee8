from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from tongban.core.crypto import EncryptedTextField, mask_phone


class Message(models.Model):
    """Every SMS/email sent, whatever the backend. The dev ``outbox`` backend only records it here."""

    class Channel(models.TextChoices):
        SMS = "sms", _("短信")
        EMAIL = "email", _("邮件")

    class State(models.TextChoices):
        QUEUED = "queued", _("待发送")
        SENT = "sent", _("已发送")
        FAILED = "failed", _("发送失败")

    channel = models.CharField(_("渠道"), max_length=8, choices=Channel.choices, default=Channel.SMS)
    to = EncryptedTextField(_("收件人"))
    to_hash = models.CharField(max_length=64, db_index=True)
    body = EncryptedTextField(pgettext_lazy("message", "内容"))
    purpose = models.CharField(_("用途"), max_length=60, db_index=True)
    backend = models.CharField(_("发送通道"), max_length=40)
    state = models.CharField(_("状态"), max_length=8, choices=State.choices, default=State.QUEUED)
    error = models.CharField(_("错误"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)

    # Not stored: the body with its one-time code blanked, for log lines (set by sms_send).
    redacted_body: str = ""

    class Meta:
        verbose_name = _("消息")
        verbose_name_plural = _("消息")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} → {mask_phone(self.to)}: {self.purpose}"

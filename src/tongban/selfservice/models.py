"""Self-service models: the 百事通's log of questions it could not answer well.

Portal drafts and kiosk sessions keep no tables of their own: applications,
tickets and appointments belong to their apps; a draft is an application in
the ``draft`` state of the applications app.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class GuideQuestion(models.Model):
    """A question the 百事通 answered badly, stripped of personal data, counted, for the catalog team."""

    class Outcome(models.TextChoices):
        UNANSWERED = "unanswered", _("未找到答案")
        LOW_CONFIDENCE = "low_confidence", _("答案把握不大")

    class Status(models.TextChoices):
        OPEN = "open", _("待处理")
        RESOLVED = "resolved", _("已补充同义词")
        DISMISSED = "dismissed", _("已忽略")

    text = models.CharField(_("问题（已去除个人信息）"), max_length=200, unique=True)
    outcome = models.CharField(_("结果"), max_length=20, choices=Outcome.choices)
    count = models.PositiveIntegerField(_("次数"), default=1)
    first_seen = models.DateTimeField(_("首次提问"))
    last_seen = models.DateTimeField(_("最近提问"), db_index=True)
    top_code = models.CharField(_("最佳匹配编码"), max_length=60, blank=True)
    top_name = models.CharField(_("最佳匹配名称"), max_length=200, blank=True)
    referral_code = models.CharField(_("转介"), max_length=60, blank=True)
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.OPEN)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("处理人"),
    )
    resolved_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    resolution = models.CharField(_("处理说明"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("百事通问题记录")
        verbose_name_plural = _("百事通问题记录")
        ordering = ["-last_seen"]
        indexes = [models.Index(fields=["status", "-count"], name="guideq_status_count")]

    def __str__(self) -> str:
        return self.text

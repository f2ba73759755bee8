"""好差评: service events, ratings, appeals and the rectification work orders (差评整改).

A :class:`ServiceEvent` is one thing a person can rate exactly once: a ticket
served at a window (一次一评), an online case or a cabinet pickup (一事一评).
Other apps record it through :func:`tongban.ratings.services.service_event_record`
when the service ends; it snapshots who served, where, for which matter — so a
rating keeps pointing at the clerk and unit that served even if the case moves on,
and the national export needs no joins into other apps.

Ratings are immutable once given. The only state change is *annulment* by a
reviewer after an appeal; annulled ratings stay in the table (auditors see them)
and drop out of the statistics.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from tongban.core.crypto import EncryptedTextField


class Level(models.IntegerChoices):
    VERY_SATISFIED = 5, _("非常满意")
    SATISFIED = 4, _("满意")
    BASIC = 3, _("基本满意")
    UNSATISFIED = 2, _("不满意")
    VERY_UNSATISFIED = 1, _("非常不满意")


BAD_LEVEL_MAX = 2  # 不满意 and 非常不满意 are 差评


class ServiceChannel(models.TextChoices):
    IN_PERSON = "in_person", _("窗口现场")
    ONLINE = "online", pgettext_lazy("channel", "网上办理")
    CABINET = "cabinet", _("智能文件柜")


class EventKind(models.TextChoices):
    TICKET = "ticket", _("窗口服务（取号）")
    APPLICATION = "application", _("办件")
    PICKUP = "pickup", _("文件柜取件")


# Sub-indicators per channel (GB/T 39734-2020): code → label.
INDICATORS: dict[str, list[tuple[str, Any]]] = {
    ServiceChannel.IN_PERSON: [
        ("efficiency", _("服务效率")),
        ("competence", _("服务水平")),
        ("attitude", _("服务态度")),
    ],
    ServiceChannel.ONLINE: [
        ("efficiency", _("办事效率")),
        ("guide_accuracy", _("指南准确度")),
        ("convenience", _("便捷度")),
        ("usability", _("平台操作性")),
    ],
    ServiceChannel.CABINET: [
        ("efficiency", _("办事效率")),
        ("convenience", _("便捷度")),
        ("usability", _("平台操作性")),
    ],
}


class ServiceEvent(models.Model):
    kind = models.CharField(_("类型"), max_length=12, choices=EventKind.choices)
    ref = models.CharField(_("来源编号"), max_length=64, help_text=_("取号单ID、办件编号或取件ID"))
    channel = models.CharField(_("服务渠道"), max_length=12, choices=ServiceChannel.choices)
    center = models.ForeignKey(
        "catalog.Center", on_delete=models.PROTECT, related_name="+", verbose_name=_("中心")
    )
    window = models.ForeignKey(
        "catalog.Window", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    clerk = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("服务人员"),
    )
    matter = models.ForeignKey(
        "catalog.Matter", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    department = models.ForeignKey(
        "catalog.Department",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("责任单位"),
    )
    application_number = models.CharField(_("办件编号"), max_length=40, blank=True, db_index=True)
    ticket_number = models.CharField(_("号码"), max_length=12, blank=True)
    served_at = models.DateTimeField(_("服务结束时间"))
    rater = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    rater_phone = EncryptedTextField(_("评价人手机号"), blank=True, default="")
    rater_phone_hash = models.CharField(max_length=64, blank=True, default="", db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("服务事件")
        verbose_name_plural = _("服务事件")
        constraints = [models.UniqueConstraint(fields=["kind", "ref"], name="ratings_event_unique_ref")]
        indexes = [models.Index(fields=["window", "served_at"], name="ratings_event_window_served")]

    def __str__(self) -> str:
        return f"{self.kind}:{self.ref}"


class Rating(models.Model):
    class Source(models.TextChoices):
        PAD = "pad", _("窗口评价器")
        SMS_LINK = "sms_link", _("短信链接")
        PORTAL = "portal", _("一网通办")
        API = "api", _("接口")

    class State(models.TextChoices):
        VALID = "valid", pgettext_lazy("rating", "有效")
        ANNULLED = "annulled", _("已作废")

    number = models.CharField(_("评价编号"), max_length=24, unique=True)
    # OneToOne = one rating per service event, enforced by the database.
    event = models.OneToOneField(ServiceEvent, on_delete=models.PROTECT, related_name="rating")
    level = models.PositiveSmallIntegerField(_("评价等级"), choices=Level.choices)
    indicators = models.JSONField(_("分项评价"), default=dict, blank=True)
    comment = models.CharField(_("评价内容"), max_length=500, blank=True)
    source = models.CharField(_("评价渠道"), max_length=12, choices=Source.choices)
    created_at = models.DateTimeField(_("评价时间"), db_index=True)
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.VALID)
    annulled_at = models.DateTimeField(null=True, blank=True)
    annulled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    annul_reason = models.CharField(_("作废理由"), max_length=500, blank=True)
    # Snapshot for statistics without a join (the event is immutable anyway).
    center = models.ForeignKey("catalog.Center", on_delete=models.PROTECT, related_name="+")
    is_bad = models.BooleanField(_("差评"), default=False)

    class Meta:
        verbose_name = _("评价")
        verbose_name_plural = _("评价")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(level__gte=1, level__lte=5), name="ratings_level_range")
        ]
        indexes = [models.Index(fields=["center", "created_at"], name="ratings_center_created")]

    def __str__(self) -> str:
        return self.number

    @property
    def level_label(self) -> str:
        return str(Level(self.level).label)


class Appeal(models.Model):
    """申诉: the unit says a rating is mistaken or malicious; a reviewer decides."""

    class State(models.TextChoices):
        PENDING = "pending", _("待复核")
        UPHELD = "upheld", _("申诉成立，评价作废")
        REJECTED = "rejected", _("申诉不成立")

    rating = models.ForeignKey(Rating, on_delete=models.PROTECT, related_name="appeals")
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    filed_at = models.DateTimeField()
    reason = models.CharField(_("申诉理由"), max_length=500)
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.CharField(_("复核意见"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("评价申诉")
        verbose_name_plural = _("评价申诉")
        ordering = ["-filed_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["rating"], condition=Q(state="pending"), name="ratings_one_pending_appeal"
            )
        ]

    def __str__(self) -> str:
        return f"appeal {self.pk} of {self.rating_id}"


class WorkOrder(models.Model):
    """差评整改工单: call back → verify → rectify or explain → report back → (rater's follow-up)."""

    class State(models.TextChoices):
        OPEN = "open", _("待回访")
        CONTACTED = "contacted", _("已回访，待核实")
        VERIFIED = "verified", _("已核实，待整改")
        RESOLVED = "resolved", _("已整改/说明，待反馈")
        CLOSED = "closed", _("已反馈办结")
        CANCELLED = "cancelled", _("已撤销（评价作废）")

    class Outcome(models.TextChoices):
        RECTIFIED = "rectified", _("已整改")
        EXPLAINED = "explained", _("已解释说明")

    number = models.CharField(_("工单编号"), max_length=24, unique=True)
    rating = models.OneToOneField(Rating, on_delete=models.PROTECT, related_name="work_order")
    center = models.ForeignKey("catalog.Center", on_delete=models.PROTECT, related_name="+")
    department = models.ForeignKey(
        "catalog.Department",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("责任单位"),
    )
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.OPEN)
    outcome = models.CharField(_("处理结果"), max_length=10, choices=Outcome.choices, blank=True)
    created_at = models.DateTimeField(_("派单时间"))
    contact_due = models.DateField(_("回访期限"))
    close_due = models.DateField(_("办结期限"))
    contacted_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    contact_escalated_at = models.DateTimeField(null=True, blank=True)
    close_escalated_at = models.DateTimeField(null=True, blank=True)
    follow_up_level = models.PositiveSmallIntegerField(
        _("整改后评价"), choices=Level.choices, null=True, blank=True
    )
    follow_up_comment = models.CharField(max_length=500, blank=True)
    follow_up_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("整改工单")
        verbose_name_plural = _("整改工单")
        ordering = ["close_due", "id"]
        indexes = [models.Index(fields=["center", "state"], name="ratings_wo_center_state")]

    def __str__(self) -> str:
        return self.number

    @property
    def escalated(self) -> bool:
        return bool(self.contact_escalated_at or self.close_escalated_at)


class WorkOrderStep(models.Model):
    """History of a work order: one row per action, never edited."""

    class Kind(models.TextChoices):
        CREATED = "created", _("派单")
        CONTACTED = "contacted", _("回访")
        VERIFIED = "verified", _("核实")
        RECTIFIED = "rectified", _("整改")
        EXPLAINED = "explained", _("解释说明")
        REPORTED = "reported", _("反馈评价人")
        ESCALATED = "escalated", _("超期督办")
        FOLLOW_UP = "follow_up", _("整改后评价")
        CANCELLED = "cancelled", _("撤销")

    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="steps")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    note = models.TextField(blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField()

    class Meta:
        verbose_name = _("工单记录")
        verbose_name_plural = _("工单记录")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.work_order_id}:{self.kind}"

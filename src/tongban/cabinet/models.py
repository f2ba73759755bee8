"""Smart file cabinet (智能文件柜): cabinets, compartments, items, codes and the device outbox.

State changes happen only in :mod:`tongban.cabinet.services`. Every item transition
appends an :class:`ItemEvent`; commands to a cabinet are rows in :class:`DeviceCommand`
(the outbox: nothing is lost when the broker or the cabinet is offline); events from a
cabinet are de-duplicated by their id in :class:`DeviceEvent` (a replay is harmless).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tongban.core.crypto import EncryptedTextField, mask_phone


class Size(models.TextChoices):
    S = "S", _("小格")
    M = "M", _("中格")
    L = "L", _("大格")


SIZE_ORDER: list[str] = [Size.S.value, Size.M.value, Size.L.value]


class Cabinet(models.Model):
    code = models.CharField(_("柜号"), max_length=40, unique=True)
    center = models.ForeignKey(
        "catalog.Center", on_delete=models.PROTECT, related_name="cabinets", verbose_name=_("中心")
    )
    name = models.CharField(_("名称"), max_length=100)
    place = models.CharField(_("位置"), max_length=200, help_text=_("例如：24小时自助服务区"))
    hours = models.CharField(_("取件时间"), max_length=100, default="24小时")
    online = models.BooleanField(_("在线"), default=False)
    last_heartbeat = models.DateTimeField(_("最近心跳"), null=True, blank=True)
    firmware = models.CharField(_("固件版本"), max_length=40, blank=True)
    code_length = models.PositiveSmallIntegerField(_("取件码位数"), default=6)
    code_valid_days = models.PositiveSmallIntegerField(_("取件码有效天数"), default=14)
    reminder_after_days = models.PositiveSmallIntegerField(_("几天未取发提醒"), default=3)
    recall_after_days = models.PositiveSmallIntegerField(_("几天未取回收"), default=7)

    class Meta:
        verbose_name = _("智能文件柜")
        verbose_name_plural = _("智能文件柜")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=Q(code_length__gte=6), name="cabinet_code_length_min_6"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def where(self) -> str:
        """Where a resident finds it, as the SMS and the portal say it (needs ``center``)."""
        return f"{self.center.name}{self.place}（{self.name}）"


class Compartment(models.Model):
    class State(models.TextChoices):
        FREE = "free", _("空闲")
        RESERVED = "reserved", _("已预留")
        OCCUPIED = "occupied", _("有件")
        OPEN = "open", _("门已开")
        FAULTY = "faulty", _("故障")
        DISABLED = "disabled", _("停用")

    cabinet = models.ForeignKey(Cabinet, on_delete=models.CASCADE, related_name="compartments")
    number = models.PositiveSmallIntegerField(_("格口号"))
    size = models.CharField(_("尺寸"), max_length=1, choices=Size.choices)
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.FREE)
    door_open = models.BooleanField(_("门磁：开"), default=False)
    door_opened_at = models.DateTimeField(_("开门时间"), null=True, blank=True)
    fault = models.CharField(_("故障"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("格口")
        verbose_name_plural = _("格口")
        ordering = ["cabinet", "number"]
        constraints = [
            models.UniqueConstraint(fields=["cabinet", "number"], name="compartment_unique_number"),
        ]

    def __str__(self) -> str:
        return f"{self.cabinet.code}-{self.number:02d}"


class Item(models.Model):
    """A document waiting for a resident (pickup) or materials a resident hands in (drop-off)."""

    class Kind(models.TextChoices):
        PICKUP = "pickup", _("取件")
        DROPOFF = "dropoff", _("投递")

    class State(models.TextChoices):
        RESERVED = "reserved", _("待放入")  # compartment held, door not yet opened for loading
        LOADING = "loading", _("放入中")  # door open for loading
        STORED = "stored", _("在柜")  # door closed with the item inside
        UNLOADING = "unloading", _("取出中")  # door open for taking out
        DONE = "done", _("已完成")  # picked up by the resident / received by the clerk
        RECALLED = "recalled", _("已回收")  # overdue pickup brought back to the counter
        CANCELLED = "cancelled", _("已取消")

    ACTIVE_STATES = (State.RESERVED, State.LOADING, State.STORED, State.UNLOADING)

    class Unload(models.TextChoices):
        PICKUP = "pickup", _("居民取件")
        RECALL = "recall", _("回收")
        COLLECT = "collect", _("工作人员取回投递材料")

    reference = models.UUIDField(_("编号"), default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(_("类型"), max_length=8, choices=Kind.choices)
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.RESERVED)
    cabinet = models.ForeignKey(Cabinet, on_delete=models.PROTECT, related_name="items")
    compartment = models.ForeignKey(Compartment, on_delete=models.PROTECT, related_name="items")
    size = models.CharField(_("尺寸"), max_length=1, choices=Size.choices)
    label = models.CharField(_("物品说明"), max_length=200, blank=True)
    application = models.ForeignKey(
        "applications.Application",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cabinet_items",
        verbose_name=_("办件"),
    )
    # Where to send the code. Personal data: encrypted, never shown in full.
    phone = EncryptedTextField(_("手机号"), blank=True, default="")
    # The code: only a salted scrypt hash plus an 8-bit keyed tag that narrows the candidates.
    code_hash = models.CharField(max_length=200, blank=True)
    code_tag = models.PositiveSmallIntegerField(null=True, blank=True)
    code_expires_at = models.DateTimeField(_("取件码有效期"), null=True, blank=True)
    code_used_at = models.DateTimeField(_("取件码使用时间"), null=True, blank=True)
    unload_reason = models.CharField(max_length=8, choices=Unload.choices, blank=True)
    by_proxy = models.BooleanField(_("代取"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    stored_at = models.DateTimeField(_("入柜时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    reminders_sent = models.PositiveSmallIntegerField(default=0)
    last_reminder_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("柜内物品")
        verbose_name_plural = _("柜内物品")
        ordering = ["-created_at", "-id"]
        constraints = [
            # Two live items never share a compartment, whatever the race.
            models.UniqueConstraint(
                fields=["compartment"],
                condition=Q(state__in=["reserved", "loading", "stored", "unloading"]),
                name="item_one_live_per_compartment",
            ),
        ]
        indexes = [models.Index(fields=["cabinet", "code_tag"], name="item_cabinet_code_tag")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.reference}"

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)


class ItemEvent(models.Model):
    """Append-only history of an item's states."""

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(auto_now_add=True)
    from_state = models.CharField(max_length=10, blank=True)
    to_state = models.CharField(max_length=10)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.item_id}: {self.from_state} → {self.to_state}"


class DeviceCommand(models.Model):
    """The outbox: one row per command to a cabinet; published when it (and the broker) can take it."""

    class State(models.TextChoices):
        QUEUED = "queued", _("排队中")
        SENT = "sent", _("已发送")
        DONE = "done", _("已执行")
        FAILED = "failed", _("失败")
        EXPIRED = "expired", _("已过期")

    class Purpose(models.TextChoices):
        DEPOSIT = "deposit", _("放入")
        PICKUP = "pickup", _("取件")
        DROPOFF = "dropoff", _("投递")
        COLLECT = "collect", _("取回投递材料")
        RECALL = "recall", _("回收")
        REMOTE = "remote", _("远程开门")

    request_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    cabinet = models.ForeignKey(Cabinet, on_delete=models.CASCADE, related_name="commands")
    compartment = models.ForeignKey(Compartment, on_delete=models.CASCADE, related_name="commands")
    item = models.ForeignKey(Item, on_delete=models.SET_NULL, null=True, blank=True, related_name="commands")
    action = models.CharField(max_length=10, default="open")
    purpose = models.CharField(max_length=10, choices=Purpose.choices)
    state = models.CharField(max_length=8, choices=State.choices, default=State.QUEUED)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("设备指令")
        verbose_name_plural = _("设备指令")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["state", "cabinet"], name="devicecommand_state_cabinet")]

    def __str__(self) -> str:
        return f"{self.action} {self.compartment_id} ({self.state})"


class DeviceEvent(models.Model):
    """Every event a cabinet sent, once: the (cabinet, event id) pair makes a replay a no-op."""

    cabinet = models.ForeignKey(Cabinet, on_delete=models.CASCADE, related_name="events")
    event_id = models.CharField(max_length=64)
    type = models.CharField(max_length=16)
    payload = models.JSONField()
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["cabinet", "event_id"], name="deviceevent_unique_id"),
        ]

    def __str__(self) -> str:
        return f"{self.cabinet_id}: {self.type} {self.event_id}"


class Alert(models.Model):
    """Something staff must look at: door left open, door jammed, cabinet offline."""

    class Kind(models.TextChoices):
        DOOR_LEFT_OPEN = "door_left_open", _("柜门未关")
        DOOR_FAULT = "door_fault", _("柜门故障")
        OPEN_TIMEOUT = "open_timeout", _("开门无响应")
        OFFLINE = "offline", _("柜子离线")

    cabinet = models.ForeignKey(Cabinet, on_delete=models.CASCADE, related_name="alerts")
    compartment = models.ForeignKey(
        Compartment, on_delete=models.CASCADE, null=True, blank=True, related_name="alerts"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    message = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("柜机告警")
        verbose_name_plural = _("柜机告警")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["cabinet", "compartment", "kind"],
                condition=Q(resolved_at__isnull=True),
                name="alert_one_open_per_kind",
            ),
        ]

    def __str__(self) -> str:
        return self.message


class CodeAttempt(models.Model):
    """Every wrong code entered at a cabinet (never the code itself): the ledger of the keypad lock.

    Successful entries are in the audit log; ``success`` is kept for other ledgers (e.g. staff tools)."""

    cabinet = models.ForeignKey(Cabinet, on_delete=models.CASCADE, related_name="attempts")
    source = models.CharField(max_length=64)
    at = models.DateTimeField(db_index=True)
    success = models.BooleanField()

    class Meta:
        indexes = [
            models.Index(fields=["cabinet", "success", "at"], name="codeattempt_cabinet"),
            models.Index(fields=["source", "success", "at"], name="codeattempt_source"),
        ]

    def __str__(self) -> str:
        return f"{self.cabinet_id} {self.at:%Y-%m-%d %H:%M:%S} {'ok' if self.success else 'fail'}"


class KeypadLock(models.Model):
    """A lockable row per scope ("cabinet:<code>" or "source:<ip>"): serialises attempts, holds the lock."""

    scope = models.CharField(max_length=100, unique=True)
    locked_until = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.scope


class RemoteOpen(models.Model):
    """An admin's request to open a door outside the flows; needs a second staff member's approval."""

    class State(models.TextChoices):
        PENDING = "pending", _("待审批")
        APPROVED = "approved", _("已批准")
        REJECTED = "rejected", _("已驳回")

    compartment = models.ForeignKey(Compartment, on_delete=models.PROTECT, related_name="remote_opens")
    reason = models.CharField(_("原因"), max_length=300)
    state = models.CharField(max_length=8, choices=State.choices, default=State.PENDING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    command = models.ForeignKey(DeviceCommand, on_delete=models.SET_NULL, null=True, blank=True)

    class Meta:
        verbose_name = _("远程开格")
        verbose_name_plural = _("远程开格")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.compartment_id}: {self.reason[:30]}"

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class CalendarYear(models.Model):
    """One year of the official working-day calendar.

    ``official`` is set once the State Council's notice for the year has been
    entered or imported; until then the year (seeded from the ``holidays``
    package or from the weekend rule) is *provisional* and every deadline that
    falls in it says so.
    """

    year = models.PositiveSmallIntegerField(_("年份"), primary_key=True)
    official = models.BooleanField(_("已按国务院通知核定"), default=False)
    source = models.CharField(_("来源"), max_length=200, blank=True)
    notice_reference = models.CharField(_("通知文号"), max_length=200, blank=True)
    notice_title = models.CharField(_("通知标题"), max_length=200, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("日历年度")
        verbose_name_plural = _("日历年度")
        ordering = ["year"]

    def __str__(self) -> str:
        return f"{self.year}{'' if self.official else '（暂定）'}"


class CalendarDay(models.Model):
    """A day whose status differs from the plain weekend rule (holiday, make-up working day).

    ``source_year`` is the calendar year whose notice (or library seed) set the
    day. It usually equals ``date.year``, but a notice may reach over the year
    boundary: the 2019 notice made Mon 2018-12-31 a holiday and Sat 2018-12-29
    a working day. Re-importing a year replaces exactly the days it owns.
    """

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("法定节假日/休息日")
        MAKEUP_WORKDAY = "makeup", _("调休上班日")

    date = models.DateField(_("日期"), primary_key=True)
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("名称"), max_length=100, blank=True)
    source_year = models.ForeignKey(
        CalendarYear,
        on_delete=models.CASCADE,
        related_name="days",
        null=True,
        blank=True,
        verbose_name=_("来源年度"),
    )

    class Meta:
        verbose_name = _("节假日/调休日")
        verbose_name_plural = _("节假日/调休日")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()} {self.name}"

    @property
    def is_workday(self) -> bool:
        return self.kind == self.Kind.MAKEUP_WORKDAY


class AuditHead(models.Model):
    """Single row holding the tip of the audit hash chain; only the sealer locks and moves it."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_seq = models.BigIntegerField(default=0)  # chain position (AuditEntry.chain_seq) of the tip
    last_hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"audit tip #{self.last_seq}"


class AuditEntry(models.Model):
    """Append-only, hash-chained audit record. ``manage.py audit_verify`` detects edits and deletions.

    Written *pending* (``chain_seq``, ``prev_hash``, ``hash`` NULL) in the caller's
    transaction; :func:`tongban.core.audit.audit_seal` later gives it its chain position and
    hash. ``seq`` is only the insertion id (gaps from rollbacks are normal).
    """

    seq = models.BigAutoField(_("序号"), primary_key=True)
    chain_seq = models.BigIntegerField(_("链序号"), null=True, blank=True, unique=True, editable=False)
    at = models.DateTimeField(_("时间"), db_index=True)
    actor_id = models.BigIntegerField(_("操作人ID"), null=True, blank=True, db_index=True)
    actor_repr = models.CharField(_("操作人"), max_length=150, blank=True)
    action = models.CharField(_("动作"), max_length=80, db_index=True)
    object_type = models.CharField(_("对象类型"), max_length=80, blank=True)
    # looked up with its type: the (object_type, object_id) index below serves it
    object_id = models.CharField(_("对象ID"), max_length=80, blank=True)
    data = models.JSONField(_("内容"), default=dict, blank=True)
    ip = models.GenericIPAddressField(_("IP"), null=True, blank=True)
    prev_hash = models.CharField(max_length=64, null=True, blank=True)
    hash = models.CharField(max_length=64, null=True, blank=True, unique=True)

    class Meta:
        verbose_name = _("审计日志")
        verbose_name_plural = _("审计日志")
        ordering = ["-seq"]
        indexes = [
            models.Index(fields=["object_type", "object_id"]),
            # The few entries awaiting the sealer, in insertion order (tiny: sealed rows leave it).
            models.Index(
                fields=["seq"], condition=models.Q(chain_seq__isnull=True), name="core_audit_pending"
            ),
        ]

    def __str__(self) -> str:
        position = f"#{self.chain_seq}" if self.chain_seq is not None else f"待封存 pending id={self.seq}"
        return f"{position} {self.action} {self.object_type}:{self.object_id}"

"""Daily rollups behind the operations dashboard.

One row per (day, center, matter, channel) with additive counters and small
histograms (processing working days, waiting minutes) so any period's average
and p90 come from summing rows, never from scanning a year of applications.
Histograms are fixed bucket columns (``proc_b0..`` for processing working days,
``wait_b0..`` for waiting minutes; bounds in PROC_BOUNDS / WAIT_BOUNDS) so a
p90 over any period is one SQL SUM. Rows are rebuilt per (day, center) by :func:`tongban.dashboard.services.rollup_rebuild_day`
— a task refreshes today and yesterday; ``manage.py rebuild_rollups`` rebuilds any range.
Center-level facts with no matter (cabinet pickups, tickets without a matter) use ``matter=None``.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

# Inclusive upper bounds of the histogram buckets; the last bucket is open-ended.
PROC_BOUNDS = [0, 1, 2, 3, 5, 7, 10, 15, 20]  # working days from acceptance to decision
WAIT_BOUNDS = [5, 10, 15, 20, 30, 45, 60, 90, 120]  # minutes from ticket to call


class RollupCounters(models.Model):
    """The additive counters shared by the daily and the monthly rollup."""

    center = models.ForeignKey("catalog.Center", on_delete=models.CASCADE, related_name="+")
    matter = models.ForeignKey(
        "catalog.Matter", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    department = models.ForeignKey(
        "catalog.Department", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    channel = models.CharField(_("渠道"), max_length=12, blank=True)
    # applications (办件)
    received = models.PositiveIntegerField(default=0)
    decided = models.PositiveIntegerField(default=0)
    decided_on_time = models.PositiveIntegerField(default=0)
    processing_days_sum = models.PositiveIntegerField(default=0)
    supplements = models.PositiveIntegerField(default=0)
    proc_b0 = models.PositiveIntegerField(default=0)
    proc_b1 = models.PositiveIntegerField(default=0)
    proc_b2 = models.PositiveIntegerField(default=0)
    proc_b3 = models.PositiveIntegerField(default=0)
    proc_b4 = models.PositiveIntegerField(default=0)
    proc_b5 = models.PositiveIntegerField(default=0)
    proc_b6 = models.PositiveIntegerField(default=0)
    proc_b7 = models.PositiveIntegerField(default=0)
    proc_b8 = models.PositiveIntegerField(default=0)
    proc_b9 = models.PositiveIntegerField(default=0)
    # queue (取号)
    tickets = models.PositiveIntegerField(default=0)
    tickets_served = models.PositiveIntegerField(default=0)
    wait_minutes_sum = models.PositiveIntegerField(default=0)
    wait_b0 = models.PositiveIntegerField(default=0)
    wait_b1 = models.PositiveIntegerField(default=0)
    wait_b2 = models.PositiveIntegerField(default=0)
    wait_b3 = models.PositiveIntegerField(default=0)
    wait_b4 = models.PositiveIntegerField(default=0)
    wait_b5 = models.PositiveIntegerField(default=0)
    wait_b6 = models.PositiveIntegerField(default=0)
    wait_b7 = models.PositiveIntegerField(default=0)
    wait_b8 = models.PositiveIntegerField(default=0)
    wait_b9 = models.PositiveIntegerField(default=0)
    # cabinet (智能文件柜)
    pickups = models.PositiveIntegerField(default=0)
    pickups_night = models.PositiveIntegerField(default=0)
    # ratings (好差评), valid ratings only
    ratings = models.PositiveIntegerField(default=0)
    ratings_bad = models.PositiveIntegerField(default=0)
    level_5 = models.PositiveIntegerField(default=0)
    level_4 = models.PositiveIntegerField(default=0)
    level_3 = models.PositiveIntegerField(default=0)
    level_2 = models.PositiveIntegerField(default=0)
    level_1 = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True


class DailyRollup(RollupCounters):
    day = models.DateField(_("日期"))

    class Meta:
        verbose_name = _("日汇总")
        verbose_name_plural = _("日汇总")
        indexes = [
            models.Index(fields=["day", "center"], name="dash_rollup_day_center"),
            models.Index(fields=["center", "day"], name="dash_rollup_center_day"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.center_id} {self.matter_id} {self.channel}"


class MonthlyRollup(RollupCounters):
    """Sum of a month's daily rows (rebuilt with them): year views read 12 months, not 365 days."""

    month = models.DateField(_("月份（当月1日）"))

    class Meta:
        verbose_name = _("月汇总")
        verbose_name_plural = _("月汇总")
        indexes = [models.Index(fields=["month", "center"], name="dash_monthly_month_center")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.center_id} {self.matter_id} {self.channel}"

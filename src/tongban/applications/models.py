"""Applications (办件): one case per matter, its checklist, history, reviews, clock and delivery.

Only :mod:`tongban.applications.services` changes these rows. The state lives
on :class:`Application` (``status`` plus the clock fields) and every change is
also appended to :class:`StatusChange`, which is never edited.

A bundle intake (一件事) creates one :class:`BundleCase` and one
:class:`Application` per matter, linked to it; materials shared between the
parts (same ``material_type``) are received once and ticked on every part.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tongban.core.crypto import EncryptedTextField


class Channel(models.TextChoices):
    WINDOW = "window", _("窗口受理")
    ONLINE = "online", _("网上申请")
    KIOSK = "kiosk", _("自助终端")
    CABINET = "cabinet", _("智能文件柜投递")


class DeliveryMethod(models.TextChoices):
    WINDOW = "window", _("窗口领取")
    CABINET = "cabinet", _("智能文件柜自取")
    POST = "post", _("邮寄送达")


class Status(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("已提交")
    SUPPLEMENT_REQUESTED = "supplement", _("待补正")
    REFUSED = "refused", _("不予受理")
    ACCEPTED = "accepted", _("已受理")
    UNDER_REVIEW = "under_review", _("审查中")
    SUSPENDED = "suspended", _("中止计时")
    DECIDED = "decided", _("已办结")
    READY_FOR_DELIVERY = "ready", _("待领取/待送达")
    DELIVERED = "delivered", _("已送达")
    CLOSED = "closed", _("已归档")
    WITHDRAWN = "withdrawn", _("已撤回")


class Outcome(models.TextChoices):
    APPROVED = "approved", _("准予")
    DENIED = "denied", _("不予")


class DeadlineColour(models.TextChoices):
    NONE = "", _("未计时")
    GREEN = "green", _("正常")
    YELLOW = "yellow", _("临近时限")
    RED = "red", _("已超期")


class CaseNumberSequence(models.Model):
    """Gapless per-center, per-day counter for readable numbers (row-locked while taken)."""

    center = models.ForeignKey("catalog.Center", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("办件编号序列")
        verbose_name_plural = _("办件编号序列")
        constraints = [models.UniqueConstraint(fields=["center", "day"], name="case_seq_unique_center_day")]

    def __str__(self) -> str:
        return f"{self.center_id}/{self.day}: {self.last}"


class BundleCase(models.Model):
    """One intake of a bundle (一件事): the resident sees one case with its parts (Applications)."""

    number = models.CharField(_("一件事编号"), max_length=64, unique=True)
    bundle = models.ForeignKey(
        "catalog.Bundle", on_delete=models.PROTECT, related_name="+", verbose_name=_("一件事")
    )
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="bundle_cases",
        verbose_name=_("申请人"),
    )
    center = models.ForeignKey(
        "catalog.Center", on_delete=models.PROTECT, related_name="+", verbose_name=_("中心")
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("一件事办件")
        verbose_name_plural = _("一件事办件")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.number


class Application(models.Model):
    number = models.CharField(_("办件编号"), max_length=64, unique=True)
    bundle_case = models.ForeignKey(
        BundleCase,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="parts",
        verbose_name=_("所属一件事"),
    )
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="applications",
        verbose_name=_("申请人"),
        db_index=False,  # app_applicant_created
    )
    # Snapshot at intake: the case keeps who applied even if the account changes later.
    applicant_name = models.CharField(_("申请人姓名/名称"), max_length=100)
    applicant_id_last4 = models.CharField(_("证件号后四位"), max_length=4, blank=True)
    center = models.ForeignKey(
        "catalog.Center",
        on_delete=models.PROTECT,
        related_name="applications",
        verbose_name=_("受理中心"),
        db_index=False,  # app_center_created
    )
    matter = models.ForeignKey(
        "catalog.Matter", on_delete=models.PROTECT, related_name="applications", verbose_name=_("事项")
    )
    guide = models.ForeignKey(
        "catalog.GuideVersion",
        on_delete=models.PROTECT,
        related_name="applications",
        verbose_name=_("办事指南版本"),
        db_index=False,  # only looked up when a guide version would be deleted (PROTECT)
    )
    department = models.ForeignKey(
        "catalog.Department",
        on_delete=models.PROTECT,
        related_name="applications",
        verbose_name=_("实施主体"),
        db_index=False,  # app_dept_created
    )
    channel = models.CharField(_("申请渠道"), max_length=10, choices=Channel.choices)
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.DRAFT)
    outcome = models.CharField(_("办理结果"), max_length=10, choices=Outcome.choices, blank=True)
    outcome_reason = models.TextField(_("结果说明"), blank=True)

    delivery = models.CharField(
        _("送达方式"), max_length=10, choices=DeliveryMethod.choices, default=DeliveryMethod.WINDOW
    )
    delivery_address = EncryptedTextField(_("邮寄地址"), blank=True, default="")
    # Where this case's SMS notices go when not to the applicant's own phone: a number the applicant gave at
    # intake that is a family member's (another resident signs in with it) or simply not theirs. Empty: the
    # applicant's phone.
    contact_phone = EncryptedTextField(_("本件联系电话"), blank=True, default="")
    delivered_via = models.CharField(_("实际送达途径"), max_length=40, blank=True)
    delivered_by_proxy = models.BooleanField(_("代领"), default=False)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("录入人"),
        db_index=False,  # only looked up when a user would be deleted (PROTECT)
    )
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="handled_applications",
        verbose_name=_("责任窗口人员"),
    )
    window = models.ForeignKey(
        "catalog.Window",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("受理窗口"),
        db_index=False,  # only looked up when a window is deleted
    )

    refusal_reason = models.TextField(_("不予受理理由"), blank=True)
    refusal_basis = models.TextField(_("不予受理依据"), blank=True)
    note = models.TextField(_("备注"), blank=True)

    # Clock (working days, tongban.core.calendar). due_date = add_workdays(accepted_on,
    # promised_days + extension_days + suspended_days); recomputed by the services.
    promised_days = models.PositiveSmallIntegerField(_("承诺时限（工作日）"), null=True, blank=True)
    extension_days = models.PositiveSmallIntegerField(_("延期（工作日）"), default=0)
    suspended_days = models.PositiveSmallIntegerField(_("中止（工作日）"), default=0)
    due_date = models.DateField(_("办结期限"), null=True, blank=True)
    due_provisional = models.BooleanField(_("期限按暂定日历计算"), default=False)
    warning_level = models.CharField(
        _("已发预警"), max_length=8, choices=DeadlineColour.choices, blank=True, default=""
    )

    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("受理时间"), null=True, blank=True)
    decided_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("送达时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("归档时间"), null=True, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    # Bumped by every service write; clients may send it back to detect stale forms.
    version = models.PositiveIntegerField(_("版本"), default=1)

    class Meta:
        verbose_name = _("办件")
        verbose_name_plural = _("办件")
        ordering = ["-created_at", "-id"]
        # Every intake writes the new case into each of these: no index another one already covers.
        indexes = [
            models.Index(fields=["center", "status", "-created_at"], name="app_center_status_created"),
            models.Index(fields=["department", "status", "-created_at"], name="app_dept_status_created"),
            models.Index(fields=["applicant", "-created_at"], name="app_applicant_created"),
            models.Index(fields=["status", "due_date"], name="app_status_due"),
            # the dashboard's rollup refresh reads the cases received / decided in a time window
            models.Index(fields=["submitted_at"], name="app_submitted_at"),
            models.Index(fields=["decided_at"], name="app_decided_at"),
            models.Index(fields=["center", "-created_at"], name="app_center_created"),
            models.Index(fields=["department", "-created_at"], name="app_dept_created"),
            # prefix search (LIKE 'x%') on PostgreSQL whatever the collation; plain b-trees elsewhere. (The
            # number's own: Django gives a unique text column a varchar_pattern_ops index on PostgreSQL.)
            models.Index(
                fields=["applicant_name"], opclasses=["varchar_pattern_ops"], name="app_name_prefix"
            ),
        ]

    def __str__(self) -> str:
        return self.number


FORM_CHOICES = [
    ("original", _("原件")),
    ("copy", _("复印件")),
    ("both", _("原件及复印件")),
    ("electronic", _("电子材料")),
]


class ApplicationMaterial(models.Model):
    """One row of the material checklist (copied from the guide version at intake)."""

    class State(models.TextChoices):
        PENDING = "pending", _("未核验")
        RECEIVED = "received", _("已收取")
        MISSING = "missing", _("缺少")
        DEFECTIVE = "defective", _("不符合要求")
        DEFERRED = "deferred", _("容缺后补")
        NOT_APPLICABLE = "n_a", _("不适用")

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="materials")
    guide_material = models.ForeignKey(
        "catalog.Material", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    material_type = models.ForeignKey("catalog.MaterialType", on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("材料名称"), max_length=200)
    form = models.CharField(_("要求形式"), max_length=12, choices=FORM_CHOICES)
    count = models.PositiveSmallIntegerField(_("要求份数"), default=1)
    required = models.BooleanField(_("必需"), default=True)
    rongque = models.BooleanField(_("可容缺后补"), default=False)
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.PENDING)
    received_form = models.CharField(_("收取形式"), max_length=12, blank=True, choices=FORM_CHOICES)
    received_count = models.PositiveSmallIntegerField(_("收取份数"), default=0)
    problem = models.CharField(_("问题说明"), max_length=300, blank=True)
    received_at = models.DateTimeField(_("收取时间"), null=True, blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("材料清单")
        verbose_name_plural = _("材料清单")
        ordering = ["application", "order", "id"]

    def __str__(self) -> str:
        return f"{self.application_id}: {self.name} ({self.state})"

    @property
    def name_en(self) -> str:
        """The material type's English name (``local_name`` shows it in English); selected with the type."""
        return str(self.material_type.name_en) if "material_type" in self._state.fields_cache else ""


class StatusChange(models.Model):
    """Immutable history: one row per state change, with who, when and why."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="history")
    from_status = models.CharField(_("原状态"), max_length=12, choices=Status.choices, blank=True)
    to_status = models.CharField(_("新状态"), max_length=12, choices=Status.choices)
    action = models.CharField(_("操作"), max_length=40)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,  # statuschange_actor_at serves the look-ups by actor
    )
    actor_repr = models.CharField(_("操作人"), max_length=150)
    at = models.DateTimeField(_("时间"))
    reason = models.TextField(_("原因/说明"), blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("状态变更记录")
        verbose_name_plural = _("状态变更记录")
        ordering = ["application", "at", "id"]
        # What a clerk did since a moment: the cases handled for the ticket at their window (queueing's finish)
        indexes = [models.Index(fields=["actor", "at"], name="statuschange_actor_at")]

    def __str__(self) -> str:
        return f"{self.application_id}: {self.from_status} → {self.to_status}"


class SupplementNotice(models.Model):
    """一次性告知书: every missing or defective item, issued once per application."""

    application = models.OneToOneField(
        Application, on_delete=models.CASCADE, related_name="supplement_notice"
    )
    # [{"material_id": int|None, "name": str, "problem": str}]
    items = models.JSONField(_("需补正材料"))
    note = models.TextField(_("说明"), blank=True)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    issued_at = models.DateTimeField(_("告知时间"))
    received_at = models.DateTimeField(_("补正时间"), null=True, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("一次性告知书")
        verbose_name_plural = _("一次性告知书")

    def __str__(self) -> str:
        return f"{self.application_id}: {len(self.items)} items"


class Review(models.Model):
    """One department's opinion in the parallel review (并联审查 / 意见征询)."""

    class Opinion(models.TextChoices):
        AGREE = "agree", _("同意")
        AGREE_WITH_CONDITIONS = "conditions", _("有条件同意")
        DISAGREE = "disagree", _("不同意")

    # the unique (application, department) constraint's index leads with it: no index of its own
    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="reviews", db_index=False
    )
    department = models.ForeignKey(
        "catalog.Department", on_delete=models.PROTECT, related_name="reviews", verbose_name=_("部门")
    )
    requested_at = models.DateTimeField(_("征询时间"))
    due_date = models.DateField(_("答复期限"))
    opinion = models.CharField(_("意见"), max_length=12, choices=Opinion.choices, blank=True)
    text = models.TextField(_("意见内容"), blank=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    late = models.BooleanField(_("超期答复"), default=False)
    # Copy of application.created_at so a department's case list is one ordered index scan.
    case_created_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("部门审查意见")
        verbose_name_plural = _("部门审查意见")
        ordering = ["application", "department__code"]
        constraints = [
            models.UniqueConstraint(fields=["application", "department"], name="review_unique_app_dept")
        ]
        indexes = [
            models.Index(fields=["department", "answered_at", "due_date"], name="review_dept_open"),
            models.Index(fields=["department", "-case_created_at"], name="review_dept_case_created"),
        ]

    def __str__(self) -> str:
        return f"{self.application_id}/{self.department_id}: {self.opinion or '-'}"


class Attachment(models.Model):
    """An uploaded file: a scanned material, or a reviewer's attachment."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="attachments")
    material = models.ForeignKey(
        ApplicationMaterial, on_delete=models.SET_NULL, null=True, blank=True, related_name="attachments"
    )
    review = models.ForeignKey(
        Review, on_delete=models.SET_NULL, null=True, blank=True, related_name="attachments"
    )
    file = models.FileField(_("文件"), upload_to="applications/%Y/%m/")
    original_name = models.CharField(_("文件名"), max_length=200)
    content_type = models.CharField(_("类型"), max_length=100)
    size = models.PositiveIntegerField(_("大小（字节）"))
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("上传时间"))

    class Meta:
        verbose_name = _("附件")
        verbose_name_plural = _("附件")
        ordering = ["application", "uploaded_at", "id"]

    def __str__(self) -> str:
        return self.original_name


class Suspension(models.Model):
    """中止计时: hearing, testing, expert review — the working days in between do not count."""

    class Kind(models.TextChoices):
        HEARING = "hearing", _("听证")
        TESTING = "testing", _("检验检测")
        EXPERT = "expert", _("专家评审")
        OTHER = "other", _("其他法定情形")

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="suspensions")
    kind = models.CharField(_("中止情形"), max_length=10, choices=Kind.choices)
    reason = models.TextField(_("说明"))
    previous_status = models.CharField(max_length=12, choices=Status.choices)
    started_on = models.DateField(_("中止日期"))
    ended_on = models.DateField(_("恢复日期"), null=True, blank=True)
    days = models.PositiveSmallIntegerField(_("中止工作日"), default=0)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("中止计时")
        verbose_name_plural = _("中止计时")
        ordering = ["application", "started_on", "id"]

    def __str__(self) -> str:
        return f"{self.application_id}: {self.kind} {self.started_on}–{self.ended_on or ''}"


class Extension(models.Model):
    """延期: +N working days, approved by a manager."""

    class State(models.TextChoices):
        REQUESTED = "requested", _("待审批")
        APPROVED = "approved", _("已批准")
        REJECTED = "rejected", _("未批准")

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="extensions")
    days = models.PositiveSmallIntegerField(_("延长工作日"))
    reason = models.TextField(_("理由"))
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.REQUESTED)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(_("申请时间"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    previous_due_date = models.DateField(null=True, blank=True)
    new_due_date = models.DateField(null=True, blank=True)

    class Meta:
        verbose_name = _("延期")
        verbose_name_plural = _("延期")
        ordering = ["application", "requested_at", "id"]

    def __str__(self) -> str:
        return f"{self.application_id}: +{self.days} ({self.state})"

"""Service catalog: departments, centers and their halls, matters with versioned guides, bundles.

A :class:`Matter` is the stable identity of a service (its code); what a
resident reads — conditions, materials, time limits, fees — lives in
:class:`GuideVersion`. Publishing a change creates a new version; applications
keep a foreign key to the version they were made under.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Department(models.Model):
    code = models.CharField(_("编码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    name_en = models.CharField(_("英文名称"), max_length=200, blank=True)
    short_name = models.CharField(_("简称"), max_length=40, blank=True)
    phone = models.CharField(_("咨询电话"), max_length=40, blank=True)
    review_days = models.PositiveSmallIntegerField(
        _("会签意见时限（工作日）"), default=3, help_text=_("在并联审查中给出意见的工作日时限")
    )

    class Meta:
        verbose_name = _("部门")
        verbose_name_plural = _("部门")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Center(models.Model):
    """A community affairs acceptance service center (社区事务受理服务中心)."""

    code = models.CharField(_("编码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    name_en = models.CharField(_("英文名称"), max_length=200, blank=True)
    district = models.CharField(_("区"), max_length=40)
    subdistrict = models.CharField(_("街道/镇"), max_length=40, blank=True)
    address = models.CharField(_("地址"), max_length=200)
    phone = models.CharField(_("咨询电话"), max_length=40, blank=True)
    # {"mon": [["09:00", "17:00"]], ..., "sun": []}; empty = closed that day
    opening_hours = models.JSONField(_("开放时间"), default=dict, blank=True)
    open_24h = models.BooleanField(_("全天24小时开放"), default=False)
    hours_note = models.CharField(_("开放时间说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("服务中心")
        verbose_name_plural = _("服务中心")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Zone(models.Model):
    class Kind(models.TextChoices):
        CONSULTATION = "consultation", _("咨询台")
        SELF_SERVICE = "self_service", _("查询/打印自助区")
        AREA_24H = "area_24h", _("24小时自助服务区")
        WINDOWS = "windows", _("受理事项全综窗")
        WAITING = "waiting", _("等候区")
        FORM_FILLING = "form_filling", _("填表区")
        MOTHER_BABY = "mother_baby", _("母婴室")
        WATER = "water", _("开水房")
        REST = "rest", _("休息区")
        OTHER = "other", _("其他")

    center = models.ForeignKey(Center, on_delete=models.CASCADE, related_name="zones", verbose_name=_("中心"))
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    name = models.CharField(_("名称"), max_length=100)
    location = models.CharField(_("位置"), max_length=100, blank=True)
    open_24h = models.BooleanField(_("24小时开放"), default=False)
    description = models.TextField(_("说明"), blank=True)
    order = models.PositiveSmallIntegerField(_("顺序"), default=0)

    class Meta:
        verbose_name = _("功能区")
        verbose_name_plural = _("功能区")
        ordering = ["center", "order", "id"]

    def __str__(self) -> str:
        return f"{self.center.name} · {self.name}"


class MatterGroup(models.Model):
    """A group of matters (社保, 医保, 居住证…) used by windows, queues and the ticket machine."""

    code = models.CharField(_("编码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    name_en = models.CharField(_("英文名称"), max_length=200, blank=True)
    order = models.PositiveSmallIntegerField(_("顺序"), default=0)

    class Meta:
        verbose_name = _("事项分组")
        verbose_name_plural = _("事项分组")
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return self.name


class Window(models.Model):
    class Kind(models.TextChoices):
        COMPREHENSIVE = "comprehensive", _("综合窗口")
        SPECIALISED = "specialised", _("专业窗口")

    center = models.ForeignKey(
        Center, on_delete=models.CASCADE, related_name="windows", verbose_name=_("中心")
    )
    number = models.PositiveSmallIntegerField(_("窗口号"))
    name = models.CharField(_("名称"), max_length=100, blank=True)
    name_en = models.CharField(_("英文名称"), max_length=100, blank=True)
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices, default=Kind.COMPREHENSIVE)
    matter_groups = models.ManyToManyField(
        MatterGroup, blank=True, related_name="windows", verbose_name=_("办理的事项分组")
    )
    matters: models.ManyToManyField = models.ManyToManyField(
        "Matter", blank=True, related_name="windows", verbose_name=_("办理的事项")
    )
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("窗口")
        verbose_name_plural = _("窗口")
        ordering = ["center", "number"]
        constraints = [models.UniqueConstraint(fields=["center", "number"], name="window_unique_number")]

    def __str__(self) -> str:
        return f"{self.center.name} {self.number}号窗口"


class MaterialType(models.Model):
    """A kind of document (居民身份证, 户口簿, 出生医学证明…), shared across matters so bundles de-duplicate."""

    code = models.CharField(_("编码"), max_length=60, unique=True)
    name = models.CharField(_("名称"), max_length=200)
    name_en = models.CharField(_("英文名称"), max_length=200, blank=True)
    description = models.TextField(_("说明"), blank=True)

    class Meta:
        verbose_name = _("材料类型")
        verbose_name_plural = _("材料类型")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Matter(models.Model):
    class Type(models.TextChoices):
        LICENSE = "license", _("行政许可")
        BENEFIT = "benefit", _("行政给付")
        CONFIRMATION = "confirmation", _("行政确认")
        PUBLIC_SERVICE = "public_service", _("公共服务")
        OTHER_ADMIN = "other_admin", _("其他行政权力")

    code = models.CharField(_("事项编码"), max_length=60, unique=True)
    name = models.CharField(_("事项名称"), max_length=200)
    name_en = models.CharField(_("英文名称"), max_length=300, blank=True)
    type = models.CharField(_("事项类型"), max_length=20, choices=Type.choices)
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="matters", verbose_name=_("实施主体")
    )
    group = models.ForeignKey(
        MatterGroup,
        on_delete=models.PROTECT,
        related_name="matters",
        verbose_name=_("分组"),
        null=True,
        blank=True,
    )
    # Departments whose opinion is needed (parallel review, 并联审查); empty = decided by the implementing department.
    review_departments = models.ManyToManyField(
        Department, blank=True, related_name="reviewed_matters", verbose_name=_("并联审查部门")
    )
    active = models.BooleanField(_("在办"), default=True)
    current_version = models.ForeignKey(
        "GuideVersion",
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("当前办事指南版本"),
    )

    class Meta:
        verbose_name = _("事项")
        verbose_name_plural = _("事项")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"


class GuideVersion(models.Model):
    """One published version of a matter's service guide (办事指南). Immutable once published."""

    class Delivery(models.TextChoices):
        WINDOW = "window", _("窗口领取")
        CABINET = "cabinet", _("智能文件柜自取")
        POST = "post", _("邮寄送达")
        ELECTRONIC = "electronic", _("电子证照/结果")

    matter = models.ForeignKey(
        Matter, on_delete=models.CASCADE, related_name="versions", verbose_name=_("事项")
    )
    version = models.PositiveIntegerField(_("版本号"))
    published_at = models.DateTimeField(_("发布时间"))
    published_by = models.CharField(_("发布人"), max_length=150, blank=True)
    change_note = models.CharField(_("修订说明"), max_length=300, blank=True)

    legal_basis = models.TextField(_("设定依据"), blank=True)
    conditions = models.TextField(_("受理条件"), blank=True)
    applicant_scope = models.TextField(_("服务对象"), blank=True)
    statutory_days = models.PositiveSmallIntegerField(_("法定办结时限（工作日）"), null=True, blank=True)
    promised_days = models.PositiveSmallIntegerField(_("承诺办结时限（工作日）"))
    fees = models.CharField(_("收费标准"), max_length=300, default="不收费")
    steps = models.JSONField(_("办理流程"), default=list, blank=True)  # ["窗口受理", "审核", "办结"]
    visits = models.PositiveSmallIntegerField(_("到现场次数"), default=1)
    online = models.BooleanField(_("可网上办理"), default=False)
    delivery_options = models.JSONField(_("送达方式"), default=list, blank=True)  # Delivery values
    where = models.CharField(_("办理地点"), max_length=300, blank=True)
    when = models.CharField(_("办理时间"), max_length=300, blank=True)
    consult_phone = models.CharField(_("咨询电话"), max_length=60, blank=True)
    complaint_phone = models.CharField(_("投诉电话"), max_length=60, default="12345")
    keywords = models.CharField(_("关键词"), max_length=500, blank=True, help_text=_("用空格或逗号分隔"))
    synonyms = models.CharField(
        _("俗称/口语说法"), max_length=500, blank=True, help_text=_("居民常说的叫法，如“病历本”")
    )
    notes = models.TextField(_("其他说明"), blank=True)

    class Meta:
        verbose_name = _("办事指南版本")
        verbose_name_plural = _("办事指南版本")
        ordering = ["matter", "-version"]
        constraints = [models.UniqueConstraint(fields=["matter", "version"], name="guide_unique_version")]

    def __str__(self) -> str:
        return f"{self.matter.name} v{self.version}"


class Material(models.Model):
    class Form(models.TextChoices):
        ORIGINAL = "original", _("原件")
        COPY = "copy", _("复印件")
        BOTH = "both", _("原件及复印件")
        ELECTRONIC = "electronic", _("电子材料")

    guide = models.ForeignKey(
        GuideVersion, on_delete=models.CASCADE, related_name="materials", verbose_name=_("办事指南版本")
    )
    material_type = models.ForeignKey(
        MaterialType, on_delete=models.PROTECT, related_name="+", verbose_name=_("材料类型")
    )
    name = models.CharField(_("材料名称"), max_length=200)
    form = models.CharField(_("形式"), max_length=12, choices=Form.choices, default=Form.ORIGINAL)
    count = models.PositiveSmallIntegerField(_("份数"), default=1)
    required = models.BooleanField(_("必需"), default=True)
    rongque = models.BooleanField(_("可容缺后补"), default=False)
    template_url = models.CharField(_("表格/样表"), max_length=300, blank=True)
    notes = models.CharField(_("说明"), max_length=500, blank=True)
    order = models.PositiveSmallIntegerField(_("顺序"), default=0)

    class Meta:
        verbose_name = _("申请材料")
        verbose_name_plural = _("申请材料")
        ordering = ["guide", "order", "id"]

    def __str__(self) -> str:
        return self.name


class Bundle(models.Model):
    """一件事: several matters applied for together, shared materials submitted once."""

    code = models.CharField(_("编码"), max_length=60, unique=True)
    name = models.CharField(_("名称"), max_length=200)
    name_en = models.CharField(_("英文名称"), max_length=300, blank=True)
    description = models.TextField(_("说明"), blank=True)
    keywords = models.CharField(_("关键词"), max_length=500, blank=True)
    synonyms = models.CharField(_("俗称/口语说法"), max_length=500, blank=True)
    matters = models.ManyToManyField(
        Matter, through="BundleItem", related_name="bundles", verbose_name=_("事项")
    )
    active = models.BooleanField(_("在办"), default=True)

    class Meta:
        verbose_name = _("一件事")
        verbose_name_plural = _("一件事")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class BundleItem(models.Model):
    bundle = models.ForeignKey(Bundle, on_delete=models.CASCADE, related_name="items")
    matter = models.ForeignKey(Matter, on_delete=models.PROTECT, related_name="+")
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("一件事包含事项")
        verbose_name_plural = _("一件事包含事项")
        ordering = ["bundle", "order"]
        constraints = [models.UniqueConstraint(fields=["bundle", "matter"], name="bundle_unique_matter")]

    def __str__(self) -> str:
        return f"{self.bundle_id}:{self.matter_id}"


class Synonym(models.Model):
    """Colloquial term → catalog words, maintained by the catalog team (病历本 → 门急诊就医记录册)."""

    term = models.CharField(_("口语说法"), max_length=60, unique=True)
    expansions = models.CharField(_("对应的规范词"), max_length=300, help_text=_("用空格分隔"))

    class Meta:
        verbose_name = _("同义词")
        verbose_name_plural = _("同义词")
        ordering = ["term"]

    def __str__(self) -> str:
        return f"{self.term} → {self.expansions}"

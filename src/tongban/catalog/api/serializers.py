"""Output (and query-parameter) serializers of the public catalog API. One per shape; read-only."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from tongban.catalog.models import GuideVersion, Material, Matter, Window, Zone
from tongban.catalog.selectors import BundleMaterial, bundle_summary
from tongban.core.converters import MAX_ID


class MatterListQuery(serializers.Serializer):
    q = serializers.CharField(
        required=False, allow_blank=True, max_length=100, help_text="关键词、俗称或事项编码"
    )
    group = serializers.CharField(required=False, max_length=40, help_text="事项分组编码，如 YB")
    type = serializers.ChoiceField(choices=Matter.Type.choices, required=False)
    department = serializers.CharField(required=False, max_length=40, help_text="实施部门编码，如 YP-YB")
    online = serializers.BooleanField(required=False, allow_null=True, default=None)
    limit = serializers.IntegerField(required=False, min_value=1, max_value=200, default=50)
    offset = serializers.IntegerField(required=False, min_value=0, max_value=MAX_ID, default=0)


class BundleListQuery(serializers.Serializer):
    q = serializers.CharField(required=False, allow_blank=True, max_length=100)


class MatterDetailQuery(serializers.Serializer):
    version = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, help_text="历史版本号；缺省为当前版本"
    )


class RefSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class MatterListItemSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    name_en = serializers.CharField()
    type = serializers.ChoiceField(choices=Matter.Type.choices)
    type_display = serializers.CharField(source="get_type_display")
    department = serializers.CharField(source="department.code")
    department_name = serializers.CharField(source="department.name")
    group = serializers.CharField(source="group.code", allow_null=True, default=None)
    group_name = serializers.CharField(source="group.name", allow_null=True, default=None)
    promised_days = serializers.IntegerField(
        source="current_version.promised_days", allow_null=True, default=None
    )
    statutory_days = serializers.IntegerField(
        source="current_version.statutory_days", allow_null=True, default=None
    )
    visits = serializers.IntegerField(source="current_version.visits", allow_null=True, default=None)
    online = serializers.BooleanField(source="current_version.online", allow_null=True, default=None)
    version = serializers.IntegerField(source="current_version.version", allow_null=True, default=None)


class MatterListSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    results = MatterListItemSerializer(many=True)


class MaterialSerializer(serializers.Serializer):
    material_type = serializers.CharField(source="material_type.code")
    name = serializers.CharField()
    form = serializers.ChoiceField(choices=Material.Form.choices)
    form_display = serializers.CharField(source="get_form_display")
    count = serializers.IntegerField()
    required = serializers.BooleanField()  # type: ignore[assignment]
    rongque = serializers.BooleanField(help_text="容缺：可先受理、限期补交")
    template_url = serializers.CharField()
    notes = serializers.CharField()


class GuideSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    current = serializers.SerializerMethodField()
    published_at = serializers.DateTimeField()
    change_note = serializers.CharField()
    legal_basis = serializers.CharField()
    conditions = serializers.CharField()
    applicant_scope = serializers.CharField()
    statutory_days = serializers.IntegerField(allow_null=True, help_text="法定办结时限（工作日）")
    promised_days = serializers.IntegerField(help_text="承诺办结时限（工作日；0 = 即办）")
    fees = serializers.CharField()
    steps = serializers.ListField(child=serializers.CharField())
    visits = serializers.IntegerField(help_text="到现场次数（0 = 全程网办）")
    online = serializers.BooleanField()
    delivery_options = serializers.ListField(
        child=serializers.ChoiceField(choices=GuideVersion.Delivery.choices)
    )
    where = serializers.CharField()
    when = serializers.CharField()
    consult_phone = serializers.CharField()
    complaint_phone = serializers.CharField()
    keywords = serializers.CharField()
    synonyms = serializers.CharField()
    notes = serializers.CharField()
    materials = MaterialSerializer(many=True)

    def get_current(self, obj: GuideVersion) -> bool:
        return bool(obj.pk == self.context.get("current_id"))


class VersionSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    published_at = serializers.DateTimeField()
    change_note = serializers.CharField()
    current = serializers.BooleanField()


class MatterDetailSerializer(MatterListItemSerializer):
    review_departments = RefSerializer(many=True, source="review_departments.all")
    active = serializers.BooleanField()
    guide = serializers.SerializerMethodField()
    bundles = serializers.SerializerMethodField()

    @extend_schema_field(GuideSerializer(allow_null=True))
    def get_guide(self, obj: Matter) -> dict[str, Any] | None:
        guide = self.context.get("guide")
        if guide is None:
            return None
        return GuideSerializer(guide, context={"current_id": obj.current_version_id}).data

    @extend_schema_field(RefSerializer(many=True))
    def get_bundles(self, obj: Matter) -> list[dict[str, str]]:
        return [{"code": b.code, "name": b.name} for b in self.context.get("bundles", [])]


class ZoneSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Zone.Kind.choices)
    kind_display = serializers.CharField(source="get_kind_display")
    name = serializers.CharField()
    location = serializers.CharField()
    open_24h = serializers.BooleanField()
    description = serializers.CharField()


class CenterSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    name_en = serializers.CharField()
    district = serializers.CharField()
    subdistrict = serializers.CharField()
    address = serializers.CharField()
    phone = serializers.CharField()
    open_24h = serializers.BooleanField()
    opening_hours = serializers.DictField(
        child=serializers.ListField(child=serializers.ListField(child=serializers.CharField())),
        help_text='{"mon": [["09:00", "17:00"]], …, "sun": []}',
    )
    hours_note = serializers.CharField()
    zones = ZoneSerializer(many=True, source="zones.all")


class WindowSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.IntegerField()
    name = serializers.CharField()
    name_en = serializers.CharField()
    kind = serializers.ChoiceField(choices=Window.Kind.choices)
    kind_display = serializers.CharField(source="get_kind_display")
    active = serializers.BooleanField()
    matter_groups = serializers.SerializerMethodField()
    matters = serializers.SerializerMethodField()

    def get_matter_groups(self, obj: Window) -> list[str]:
        return [g.code for g in obj.matter_groups.all()]

    def get_matters(self, obj: Window) -> list[str]:
        return [m.code for m in obj.matters.all()]


class BundleMatterSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    department_name = serializers.CharField(source="department.name")
    promised_days = serializers.IntegerField(
        source="current_version.promised_days", allow_null=True, default=None
    )
    online = serializers.BooleanField(source="current_version.online", allow_null=True, default=None)


class BundleListItemSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    name_en = serializers.CharField()
    description = serializers.CharField()
    matters = serializers.SerializerMethodField()
    promised_days = serializers.SerializerMethodField(help_text="各事项承诺时限中最长的（工作日）")
    visits = serializers.SerializerMethodField()
    online = serializers.SerializerMethodField()

    @extend_schema_field(BundleMatterSerializer(many=True))
    def get_matters(self, obj: Any) -> list[dict[str, Any]]:
        return BundleMatterSerializer([i.matter for i in obj.items.all()], many=True).data  # type: ignore[return-value]

    def get_promised_days(self, obj: Any) -> int:
        return bundle_summary(obj).promised_days

    def get_visits(self, obj: Any) -> int:
        return bundle_summary(obj).visits

    def get_online(self, obj: Any) -> bool:
        return bundle_summary(obj).online


class BundleListSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    results = BundleListItemSerializer(many=True)


class BundleMaterialUseSerializer(serializers.Serializer):
    matter = serializers.CharField(source="matter.code")
    name = serializers.CharField(source="material.name")
    form = serializers.CharField(source="material.form")
    count = serializers.IntegerField(source="material.count")
    required = serializers.BooleanField(source="material.required")  # type: ignore[assignment]
    rongque = serializers.BooleanField(source="material.rongque")
    notes = serializers.CharField(source="material.notes")


class BundleMaterialSerializer(serializers.Serializer):
    material_type = serializers.CharField(source="material_type.code")
    name = serializers.CharField()
    form = serializers.ChoiceField(choices=Material.Form.choices)
    form_display = serializers.CharField()
    count = serializers.IntegerField()
    required = serializers.BooleanField()  # type: ignore[assignment]
    rongque = serializers.BooleanField()
    matters = serializers.ListField(child=serializers.CharField(), source="matter_codes")
    uses = BundleMaterialUseSerializer(many=True)


class BundleDetailSerializer(BundleListItemSerializer):
    keywords = serializers.CharField()
    synonyms = serializers.CharField()
    materials = serializers.SerializerMethodField()

    @extend_schema_field(BundleMaterialSerializer(many=True))
    def get_materials(self, obj: Any) -> list[dict[str, Any]]:
        items: list[BundleMaterial] = self.context.get("materials", [])
        return BundleMaterialSerializer(items, many=True).data  # type: ignore[return-value]

"""Admin forms for publishing a new guide version (the only way a guide changes)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import GuideVersion, Material, MaterialType
from .services import GUIDE_FIELDS


class GuidePublishForm(forms.ModelForm):
    """The guide fields of :class:`GuideVersion`, pre-filled from the current version; never saved directly."""

    steps_text = forms.CharField(
        label=_("办理流程"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("每行一步"),
    )
    delivery = forms.MultipleChoiceField(
        label=_("送达方式"),
        required=False,
        choices=GuideVersion.Delivery.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    change_note = forms.CharField(
        label=_("修订说明"),
        max_length=300,
        help_text=_("写明改了什么、依据哪份文件，会显示在版本记录里"),
    )

    class Meta:
        model = GuideVersion
        fields = [f for f in GUIDE_FIELDS if f not in {"steps", "delivery_options"}]
        widgets = {
            **{
                name: forms.Textarea(attrs={"rows": 3, "class": "vLargeTextField"})
                for name in ("legal_basis", "conditions", "applicant_scope", "notes")
            },
            **{
                name: forms.TextInput(attrs={"class": "vTextField", "size": 80})
                for name in ("fees", "where", "when", "keywords", "synonyms")
            },
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance and self.instance.pk:
            self.initial.setdefault("steps_text", "\n".join(self.instance.steps))
            self.initial.setdefault("delivery", list(self.instance.delivery_options))

    def changes(self) -> dict[str, Any]:
        data = {name: self.cleaned_data[name] for name in self.Meta.fields}
        data["steps"] = [
            line.strip() for line in self.cleaned_data["steps_text"].splitlines() if line.strip()
        ]
        data["delivery_options"] = list(self.cleaned_data["delivery"])
        return data


class MaterialRowForm(forms.Form):
    material_type = forms.ModelChoiceField(
        label=_("材料类型"), queryset=MaterialType.objects.order_by("code"), to_field_name="code"
    )
    name = forms.CharField(
        label=_("材料名称"), max_length=200, required=False, help_text=_("留空用材料类型名称")
    )
    form = forms.ChoiceField(label=_("形式"), choices=Material.Form.choices, initial=Material.Form.ORIGINAL)
    count = forms.IntegerField(
        label=_("份数"),
        min_value=1,
        max_value=20,
        initial=1,
        widget=forms.NumberInput(attrs={"style": "width:4em"}),
    )
    required = forms.BooleanField(label=_("必需"), required=False, initial=True)
    rongque = forms.BooleanField(label=_("可容缺后补"), required=False)
    template_url = forms.CharField(
        label=_("表格/样表"), max_length=300, required=False, widget=forms.TextInput(attrs={"size": 14})
    )
    notes = forms.CharField(
        label=_("说明"), max_length=500, required=False, widget=forms.TextInput(attrs={"size": 22})
    )

    def item(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["material_type"] = data["material_type"].code
        return data


class _MaterialBaseFormSet(forms.BaseFormSet):
    def add_fields(self, form: forms.Form, index: int | None) -> None:
        super().add_fields(form, index)
        if "ORDER" in form.fields:
            form.fields["ORDER"].widget.attrs["style"] = "width:3.5em"


MaterialFormSet = forms.formset_factory(
    MaterialRowForm, formset=_MaterialBaseFormSet, extra=2, can_delete=True, can_order=True
)


def material_initial(version: GuideVersion | None) -> list[dict[str, Any]]:
    if version is None:
        return []
    return [
        {
            "material_type": m.material_type.code,
            "name": m.name,
            "form": m.form,
            "count": m.count,
            "required": m.required,
            "rongque": m.rongque,
            "template_url": m.template_url,
            "notes": m.notes,
            "ORDER": i + 1,
        }
        for i, m in enumerate(version.materials.select_related("material_type").order_by("order", "id"))
    ]


def formset_items(formset: Any) -> list[dict[str, Any]]:
    """Materials in the order the admin gave, skipping deleted and empty extra rows."""
    rows = [
        f
        for f in formset.forms
        if f.has_changed() or f.initial
        if f.cleaned_data and not f.cleaned_data.get("DELETE")
    ]
    rows.sort(key=lambda f: (f.cleaned_data.get("ORDER") is None, f.cleaned_data.get("ORDER") or 0))
    items = []
    for f in rows:
        item = f.item()
        item.pop("DELETE", None)
        item.pop("ORDER", None)
        items.append(item)
    return items


UPLOAD_MAX_BYTES = 20 * 1024 * 1024


class CatalogUploadForm(forms.Form):
    file = forms.FileField(
        label=_("文件"), help_text=_("事项目录 .yaml/.yml/.json，或材料清单 .csv（UTF-8）")
    )
    dry_run = forms.BooleanField(label=_("试导入（只检查并报告变化，不写入）"), required=False, initial=True)
    note = forms.CharField(
        label=_("修订说明"), max_length=300, required=False, help_text=_("用于因本次导入而发布的新版本")
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        ext = upload.name.rsplit(".", 1)[-1].lower() if "." in upload.name else ""
        if ext not in {"yaml", "yml", "json", "csv"}:
            raise forms.ValidationError(_("只接受 .yaml、.yml、.json 或 .csv 文件"))
        if upload.size > UPLOAD_MAX_BYTES:
            raise forms.ValidationError(_("文件不能超过 20 MB"))
        return upload

"""Template filters for personal data and deadlines: ``{% load tongban_core %}``.

{{ user.id_number|mask_id }}      310110********0014
{{ user.phone|mask_phone }}       138****5678
{{ user.display_name|mask_name }} 张*明
{{ case.due_date|provisional_mark }}  "（暂定）" when the date's year has no official notice yet
{{ matter|local_name }}           its English name when English is chosen and it has one, else its name
"""

from __future__ import annotations

from datetime import date

from django import template
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from tongban.core.calendar import is_provisional
from tongban.core.crypto import mask_id_number, mask_name, mask_phone

register = template.Library()


@register.filter
def mask_id(value: str | None) -> str:
    return mask_id_number(value)


register.filter("mask_phone", mask_phone)
register.filter("mask_name", mask_name)


@register.filter
def provisional_mark(value: date | None) -> str:
    """A short note for a deadline that falls in a provisional calendar year."""
    if not isinstance(value, date):
        return ""
    try:
        return _("（暂定）") if is_provisional(value) else ""
    except Exception:  # noqa: BLE001 - a date outside the calendar is shown without a note, never a 500
        return ""


@register.filter
def local_name(value: object) -> str:
    """The name to show in the chosen language: ``name_en`` in English where the object (a center, matter,
    bundle, queue… or a row read as a dict) has one, else ``name``."""
    if isinstance(value, dict):
        name, name_en = value.get("name", ""), value.get("name_en", "")
    else:
        name, name_en = getattr(value, "name", ""), getattr(value, "name_en", "")
    if name_en and (get_language() or "").startswith("en"):
        return str(name_en)
    return str(name or "")

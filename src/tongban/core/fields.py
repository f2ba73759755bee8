"""Form fields, DRF serializer fields and model-field validators around :mod:`tongban.core.identity`.

* Django forms: ``ResidentIdFormField``, ``CreditCodeFormField``, ``MobileFormField`` —
  ``cleaned_data`` holds the normalised string.
* DRF: ``ResidentIdField``, ``CreditCodeField``, ``MobileField`` — ``validated_data``
  holds the normalised string; errors carry the identity code (e.g. ``id_checksum``).
* Model fields: ``validators=[resident_id_validator]`` (also ``credit_code_validator``,
  ``mobile_validator``).

Messages follow the active language (Chinese unless the person chose English).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import get_language
from rest_framework import serializers

from tongban.core.errors import ValidationError
from tongban.core.identity import validate_credit_code, validate_mobile, validate_resident_id


def localized_message(error: ValidationError) -> str:
    language = get_language() or ""
    return error.message_en if language.startswith("en") else error.message


def _normalise_resident_id(value: object) -> str:
    return validate_resident_id(value).number


def _to_django(check: Callable[[object], str]) -> Callable[[object], str]:
    def run(value: object) -> str:
        try:
            return check(value)
        except ValidationError as exc:
            raise DjangoValidationError(
                localized_message(exc), code=exc.code.removeprefix("identity.")
            ) from exc

    return run


def resident_id_validator(value: object) -> None:
    _to_django(_normalise_resident_id)(value)


def credit_code_validator(value: object) -> None:
    _to_django(validate_credit_code)(value)


def mobile_validator(value: object) -> None:
    _to_django(validate_mobile)(value)


class _IdentityFormField(forms.CharField):
    check: Callable[[object], str]
    max_chars = 24

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", self.max_chars)
        super().__init__(**kwargs)

    def clean(self, value: Any) -> Any:
        value = super().clean(value)
        if value in self.empty_values:
            return value
        return _to_django(type(self).check)(value)


class ResidentIdFormField(_IdentityFormField):
    check = staticmethod(_normalise_resident_id)

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        return {**super().widget_attrs(widget), "autocomplete": "off", "inputmode": "text"}


class CreditCodeFormField(_IdentityFormField):
    check = staticmethod(validate_credit_code)


class MobileFormField(_IdentityFormField):
    check = staticmethod(validate_mobile)
    max_chars = 20

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        return {**super().widget_attrs(widget), "inputmode": "tel", "autocomplete": "tel"}


class _IdentitySerializerField(serializers.CharField):
    check: Callable[[object], str]
    max_chars = 24

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", self.max_chars)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        value = super().to_internal_value(data)
        if value == "":
            return value
        try:
            return type(self).check(value)
        except ValidationError as exc:
            raise serializers.ValidationError(
                localized_message(exc), code=exc.code.removeprefix("identity.")
            ) from exc


class ResidentIdField(_IdentitySerializerField):
    check = staticmethod(_normalise_resident_id)


class CreditCodeField(_IdentitySerializerField):
    check = staticmethod(validate_credit_code)


class MobileField(_IdentitySerializerField):
    check = staticmethod(validate_mobile)
    max_chars = 20

from __future__ import annotations

from rest_framework import serializers

from tongban.cabinet.models import Compartment, Size


class CompartmentOut(serializers.Serializer):
    number = serializers.IntegerField()
    size = serializers.ChoiceField(choices=Size.choices)
    state = serializers.ChoiceField(choices=Compartment.State.choices)


class CabinetOut(serializers.Serializer):
    code = serializers.CharField()
    center = serializers.CharField(source="center.code")
    online = serializers.BooleanField()
    compartments = CompartmentOut(many=True)


class DepositIn(serializers.Serializer):
    application = serializers.CharField(
        required=False, allow_blank=False, max_length=64, help_text="办件编号"
    )
    label = serializers.CharField(required=False, allow_blank=True, max_length=200)  # type: ignore[assignment]
    phone = serializers.CharField(
        required=False, allow_blank=True, max_length=20, help_text="free-standing items: where the code goes"
    )
    size = serializers.ChoiceField(choices=Size.choices)


class DepositOut(serializers.Serializer):
    item = serializers.UUIDField(source="reference")
    compartment = serializers.IntegerField(source="compartment.number")
    state = serializers.CharField()


class PickupIn(serializers.Serializer):
    code = serializers.CharField(max_length=32)
    proxy = serializers.BooleanField(required=False, default=False, help_text="collected on someone's behalf")


class PickupOut(serializers.Serializer):
    compartment = serializers.IntegerField()


class ErrorBody(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    message_en = serializers.CharField()
    details = serializers.DictField(required=False)


class ErrorOut(serializers.Serializer):
    error = ErrorBody()

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from tongban.cabinet.models import Compartment, Size


@extend_schema_field({"type": "string", "enum": Size.values, "description": "S 小格 / M 中格 / L 大格"})
class SizeField(serializers.CharField):
    pass


@extend_schema_field(
    {
        "type": "string",
        "enum": Compartment.State.values,
        "description": "free 空闲, reserved 已预留, occupied 有件, open 门已开, faulty 故障, disabled 停用",
    }
)
class CompartmentStateField(serializers.CharField):
    pass


class CompartmentOut(serializers.Serializer):
    number = serializers.IntegerField()
    size = SizeField()
    state = CompartmentStateField()


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
    size = serializers.ChoiceField(choices=Size.values, help_text="S 小格 / M 中格 / L 大格")


class DepositOut(serializers.Serializer):
    item = serializers.UUIDField(source="reference")
    compartment = serializers.IntegerField(source="compartment.number")
    state = serializers.CharField()


class PickupIn(serializers.Serializer):
    code = serializers.CharField(max_length=32)
    proxy = serializers.BooleanField(required=False, default=False, help_text="collected on someone's behalf")


class PickupOut(serializers.Serializer):
    compartment = serializers.IntegerField()


class CabinetErrorBody(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    message_en = serializers.CharField()
    details = serializers.DictField(required=False)


class CabinetErrorOut(serializers.Serializer):
    error = CabinetErrorBody()

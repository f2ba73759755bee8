"""Dev reader: returns a fixed demo card (settings.IDCARD_DEV_CARD = {"name", "id_number", ...})."""

from __future__ import annotations

from django.conf import settings

from tongban.applications.plugins.idcard.base import IdCard, IdCardReader

DEFAULT_CARD = {
    "name": "李梅",
    "id_number": "310110199305120049",
    "sex": "女",
    "ethnicity": "汉",
    "address": "上海市杨浦区长白新村街道",  # the accounts demo resident 李梅 (13800000002)
}


class DevReader(IdCardReader):
    name = "dev"

    def read(self, *, window_id: int | None = None) -> IdCard:
        card = {**DEFAULT_CARD, **getattr(settings, "IDCARD_DEV_CARD", {})}
        return IdCard(**card)

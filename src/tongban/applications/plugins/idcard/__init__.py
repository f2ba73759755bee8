"""ID card readers (身份证读卡器) behind a tiny registry: ``settings.IDCARD_READER_BACKEND`` names one.

``dev`` returns a demo card from settings (``IDCARD_DEV_CARD``) or a built-in one; a
vendor module implements :class:`~tongban.applications.plugins.idcard.base.IdCardReader`
against its SDK or local bridge service and registers itself in ``BACKENDS``.
"""

from __future__ import annotations

from django.conf import settings

from tongban.applications.plugins.idcard.base import IdCard, IdCardReader
from tongban.applications.plugins.idcard.dev import DevReader
from tongban.core.errors import Unavailable

BACKENDS: dict[str, type[IdCardReader]] = {"dev": DevReader}


def get_reader(name: str | None = None) -> IdCardReader:
    key: str = name or str(getattr(settings, "IDCARD_READER_BACKEND", "dev"))
    klass = BACKENDS.get(key)
    if klass is None:
        raise Unavailable(
            "未配置身份证读卡器", f"Unknown ID card reader backend {key!r}", code="idcard.no_backend"
        )
    return klass()


__all__ = ["BACKENDS", "IdCard", "IdCardReader", "get_reader"]

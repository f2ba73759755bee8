from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def tongban(request: HttpRequest) -> dict[str, Any]:
    return {"TONGBAN_DEMO": settings.DEMO}

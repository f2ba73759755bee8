"""SMS backends (plugin registry). Each module exposes ``send(message) -> None`` raising on failure."""

from __future__ import annotations

import importlib
from typing import Protocol

from django.conf import settings

from tongban.notifications.models import Message


class SmsBackend(Protocol):
    name: str

    def send(self, message: Message) -> None: ...


REGISTRY: dict[str, str] = {
    "outbox": "tongban.notifications.backends.outbox",
}


def get_backend(name: str | None = None) -> SmsBackend:
    key = name or settings.SMS_BACKEND
    path = REGISTRY.get(key, key)
    return importlib.import_module(path)  # type: ignore[return-value]

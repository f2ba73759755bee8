"""SMS backends (plugin registry).

Each backend module exposes ``name``, ``stores_secrets`` and
``send(message, *, body) -> None`` (raising on failure). ``body`` is the full
text to deliver; ``message.body`` is what we keep, which has any one-time code
blanked out unless the backend is the dev outbox (``stores_secrets = True``),
whose page is how a person running the demo reads their code.
"""

from __future__ import annotations

import importlib
from typing import Protocol

from django.conf import settings

from tongban.notifications.models import Message


class SmsBackend(Protocol):
    name: str
    stores_secrets: bool

    def send(self, message: Message, *, body: str) -> None: ...


REGISTRY: dict[str, str] = {
    "outbox": "tongban.notifications.backends.outbox",
}


def get_backend(name: str | None = None) -> SmsBackend:
    key = name or settings.SMS_BACKEND
    path = REGISTRY.get(key, key)
    return importlib.import_module(path)  # type: ignore[return-value]

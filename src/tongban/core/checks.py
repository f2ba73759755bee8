"""System checks (``manage.py check --deploy``): personal-data keys that would fail at first use."""

from __future__ import annotations

from typing import Any

from cryptography.fernet import Fernet
from django.conf import settings
from django.core.checks import Error, Tags, Warning, register


@register(Tags.security)
def check_field_keys(app_configs: Any = None, **kwargs: Any) -> list[Error | Warning]:
    problems: list[Error | Warning] = []
    keys = list(getattr(settings, "FIELD_ENCRYPTION_KEYS", []))
    if not keys:
        problems.append(Error("TONGBAN_FIELD_KEYS is empty.", id="tongban.core.E001"))
    for i, key in enumerate(keys):
        try:
            Fernet(key.encode("ascii") if isinstance(key, str) else key)
        except (ValueError, TypeError, UnicodeEncodeError):
            problems.append(
                Error(
                    f"TONGBAN_FIELD_KEYS entry {i + 1} is not a valid Fernet key (32 url-safe base64 bytes).",
                    hint='Generate one: python -c "from cryptography.fernet import Fernet; '
                    'print(Fernet.generate_key().decode())"',
                    id="tongban.core.E002",
                )
            )
    if len(set(keys)) != len(keys):
        problems.append(Warning("TONGBAN_FIELD_KEYS lists the same key twice.", id="tongban.core.W001"))
    hash_key = getattr(settings, "FIELD_HASH_KEY", "")
    if len(hash_key) < 32:
        problems.append(
            Error(
                "TONGBAN_FIELD_HASH_KEY is shorter than 32 characters.",
                hint='Generate one: python -c "import secrets; print(secrets.token_hex(32))"',
                id="tongban.core.E003",
            )
        )
    elif hash_key in keys:
        problems.append(
            Warning(
                "TONGBAN_FIELD_HASH_KEY equals an encryption key; use independent keys.",
                id="tongban.core.W002",
            )
        )
    return problems

"""Field-level encryption for personal data, with a searchable keyed hash.

* :class:`EncryptedTextField` stores Fernet ciphertext (AES-128-CBC + HMAC),
  keys from ``settings.FIELD_ENCRYPTION_KEYS`` (newest first; older keys still
  decrypt, so keys can rotate).
* :func:`blind_index` is an HMAC-SHA256 of the normalised value under
  ``settings.FIELD_HASH_KEY``: store it beside the ciphertext in an indexed
  column to find a person by ID number or phone without decrypting anything.
"""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(k.encode() if isinstance(k, str) else k) for k in keys])


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS))


def encrypt_str(value: str) -> str:
    return fernet().encrypt(value.encode("utf-8")).decode("ascii")


def decrypt_str(token: str) -> str:
    try:
        return fernet().decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken as exc:  # pragma: no cover - key misconfiguration
        raise ValueError("cannot decrypt field: wrong TONGBAN_FIELD_KEYS?") from exc


def normalise_identifier(value: str) -> str:
    return "".join(value.split()).upper()


def blind_index(value: str) -> str:
    """Keyed hash of a normalised identifier (ID number, phone) for equality search."""
    key = settings.FIELD_HASH_KEY.encode("utf-8")
    return hmac.new(key, normalise_identifier(value).encode("utf-8"), hashlib.sha256).hexdigest()


class EncryptedTextField(models.TextField):
    """A text field whose value is encrypted at rest. Not searchable: pair with a blind index."""

    description = "Encrypted text"

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> str | None:
        if value is None or value == "":
            return value
        return decrypt_str(value)

    def to_python(self, value: Any) -> Any:
        return value

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt_str(str(value))


def mask_id_number(value: str | None) -> str:
    """310110********1234 — first 6 and last 4 visible."""
    if not value:
        return ""
    v = normalise_identifier(value)
    if len(v) <= 10:
        return v[:2] + "*" * max(len(v) - 4, 0) + v[-2:]
    return v[:6] + "*" * (len(v) - 10) + v[-4:]


def mask_phone(value: str | None) -> str:
    """138****5678."""
    if not value:
        return ""
    v = "".join(value.split())
    if len(v) < 7:
        return "*" * len(v)
    return v[:3] + "*" * (len(v) - 7) + v[-4:]


def mask_name(value: str | None) -> str:
    """张*明 / 王* — surname and last character only."""
    if not value:
        return ""
    if len(value) == 1:
        return value
    if len(value) == 2:
        return value[0] + "*"
    return value[0] + "*" * (len(value) - 2) + value[-1]

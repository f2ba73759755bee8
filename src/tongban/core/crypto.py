"""Field-level encryption for personal data, with a searchable keyed hash.

* :class:`EncryptedTextField` stores Fernet ciphertext (AES-128-CBC + HMAC),
  keys from ``settings.FIELD_ENCRYPTION_KEYS`` (newest first; older keys still
  decrypt, so keys can rotate).
* :func:`blind_index` is an HMAC-SHA256 of the normalised value under
  ``settings.FIELD_HASH_KEY``: store it beside the ciphertext in an indexed
  column to find a person by ID number or phone without decrypting anything.
* Ciphertext is random (a fresh IV each time), so the field refuses lookups
  other than ``isnull`` and ``exact`` against ``""``: ``filter(phone=x)``
  would silently match nothing. Filter on the blind index instead.
* :func:`encrypted_fields` lists every encrypted column; ``manage.py
  rotate_field_keys`` re-encrypts them under the newest key (docs/deploy.md).
"""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.apps import apps
from django.conf import settings
from django.core.exceptions import FieldError
from django.db import models
from django.db.models.lookups import Exact, IsNull


def _key_bytes(key: str | bytes) -> bytes:
    return key.encode("ascii") if isinstance(key, str) else key


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(_key_bytes(k)) for k in keys])


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS))


def encrypt_str(value: str) -> str:
    return fernet().encrypt(value.encode("utf-8")).decode("ascii")


def decrypt_str(token: str) -> str:
    try:
        return fernet().decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken as exc:
        raise ValueError(
            "cannot decrypt an encrypted field with any key in TONGBAN_FIELD_KEYS "
            "(was a retired key removed before rotate_field_keys ran?)"
        ) from exc


def is_encrypted_with_newest_key(token: str) -> bool:
    """True when ``token`` decrypts with the first (newest) key alone."""
    newest = Fernet(_key_bytes(settings.FIELD_ENCRYPTION_KEYS[0]))
    try:
        newest.decrypt(token.encode("ascii"))
    except InvalidToken:
        return False
    return True


def normalise_identifier(value: str) -> str:
    return "".join(value.split()).upper()


def blind_index(value: str) -> str:
    """Keyed hash of a normalised identifier (ID number, phone) for equality search."""
    key = settings.FIELD_HASH_KEY.encode("utf-8")
    return hmac.new(key, normalise_identifier(value).encode("utf-8"), hashlib.sha256).hexdigest()


class _EncryptedExact(Exact):
    """``field=""`` / ``field=None`` only: any other value cannot match random ciphertext."""

    def get_prep_lookup(self) -> Any:
        if self.rhs not in ("", None):
            raise FieldError(
                f"{self.lhs.target.name} is encrypted: look it up through its blind index (…_hash), not its value"
            )
        return self.rhs


class EncryptedTextField(models.TextField):
    """A text field whose value is encrypted at rest. Not searchable: pair with a blind index."""

    description = "Encrypted text"

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name == "exact":
            return _EncryptedExact
        if lookup_name == "isnull":
            return IsNull
        return None

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


def encrypted_fields() -> list[tuple[type[models.Model], EncryptedTextField]]:
    """Every concrete model field that is an :class:`EncryptedTextField`."""
    found: list[tuple[type[models.Model], EncryptedTextField]] = []
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        found.extend((model, f) for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField))
    return found


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

"""Pickup/drop-off codes: drawn from the OS CSPRNG, stored only as a salted scrypt hash.

A code never reaches a log, the audit trail or the database in the clear. To find
the item a typed code belongs to without running scrypt against every live code in
the cabinet, each item also keeps an 8-bit *tag* — an HMAC of (cabinet, code) under
the server's hash key, reduced to 0..255 — which narrows the candidates to about one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from django.conf import settings


def generate_code(length: int) -> str:
    """A uniformly random decimal code of ``length`` digits (leading zeros allowed)."""
    if length < 6:
        raise ValueError("codes have at least 6 digits")
    return f"{secrets.randbelow(10**length):0{length}d}"


def code_tag(cabinet_code: str, code: str) -> int:
    key = settings.FIELD_HASH_KEY.encode("utf-8")
    digest = hmac.new(key, f"cabinet-code:{cabinet_code}:{code}".encode(), hashlib.sha256).digest()
    return digest[0]


def hash_code(code: str, *, n: int) -> str:
    salt = secrets.token_bytes(16)
    derived = hashlib.scrypt(code.encode(), salt=salt, n=n, r=8, p=1, dklen=32)
    return "scrypt${}${}${}".format(
        n, base64.b64encode(salt).decode("ascii"), base64.b64encode(derived).decode("ascii")
    )


def check_code(code: str, encoded: str) -> bool:
    try:
        algorithm, n_text, salt_b64, hash_b64 = encoded.split("$")
    except ValueError:
        return False
    if algorithm != "scrypt":
        return False
    derived = hashlib.scrypt(
        code.encode(), salt=base64.b64decode(salt_b64), n=int(n_text), r=8, p=1, dklen=32
    )
    return hmac.compare_digest(derived, base64.b64decode(hash_b64))


def normalise_code(raw: str) -> str:
    """Digits only (a QR scanner or a phone may add spaces or dashes)."""
    return "".join(ch for ch in raw if ch.isdigit())

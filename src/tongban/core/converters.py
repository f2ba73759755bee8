"""Path converters.

``<id:name>``: a database key in a URL (or another number compared with an integer column: a year, a
compartment's number). Django's ``int`` takes any run of digits, and a number beyond what a 64-bit column
holds reached the database: SQLite refused to bind it (``OverflowError``, a 500). Eighteen
digits are below 2**63, and a longer number cannot name a row, so such a URL is simply not found (404).
"""

from __future__ import annotations

MAX_DIGITS = 18
MAX_ID = 10**MAX_DIGITS - 1  # the largest key a request may name, in a URL or in a body (``max_value``)


class DatabaseIdConverter:
    regex = f"[0-9]{{1,{MAX_DIGITS}}}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)

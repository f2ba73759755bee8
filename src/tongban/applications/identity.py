"""ID number validation for intake: ``tongban.core.identity`` (GB 11643 check digit, birth date, region)."""

from __future__ import annotations

from tongban.core.identity import validate_resident_id


def validate_id_number(value: str) -> str:
    """Return the normalised resident ID number or raise core ValidationError ("identity.id_*")."""
    return validate_resident_id(value).number

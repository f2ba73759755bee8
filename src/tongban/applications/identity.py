"""ID number validation for intake, delegating to ``tongban.core.identity`` (GB 11643 / GB 32100)."""

from __future__ import annotations

from tongban.applications.errors import InvalidInput
from tongban.core.crypto import normalise_identifier


def validate_id_number(value: str) -> str:
    """Return the normalised resident ID number or raise a ValidationError with a precise code."""
    number = normalise_identifier(value or "")
    try:
        from tongban.core.identity import validate_resident_id
    except ImportError:  # pragma: no cover - until the core identity module is merged
        from stdnum.cn import ric
        from stdnum.exceptions import ValidationError as StdnumError

        try:
            return str(ric.validate(number))
        except StdnumError as exc:
            raise InvalidInput(
                "身份证号码无效", "Invalid resident ID number", code="identity.id_invalid"
            ) from exc
    return validate_resident_id(number).number

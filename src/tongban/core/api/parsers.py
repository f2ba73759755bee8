"""DRF's JSON parser, reading the body in one piece.

DRF's ``JSONParser`` wraps the body in a ``codecs`` stream reader and lets ``json.load`` read it through
that; for the small bodies kiosks and workbenches send (``{"queue":"A"}``), the wrapping costs more than the
parsing. This one reads the bytes, decodes them with the same encoding and parses them with the same
options, and words its errors as DRF does (``ParseError``, "JSON parse error - …"): ``test_parsers``
compares the two on valid and invalid bodies. Everything else (which parser a content type gets, empty
bodies, form data) stays DRF's; ``negotiation.ContentNegotiation.select_parser`` only shortens the choice
for a plain ``application/json``.
"""

from __future__ import annotations

import json
from typing import Any

from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.utils import json as drf_json


class JSONParser(parsers.JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        # refuses a non-text codec (a bz2_codec body would decompress without bound); the stubs lack it
        encoding = parsers.get_encoding(parser_context or {})  # type: ignore[attr-defined]
        try:
            text = stream.read().decode(encoding)
            return json.loads(text, parse_constant=drf_json.strict_constant if self.strict else None)
        except ValueError as exc:  # UnicodeDecodeError and json.JSONDecodeError are ValueErrors
            raise ParseError(f"JSON parse error - {exc}") from exc

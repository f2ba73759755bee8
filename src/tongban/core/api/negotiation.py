"""Content negotiation with a short way for what API clients send.

DRF's ``DefaultContentNegotiation`` parses the ``Accept`` header into media types and matches each
against every renderer on every request: 4–5 % of a case list's CPU in a gunicorn worker (bench/README.md).
Kiosks, workbenches and scripts send no ``Accept``, ``*/*`` or ``application/json``; for those, with no
``?format=`` and no format suffix, the answer is the view's first renderer when that is the JSON renderer,
as DRF itself would choose. Everything else (a browser's ``text/html,…`` for the browsable API, a
``?format=``) goes through DRF's negotiation unchanged. ``test_negotiation`` compares the two.

The parser likewise: a body sent as plain ``application/json`` goes to the view's first parser when that is a
parser of exactly that media type (``parsers.JSONParser``), which is what DRF's matching of media types would
pick.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import BaseParser
from rest_framework.renderers import BaseRenderer, JSONRenderer

_PLAIN = frozenset({"*/*", "application/json"})


class ContentNegotiation(DefaultContentNegotiation):
    def select_renderer(
        self, request: Any, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        # DRF passes the view's renderer instances as a list (APIView.get_renderers)
        if (
            format_suffix is None
            and isinstance(renderers, list)
            and renderers
            and type(renderers[0]) is JSONRenderer
            and request.META.get("HTTP_ACCEPT", "*/*") in _PLAIN
            and self.settings.URL_FORMAT_OVERRIDE not in request.query_params
        ):
            return renderers[0], renderers[0].media_type
        return super().select_renderer(request, renderers, format_suffix)

    def select_parser(self, request: Any, parsers: Iterable[BaseParser]) -> BaseParser | None:
        # DRF passes the view's parser instances as a list (APIView.get_parsers)
        if (
            request.content_type == "application/json"
            and isinstance(parsers, list)
            and parsers
            and parsers[0].media_type == "application/json"
        ):
            return parsers[0]
        return super().select_parser(request, parsers)

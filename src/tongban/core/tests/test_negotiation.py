"""tongban.core.api.negotiation: the short way chooses what DRF's negotiation chooses, and only then."""

from __future__ import annotations

from typing import Any

import pytest
from django.http import Http404
from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer, TemplateHTMLRenderer
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from tongban.core.api.negotiation import ContentNegotiation

ACCEPTS = [
    None,
    "*/*",
    "application/json",
    "",
    "application/json; indent=4",
    "application/json;q=0.9, */*;q=0.1",
    "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "text/html",
    "application/xml",
    "image/png",
]
QUERIES = ["", "?format=json", "?format=api", "?format=xml", "?limit=20"]
RENDERERS = [
    [JSONRenderer, BrowsableAPIRenderer],
    [BrowsableAPIRenderer, JSONRenderer],
    [JSONRenderer],
    [TemplateHTMLRenderer, JSONRenderer],
]


def _choose(
    negotiation: Any, accept: str | None, query: str, renderers: list[type], suffix: str | None
) -> Any:
    headers = {} if accept is None else {"HTTP_ACCEPT": accept}
    request = Request(APIRequestFactory().get(f"/api/v1/anything{query}", **headers))
    try:
        renderer, media_type = negotiation.select_renderer(request, [r() for r in renderers], suffix)
    except NotAcceptable as e:
        return ("406", str(e.detail))
    except Http404:  # ?format= or a suffix naming no renderer of the view
        return ("404",)
    return (type(renderer), media_type)


@pytest.mark.parametrize("renderers", RENDERERS, ids=lambda rs: "+".join(r.__name__ for r in rs))
@pytest.mark.parametrize("suffix", [None, "json", "api"])
def test_the_same_renderer_and_media_type_as_drf(renderers, suffix):
    for accept in ACCEPTS:
        for query in QUERIES:
            ours = _choose(ContentNegotiation(), accept, query, renderers, suffix)
            drfs = _choose(DefaultContentNegotiation(), accept, query, renderers, suffix)
            assert ours == drfs, (accept, query)


def test_plain_api_requests_do_not_parse_the_accept_header(monkeypatch):
    """The point of it: no Accept parsing for what kiosks and workbenches send."""

    def parsed(*args: Any) -> None:
        raise AssertionError("parsed")

    monkeypatch.setattr(DefaultContentNegotiation, "get_accept_list", parsed)
    for accept in (None, "*/*", "application/json"):
        assert _choose(
            ContentNegotiation(), accept, "?limit=20", [JSONRenderer, BrowsableAPIRenderer], None
        ) == (
            JSONRenderer,
            "application/json",
        )
    with pytest.raises(AssertionError, match="parsed"):
        _choose(ContentNegotiation(), "text/html", "", [JSONRenderer, BrowsableAPIRenderer], None)


def test_the_project_uses_it():
    from rest_framework.settings import api_settings

    assert api_settings.DEFAULT_CONTENT_NEGOTIATION_CLASS is ContentNegotiation

"""tongban.core.api.parsers and the parser choice in negotiation: what DRF gives, for less CPU."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework import parsers as drf_parsers
from rest_framework.exceptions import ParseError, UnsupportedMediaType
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.request import Request
from rest_framework.test import APIClient, APIRequestFactory

from tongban.core.api.negotiation import ContentNegotiation
from tongban.core.api.parsers import JSONParser

BODIES = [
    b'{"queue":"A"}',
    b"{}",
    b"[]",
    b'"A"',
    b"12",
    b'{"queue": "\xe7\x94\xb2"}',  # 甲 in UTF-8
    b'{"queue": "\\u7532"}',
    b'{"a": {"b": [1, 2.5, null, true]}}',
    b'{"a": NaN}',
    b'{"a": Infinity}',
    b'{"a": -Infinity}',
    b"\xef\xbb\xbf{}",  # a byte-order mark
    b'{"queue": "\xff"}',  # not UTF-8
    b'{"queue":',
    b"{'queue': 'A'}",
    b'{"queue":"A"} x',
    b"  ",
    b"",
]
CONTENT_TYPES = [
    "application/json",
    "application/json; charset=utf-8",
    "application/json; charset=latin-1",
    "application/json; charset=gb18030",
    "application/json; charset=bz2_codec",  # not a text encoding: refused
    "application/json; charset=no-such-charset",
    "application/JSON",
    "application/vnd.api+json",
    "application/json-patch+json",
    "application/x-www-form-urlencoded",
    "text/plain",
]


def _data(parser: type, negotiation: Any, body: bytes, content_type: str) -> Any:
    django_request = APIRequestFactory().generic("POST", "/api/v1/anything", body, content_type=content_type)
    request = Request(
        django_request,
        parsers=[parser(), drf_parsers.FormParser(), drf_parsers.MultiPartParser()],
        negotiator=negotiation,
    )
    try:
        data = request.data
    except (ParseError, UnsupportedMediaType) as e:
        return (type(e).__name__, str(e.detail))
    return ("data", data if isinstance(data, dict | list | str | int | float) else dict(data))


@pytest.mark.parametrize("content_type", CONTENT_TYPES)
def test_the_same_data_and_the_same_errors_as_drf(content_type):
    for body in BODIES:
        ours = _data(JSONParser, ContentNegotiation(), body, content_type)
        drfs = _data(drf_parsers.JSONParser, DefaultContentNegotiation(), body, content_type)
        assert ours == drfs, body


def test_it_parses_json_and_refuses_what_drf_refuses():
    """Not only the same as DRF: the plain cases, spelled out."""
    assert _data(JSONParser, ContentNegotiation(), b'{"queue":"A"}', "application/json") == (
        "data",
        {"queue": "A"},
    )
    kind, detail = _data(JSONParser, ContentNegotiation(), b'{"a": NaN}', "application/json")
    assert kind == "ParseError" and detail.startswith("JSON parse error - ")
    kind, detail = _data(JSONParser, ContentNegotiation(), b"{}", "application/json; charset=bz2_codec")
    assert kind == "ParseError" and "bz2_codec" in detail


class _OtherJson(drf_parsers.JSONParser):
    media_type = "application/vnd.api+json"


PARSER_LISTS = [
    [JSONParser, drf_parsers.FormParser, drf_parsers.MultiPartParser],
    [drf_parsers.FormParser, JSONParser],
    [drf_parsers.MultiPartParser, drf_parsers.FormParser],
    [_OtherJson, JSONParser],
    [],
]


@pytest.mark.parametrize(
    "parser_list", PARSER_LISTS, ids=lambda ps: "+".join(p.__name__ for p in ps) or "none"
)
def test_the_same_parser_as_drf_chooses(parser_list):
    for content_type in CONTENT_TYPES:
        request = Request(APIRequestFactory().generic("POST", "/x", b"{}", content_type=content_type))
        instances = [p() for p in parser_list]
        ours = ContentNegotiation().select_parser(request, instances)
        drfs = DefaultContentNegotiation().select_parser(request, instances)
        assert ours is drfs, content_type


def test_plain_json_is_not_matched_against_every_parser(monkeypatch):
    """The point of the short way: no media-type matching for what kiosks and workbenches send."""

    def matched(*args: Any) -> None:
        raise AssertionError("matched")

    monkeypatch.setattr(DefaultContentNegotiation, "select_parser", matched)
    request = Request(APIRequestFactory().generic("POST", "/x", b"{}", content_type="application/json"))
    parser = JSONParser()
    assert ContentNegotiation().select_parser(request, [parser, drf_parsers.FormParser()]) is parser
    with pytest.raises(AssertionError, match="matched"):
        ContentNegotiation().select_parser(request, [drf_parsers.FormParser(), parser])


def test_the_project_uses_it():
    from rest_framework.settings import api_settings

    assert api_settings.DEFAULT_PARSER_CLASSES[0] is JSONParser
    assert api_settings.DEFAULT_PARSER_CLASSES[1:] == [drf_parsers.FormParser, drf_parsers.MultiPartParser]


@pytest.mark.django_db
def test_a_malformed_body_is_a_400_in_both_languages():
    response = APIClient().post(
        "/api/v1/centers/NOPE/tickets", data=b'{"queue":', content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json() == {
        "error": {"code": "parse_error", "message": "请求格式错误", "message_en": "Malformed request"}
    }

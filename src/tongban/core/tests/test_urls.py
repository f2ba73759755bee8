"""The URLconf lists the busiest API paths first (Django tries patterns in order on every request); that
order must decide nothing else: no pattern may shadow another."""

from __future__ import annotations

import re

from django.urls import get_resolver, resolve
from django.urls.resolvers import URLPattern, URLResolver


def _routes(patterns, prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _routes(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern)


def test_every_path_resolves_to_its_own_pattern():
    checked = 0
    for route in _routes(get_resolver().url_patterns):
        if "^" in route or "(?P" in route:  # regex patterns (admin, static): not ours to order
            continue
        sample = re.sub(r"<(?:int|id):[^>]+>", "7", route)
        sample = re.sub(r"<(?:str:|slug:)?(\w+)>", "x9", sample)
        if "<" in sample:  # another converter (path:, uuid:): no sample value here
            continue
        assert resolve("/" + sample).route == route, route
        checked += 1
    assert checked > 100  # the API alone has well over a hundred paths


def test_a_number_too_long_for_a_database_key_is_not_found(client):
    """A key beyond a 64-bit column reached the database, and SQLite refused to bind it: a 500. Every
    numeric path part is ``<id:…>``, at most 18 digits, so such a URL is not found; one that fits goes on to
    the view, which says what is not found."""
    from django.urls import get_resolver

    routes = list(_routes(get_resolver().url_patterns))
    assert not [r for r in routes if "<int:" in r]
    assert client.post("/api/v1/tickets/79529425137938923520/start").status_code == 404
    assert client.get("/queue/ticket-machine/YP-CBXC/tickets/79529425137938923520/").status_code == 404
    assert resolve("/api/v1/tickets/999999999999999999/start").kwargs == {"ticket": 999999999999999999}

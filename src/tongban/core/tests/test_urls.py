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
        sample = re.sub(r"<int:[^>]+>", "7", route)
        sample = re.sub(r"<(?:str:|slug:)?(\w+)>", "x9", sample)
        if "<" in sample:  # another converter (path:, uuid:): no sample value here
            continue
        assert resolve("/" + sample).route == route, route
        checked += 1
    assert checked > 100  # the API alone has well over a hundred paths

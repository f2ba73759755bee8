"""The WSGI handler: Django's, plus one step once the server has closed each response.

Every request builds objects that refer to each other: the request and the lazy ``request.user``
(its closure holds the request), the message storage and the htmx details (each holds the request),
DRF's request and its view (``parser_context`` holds the view, the view holds the request), DRF's
response and its ``renderer_context`` (which holds the response). Reference counting cannot free a
cycle, so all of it, about 60 objects per API request and 150 for a window's call, waited for Python's
cyclic garbage collector. That collector runs every ~700 net allocations, about every ten requests,
and holds the GIL while it walks the young objects: every thread of the worker stops. On a busy
2-core machine a collection is also descheduled half-way (bench/README.md, "Queue": 0.6 ms of CPU
and 1.2 ms of wall time for an average young collection, up to 100 ms and more for the rarer older
ones, ~800 collections per worker in a 100-second load test).

Once the response is closed (after its last byte, also for streamed responses), nothing reads the
request again. Dropping the request's attributes and the DRF renderer context then breaks every one
of those cycles: the request's objects are freed by reference counting on the spot, the allocation
count no longer climbs, and the collector has almost nothing to do.
``queueing/tests/test_reference_cycles.py`` checks that the hall's busiest requests leave no cyclic
garbage behind.

Django's test client has its own handler (it keeps ``response.wsgi_request`` for the tests to read),
so this runs under gunicorn and ``make demo`` (``tongban.conf.wsgi``), not under the test client.
"""

from __future__ import annotations

from functools import partial

from django.core.handlers import wsgi
from django.http import HttpRequest, HttpResponseBase


def release(request: HttpRequest, response: HttpResponseBase) -> None:
    """Break the reference cycles of a finished request (see the module's docstring)."""
    context = getattr(response, "renderer_context", None)  # a DRF response
    if context:
        for obj in (context.get("view"), context.get("request")):
            if obj is not None:
                vars(obj).clear()
        response.renderer_context = None  # type: ignore[attr-defined]
    vars(request).clear()


class WSGIHandler(wsgi.WSGIHandler):
    def get_response(self, request: HttpRequest) -> HttpResponseBase:
        response = super().get_response(request)
        # run by response.close(), which the WSGI server calls after the last byte; close() then
        # clears its list of closers, so this reference does not make a cycle of its own
        closers = response._resource_closers  # type: ignore[attr-defined]  # Django's, not in the stubs
        closers.append(partial(release, request, response))
        return response


def get_wsgi_application() -> WSGIHandler:
    """As ``django.core.wsgi.get_wsgi_application``, with this handler."""
    import django

    django.setup(set_prefix=False)
    return WSGIHandler()

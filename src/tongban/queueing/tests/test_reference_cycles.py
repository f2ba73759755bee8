"""The production WSGI handler frees each request's objects when the response is closed (core/handlers.py):
the hall's busiest requests, the ticket machine's and the windows' calls, leave no reference cycles for the
garbage collector, whose runs stop every thread of a worker.

Not everything is cycle-free: a DRF serializer instance and a template's context hold cycles of their own
(the display's snapshot, the HTML pages), which the collector still frees. They are read far less often."""

from __future__ import annotations

import gc
import io
import json
import sys
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core.handlers.wsgi import WSGIHandler as DjangoWSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.utils import timezone
from freezegun import freeze_time

from tongban.core.handlers import WSGIHandler


class Server:
    """Calls a WSGI application as gunicorn does: start_response, every byte of the body, then close()."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def __call__(
        self, path: str, body: bytes = b"{}", token: str = "", method: str = "POST"
    ) -> tuple[int, bytes]:
        environ = {
            "REQUEST_METHOD": method,
            "PATH_INFO": path,
            "QUERY_STRING": "",
            "SCRIPT_NAME": "",
            "SERVER_NAME": "testserver",
            "SERVER_PORT": "80",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "HTTP_HOST": "testserver",
            "REMOTE_ADDR": "127.0.0.1",
            "CONTENT_TYPE": "application/json",
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.url_scheme": "http",
        }
        if token:
            environ["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        status: list[str] = []
        result = self.app(environ, lambda s, headers, exc_info=None: status.append(s))
        try:
            content = b"".join(result)
        finally:
            result.close()
        return int(status[0].split()[0]), content


@pytest.fixture
def servers():
    # as Django's test client does: the test's transaction must outlive each request's start and end signals
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    try:
        yield Server(WSGIHandler()), Server(DjangoWSGIHandler())
    finally:
        for signal in (request_started, request_finished):
            signal.connect(close_old_connections)


def cyclic_garbage(call: Callable[[], tuple[int, bytes]]) -> tuple[int, list[str]]:
    """Run ``call`` and return its status and the type of every object it left in reference cycles."""
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        status, _ = call()
        gc.collect()
        found = sorted({type(o).__qualname__ for o in gc.garbage})
    finally:
        gc.garbage.clear()
        gc.set_debug(0)
        gc.enable()
    return status, found


@pytest.fixture
def hall_with_token(clerk_at):
    from tongban.accounts.authentication import hash_token
    from tongban.accounts.models import ApiToken
    from tongban.queueing.services import window_session_open
    from tongban.queueing.tests.factories import hall

    center, _, (window, _) = hall()
    clerk = clerk_at(window)
    window_session_open(window=window, clerk=clerk)
    ApiToken.objects.create(
        user=clerk, key_hash=hash_token("t0ken"), expires_at=timezone.now() + timedelta(hours=1)
    )
    return center, window, "t0ken"


def call_next(server: Server, window: Any, token: str) -> tuple[int, bytes]:
    return server(f"/api/v1/windows/{window.pk}/call-next", token=token)


@freeze_time("2026-11-25 02:00:00")
def test_the_halls_requests_leave_no_reference_cycles(servers, hall_with_token):
    ours, _ = servers
    center, window, token = hall_with_token
    tickets = f"/api/v1/centers/{center.code}/tickets"

    def finish(ticket_id: int) -> tuple[int, bytes]:
        return ours(f"/api/v1/tickets/{ticket_id}/finish", token=token)

    for _ in range(2):  # warm: first-use imports and per-process caches are not garbage
        assert ours(tickets, b'{"queue": "A"}')[0] == 201
        status, body = call_next(ours, window, token)
        assert finish(json.loads(body)["ticket"]["id"])[0] == 200

    # the ticket machine, in its queue and with a priority reason
    assert cyclic_garbage(lambda: ours(tickets, b'{"queue": "A"}')) == (201, [])
    assert cyclic_garbage(lambda: ours(tickets, b'{"queue": "V", "priority_reason": "military"}')) == (
        201,
        [],
    )
    # the window: call, a double click (409: still holding that ticket), finish
    seen: list[bytes] = []

    def call() -> tuple[int, bytes]:
        status, body = call_next(ours, window, token)
        seen.append(body)
        return status, body

    assert cyclic_garbage(call) == (200, [])
    assert cyclic_garbage(lambda: call_next(ours, window, token)) == (409, [])
    assert cyclic_garbage(lambda: finish(json.loads(seen[0])["ticket"]["id"])) == (200, [])
    # and a ticket machine set up with a wrong center
    assert cyclic_garbage(lambda: ours("/api/v1/centers/NO-SUCH/tickets", b'{"queue": "A"}')) == (404, [])


@freeze_time("2026-11-25 02:00:00")
def test_djangos_own_handler_leaves_the_same_requests_to_the_collector(servers, hall_with_token):
    """The control: what the handler is for. Without it a ticket machine's request leaves its request and
    DRF's request and view (and what hangs from them) in cycles."""
    _, django = servers
    center, _, _ = hall_with_token
    tickets = f"/api/v1/centers/{center.code}/tickets"
    django(tickets, b'{"queue": "A"}')
    status, found = cyclic_garbage(lambda: django(tickets, b'{"queue": "A"}'))
    assert status == 201
    assert {"WSGIRequest", "Request", "TicketIssueView"} <= set(found)

"""The client's address, for rate limits and the audit log.

Behind the reverse proxy (docs/deploy.md, nginx) ``REMOTE_ADDR`` is the proxy. When it is a
private or loopback address, the last entry of ``X-Forwarded-For`` — the one nginx appended
(``$proxy_add_x_forwarded_for``), not one the client could forge — is the client. A request
arriving straight from a public address is taken at its word: its ``REMOTE_ADDR``.
"""

from __future__ import annotations

import ipaddress

from django.http import HttpRequest


def _ip(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str | None:
    remote = _ip(request.META.get("REMOTE_ADDR", ""))
    if remote is None:
        return None
    if remote.is_private or remote.is_loopback:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            last = _ip(forwarded.split(",")[-1])
            if last is not None:
                return str(last)
    return str(remote)

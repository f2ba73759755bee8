"""The public progress look-up (receipt number + last 4 of the ID), limited per client.

It is a guessing surface, so every client address gets ``PROGRESS_LOOKUPS_PER_MINUTE``
look-ups a minute, counted in the shared cache (so across processes in production).
"""

from __future__ import annotations

from django.core.cache import cache

from tongban.applications.selectors import Progress, application_progress
from tongban.core.errors import RateLimited

PROGRESS_LOOKUPS_PER_MINUTE = 20


def application_progress_lookup(*, number: str, id_last4: str, client_key: str) -> Progress:
    """``application_progress`` for an anonymous caller; ``client_key`` is its address (accounts.http)."""
    key = f"applications:progress:{client_key}"
    cache.add(key, 0, 60)
    if cache.incr(key) > PROGRESS_LOOKUPS_PER_MINUTE:
        raise RateLimited(
            "查询过于频繁，请稍后再试", "Too many look-ups; try again in a minute", retry_after=60
        )
    return application_progress(number=number, id_last4=id_last4)

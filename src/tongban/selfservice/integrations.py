"""Other apps' services this app calls, looked up at call time.

The portal and kiosk are built in parallel with the applications, queue and
ratings apps. A feature whose service has not landed shows an honest
"暂未开放 / not available yet" instead of a fake; once the function exists,
the feature works with no change here.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


def optional(module: str, name: str) -> Callable[..., Any] | None:
    """``module.name`` if that app has shipped it, else None."""
    try:
        mod = importlib.import_module(module)
    except ImportError:
        return None
    found = getattr(mod, name, None)
    return found if callable(found) else None


def available(*functions: tuple[str, str]) -> bool:
    return all(optional(m, n) is not None for m, n in functions)


APPLICATIONS_ONLINE = (
    ("tongban.applications.services", "application_create"),
    ("tongban.applications.services", "application_submit"),
    ("tongban.applications.services", "attachment_upload"),
    ("tongban.applications.selectors", "applications_for_applicant"),
    ("tongban.applications.selectors", "application_detail"),
)
KIOSK_PROGRESS = (("tongban.applications.selectors", "application_progress"),)

"""Dev SMS backend: the message stays in the database (outbox page) and is noted on the console.

One-time codes (a sign-in code, a cabinet pickup code) never reach the log: the
console line blanks them and points at the outbox page, which shows them.
"""

from __future__ import annotations

import logging

from tongban.notifications.models import Message

name = "outbox"
stores_secrets = True
logger = logging.getLogger("tongban.sms.outbox")


def send(message: Message, *, body: str) -> None:
    # message.body may hold a code (this dev backend keeps it for the outbox page); log a redacted copy.
    logger.info("[SMS outbox] to %s: %s", message.to, message.redacted_body or body)

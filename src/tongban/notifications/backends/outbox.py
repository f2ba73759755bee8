"""Dev SMS backend: the message stays in the database (outbox page) and is printed on the console."""

from __future__ import annotations

import logging

from tongban.notifications.models import Message

name = "outbox"
logger = logging.getLogger("tongban.sms.outbox")


def send(message: Message) -> None:
    # The console line is for the person running the demo; the PII filter masks the phone.
    logger.info("[SMS outbox] to %s: %s", message.to, message.body)

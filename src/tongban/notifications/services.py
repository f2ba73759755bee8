"""Sending messages. Callers never talk to a gateway directly: they call :func:`sms_send`."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from tongban.core.crypto import blind_index
from tongban.notifications.backends import get_backend
from tongban.notifications.models import Message

SECRET_MASK = "******"


def sms_send(*, to_phone: str, body: str, purpose: str, secret: str = "") -> Message:
    """Record an SMS and hand it to the configured backend once the caller's transaction commits.

    The message row is written in the caller's transaction (so a rolled-back
    action sends nothing); delivery happens on commit. ``secret`` is a one-time
    code inside ``body`` (sign-in code, pickup code): it is delivered, but the
    stored copy and every log line have it blanked — only the dev outbox keeps
    it, for its page.
    """
    backend = get_backend()
    redacted = body.replace(secret, SECRET_MASK) if secret else ""
    message = Message.objects.create(
        channel=Message.Channel.SMS,
        to=to_phone,
        to_hash=blind_index(to_phone),
        body=body if (not secret or backend.stores_secrets) else redacted,
        purpose=purpose,
        backend=backend.name,
    )
    message.redacted_body = redacted
    transaction.on_commit(lambda: _deliver(message, body))
    return message


def _deliver(message: Message, body: str) -> None:
    message_id = message.pk
    backend = get_backend(message.backend)
    try:
        backend.send(message, body=body)
    except Exception as exc:  # noqa: BLE001 - the gateway's failure is recorded, not raised
        Message.objects.filter(pk=message_id).update(state=Message.State.FAILED, error=str(exc)[:300])
        return
    Message.objects.filter(pk=message_id).update(state=Message.State.SENT, sent_at=timezone.now())

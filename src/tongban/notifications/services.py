"""Sending messages. Callers never talk to a gateway directly: they call :func:`sms_send`."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from tongban.core.crypto import blind_index
from tongban.notifications.backends import get_backend
from tongban.notifications.models import Message


def sms_send(*, to_phone: str, body: str, purpose: str) -> Message:
    """Record an SMS and hand it to the configured backend once the caller's transaction commits.

    The message row is written in the caller's transaction (so a rolled-back
    action sends nothing); delivery happens on commit.
    """
    backend = get_backend()
    message = Message.objects.create(
        channel=Message.Channel.SMS,
        to=to_phone,
        to_hash=blind_index(to_phone),
        body=body,
        purpose=purpose,
        backend=backend.name,
    )
    transaction.on_commit(lambda: _deliver(message.pk))
    return message


def _deliver(message_id: int) -> None:
    message = Message.objects.get(pk=message_id)
    backend = get_backend(message.backend)
    try:
        backend.send(message)
    except Exception as exc:  # noqa: BLE001 - the gateway's failure is recorded, not raised
        Message.objects.filter(pk=message_id).update(state=Message.State.FAILED, error=str(exc)[:300])
        return
    Message.objects.filter(pk=message_id).update(state=Message.State.SENT, sent_at=timezone.now())

"""The command outbox: rows first, publish after commit; anything not handed over stays queued."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from tongban.cabinet import protocol
from tongban.cabinet.models import Cabinet, Compartment, DeviceCommand, Item
from tongban.cabinet.transport import get_publisher

logger = logging.getLogger(__name__)


def command_queue(
    *,
    compartment: Compartment,
    purpose: str,
    ttl_seconds: int,
    item: Item | None = None,
    cabinet: Cabinet | None = None,
) -> DeviceCommand:
    """Write an ``open`` command into the outbox (caller's transaction); publish it once that commits.

    Publishing happens straight from the committed row in memory (no re-read: this is the hot
    path from a code to a door). When the cabinet is offline or the broker refuses, the row
    stays ``queued`` and :func:`outbox_dispatch` sends it later.
    """
    cabinet = cabinet or compartment.cabinet
    command = DeviceCommand.objects.create(
        cabinet=cabinet,
        compartment=compartment,
        item=item,
        purpose=purpose,
        expires_at=timezone.now() + timedelta(seconds=ttl_seconds),
    )
    if cabinet.online:
        # robust: the commit stands whatever happens here; a command left queued is re-sent by the
        # watchdog and the device ignores a repeat (same request id).
        transaction.on_commit(lambda: _publish(command, cabinet.code, compartment.number), robust=True)
    return command


def _publish(command: DeviceCommand, cabinet_code: str, number: int) -> bool:
    message = protocol.open_command(
        request_id=str(command.request_id), compartment=number, expires_at=command.expires_at
    )
    ok = get_publisher().publish(protocol.command_topic(cabinet_code), message)
    if ok:
        # Only QUEUED → SENT: a fast device may already have answered (DONE/FAILED).
        DeviceCommand.objects.filter(pk=command.pk, state=DeviceCommand.State.QUEUED).update(
            state=DeviceCommand.State.SENT, sent_at=timezone.now(), attempts=F("attempts") + 1, error=""
        )
    else:
        DeviceCommand.objects.filter(pk=command.pk).update(
            attempts=F("attempts") + 1, error="broker unavailable / 消息服务器不可用"
        )
        logger.warning("cabinet outbox: broker unavailable, the command stays queued")
    return ok


def outbox_dispatch(*, command_ids: Iterable[int] | None = None, cabinet_id: int | None = None) -> int:
    """Publish queued, unexpired commands to online cabinets. Safe to run anywhere, any number of times:
    the device de-duplicates by request id. Returns how many were handed to the broker."""
    now = timezone.now()
    commands = DeviceCommand.objects.filter(
        state=DeviceCommand.State.QUEUED, cabinet__online=True, expires_at__gt=now
    ).select_related("cabinet", "compartment")
    if command_ids is not None:
        commands = commands.filter(pk__in=list(command_ids))
    if cabinet_id is not None:
        commands = commands.filter(cabinet_id=cabinet_id)
    pending = list(commands.order_by("created_at", "id")[:500])
    if not pending:
        return 0
    transport = get_publisher()
    sent = 0
    for command in pending:
        message = protocol.open_command(
            request_id=str(command.request_id),
            compartment=command.compartment.number,
            expires_at=command.expires_at,
        )
        ok = transport.publish(protocol.command_topic(command.cabinet.code), message)
        if ok:
            # Only QUEUED → SENT: a fast device may already have answered (DONE/FAILED).
            DeviceCommand.objects.filter(pk=command.pk, state=DeviceCommand.State.QUEUED).update(
                state=DeviceCommand.State.SENT, sent_at=now, attempts=F("attempts") + 1, error=""
            )
            sent += 1
        else:
            DeviceCommand.objects.filter(pk=command.pk).update(
                attempts=F("attempts") + 1, error="broker unavailable / 消息服务器不可用"
            )
            logger.warning(
                "cabinet outbox: broker unavailable, %s command(s) stay queued", len(pending) - sent
            )
            break
    return sent

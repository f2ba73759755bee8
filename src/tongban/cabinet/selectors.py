"""Cabinet reads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from tongban.accounts.models import Role
from tongban.cabinet.models import Alert, Cabinet, Compartment, DeviceCommand, Item, RemoteOpen
from tongban.core.errors import NotFound


def cabinet_get(*, code: str) -> Cabinet:
    cabinet = Cabinet.objects.select_related("center").filter(code=code).first()
    if cabinet is None:
        raise NotFound("文件柜不存在", "No such cabinet", code="cabinet.not_found")
    return cabinet


def cabinets_list(*, user: Any = None) -> QuerySet[Cabinet]:
    """Cabinets with their compartments (two queries). Staff other than admins see their own center's."""
    qs = Cabinet.objects.select_related("center").prefetch_related(
        Prefetch("compartments", queryset=Compartment.objects.order_by("number"))
    )
    if user is not None and getattr(user, "role", None) not in (None, Role.ADMIN) and user.center_id:
        qs = qs.filter(center_id=user.center_id)
    return qs.order_by("code")


def cabinets_public() -> QuerySet[Cabinet]:
    return Cabinet.objects.select_related("center").order_by("center__code", "code")


@dataclass(frozen=True)
class ItemRow:
    item: Item
    overdue: bool
    recall_due: bool
    collect_by: Any


def cabinet_items(*, cabinet: Cabinet) -> list[ItemRow]:
    """Live items for the staff screen, with overdue flags (no plaintext phone: masked in the template)."""
    from tongban.core.calendar import add_workdays

    now = timezone.now()
    rows = []
    items = (
        Item.objects.filter(cabinet=cabinet, state__in=Item.ACTIVE_STATES)
        .select_related("compartment", "application")
        .order_by("compartment__number")
    )
    for item in items:
        overdue = recall_due = False
        collect_by = None
        if item.kind == Item.Kind.PICKUP and item.stored_at and item.state == Item.State.STORED:
            overdue = item.stored_at <= now - timedelta(days=cabinet.reminder_after_days)
            recall_due = item.stored_at <= now - timedelta(days=cabinet.recall_after_days)
        if item.kind == Item.Kind.DROPOFF and item.stored_at and item.state == Item.State.STORED:
            collect_by = add_workdays(timezone.localdate(item.stored_at), 1)
        rows.append(ItemRow(item, overdue, recall_due, collect_by))
    return rows


@dataclass(frozen=True)
class OwnItem:
    """What the owner of a case sees of its item in a cabinet (the portal's case page): where, until when,
    and that its code can be sent again. Never the code: that goes by SMS only."""

    item: Item
    where: str
    hours: str
    expires_at: Any


def items_for_application(*, application_id: int) -> list[OwnItem]:
    """The case's items waiting in a cabinet for its owner: a result to pick up, a place reserved for a
    drop-off. One query."""
    items = (
        Item.objects.filter(application_id=application_id)
        .filter(
            Q(kind=Item.Kind.PICKUP, state=Item.State.STORED)
            | Q(kind=Item.Kind.DROPOFF, state=Item.State.RESERVED)
        )
        .select_related("cabinet__center")
        .order_by("created_at")
    )
    out = []
    for item in items:
        cabinet = item.cabinet
        out.append(
            OwnItem(
                item=item,
                where=cabinet.where,
                hours=cabinet.hours,
                expires_at=item.code_expires_at,
            )
        )
    return out


def cabinet_recent_items(*, cabinet: Cabinet, limit: int = 10) -> QuerySet[Item]:
    return (
        Item.objects.filter(cabinet=cabinet)
        .exclude(state__in=Item.ACTIVE_STATES)
        .select_related("compartment")
        .order_by("-finished_at", "-id")[:limit]
    )


def cabinet_open_alerts(*, cabinet: Cabinet) -> QuerySet[Alert]:
    return Alert.objects.filter(cabinet=cabinet, resolved_at=None).select_related("compartment")


def cabinet_pending_remote_opens(*, cabinet: Cabinet) -> QuerySet[RemoteOpen]:
    return RemoteOpen.objects.filter(
        compartment__cabinet=cabinet, state=RemoteOpen.State.PENDING
    ).select_related("compartment", "requested_by")


def cabinet_queued_commands(*, cabinet: Cabinet) -> int:
    return DeviceCommand.objects.filter(cabinet=cabinet, state=DeviceCommand.State.QUEUED).count()


@dataclass(frozen=True)
class DoorStatus:
    state: str  # waiting | open | closed | failed
    compartment: int


def door_status(*, cabinet: Cabinet, request_id: str) -> DoorStatus:
    """What the cabinet screen shows after a code: waiting for the door, open, closed, or failed.

    Only the random request id identifies the command; nothing about the item is returned.
    """
    command = (
        DeviceCommand.objects.select_related("compartment")
        .filter(cabinet=cabinet, request_id=request_id)
        .first()
    )
    if command is None:
        raise NotFound()
    if command.state in (DeviceCommand.State.FAILED, DeviceCommand.State.EXPIRED):
        state = "failed"
    elif command.state == DeviceCommand.State.DONE:
        state = "open" if command.compartment.door_open else "closed"
    else:
        state = "waiting"
    return DoorStatus(state, command.compartment.number)

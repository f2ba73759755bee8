"""Cabinet administration: setting one up, taking compartments in and out of service, remote open."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from tongban.accounts.models import STAFF_ROLES
from tongban.cabinet.conf import conf
from tongban.cabinet.models import Alert, Cabinet, Compartment, DeviceCommand, RemoteOpen, Size
from tongban.cabinet.services._common import (
    SUPERVISING_ROLES,
    lock_cabinet,
    require_staff,
    resolve_alerts,
    settle_compartment,
)
from tongban.cabinet.services.outbox import command_queue
from tongban.catalog.models import Center
from tongban.core.audit import audit_log
from tongban.core.errors import Conflict, Forbidden, InvalidTransition, ValidationError


def cabinet_ensure(
    *, code: str, center: Center, name: str, place: str, hours: str, layout: list[str], actor: Any = None
) -> Cabinet:
    """Create or update a cabinet and its compartments (``layout`` = sizes of compartments 1..n).

    Idempotent on ``code``; existing compartments keep their state, only new numbers are added.
    """
    if any(size not in Size.values for size in layout):
        raise ValidationError(
            "格口尺寸只能是 S/M/L", "Compartment sizes are S, M or L", code="cabinet.size_invalid"
        )
    with transaction.atomic():
        cabinet, created = Cabinet.objects.update_or_create(
            code=code, defaults={"center": center, "name": name, "place": place, "hours": hours}
        )
        existing = set(cabinet.compartments.values_list("number", flat=True))
        Compartment.objects.bulk_create(
            [
                Compartment(cabinet=cabinet, number=number, size=size)
                for number, size in enumerate(layout, start=1)
                if number not in existing
            ]
        )
        audit_log(
            actor=actor,
            action="cabinet.cabinet.create" if created else "cabinet.cabinet.update",
            obj=cabinet,
            data={"compartments": len(layout)},
        )
    return cabinet


def compartment_set_state(*, compartment: Compartment, state: str, actor: Any, note: str = "") -> Compartment:
    """Disable a compartment, or put it back in service (clears a fault). Manager or admin."""
    require_staff(actor, compartment.cabinet, SUPERVISING_ROLES)
    if state not in (Compartment.State.FREE, Compartment.State.DISABLED):
        raise ValidationError("只能设为启用或停用", "Only enable or disable", code="cabinet.state_invalid")
    with transaction.atomic():
        cabinet = lock_cabinet(compartment.cabinet_id)
        compartment = Compartment.objects.select_for_update().get(pk=compartment.pk)
        if compartment.door_open:
            raise Conflict("柜门未关，请先关门", "The door is open; close it first", code="cabinet.door_open")
        previous = compartment.state
        if state == Compartment.State.DISABLED:
            compartment.state = Compartment.State.DISABLED
            compartment.save(update_fields=["state"])
        else:
            compartment.state = Compartment.State.FREE  # settle() works out reserved/occupied
            compartment.fault = ""
            settle_compartment(compartment)
            resolve_alerts(
                cabinet=cabinet,
                compartment=compartment,
                kinds=[Alert.Kind.DOOR_FAULT, Alert.Kind.OPEN_TIMEOUT],
            )
        audit_log(
            actor=actor,
            action="cabinet.compartment.set_state",
            obj=compartment,
            data={"from": previous, "to": compartment.state, "note": note[:200]},
        )
    return compartment


def remote_open_request(*, compartment: Compartment, reason: str, actor: Any) -> RemoteOpen:
    """An admin or manager asks to open a door outside the flows (a stuck item). Needs a second person."""
    require_staff(actor, compartment.cabinet, SUPERVISING_ROLES)
    reason = " ".join(reason.split())
    if len(reason) < 5:
        raise ValidationError(
            "请写明远程开门的原因（至少5个字）",
            "Write the reason for the remote open (5 characters at least)",
            code="cabinet.reason_required",
        )
    with transaction.atomic():
        lock_cabinet(compartment.cabinet_id)
        if RemoteOpen.objects.filter(compartment=compartment, state=RemoteOpen.State.PENDING).exists():
            raise Conflict(
                "该格口已有待审批的远程开门申请",
                "A remote open is already pending",
                code="cabinet.remote_pending",
            )
        request = RemoteOpen.objects.create(compartment=compartment, reason=reason[:300], requested_by=actor)
        audit_log(
            actor=actor,
            action="cabinet.remote_open.request",
            obj=request,
            data={
                "compartment": compartment.number,
                "cabinet": compartment.cabinet.code,
                "reason": reason[:300],
            },
        )
    return request


def remote_open_decide(*, request: RemoteOpen, actor: Any, approve: bool) -> RemoteOpen:
    """A second staff member of the center (not the requester) approves or rejects; approval opens the door."""
    cabinet = request.compartment.cabinet
    require_staff(actor, cabinet, frozenset(STAFF_ROLES) - {"reviewer", "supervisor"})
    if actor.pk == request.requested_by_id:
        raise Forbidden(
            "远程开门须由另一名工作人员审批",
            "A different staff member must approve",
            code="cabinet.same_approver",
        )
    with transaction.atomic():
        lock_cabinet(cabinet.pk)
        request = RemoteOpen.objects.select_for_update().select_related("compartment").get(pk=request.pk)
        if request.state != RemoteOpen.State.PENDING:
            raise InvalidTransition("该申请已处理", "This request was already decided")
        request.state = RemoteOpen.State.APPROVED if approve else RemoteOpen.State.REJECTED
        request.decided_by = actor
        request.decided_at = timezone.now()
        if approve:
            request.command = command_queue(
                compartment=request.compartment,
                purpose=DeviceCommand.Purpose.REMOTE,
                ttl_seconds=conf().command_ttl,
            )
        request.save(update_fields=["state", "decided_by", "decided_at", "command"])
        audit_log(
            actor=actor,
            action="cabinet.remote_open.approve" if approve else "cabinet.remote_open.reject",
            obj=request,
            data={"compartment": request.compartment.number, "requested_by": request.requested_by_id},
        )
    return request

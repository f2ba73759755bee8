"""Helpers shared by the cabinet services (not a public API)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from tongban.accounts.models import Role
from tongban.accounts.permissions import require_role
from tongban.cabinet.errors import CabinetFull
from tongban.cabinet.models import SIZE_ORDER, Alert, Cabinet, Compartment, Item, ItemEvent
from tongban.core.errors import Forbidden, NotFound

DEPOSIT_ROLES = frozenset({Role.CLERK, Role.MANAGER, Role.ADMIN})
SUPERVISING_ROLES = frozenset({Role.MANAGER, Role.ADMIN})


def user_or_none(actor: Any) -> Any:
    return actor if actor is not None and getattr(actor, "is_authenticated", False) else None


def require_staff(actor: Any, cabinet: Cabinet, roles: frozenset[str] = DEPOSIT_ROLES) -> None:
    """Staff of the cabinet's center in one of ``roles`` (admins: any center)."""
    require_role(actor, *roles)
    if actor.role != Role.ADMIN and actor.center_id != cabinet.center_id:
        raise Forbidden("该文件柜不属于您所在的中心", "This cabinet belongs to another center")


def lock_cabinet(cabinet_id: int) -> Cabinet:
    """Every write that touches a cabinet locks its row first: one order, no deadlocks."""
    cabinet = Cabinet.objects.select_for_update().select_related("center").filter(pk=cabinet_id).first()
    if cabinet is None:
        raise NotFound("文件柜不存在", "No such cabinet", code="cabinet.not_found")
    return cabinet


def transition(item: Item, to: str, *, actor: Any = None, note: str = "") -> None:
    """Append the history row and set the new state (the caller saves the item)."""
    ItemEvent.objects.create(
        item=item, from_state=item.state, to_state=to, actor=user_or_none(actor), note=note[:200]
    )
    item.state = to


def live_item(compartment: Compartment) -> Item | None:
    return (
        Item.objects.select_for_update().filter(compartment=compartment, state__in=Item.ACTIVE_STATES).first()
    )


def settle_compartment(compartment: Compartment) -> None:
    """Recompute the compartment's state from its door and its live item; faulty/disabled stay put."""
    if compartment.state in (Compartment.State.FAULTY, Compartment.State.DISABLED):
        pass
    elif compartment.door_open:
        compartment.state = Compartment.State.OPEN
    else:
        item = Item.objects.filter(compartment=compartment, state__in=Item.ACTIVE_STATES).first()
        if item is None:
            compartment.state = Compartment.State.FREE
        elif item.state in (Item.State.STORED, Item.State.UNLOADING):
            compartment.state = Compartment.State.OCCUPIED
        else:
            compartment.state = Compartment.State.RESERVED
    compartment.save(update_fields=["state", "door_open", "door_opened_at", "fault"])


def reserve_compartment(cabinet: Cabinet, size: str, *, exclude: int | None = None) -> Compartment:
    """The smallest free compartment that fits ``size`` (caller holds the cabinet lock)."""
    if size not in SIZE_ORDER:
        raise CabinetFull("尺寸无效", "Unknown size", code="cabinet.size_invalid", status_code=400)
    fitting = SIZE_ORDER[SIZE_ORDER.index(size) :]
    candidates = (
        Compartment.objects.select_for_update()
        .filter(cabinet=cabinet, state=Compartment.State.FREE, door_open=False, size__in=fitting)
        .exclude(items__state__in=Item.ACTIVE_STATES)
        .order_by("number")
    )
    if exclude is not None:
        candidates = candidates.exclude(pk=exclude)
    by_size = sorted(candidates, key=lambda c: (SIZE_ORDER.index(c.size), c.number))
    for compartment in by_size:
        # Conditional update: a second guard beside the cabinet lock (and the item constraint a third),
        # so even a database without row locks never hands one compartment to two deposits.
        taken = Compartment.objects.filter(pk=compartment.pk, state=Compartment.State.FREE).update(
            state=Compartment.State.RESERVED
        )
        if taken == 1:
            compartment.state = Compartment.State.RESERVED
            return compartment
    raise CabinetFull()


def raise_alert(
    *,
    cabinet: Cabinet,
    kind: str,
    message: str,
    compartment: Compartment | None = None,
    add_to_open: bool = False,
) -> Alert:
    """The open alert of this kind for the cabinet (or compartment), created if there is none: one open alert
    a kind, so a fault reported again is the same alert. ``add_to_open``: a different matter of the same kind
    (a case staff must finish by hand) puts its message first on the open alert instead of being lost.
    Callers hold the cabinet's lock."""
    alert = Alert.objects.filter(
        cabinet=cabinet, compartment=compartment, kind=kind, resolved_at=None
    ).first()
    if alert is None:
        alert = Alert.objects.create(
            cabinet=cabinet, compartment=compartment, kind=kind, message=message[:200]
        )
    elif add_to_open:
        alert.message = f"{message}；{alert.message}"[:200]
        alert.save(update_fields=["message"])
    return alert


def resolve_alerts(*, cabinet: Cabinet, kinds: list[str], compartment: Compartment | None = None) -> int:
    qs = Alert.objects.filter(cabinet=cabinet, kind__in=kinds, resolved_at=None)
    if compartment is not None:
        qs = qs.filter(compartment=compartment)
    return qs.update(resolved_at=timezone.now())

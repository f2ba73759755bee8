"""Shared pieces of the applications services: input types, locking, transitions, numbering."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import connection
from django.db.models import Model
from django.utils import timezone

from tongban.accounts.models import Role, User
from tongban.applications.errors import (
    ApplicationForbidden,
    ApplicationInvalidTransition,
    ApplicationStale,
    InvalidInput,
)
from tongban.applications.models import (
    Application,
    ApplicationMaterial,
    CaseNumberSequence,
    StatusChange,
)
from tongban.applications.selectors import can_act_on
from tongban.catalog.models import Center
from tongban.core import sql
from tongban.core.audit import audit_entry
from tongban.core.calendar import add_workdays_ex
from tongban.core.models import AuditEntry

CENTER_STAFF = frozenset({Role.CLERK, Role.MANAGER, Role.ADMIN})
MAX_EXTENSION_DAYS = 30

ALLOWED_UPLOAD_TYPES = {
    "application/pdf": ".pdf",
    "image/jpeg": ".jpg",
    "image/png": ".png",
}
_MAGIC = {"application/pdf": b"%PDF", "image/jpeg": b"\xff\xd8\xff", "image/png": b"\x89PNG"}


@dataclass(frozen=True)
class MaterialTick:
    """What the clerk saw of one kind of material (keyed by material type: bundles share it)."""

    material_type_id: int
    state: str = ApplicationMaterial.State.RECEIVED
    received_form: str = ""
    received_count: int | None = None
    problem: str = ""


@dataclass(frozen=True)
class SupplementItem:
    """One line of the one-time notice: a checklist row, or a free-text item (material_id None)."""

    problem: str
    material_id: int | None = None
    name: str = ""


@dataclass
class DeadlineRun:
    checked: int = 0
    yellow: list[str] = field(default_factory=list)
    red: list[str] = field(default_factory=list)


# --- helpers ---------------------------------------------------------------


def _today() -> date:
    return timezone.localdate()


def _require_roles(actor: User, roles: Iterable[str]) -> None:
    if actor.role not in set(roles):
        raise ApplicationForbidden()


def _lock(application: Application, *, expected_version: int | None = None) -> Application:
    locked = (
        Application.objects.select_for_update()
        .select_related("center", "matter", "guide", "applicant")
        .get(pk=application.pk)
    )
    if expected_version is not None and locked.version != expected_version:
        raise ApplicationStale(details={"version": locked.version})
    return locked


def _check_state(app: Application, allowed: Iterable[str]) -> None:
    allowed = list(allowed)
    if app.status not in allowed:
        raise ApplicationInvalidTransition(
            details={"status": app.status, "allowed_from": allowed},
        )


def _check_access(actor: User | None, app: Application, *, action: str) -> None:
    if actor is None:
        return  # the system itself (cabinet device, scheduler)
    if not can_act_on(user=actor, application=app, action=action):
        raise ApplicationForbidden()


def _transition(
    app: Application,
    *,
    to: str,
    actor: User | None,
    action: str,
    reason: str = "",
    data: dict[str, Any] | None = None,
    fields: Sequence[str] = (),
) -> None:
    """Save the new state and the changed ``fields``, bump the version, append history and audit."""
    old = app.status
    app.status = to
    app.version = app.version + 1
    app.save(update_fields=["status", "version", "updated_at", *fields])
    change, entry = _records(app, frm=old, to=to, actor=actor, action=action, reason=reason, data=data)
    change.save(force_insert=True)
    entry.save(force_insert=True)


def _records(
    app: Application,
    *,
    frm: str,
    to: str,
    actor: User | None,
    action: str,
    reason: str = "",
    data: dict[str, Any] | None = None,
) -> tuple[StatusChange, AuditEntry]:
    """The history row and audit entry of one step of a saved case, unsaved: what
    :func:`_transition` writes, and what a service writing a new case in one go writes in bulk."""
    change = StatusChange(
        application=app,
        from_status=frm,
        to_status=to,
        action=action,
        actor=actor,
        actor_repr=(actor.username if actor else "system"),
        at=timezone.now(),
        reason=reason,
        data=data or {},
    )
    entry = audit_entry(
        actor=actor,
        action=f"applications.application.{action}",
        obj=app,
        data={"number": app.number, "from": frm, "to": to, **(data or {})},
    )
    return change, entry


def _cache_related(obj: Model, name: str, items: Iterable[Model]) -> None:
    """Fill ``obj``'s prefetch cache for its reverse relation ``name`` with ``items`` — rows this
    service has just written, in the relation's order — exactly as ``prefetch_related`` would, so
    the rest of the request (the API answer) reads them without querying again."""
    qs = getattr(obj, name).all()
    qs._result_cache = list(items)
    qs._prefetch_done = True
    obj.__dict__.setdefault("_prefetched_objects_cache", {})[name] = qs


def _number_counter(center: Center) -> tuple[str, list[Any], str]:
    """The statement that takes the next number of the center's day (an upsert returning it; the row
    stays locked until the caller's transaction ends, so numbers are gapless and never repeat), its
    parameters, and the number's prefix. Four digits: ``{center}-{yyyymmdd}-0001``."""
    today = _today()
    table = CaseNumberSequence._meta.db_table
    statement = (
        f"INSERT INTO {table} (center_id, day, last) VALUES (%s, %s, 1) "  # noqa: S608 - table name is ours
        "ON CONFLICT (center_id, day) DO UPDATE SET last = " + table + ".last + 1 RETURNING last"
    )
    return statement, [center.pk, today], f"{center.code}-{today:%Y%m%d}-"


def _next_number(center: Center) -> str:
    """Take the next number of the center's day in one statement (see :func:`_number_counter`)."""
    statement, params, prefix = _number_counter(center)
    with connection.cursor() as cursor:
        sql.execute(cursor, statement, params)
        (last,) = cursor.fetchone()
    return f"{prefix}{last:04d}"


def _insert_numbered(
    app: Application,
    rows: Callable[[], Sequence[Sequence[Model]]] | None = None,
    *,
    number_in: dict[int, str] | None = None,
) -> list[Sequence[Model]]:
    """Number and insert a new single-matter case, with the rows ``rows`` builds (its checklist,
    reviews, history, audit entries): on PostgreSQL one statement, built before the center's counter
    is locked (:func:`sql.insert_numbered`, which also says what ``number_in`` does)."""
    statement, params, prefix = _number_counter(app.center)
    return sql.insert_numbered(
        app,
        field_name="number",
        counter=statement,
        counter_params=params,
        prefix=prefix,
        width=4,
        rows=rows,
        number_in=number_in,
    )


def _check_applicant(applicant: User) -> None:
    if applicant.role not in (Role.RESIDENT, Role.ENTERPRISE):
        raise InvalidInput("申请人必须是居民或企业", "The applicant must be a resident or an enterprise")


def _apply_ticks(
    rows: Iterable[ApplicationMaterial], ticks: Sequence[MaterialTick]
) -> list[ApplicationMaterial]:
    by_type = {t.material_type_id: t for t in ticks}
    valid_states = set(ApplicationMaterial.State.values)
    now = timezone.now()
    changed = []
    for row in rows:
        tick = by_type.get(row.material_type_id)
        if tick is None:
            continue
        if tick.state not in valid_states:
            raise InvalidInput(details={"state": tick.state})
        if tick.state == ApplicationMaterial.State.DEFERRED and not row.rongque:
            raise InvalidInput(
                f"“{row.name}”不属于可容缺材料", f"'{row.name}' may not follow later (not 容缺)"
            )
        row.state = tick.state
        row.received_form = tick.received_form or (row.form if tick.state == "received" else "")
        row.received_count = (
            tick.received_count
            if tick.received_count is not None
            else (row.count if tick.state == "received" else 0)
        )
        row.problem = tick.problem[:300]
        row.received_at = now if tick.state == ApplicationMaterial.State.RECEIVED else None
        changed.append(row)
    return changed


def _recompute_due(app: Application, *, today: date | None = None) -> None:
    if app.accepted_at is None or app.promised_days is None:
        return
    start = timezone.localdate(app.accepted_at)
    result = add_workdays_ex(start, app.promised_days + app.extension_days + app.suspended_days)
    app.due_date = result.date
    app.due_provisional = result.provisional

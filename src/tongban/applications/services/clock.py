"""The clock: suspension, manager-approved extension, deadline warnings."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone

from tongban.accounts.models import Role, User
from tongban.applications import notify
from tongban.applications.errors import (
    ApplicationInvalidTransition,
    InvalidInput,
)
from tongban.applications.models import (
    Application,
    DeadlineColour,
    Extension,
    Status,
    Suspension,
)
from tongban.applications.selectors import deadline_colour
from tongban.applications.services._core import (
    CENTER_STAFF,
    MAX_EXTENSION_DAYS,
    DeadlineRun,
    _check_access,
    _check_state,
    _lock,
    _recompute_due,
    _require_roles,
    _today,
    _transition,
)
from tongban.core.audit import audit_log
from tongban.core.calendar import workdays_between

# --- the clock: suspension, extension, deadlines ------------------------------------


def application_suspend(*, application: Application, actor: User, kind: str, reason: str) -> Suspension:
    """中止计时 (hearing, testing, expert review): the working days until resumption do not count."""
    _require_roles(actor, CENTER_STAFF)
    if kind not in Suspension.Kind.values:
        raise InvalidInput(details={"kind": kind})
    if not reason.strip():
        raise InvalidInput("请说明中止原因", "Give the reason for the suspension")
    with transaction.atomic():
        app = _lock(application)
        _check_access(actor, app, action="clock")
        _check_state(app, [Status.ACCEPTED, Status.UNDER_REVIEW])
        suspension = Suspension.objects.create(
            application=app,
            kind=kind,
            reason=reason,
            previous_status=app.status,
            started_on=_today(),
            started_by=actor,
        )
        _transition(
            app, to=Status.SUSPENDED, actor=actor, action="suspend", reason=reason, data={"kind": kind}
        )
    return suspension


def application_resume(*, application: Application, actor: User) -> Application:
    _require_roles(actor, CENTER_STAFF)
    with transaction.atomic():
        app = _lock(application)
        _check_access(actor, app, action="clock")
        _check_state(app, [Status.SUSPENDED])
        suspension = Suspension.objects.select_for_update().get(application=app, ended_on__isnull=True)
        today = _today()
        suspension.ended_on = today
        suspension.ended_by = actor
        suspension.days = max(workdays_between(suspension.started_on, today), 0)
        suspension.save(update_fields=["ended_on", "ended_by", "days"])
        app.suspended_days += suspension.days
        _recompute_due(app)
        _transition(
            app,
            to=suspension.previous_status,
            actor=actor,
            action="resume",
            data={"suspended_days": suspension.days, "due_date": str(app.due_date)},
            fields=["suspended_days", "due_date", "due_provisional"],
        )
    return app


def application_request_extension(
    *, application: Application, actor: User, days: int, reason: str
) -> Extension:
    """延期 request (+N working days); takes effect once a manager approves it."""
    _require_roles(actor, CENTER_STAFF)
    if not 1 <= days <= MAX_EXTENSION_DAYS:
        raise InvalidInput(
            f"延期天数须在1至{MAX_EXTENSION_DAYS}个工作日之间",
            f"Extension must be 1 to {MAX_EXTENSION_DAYS} working days",
        )
    if not reason.strip():
        raise InvalidInput("请说明延期理由", "Give the reason for the extension")
    with transaction.atomic():
        app = _lock(application)
        _check_access(actor, app, action="clock")
        _check_state(app, [Status.ACCEPTED, Status.UNDER_REVIEW, Status.SUSPENDED])
        if Extension.objects.filter(application=app, state=Extension.State.REQUESTED).exists():
            raise ApplicationInvalidTransition(
                "已有待审批的延期申请", "An extension request is already pending"
            )
        ext = Extension.objects.create(
            application=app, days=days, reason=reason, requested_by=actor, requested_at=timezone.now()
        )
        audit_log(
            actor=actor,
            action="applications.extension.request",
            obj=ext,
            data={"number": app.number, "days": days},
        )
    return ext


def application_extension_decide(*, extension: Extension, actor: User, approve: bool) -> Extension:
    """A manager approves (deadline + N working days) or rejects an extension request."""
    _require_roles(actor, [Role.MANAGER, Role.ADMIN])
    with transaction.atomic():
        app = _lock(extension.application)
        _check_access(actor, app, action="clock")
        ext = Extension.objects.select_for_update().get(pk=extension.pk)
        if ext.state != Extension.State.REQUESTED:
            raise ApplicationInvalidTransition(
                "该延期申请已处理", "This extension request was already decided"
            )
        ext.decided_by = actor
        ext.decided_at = timezone.now()
        ext.previous_due_date = app.due_date
        if approve:
            _check_state(app, [Status.ACCEPTED, Status.UNDER_REVIEW, Status.SUSPENDED])
            ext.state = Extension.State.APPROVED
            app.extension_days += ext.days
            _recompute_due(app)
            ext.new_due_date = app.due_date
            _transition(
                app,
                to=app.status,
                actor=actor,
                action="extend",
                reason=ext.reason,
                data={"days": ext.days, "due_date": str(app.due_date)},
                fields=["extension_days", "due_date", "due_provisional", "warning_level"]
                if _reset_warning(app)
                else ["extension_days", "due_date", "due_provisional"],
            )
        else:
            ext.state = Extension.State.REJECTED
        ext.save(update_fields=["state", "decided_by", "decided_at", "previous_due_date", "new_due_date"])
        audit_log(
            actor=actor,
            action="applications.extension.decide",
            obj=ext,
            data={"number": app.number, "approved": approve},
        )
    return ext


def _reset_warning(app: Application) -> bool:
    colour = deadline_colour(application=app, today=_today())
    if colour.value != app.warning_level and _rank(colour.value) < _rank(app.warning_level):
        app.warning_level = colour.value if colour.value != DeadlineColour.GREEN else ""
        return True
    return False


def _rank(level: str) -> int:
    return {"": 0, "green": 0, "yellow": 1, "red": 2}.get(level, 0)


def applications_check_deadlines(*, today: date | None = None) -> DeadlineRun:
    """Raise yellow (80 % elapsed) and red (overdue) warnings once each; notify the clerk and the managers.

    Idempotent: a case already warned at a level is not warned again at that level.
    """
    today = today or _today()
    run = DeadlineRun()
    open_cases = Application.objects.filter(
        status__in=[Status.ACCEPTED, Status.UNDER_REVIEW], due_date__isnull=False
    ).exclude(warning_level=DeadlineColour.RED)
    for app_id in open_cases.values_list("pk", flat=True).iterator():
        run.checked += 1
        with transaction.atomic():
            app = (
                Application.objects.select_for_update(of=("self",))
                .select_related("handler", "center")
                .get(pk=app_id)
            )
            colour = deadline_colour(application=app, today=today)
            if colour.value not in (DeadlineColour.YELLOW, DeadlineColour.RED):
                continue
            if _rank(colour.value) <= _rank(app.warning_level):
                continue
            app.warning_level = colour.value
            app.save(update_fields=["warning_level", "updated_at"])
            audit_log(
                actor=None,
                action="applications.application.deadline_warning",
                obj=app,
                data={"number": app.number, "level": colour.value, "due_date": str(app.due_date)},
            )
            (run.red if colour.value == DeadlineColour.RED else run.yellow).append(app.number)
            notify.deadline_warning(app, level=colour.value)
    return run

"""Delivery, archive and withdrawal."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from tongban.accounts.models import Role, User
from tongban.applications import notify
from tongban.applications.errors import (
    ApplicationForbidden,
    InvalidInput,
)
from tongban.applications.models import (
    Application,
    DeliveryMethod,
    Status,
)
from tongban.applications.services._core import (
    CENTER_STAFF,
    _check_access,
    _check_state,
    _lock,
    _require_roles,
    _transition,
)

# --- delivery and end states ----------------------------------------------------


def application_mark_ready_for_delivery(
    *, application: Application, actor: User, method: str, expected_version: int | None = None
) -> Application:
    """The result is ready: at the window, in a smart cabinet (the cabinet app deposits it) or by post."""
    _require_roles(actor, CENTER_STAFF)
    if method not in DeliveryMethod.values:
        raise InvalidInput(details={"method": method})
    with transaction.atomic():
        app = _lock(application, expected_version=expected_version)
        _check_access(actor, app, action="deliver")
        _check_state(app, [Status.DECIDED])
        if method == DeliveryMethod.POST and not app.delivery_address:
            raise InvalidInput("邮寄送达须有地址", "Postal delivery needs an address")
        app.delivery = method
        _transition(app, to=Status.READY_FOR_DELIVERY, actor=actor, action="ready", fields=["delivery"])
        notify.ready(app)
    return app


def application_mark_delivered(
    *, application: Application, actor: User | None, via: str, proxy: bool = False
) -> Application:
    """Handed over. The cabinet app calls this when the resident closes the compartment door
    (``actor`` None = the device/system; ``via`` e.g. "cabinet:YP-CBXC-01/07")."""
    if actor is not None and actor.role not in CENTER_STAFF:
        raise ApplicationForbidden()
    if not via.strip():
        raise InvalidInput(details={"via": via})
    with transaction.atomic():
        app = _lock(application)
        _check_access(actor, app, action="deliver")
        _check_state(app, [Status.READY_FOR_DELIVERY])
        app.delivered_at = timezone.now()
        app.delivered_via = via[:40]
        app.delivered_by_proxy = proxy
        _transition(
            app,
            to=Status.DELIVERED,
            actor=actor,
            action="deliver",
            data={"via": via, "proxy": proxy},
            fields=["delivered_at", "delivered_via", "delivered_by_proxy"],
        )
    return app


def application_close(*, application: Application, actor: User | None) -> Application:
    """Archive a delivered case."""
    with transaction.atomic():
        app = _lock(application)
        if actor is not None:
            _require_roles(actor, CENTER_STAFF)
        _check_access(actor, app, action="deliver")
        _check_state(app, [Status.DELIVERED])
        app.closed_at = timezone.now()
        _transition(app, to=Status.CLOSED, actor=actor, action="close", fields=["closed_at"])
    return app


WITHDRAWABLE = [
    Status.DRAFT,
    Status.SUBMITTED,
    Status.SUPPLEMENT_REQUESTED,
    Status.ACCEPTED,
    Status.UNDER_REVIEW,
    Status.SUSPENDED,
]


def application_withdraw(*, application: Application, actor: User, reason: str = "") -> Application:
    """撤回 by the applicant (or a clerk on the applicant's written request) before the decision."""
    with transaction.atomic():
        app = _lock(application)
        if actor.role in (Role.RESIDENT, Role.ENTERPRISE):
            if app.applicant_id != actor.pk:
                raise ApplicationForbidden()
        else:
            _require_roles(actor, CENTER_STAFF)
            _check_access(actor, app, action="intake")
        _check_state(app, WITHDRAWABLE)
        app.closed_at = timezone.now()
        _transition(
            app, to=Status.WITHDRAWN, actor=actor, action="withdraw", reason=reason, fields=["closed_at"]
        )
    return app

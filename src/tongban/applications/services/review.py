"""Parallel department review and the decision."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from tongban.accounts.models import Role, User
from tongban.applications import notify
from tongban.applications.errors import (
    ApplicationForbidden,
    ApplicationInvalidTransition,
    InvalidInput,
    ReviewsPending,
)
from tongban.applications.models import (
    Application,
    Outcome,
    Review,
    Status,
    StatusChange,
)
from tongban.applications.services._core import (
    _check_access,
    _check_state,
    _lock,
    _require_roles,
    _transition,
)
from tongban.applications.services.attachments import _store_attachment
from tongban.core.audit import audit_log

# --- review and decision ------------------------------------------------------


def review_give_opinion(
    *,
    review: Review,
    actor: User,
    opinion: str,
    text: str,
    attachments: Sequence[UploadedFile] = (),
) -> Review:
    """A department's opinion. The last answer moves the case on (ready to decide)."""
    _require_roles(actor, [Role.REVIEWER, Role.ADMIN])
    if opinion not in Review.Opinion.values:
        raise InvalidInput(details={"opinion": opinion})
    if opinion != Review.Opinion.AGREE and not text.strip():
        raise InvalidInput("有条件同意或不同意须写明意见", "Conditions or disagreement need a text")
    with transaction.atomic():
        app = _lock(review.application)
        locked = Review.objects.select_for_update().get(pk=review.pk)
        if actor.role != Role.ADMIN and actor.department_id != locked.department_id:
            raise ApplicationForbidden()
        _check_state(app, [Status.UNDER_REVIEW])
        if locked.answered_at is not None:
            raise ApplicationInvalidTransition("该部门已给出意见", "This department has already answered")
        now = timezone.now()
        locked.opinion = opinion
        locked.text = text
        locked.reviewer = actor
        locked.answered_at = now
        locked.late = timezone.localdate(now) > locked.due_date
        locked.save(update_fields=["opinion", "text", "reviewer", "answered_at", "late"])
        for upload in attachments:
            _store_attachment(app, upload=upload, actor=actor, review=locked)
        audit_log(
            actor=actor,
            action="applications.review.opinion",
            obj=locked,
            data={"number": app.number, "opinion": opinion, "late": locked.late},
        )
        open_count = Review.objects.filter(application=app, answered_at__isnull=True).count()
        app.version += 1
        app.save(update_fields=["version", "updated_at"])
        if open_count == 0:
            StatusChange.objects.create(
                application=app,
                from_status=app.status,
                to_status=app.status,
                action="reviews_complete",
                actor=actor,
                actor_repr=actor.username,
                at=now,
            )
    return locked


def application_decide(
    *,
    application: Application,
    actor: User,
    outcome: str,
    reason: str = "",
    expected_version: int | None = None,
) -> Application:
    """办结: approve or deny, once every department has answered. A denial needs its reasons."""
    _require_roles(actor, [Role.CLERK, Role.MANAGER, Role.ADMIN, Role.REVIEWER])
    if outcome not in Outcome.values:
        raise InvalidInput(details={"outcome": outcome})
    if outcome == Outcome.DENIED and not reason.strip():
        raise InvalidInput("不予许可须说明理由", "A denial needs its reasons")
    with transaction.atomic():
        app = _lock(application, expected_version=expected_version)
        _check_access(actor, app, action="decide")
        _check_state(app, [Status.ACCEPTED, Status.UNDER_REVIEW])
        if (
            app.status == Status.UNDER_REVIEW
            and Review.objects.filter(application=app, answered_at=None).exists()
        ):
            raise ReviewsPending()
        app.outcome = outcome
        app.outcome_reason = reason
        app.decided_at = timezone.now()
        _transition(
            app,
            to=Status.DECIDED,
            actor=actor,
            action="decide",
            reason=reason,
            data={"outcome": outcome},
            fields=["outcome", "outcome_reason", "decided_at"],
        )
        notify.decided(app)
    return app

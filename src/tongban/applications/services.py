"""Every write to an application. Keyword-only, typed; each owns its transaction.

Each transition locks the case row (``select_for_update``), re-checks the state
and the actor's access on the locked row, appends a :class:`StatusChange`, writes
an audit entry and queues notifications for after the commit. Two clerks acting
at once: the second waits for the lock, then finds the state moved on and gets
``application.invalid_transition`` (409), or ``application.stale`` when it sent
the version it saw.
"""

from __future__ import annotations

import hashlib
import mimetypes
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from tongban.accounts.models import Role, User
from tongban.applications import notify
from tongban.applications.errors import (
    ApplicationForbidden,
    ApplicationInvalidTransition,
    ApplicationStale,
    AttachmentRejected,
    InvalidInput,
    MaterialMissing,
    ReviewsPending,
    SupplementAlreadyIssued,
    UnknownMatter,
)
from tongban.applications.models import (
    Application,
    ApplicationMaterial,
    Attachment,
    BundleCase,
    CaseNumberSequence,
    Channel,
    DeadlineColour,
    DeliveryMethod,
    Extension,
    Outcome,
    Review,
    Status,
    StatusChange,
    SupplementNotice,
    Suspension,
)
from tongban.applications.selectors import can_act_on, deadline_colour
from tongban.catalog.models import Bundle, Center, Matter
from tongban.core.audit import audit_log
from tongban.core.calendar import add_workdays, add_workdays_ex, workdays_between
from tongban.core.crypto import blind_index

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
        .select_related("center", "matter", "guide")
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
    StatusChange.objects.create(
        application=app,
        from_status=old,
        to_status=to,
        action=action,
        actor=actor,
        actor_repr=(actor.username if actor else "system"),
        at=timezone.now(),
        reason=reason,
        data=data or {},
    )
    audit_log(
        actor=actor,
        action=f"applications.application.{action}",
        obj=app,
        data={"number": app.number, "from": old, "to": to, **(data or {})},
    )


def _next_number(center: Center) -> str:
    today = _today()
    seq, _ = CaseNumberSequence.objects.get_or_create(center=center, day=today)
    CaseNumberSequence.objects.filter(pk=seq.pk).update(last=F("last") + 1)
    seq = CaseNumberSequence.objects.select_for_update().get(pk=seq.pk)
    return f"{center.code}-{today:%Y%m%d}-{seq.last:04d}"


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


# --- intake ----------------------------------------------------------------


def applicant_find_or_register(*, actor: User, id_number: str, name: str, phone: str = "") -> User:
    """Find a resident by ID number (blind index) or register one at the window."""
    from tongban.applications.identity import validate_id_number

    _require_roles(actor, CENTER_STAFF)
    number = validate_id_number(id_number)
    name = name.strip()
    with transaction.atomic():
        user = User.objects.filter(id_number_hash=blind_index(number)).first()
        if user is None:
            if not name:
                raise InvalidInput("请填写申请人姓名", "Enter the applicant's name")
            user = User(
                username=f"r-{blind_index(number)[:16]}",
                role=Role.RESIDENT,
                display_name=name,
                id_number=number,
                id_number_hash=blind_index(number),
                phone=phone,
                phone_hash=blind_index(phone) if phone else "",
            )
            user.set_unusable_password()
            user.save()
            audit_log(actor=actor, action="applications.applicant.register", obj=user, data={})
        else:
            audit_log(actor=actor, action="applications.applicant.lookup", obj=user, data={})
    return user


def application_create(
    *,
    actor: User,
    applicant: User,
    center: Center,
    channel: str,
    matter: Matter | None = None,
    bundle: Bundle | None = None,
    delivery: str = DeliveryMethod.WINDOW,
    delivery_address: str = "",
    materials: Sequence[MaterialTick] = (),
    note: str = "",
) -> list[Application]:
    """Open a draft: one application for a matter, or one per matter of a bundle (linked by a BundleCase).

    Returns the applications created (one element for a single matter). The
    checklist is copied from each matter's current guide version; ``materials``
    ticks rows by material type, so a material shared by a bundle's matters is
    received once.
    """
    if (matter is None) == (bundle is None):
        raise InvalidInput("请选择一个事项或一件事", "Choose exactly one matter or one bundle")
    if channel not in Channel.values:
        raise InvalidInput(details={"channel": channel})
    if delivery not in DeliveryMethod.values:
        raise InvalidInput(details={"delivery": delivery})
    if delivery == DeliveryMethod.POST and not delivery_address.strip():
        raise InvalidInput("邮寄送达须填写地址", "Postal delivery needs an address")
    _check_applicant(applicant)
    if actor.role in (Role.RESIDENT, Role.ENTERPRISE):
        if actor.pk != applicant.pk:
            raise ApplicationForbidden()
        if channel == Channel.WINDOW:
            raise InvalidInput(details={"channel": channel})
    else:
        _require_roles(actor, CENTER_STAFF)
        if actor.role != Role.ADMIN and actor.center_id != center.pk:
            raise ApplicationForbidden()

    if bundle is not None:
        if not bundle.active:
            raise UnknownMatter()
        matters = [item.matter for item in bundle.items.select_related("matter__current_version")]
    else:
        assert matter is not None
        matters = [matter]
    for m in matters:
        if not m.active or m.current_version_id is None:
            raise UnknownMatter(details={"matter": m.code})

    id_number = applicant.id_number or ""
    with transaction.atomic():
        number = _next_number(center)
        bundle_case = None
        if bundle is not None:
            bundle_case = BundleCase.objects.create(
                number=number, bundle=bundle, applicant=applicant, center=center
            )
        created: list[Application] = []
        for i, m in enumerate(matters, start=1):
            guide = m.current_version
            assert guide is not None
            app = Application.objects.create(
                number=f"{number}-{i}" if bundle_case else number,
                bundle_case=bundle_case,
                applicant=applicant,
                applicant_name=str(applicant)[:100],
                applicant_id_last4=id_number[-4:] if id_number else applicant.credit_code[-4:],
                center=center,
                matter=m,
                guide=guide,
                department_id=m.department_id,
                channel=channel,
                delivery=delivery,
                delivery_address=delivery_address,
                created_by=actor,
                handler=actor if actor.role in CENTER_STAFF else None,
                window=actor.default_window if actor.role == Role.CLERK else None,
                note=note,
            )
            rows = [
                ApplicationMaterial(
                    application=app,
                    guide_material=mat,
                    material_type_id=mat.material_type_id,
                    name=mat.name,
                    form=mat.form,
                    count=mat.count,
                    required=mat.required,
                    rongque=mat.rongque,
                    order=mat.order,
                )
                for mat in guide.materials.all()
            ]
            _apply_ticks(rows, materials)
            ApplicationMaterial.objects.bulk_create(rows)
            StatusChange.objects.create(
                application=app,
                from_status="",
                to_status=Status.DRAFT,
                action="create",
                actor=actor,
                actor_repr=actor.username,
                at=timezone.now(),
            )
            audit_log(
                actor=actor,
                action="applications.application.create",
                obj=app,
                data={"number": app.number, "matter": m.code, "channel": channel},
            )
            created.append(app)
    return created


def application_tick_materials(
    *,
    application: Application,
    actor: User,
    ticks: Sequence[MaterialTick],
    expected_version: int | None = None,
) -> list[ApplicationMaterial]:
    """Record what was received. In a bundle case the tick applies to every open part sharing the material."""
    _require_roles(actor, CENTER_STAFF)
    with transaction.atomic():
        app = _lock(application, expected_version=expected_version)
        _check_access(actor, app, action="intake")
        _check_state(app, [Status.DRAFT, Status.SUBMITTED, Status.SUPPLEMENT_REQUESTED])
        targets = [app]
        if app.bundle_case_id:
            targets = list(
                Application.objects.select_for_update()
                .filter(
                    bundle_case_id=app.bundle_case_id,
                    status__in=[Status.DRAFT, Status.SUBMITTED, Status.SUPPLEMENT_REQUESTED],
                )
                .order_by("pk")
            )
        rows = list(ApplicationMaterial.objects.filter(application__in=targets))
        changed = _apply_ticks(rows, ticks)
        ApplicationMaterial.objects.bulk_update(
            changed, ["state", "received_form", "received_count", "problem", "received_at"]
        )
        Application.objects.filter(pk__in=[t.pk for t in targets]).update(version=F("version") + 1)
        audit_log(
            actor=actor,
            action="applications.application.tick_materials",
            obj=app,
            data={"number": app.number, "ticks": [[t.material_type_id, t.state] for t in ticks]},
        )
    return changed


def application_submit(*, application: Application, actor: User) -> Application:
    """An online/kiosk draft is handed in by its applicant (or a clerk on their behalf)."""
    with transaction.atomic():
        app = _lock(application)
        _check_access(actor, app, action="submit")
        _check_state(app, [Status.DRAFT])
        app.submitted_at = timezone.now()
        _transition(app, to=Status.SUBMITTED, actor=actor, action="submit", fields=["submitted_at"])
    return app


def _missing_required(
    app: Application, rows: Iterable[ApplicationMaterial] | None = None
) -> list[ApplicationMaterial]:
    return [
        row
        for row in (app.materials.all() if rows is None else rows)
        if row.required
        and row.state != ApplicationMaterial.State.RECEIVED
        and not (row.rongque and row.state == ApplicationMaterial.State.DEFERRED)
        and row.state != ApplicationMaterial.State.NOT_APPLICABLE
    ]


def application_accept(
    *, application: Application, actor: User, expected_version: int | None = None, note: str = ""
) -> Application:
    """受理: every required material received (or 容缺 deferred); the clock starts today.

    Starts the parallel review when the matter names review departments.
    """
    _require_roles(actor, CENTER_STAFF)
    with transaction.atomic():
        app = _lock(application, expected_version=expected_version)
        _check_access(actor, app, action="intake")
        _check_state(app, [Status.DRAFT, Status.SUBMITTED])
        missing = _missing_required(app)
        if missing:
            names = "、".join(row.name for row in missing)
            raise MaterialMissing(
                f"缺少必需材料：{names}",
                f"Required material missing: {names}",
                details={"materials": [{"id": r.pk, "name": r.name, "state": r.state} for r in missing]},
            )
        now = timezone.now()
        today = timezone.localdate(now)
        app.accepted_at = now
        app.promised_days = app.guide.promised_days
        app.handler = actor if actor.role == Role.CLERK else (app.handler or actor)
        _recompute_due(app, today=today)
        departments = list(app.matter.review_departments.all())
        if departments:
            Review.objects.bulk_create(
                [
                    Review(
                        application=app,
                        department=d,
                        requested_at=now,
                        due_date=add_workdays(today, d.review_days),
                        case_created_at=app.created_at,
                    )
                    for d in departments
                ]
            )
        fields = ["accepted_at", "promised_days", "handler", "due_date", "due_provisional"]
        _transition(app, to=Status.ACCEPTED, actor=actor, action="accept", reason=note, fields=fields)
        if departments:
            _transition(
                app,
                to=Status.UNDER_REVIEW,
                actor=actor,
                action="start_review",
                data={"departments": [d.code for d in departments]},
            )
        notify.accepted(app)
    return app


def application_request_supplement(
    *,
    application: Application,
    actor: User,
    items: Sequence[SupplementItem],
    note: str = "",
    expected_version: int | None = None,
) -> SupplementNotice:
    """一次性告知: one notice listing every missing or defective item; it can be issued only once.

    Required checklist rows not yet received are always included, so nothing is
    told piecemeal. The clock does not start.
    """
    _require_roles(actor, CENTER_STAFF)
    with transaction.atomic():
        app = _lock(application, expected_version=expected_version)
        _check_access(actor, app, action="intake")
        if SupplementNotice.objects.filter(application=app).exists():
            raise SupplementAlreadyIssued()
        _check_state(app, [Status.DRAFT, Status.SUBMITTED])
        rows = {row.pk: row for row in app.materials.all()}
        lines: list[dict[str, Any]] = []
        flagged: set[int] = set()
        for item in items:
            if not item.problem.strip():
                raise InvalidInput("请写明每项材料的问题", "Say what is wrong with each item")
            if item.material_id is not None:
                row = rows.get(item.material_id)
                if row is None:
                    raise InvalidInput(details={"material_id": item.material_id})
                flagged.add(row.pk)
                row.state = (
                    ApplicationMaterial.State.MISSING
                    if row.state in ("pending", "missing")
                    else ApplicationMaterial.State.DEFECTIVE
                )
                row.problem = item.problem[:300]
                lines.append({"material_id": row.pk, "name": row.name, "problem": item.problem})
            else:
                if not item.name.strip():
                    raise InvalidInput("请写明材料名称", "Name the material")
                lines.append({"material_id": None, "name": item.name, "problem": item.problem})
        for row in _missing_required(app, rows.values()):
            if row.pk not in flagged:
                row.state = ApplicationMaterial.State.MISSING
                row.problem = row.problem or "未提交"
                flagged.add(row.pk)
                lines.append({"material_id": row.pk, "name": row.name, "problem": row.problem})
        if not lines:
            raise InvalidInput("没有需要补正的材料", "Nothing to supplement")
        ApplicationMaterial.objects.bulk_update([rows[pk] for pk in flagged], ["state", "problem"])
        notice = SupplementNotice.objects.create(
            application=app, items=lines, note=note, issued_by=actor, issued_at=timezone.now()
        )
        _transition(
            app,
            to=Status.SUPPLEMENT_REQUESTED,
            actor=actor,
            action="request_supplement",
            reason=note,
            data={"items": [line["name"] for line in lines]},
        )
        notify.supplement(app, notice)
    return notice


def application_supplement_received(
    *, application: Application, actor: User, expected_version: int | None = None
) -> Application:
    """The applicant brought everything on the notice: the rows are received, the case is submitted again."""
    _require_roles(actor, CENTER_STAFF)
    with transaction.atomic():
        app = _lock(application, expected_version=expected_version)
        _check_access(actor, app, action="intake")
        _check_state(app, [Status.SUPPLEMENT_REQUESTED])
        notice = SupplementNotice.objects.select_for_update().get(application=app)
        ids = [line["material_id"] for line in notice.items if line.get("material_id")]
        now = timezone.now()
        rows = list(ApplicationMaterial.objects.filter(application=app, pk__in=ids))
        for row in rows:
            row.state = ApplicationMaterial.State.RECEIVED
            row.received_form = row.form
            row.received_count = row.count
            row.received_at = now
        ApplicationMaterial.objects.bulk_update(
            rows, ["state", "received_form", "received_count", "received_at"]
        )
        notice.received_at = now
        notice.received_by = actor
        notice.save(update_fields=["received_at", "received_by"])
        app.submitted_at = app.submitted_at or now
        _transition(
            app, to=Status.SUBMITTED, actor=actor, action="supplement_received", fields=["submitted_at"]
        )
    return app


def application_refuse(
    *,
    application: Application,
    actor: User,
    reason: str,
    legal_basis: str,
    expected_version: int | None = None,
) -> Application:
    """不予受理, with the reason and the legal basis (both printed on the refusal notice)."""
    _require_roles(actor, CENTER_STAFF)
    if not reason.strip() or not legal_basis.strip():
        raise InvalidInput("请填写不予受理的理由和依据", "Give the reason and the legal basis")
    with transaction.atomic():
        app = _lock(application, expected_version=expected_version)
        _check_access(actor, app, action="intake")
        _check_state(app, [Status.DRAFT, Status.SUBMITTED, Status.SUPPLEMENT_REQUESTED])
        app.refusal_reason = reason
        app.refusal_basis = legal_basis
        app.closed_at = timezone.now()
        _transition(
            app,
            to=Status.REFUSED,
            actor=actor,
            action="refuse",
            reason=reason,
            fields=["refusal_reason", "refusal_basis", "closed_at"],
        )
        notify.refused(app)
    return app


# --- bundle cases: one intake, every part at once ------------------------------------------


def _bundle_parts(bundle_case: BundleCase, states: Sequence[str]) -> list[Application]:
    return list(
        Application.objects.filter(bundle_case=bundle_case, status__in=list(states)).order_by("number")
    )


def bundle_case_accept(*, bundle_case: BundleCase, actor: User) -> list[Application]:
    """Accept every open part of a bundle case, all or nothing (one missing material anywhere → none)."""
    with transaction.atomic():
        parts = _bundle_parts(bundle_case, [Status.DRAFT, Status.SUBMITTED])
        if not parts:
            raise ApplicationInvalidTransition()
        return [application_accept(application=p, actor=actor) for p in parts]


def bundle_case_request_supplement(
    *, bundle_case: BundleCase, actor: User, note: str = ""
) -> list[SupplementNotice]:
    """One-time notice for each part that lacks something (shared materials appear on each part's notice)."""
    with transaction.atomic():
        parts = _bundle_parts(bundle_case, [Status.DRAFT, Status.SUBMITTED])
        lacking = [p for p in parts if _missing_required(p)]
        if not lacking:
            raise InvalidInput("没有需要补正的材料", "Nothing to supplement")
        return [
            application_request_supplement(application=p, actor=actor, items=[], note=note) for p in lacking
        ]


def bundle_case_supplement_received(*, bundle_case: BundleCase, actor: User) -> list[Application]:
    with transaction.atomic():
        parts = _bundle_parts(bundle_case, [Status.SUPPLEMENT_REQUESTED])
        if not parts:
            raise ApplicationInvalidTransition()
        return [application_supplement_received(application=p, actor=actor) for p in parts]


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


# --- the clock: suspension, extension, deadlines ------------------------------------


def _recompute_due(app: Application, *, today: date | None = None) -> None:
    if app.accepted_at is None or app.promised_days is None:
        return
    start = timezone.localdate(app.accepted_at)
    result = add_workdays_ex(start, app.promised_days + app.extension_days + app.suspended_days)
    app.due_date = result.date
    app.due_provisional = result.provisional


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


# --- attachments -------------------------------------------------------------


def _store_attachment(
    app: Application,
    *,
    upload: UploadedFile,
    actor: User,
    material: ApplicationMaterial | None = None,
    review: Review | None = None,
) -> Attachment:
    size = upload.size or 0
    limit = settings.UPLOAD_MAX_BYTES
    if size > limit:
        raise AttachmentRejected(
            f"文件超过大小限制（{limit // (1024 * 1024)} MB）",
            f"File larger than the limit ({limit // (1024 * 1024)} MB)",
            code="application.attachment_too_large",
            status_code=413,
        )
    data = upload.read()
    content_type = next((ct for ct, magic in _MAGIC.items() if data.startswith(magic)), None)
    declared = upload.content_type or mimetypes.guess_type(upload.name or "")[0]
    allowed = set(settings.UPLOAD_ALLOWED_TYPES)
    if content_type is None or content_type not in allowed or (declared and declared != content_type):
        raise AttachmentRejected(
            "只接受PDF、JPEG、PNG文件",
            "Only PDF, JPEG and PNG files are accepted",
            code="application.attachment_type",
            status_code=415,
            details={"content_type": declared or ""},
        )
    digest = hashlib.sha256(data).hexdigest()
    att = Attachment(
        application=app,
        material=material,
        review=review,
        original_name=(upload.name or "upload")[:200],
        content_type=content_type,
        size=len(data),
        sha256=digest,
        uploaded_by=actor,
        uploaded_at=timezone.now(),
    )
    att.file.save(f"{digest[:16]}{ALLOWED_UPLOAD_TYPES[content_type]}", ContentFile(data), save=False)
    att.save()
    audit_log(
        actor=actor,
        action="applications.attachment.upload",
        obj=att,
        data={"number": app.number, "sha256": digest, "size": len(data)},
    )
    return att


def attachment_upload(
    *,
    application: Application,
    actor: User,
    upload: UploadedFile,
    material: ApplicationMaterial | None = None,
) -> Attachment:
    """A scanned material (PDF/JPEG/PNG, size-limited, type checked by its magic bytes)."""
    with transaction.atomic():
        app = _lock(application)
        _check_access(actor, app, action="upload")
        _check_state(
            app,
            [
                Status.DRAFT,
                Status.SUBMITTED,
                Status.SUPPLEMENT_REQUESTED,
                Status.ACCEPTED,
                Status.UNDER_REVIEW,
            ],
        )
        if material is not None and material.application_id != app.pk:
            raise InvalidInput(details={"material_id": material.pk})
        return _store_attachment(app, upload=upload, actor=actor, material=material)

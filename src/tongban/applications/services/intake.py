"""Intake: register the applicant, open the draft, tick materials, one-time notice, accept or refuse."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.db.models import F, Model
from django.utils import timezone

from tongban.accounts.models import Role, User
from tongban.applications import notify
from tongban.applications.errors import (
    ApplicantPhoneTaken,
    ApplicationForbidden,
    ApplicationInvalidTransition,
    InvalidInput,
    MaterialMissing,
    SupplementAlreadyIssued,
    UnknownMatter,
)
from tongban.applications.models import (
    Application,
    ApplicationMaterial,
    BundleCase,
    Channel,
    DeliveryMethod,
    Review,
    Status,
    StatusChange,
    SupplementNotice,
)
from tongban.applications.services._core import (
    CENTER_STAFF,
    MaterialTick,
    SupplementItem,
    _apply_ticks,
    _cache_related,
    _check_access,
    _check_applicant,
    _check_state,
    _insert_numbered,
    _lock,
    _next_number,
    _recompute_due,
    _records,
    _require_roles,
    _transition,
)
from tongban.applications.services.delivery import WITHDRAWABLE
from tongban.catalog.models import Bundle, Center, Department, Matter
from tongban.core import sql
from tongban.core.audit import audit_entry, audit_log, audit_log_many
from tongban.core.calendar import add_workdays
from tongban.core.crypto import blind_index, mask_phone
from tongban.core.identity import validate_mobile
from tongban.core.models import AuditEntry

# --- intake ----------------------------------------------------------------


def applicant_find_or_register(
    *, actor: User, id_number: str, name: str, phone: str = "", audit: list[AuditEntry] | None = None
) -> User:
    """Find a resident by ID number (blind index) or register one at the window.

    Runs at every intake, so its statements are written out: one SELECT, then (a new resident)
    ``INSERT … ON CONFLICT DO NOTHING`` — a second window registering the same person at the same
    moment finds the row instead of failing, with no savepoint — and the audit entry. With ``audit``
    the entry is added to that list instead of written: the caller writes it in the same transaction
    (the intake API, with the case: ``application_create``'s ``audit``)."""
    from tongban.applications.identity import validate_id_number

    _require_roles(actor, CENTER_STAFF)
    number = validate_id_number(id_number)
    name = name.strip()
    index = blind_index(number)
    user = _user_by_id_number_hash(index)
    action = "applications.applicant.lookup"
    if user is None:
        if not name:
            raise InvalidInput("请填写申请人姓名", "Enter the applicant's name")
        phone = validate_mobile(phone) if phone.strip() else ""
        if phone and User.objects.filter(phone_hash=blind_index(phone), role=Role.RESIDENT).exists():
            raise ApplicantPhoneTaken(mask_phone(phone))
        new = User(
            username=f"r-{index[:16]}",
            role=Role.RESIDENT,
            display_name=name,
            id_number=number,
            id_number_hash=index,
            phone=phone,
            phone_hash=blind_index(phone) if phone else "",
        )
        new.set_unusable_password()
    with transaction.atomic(savepoint=False):  # writes only: nothing above has written anything
        if user is None:
            if sql.insert([new], skip_conflict=True):
                user, action = new, "applications.applicant.register"
            else:  # registered by another window since the SELECT (or the phone given to someone since)
                user = User.objects.filter(username=new.username).first()
        if user is not None and audit is None:
            audit_log(actor=actor, action=action, obj=user, data={})
    if user is None:
        # raised out here, not in the block: an error leaving atomic(savepoint=False) dooms the caller's
        # transaction, and applicant_for_intake goes on in it without the phone
        raise ApplicantPhoneTaken(mask_phone(phone))
    if audit is not None:
        audit.append(audit_entry(actor=actor, action=action, obj=user, data={}))
    return user


def applicant_for_intake(
    *, actor: User, id_number: str, name: str, phone: str = "", audit: list[AuditEntry] | None = None
) -> tuple[User, str]:
    """The applicant of a window intake (:func:`applicant_find_or_register`) and the case's contact phone:
    the phone given, where it is not the applicant's own sign-in phone (else "").

    A family often gives one phone for all its members: a parent registered at the window with a number
    their child signs in with cannot have it as a sign-in phone too (one resident account per phone), so
    the parent is registered without one and the number becomes this case's contact phone: its SMS
    notices reach the family all the same. Likewise a known applicant who gives another number today."""
    phone = validate_mobile(phone) if phone.strip() else ""
    try:
        user = applicant_find_or_register(
            actor=actor, id_number=id_number, name=name, phone=phone, audit=audit
        )
    except ApplicantPhoneTaken:
        user = applicant_find_or_register(actor=actor, id_number=id_number, name=name, phone="", audit=audit)
    return user, _contact_phone(phone, user)


def _contact_phone(phone: str, applicant: User) -> str:
    """``phone`` as a case's contact phone: a mainland mobile, or "" where none is given or it is the
    applicant's own (their notices go there anyway)."""
    phone = validate_mobile(phone) if phone.strip() else ""
    return "" if phone == applicant.phone else phone


# While these, the applicant still has notices to come (accepted, supplement, decided, ready for pickup):
# before the decision (while a case can be withdrawn), and until it is handed over.
CONTACT_PHONE_STATES = (*WITHDRAWABLE, Status.DECIDED, Status.READY_FOR_DELIVERY)


def application_set_contact_phone(
    *, application: Application, actor: User, phone: str, expected_version: int | None = None
) -> Application:
    """Correct where the case's SMS notices go (a number mistyped at intake, or a new one the applicant
    gives); empty, or the applicant's own phone: back to the applicant's phone. History and audit keep the
    numbers masked."""
    if phone.strip():
        validate_mobile(phone)  # a wrong number is refused before anything is locked
    with transaction.atomic():
        app = _lock(application, expected_version=expected_version)
        _require_roles(actor, CENTER_STAFF)
        _check_access(actor, app, action="intake")
        _check_state(app, CONTACT_PHONE_STATES)
        phone = _contact_phone(phone, app.applicant)
        was = app.contact_phone
        app.contact_phone = phone
        _transition(
            app,
            to=app.status,
            actor=actor,
            action="contact_phone",
            data={"phone_was": mask_phone(was), "phone": mask_phone(phone)},
            fields=["contact_phone"],
        )
    return app


def _user_by_id_number_hash(index: str) -> User | None:
    column = connection.ops.quote_name(str(sql.field(User, "id_number_hash").column))
    return sql.select_first(User, f"{column} = %s", [index])


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
    contact_phone: str = "",
    audit: Sequence[AuditEntry] = (),
) -> list[Application]:
    """Open a draft: one application for a matter, or one per matter of a bundle (linked by a BundleCase).

    Returns the applications created (one element for a single matter). The
    checklist is copied from each matter's current guide version; ``materials``
    ticks rows by material type, so a material shared by a bundle's matters is
    received once. ``contact_phone``: where the case's SMS notices go, when not to the applicant's own
    phone (:func:`applicant_for_intake`). ``audit``: entries of the same intake to write with it (the
    applicant's look-up).
    """
    cases = _drafts(
        actor=actor,
        applicant=applicant,
        center=center,
        channel=channel,
        matter=matter,
        bundle=bundle,
        delivery=delivery,
        delivery_address=delivery_address,
        materials=materials,
        note=note,
        contact_phone=contact_phone,
    )
    with transaction.atomic():
        audit_log_many(list(audit))
        number = _next_number(center)  # locks the center's day counter until commit: taken late
        bundle_case = None
        if bundle is not None:
            bundle_case = BundleCase.objects.create(
                number=number, bundle=bundle, applicant=applicant, center=center
            )
        for i, (app, rows) in enumerate(cases, start=1):
            app.number = f"{number}-{i}" if bundle_case else number
            app.bundle_case = bundle_case
            app.save(force_insert=True)
            change, entry = _created_records(app, actor=actor)
            _write_new_case(app, rows, history=[change], audit=[entry])
    return [app for app, _ in cases]


def _drafts(
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
    contact_phone: str = "",
) -> list[tuple[Application, list[ApplicationMaterial]]]:
    """Check an intake's arguments and the actor's right to open it; then each matter's draft and its
    ticked checklist, in memory (:func:`_new_case`): nothing is written."""
    if (matter is None) == (bundle is None):
        raise InvalidInput("请选择一个事项或一件事", "Choose exactly one matter or one bundle")
    if channel not in Channel.values:
        raise InvalidInput(details={"channel": channel})
    if delivery not in DeliveryMethod.values:
        raise InvalidInput(details={"delivery": delivery})
    if delivery == DeliveryMethod.POST and not delivery_address.strip():
        raise InvalidInput("邮寄送达须填写地址", "Postal delivery needs an address")
    _check_applicant(applicant)
    contact_phone = _contact_phone(contact_phone, applicant)
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
        matters = [
            item.matter
            for item in bundle.items.select_related("matter__current_version", "matter__department")
        ]
    else:
        assert matter is not None
        matters = [matter]
    for m in matters:
        if not m.active or m.current_version_id is None:
            raise UnknownMatter(details={"matter": m.code})
    return [
        _new_case(
            m,
            actor=actor,
            applicant=applicant,
            center=center,
            channel=channel,
            delivery=delivery,
            delivery_address=delivery_address,
            note=note,
            materials=materials,
            contact_phone=contact_phone,
        )
        for m in matters
    ]


def _new_case(
    m: Matter,
    *,
    actor: User,
    applicant: User,
    center: Center,
    channel: str,
    delivery: str,
    delivery_address: str,
    note: str,
    materials: Sequence[MaterialTick],
    contact_phone: str = "",
) -> tuple[Application, list[ApplicationMaterial]]:
    """A draft for matter ``m`` and its checklist (copied from the current guide version, ticked),
    in memory: no number yet, nothing saved."""
    guide = m.current_version
    assert guide is not None
    id_number = applicant.id_number or ""
    app = Application(
        applicant=applicant,
        applicant_name=str(applicant)[:100],
        applicant_id_last4=id_number[-4:] if id_number else applicant.credit_code[-4:],
        center=center,
        matter=m,
        guide=guide,
        department=m.department,
        channel=channel,
        delivery=delivery,
        delivery_address=delivery_address,
        contact_phone=contact_phone,
        created_by=actor,
        handler=actor if actor.role in CENTER_STAFF else None,
        # the key only: loading the clerk's window (one SELECT per intake) served nothing
        window_id=actor.default_window_id if actor.role == Role.CLERK else None,
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
    return app, rows


def _created_records(app: Application, *, actor: User) -> tuple[StatusChange, AuditEntry]:
    change = StatusChange(
        application=app,
        from_status="",
        to_status=Status.DRAFT,
        action="create",
        actor=actor,
        actor_repr=actor.username,
        at=timezone.now(),
    )
    entry = audit_entry(
        actor=actor,
        action="applications.application.create",
        obj=app,
        data={"number": app.number, "matter": app.matter.code, "channel": app.channel},
    )
    return change, entry


def _write_new_case(
    app: Application,
    rows: list[ApplicationMaterial],
    *,
    history: Sequence[StatusChange],
    audit: Sequence[AuditEntry],
    reviews: Sequence[Review] = (),
) -> None:
    """Write a just-inserted case's checklist, reviews, history and audit entries (on PostgreSQL one
    statement, :func:`sql.insert_all`; elsewhere one INSERT each) and keep them as the case's relations
    in memory (:func:`_cache_new_case`). The INSERTs are written out (:mod:`tongban.core.sql`):
    compiling them as bulk_create statements cost more CPU than the rest of the intake."""
    sql.insert_all([rows, reviews, history, audit])  # = audit_log_many(audit), and the rest
    _cache_new_case(app, rows, history=history, reviews=reviews)


def _cache_new_case(
    app: Application,
    rows: list[ApplicationMaterial],
    *,
    history: Sequence[StatusChange],
    reviews: Sequence[Review],
) -> None:
    """Keep a new case's written rows as its relations in memory: later steps of this request
    (acceptance, the API answer) read them from there."""
    rows.sort(key=lambda r: (r.order, r.pk))
    _cache_related(app, "materials", rows)
    _cache_related(app, "history", list(history))
    by_department: list[Review] = sorted(reviews, key=lambda r: r.department.code)
    _cache_related(app, "reviews", by_department)
    for name in ("suspensions", "extensions"):
        _cache_related(app, name, [])
    Application.supplement_notice.related.set_cached_value(app, None)


def application_create_and_accept(**create: Any) -> list[Application]:
    """Intake and 受理 in one step, all or nothing (everything was brought): the usual window case.
    Takes :func:`application_create`'s arguments; a missing material leaves no draft behind.

    A single matter's case is built and checked in memory and written once, already accepted,
    with its whole history (create, accept[, start_review]) - the same rows the two steps write,
    in a third of the statements and with the center's number counter locked only at the end."""
    actor = create["actor"]
    _require_roles(actor, CENTER_STAFF)
    if create.get("bundle") is not None:
        with transaction.atomic():
            apps = application_create(**create)  # writes the ``audit`` entries
            assert apps[0].bundle_case is not None
            return bundle_case_accept(bundle_case=apps[0].bundle_case, actor=actor)
    return [_create_accepted(**create)]


def application_intake(
    *,
    actor: User,
    applicant: dict[str, str] | None,
    accept: bool = False,
    **create: Any,
) -> tuple[list[Application], str]:
    """A new case as it comes in, all or nothing: at a window (``applicant``: the ``id_number``, ``name``
    and ``phone`` the clerk took, found or registered by :func:`applicant_for_intake`) or online (``None``:
    the actor applies for themselves). Opened as a draft (:func:`application_create`) or, ``accept``,
    accepted at once (:func:`application_create_and_accept`); the other keyword arguments are theirs.

    Returns the cases and their contact phone ("" where the notices go to the applicant's own phone).
    A refused case leaves no applicant registered for it; the applicant's look-up is audited with it."""
    entries: list[AuditEntry] = []
    contact_phone = ""
    with transaction.atomic():
        if applicant is None:
            person = actor
        else:
            person, contact_phone = applicant_for_intake(actor=actor, **applicant, audit=entries)
        create_case = application_create_and_accept if accept else application_create
        apps = create_case(
            actor=actor, applicant=person, contact_phone=contact_phone, audit=entries, **create
        )
    return apps, contact_phone


def _create_accepted(**create: Any) -> Application:
    """Check and build the accepted case in memory (every refusal is raised here, before anything is
    written), then write it in one transaction — without a savepoint: inside a caller's transaction
    a failed write must undo the caller's work too (the API's applicant registration)."""
    actor: User = create["actor"]
    earlier = list(create.pop("audit", ()))
    ((app, rows),) = _drafts(**create)  # a single matter: one draft
    _raise_if_missing(_missing_required(app, rows))
    now = timezone.now()
    departments = _set_acceptance(app, actor=actor, now=now)
    steps: list[tuple[str, str, str, dict[str, Any] | None]] = [
        (Status.DRAFT, Status.ACCEPTED, "accept", None)
    ]
    if departments:
        steps.append((Status.ACCEPTED, Status.UNDER_REVIEW, "start_review", _review_data(departments)))
    app.status = steps[-1][1]
    app.version += len(steps)
    history: list[StatusChange] = []
    audit: list[AuditEntry] = []
    reviews: list[Review] = []

    def case_rows() -> list[Sequence[Model]]:
        # built with the case's key and creation time, before its number (sql.insert_numbered)
        created = _created_records(app, actor=actor)
        records = [_records(app, frm=f, to=t, actor=actor, action=a, data=d) for f, t, a, d in steps]
        history.extend([created[0], *(r[0] for r in records)])
        audit.extend([created[1], *(r[1] for r in records)])
        reviews.extend(_new_reviews(app, departments, now))
        return [earlier, rows, reviews, history, audit]  # the case's own entries get its number

    with transaction.atomic(savepoint=False):
        # the center's day counter is locked by the one statement that writes the case, until commit
        _insert_numbered(app, case_rows, number_in={4: "data"})
        notify.accepted(app)
    _cache_new_case(app, rows, history=history, reviews=reviews)
    return app


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
        _raise_if_missing(_missing_required(app))
        now = timezone.now()
        departments = _set_acceptance(app, actor=actor, now=now)
        if departments:
            Review.objects.bulk_create(_new_reviews(app, departments, now))
        fields = ["accepted_at", "promised_days", "handler", "due_date", "due_provisional"]
        _transition(app, to=Status.ACCEPTED, actor=actor, action="accept", reason=note, fields=fields)
        if departments:
            _transition(
                app,
                to=Status.UNDER_REVIEW,
                actor=actor,
                action="start_review",
                data=_review_data(departments),
            )
        notify.accepted(app)
    return app


def _raise_if_missing(missing: Sequence[ApplicationMaterial]) -> None:
    if missing:
        names = "、".join(row.name for row in missing)
        raise MaterialMissing(
            f"缺少必需材料：{names}",
            f"Required material missing: {names}",
            details={
                "materials": [
                    {"id": r.pk, "material_type_id": r.material_type_id, "name": r.name, "state": r.state}
                    for r in missing
                ]
            },
        )


def _set_acceptance(app: Application, *, actor: User, now: datetime) -> list[Department]:
    """受理's fields on ``app`` in memory (the clock starts today); the departments whose parallel
    review the matter asks for."""
    app.accepted_at = now
    app.promised_days = app.guide.promised_days
    app.handler = actor if actor.role == Role.CLERK else (app.handler or actor)
    _recompute_due(app, today=timezone.localdate(now))
    return list(app.matter.review_departments.all())


def _new_reviews(app: Application, departments: Sequence[Department], now: datetime) -> list[Review]:
    today = timezone.localdate(now)
    return [
        Review(
            application=app,
            department=d,
            requested_at=now,
            due_date=add_workdays(today, d.review_days),
            case_created_at=app.created_at,
        )
        for d in departments
    ]


def _review_data(departments: Sequence[Department]) -> dict[str, Any]:
    return {"departments": [d.code for d in departments]}


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
            row.problem = ""  # what was wrong stays on the notice; the checklist shows it fixed
        ApplicationMaterial.objects.bulk_update(
            rows, ["state", "received_form", "received_count", "received_at", "problem"]
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

"""Reads of applications: object-level access, lists, the deadline clock, the public progress lookup."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from typing import Any

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext

from tongban.accounts.models import Role, User
from tongban.applications.errors import ApplicationNotFound
from tongban.applications.models import (
    Application,
    ApplicationMaterial,
    DeadlineColour,
    Review,
    Status,
    StatusChange,
    Suspension,
)
from tongban.core.calendar import WorkdayResult, add_workdays_ex, get_index, workdays_between

CLOCK_RUNNING = (Status.ACCEPTED, Status.UNDER_REVIEW)
OPEN_STATES = (
    Status.DRAFT,
    Status.SUBMITTED,
    Status.SUPPLEMENT_REQUESTED,
    Status.ACCEPTED,
    Status.UNDER_REVIEW,
    Status.SUSPENDED,
    Status.DECIDED,
    Status.READY_FOR_DELIVERY,
)
YELLOW_SHARE = 0.8


# --- access -------------------------------------------------------------------


def applications_visible_to(*, user: User) -> QuerySet[Application]:
    """Object-level scope: admin/supervisor all; manager and clerk their center; reviewer the cases
    routed to their department (its own matters or a review request); residents their own.
    The staff list writes the same scope out (``listing._scope``): change both; a test compares them."""
    qs = Application.objects.all()
    if not user.is_authenticated or not user.is_active:
        return qs.none()
    role = user.role
    if role in (Role.ADMIN, Role.SUPERVISOR):
        return qs
    if role in (Role.MANAGER, Role.CLERK):
        return qs.filter(center_id=user.center_id) if user.center_id else qs.none()
    if role == Role.REVIEWER:
        if not user.department_id:
            return qs.none()
        routed = Review.objects.filter(application=OuterRef("pk"), department_id=user.department_id)
        return qs.filter(Q(department_id=user.department_id) | Exists(routed))
    return qs.filter(applicant_id=user.pk)


def can_act_on(*, user: User, application: Application, action: str) -> bool:
    """May ``user`` perform ``action`` (intake, submit, decide, deliver, clock, upload, view) on this case?"""
    role = user.role
    if not user.is_active:
        return False
    if role == Role.ADMIN:
        return True
    if role in (Role.MANAGER, Role.CLERK):
        return user.center_id is not None and user.center_id == application.center_id
    if role == Role.REVIEWER:
        if action not in ("decide", "view", "upload"):
            return False
        if user.department_id is None:
            return False
        if action == "decide":
            return user.department_id == application.department_id
        return (
            user.department_id == application.department_id
            or Review.objects.filter(application=application, department_id=user.department_id).exists()
        )
    if role == Role.SUPERVISOR:
        return action == "view"
    if role in (Role.RESIDENT, Role.ENTERPRISE):
        return application.applicant_id == user.pk and action in ("submit", "view", "upload")
    return False


# --- single case ------------------------------------------------------------------


def application_get(*, user: User, pk: int) -> Application:
    app = (
        applications_visible_to(user=user)
        .select_related("center", "matter", "guide", "department", "applicant", "handler", "bundle_case")
        .filter(pk=pk)
        .first()
    )
    if app is None:
        raise ApplicationNotFound()
    return app


def application_get_by_number(number: str) -> Application | None:
    """Any case by its readable number (no access check: callers check or use application_get)."""
    return (
        Application.objects.select_related("center", "matter", "guide", "department", "applicant")
        .filter(number=number.strip())
        .first()
    )


def application_ids_by_number(*, center_id: int, numbers: Iterable[str]) -> dict[str, int]:
    """The ids of the center's cases among ``numbers`` (receipt numbers), by number; one statement. A number
    not in the answer names no case of that center. No access check: callers check."""
    return dict(
        Application.objects.filter(center_id=center_id, number__in=list(numbers)).values_list("number", "pk")
    )


def application_numbers(ids: Iterable[int]) -> list[str]:
    """The receipt numbers of the cases ``ids``, sorted; one statement. No access check: callers check."""
    return list(
        Application.objects.filter(pk__in=list(ids)).order_by("number").values_list("number", flat=True)
    )


def application_detail(*, user: User, pk: int) -> Application:
    """One case with its checklist, history, reviews, notice, suspensions and extensions prefetched."""
    app = application_get(user=user, pk=pk)
    from django.db.models import prefetch_related_objects

    prefetch_related_objects(
        [app],
        # the type too: its English name, for pages shown in English
        Prefetch(
            "materials",
            queryset=ApplicationMaterial.objects.select_related("material_type").order_by("order", "id"),
        ),
        Prefetch("history", queryset=StatusChange.objects.order_by("at", "id")),
        Prefetch("reviews", queryset=Review.objects.select_related("department", "reviewer")),
        "attachments",
        "suspensions",
        "extensions",
    )
    return app


def applications_for_applicant(*, user: User) -> QuerySet[Application]:
    return (
        Application.objects.filter(applicant_id=user.pk)
        .select_related("matter", "center", "bundle_case")
        .order_by("-created_at", "-id")
    )


# --- lists ------------------------------------------------------------------------


def applications_list(
    *,
    user: User,
    status: str | None = None,
    q: str | None = None,
    colour: str | None = None,
    today: date | None = None,
) -> QuerySet[Application]:
    """The staff list: visible cases, newest first, filtered by state / number or applicant / deadline colour."""
    qs = applications_visible_to(user=user).select_related("matter", "center", "department")
    if status:
        qs = qs.filter(status=status)
    if q:
        qs = qs.filter(_search(q.strip()))
    if colour:
        today = today or timezone.localdate()
        qs = qs.filter(status__in=CLOCK_RUNNING)
        if colour == DeadlineColour.RED:
            qs = qs.filter(due_date__lt=today)
        elif colour == DeadlineColour.YELLOW:
            qs = qs.filter(due_date__gte=today, warning_level=DeadlineColour.YELLOW)
    return qs.order_by("-created_at", "-id")


# The columns of one list row (the API list's hot path reads these, not model instances).
LIST_COLUMNS = (
    "id",
    "number",
    "status",
    "bundle_case_id",
    "applicant_name",
    "applicant_id_last4",
    "channel",
    "created_at",
    "accepted_at",
    "promised_days",
    "extension_days",
    "suspended_days",
    "matter__code",
    "matter__name",
    "center__code",
    "department__code",
)


def applications_page(
    *,
    user: User,
    status: str | None = None,
    q: str | None = None,
    colour: str | None = None,
    limit: int = 20,
    offset: int = 0,
) -> QuerySet[Application]:
    """One page of :func:`applications_list`, not yet evaluated. A department reviewer's unfiltered
    list — its own matters plus the cases routed to it for review — is two ordered index scans merged
    in one statement instead of one ``OR EXISTS`` over the whole table (see bench/applications)."""
    if user.role == Role.REVIEWER and user.department_id and not (status or q or colour):
        # The newest n of the department's own cases and the newest n routed to it for review,
        # each an ordered index scan, merged by the outer ORDER BY: one statement.
        n = offset + limit
        apps, reviews = Application._meta.db_table, Review._meta.db_table
        newest = RawSQL(  # noqa: S611 - only table names are interpolated; values are parameters
            f"SELECT id FROM (SELECT id FROM {apps} WHERE department_id = %s"  # noqa: S608 - our tables
            " ORDER BY created_at DESC, id DESC LIMIT %s) own"
            f" UNION ALL SELECT application_id FROM (SELECT application_id FROM {reviews}"
            " WHERE department_id = %s AND case_created_at IS NOT NULL"
            " ORDER BY case_created_at DESC, application_id DESC LIMIT %s) routed",
            [user.department_id, n, user.department_id, n],
        )
        return Application.objects.filter(pk__in=newest).order_by("-created_at", "-id")[offset:n]
    return applications_list(user=user, status=status, q=q, colour=colour)[offset : offset + limit]


def applications_page_rows(
    *,
    user: User,
    status: str | None = None,
    q: str | None = None,
    colour: str | None = None,
    limit: int = 20,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """:func:`applications_page` as plain rows of :data:`LIST_COLUMNS`: the API list's hot path (no
    model instances, a narrow SELECT, and the statement written out in :mod:`.listing` instead of
    compiled per request; see bench/applications). Tests compare it with the queryset."""
    from tongban.applications import listing

    return listing.page_rows(
        user=user, status=status, q=q, colour=colour, today=None, limit=limit, offset=offset
    )


def _search(q: str) -> Q:
    """A receipt number (prefix, e.g. "YP-CBXC-20261126") when the text is ASCII; otherwise the
    applicant's name (prefix) or a matter whose name contains it. Each branch has its index."""
    if q.isascii():
        return Q(number__startswith=q.upper())
    from tongban.catalog.models import Matter

    matter_ids = list(Matter.objects.filter(name__contains=q).values_list("id", flat=True)[:50])
    return Q(applicant_name__startswith=q) | Q(matter_id__in=matter_ids)


def review_inbox(*, user: User, include_answered: bool = False) -> QuerySet[Review]:
    """The reviewer's department's review requests, open first by due date."""
    qs = Review.objects.select_related(
        "application", "application__matter", "application__center", "department"
    )
    if user.role != Role.ADMIN:
        qs = qs.filter(department_id=user.department_id) if user.department_id else qs.none()
    if not include_answered:
        qs = qs.filter(answered_at__isnull=True)
    return qs.order_by("answered_at", "due_date", "id")


@dataclass(frozen=True)
class BoardCell:
    status: str
    label: str
    total: int
    yellow: int
    red: int


def applications_board(*, user: User, today: date | None = None) -> list[BoardCell]:
    """Cases by state with the deadline colours, for the manager's board (one aggregate query)."""
    today = today or timezone.localdate()
    rows = (
        applications_visible_to(user=user)
        .filter(status__in=OPEN_STATES)
        .values("status")
        .annotate(
            total=Count("id"),
            red=Count("id", filter=Q(status__in=CLOCK_RUNNING, due_date__lt=today)),
            yellow=Count(
                "id",
                filter=Q(status__in=CLOCK_RUNNING, due_date__gte=today, warning_level=DeadlineColour.YELLOW),
            ),
        )
    )
    by_status: dict[str, dict[str, int]] = {
        r["status"]: {"total": r["total"], "yellow": r["yellow"], "red": r["red"]} for r in rows
    }
    return [
        BoardCell(
            status=s.value,
            label=str(s.label),
            total=by_status.get(s.value, {}).get("total", 0),
            yellow=by_status.get(s.value, {}).get("yellow", 0),
            red=by_status.get(s.value, {}).get("red", 0),
        )
        for s in (Status(v) for v in OPEN_STATES)
    ]


# --- the clock ----------------------------------------------------------------------


@dataclass(frozen=True)
class Deadline:
    due_date: date | None
    colour: DeadlineColour
    provisional: bool
    elapsed: int  # working days counted so far (suspensions excluded)
    allowed: int  # promised + approved extensions


def _ongoing_suspension_days(application: Application, today: date) -> int:
    if application.status != Status.SUSPENDED:
        return 0
    started = (
        Suspension.objects.filter(application=application, ended_on__isnull=True)
        .values_list("started_on", flat=True)
        .first()
    )
    return max(workdays_between(started, today), 0) if started else 0


def deadline_colour(*, application: Application, today: date | None = None) -> DeadlineColour:
    return application_deadline_ex(application=application, today=today).colour


def application_deadline_ex(
    *, application: Application, today: date | None = None, ongoing_days: int | None = None
) -> Deadline:
    """Promised limit in working days from acceptance, minus suspensions, plus extensions.

    Green until 80 % of the allowed working days have elapsed, then yellow; red when
    today is past the due date. No colour before acceptance or after the decision.
    ``ongoing_days`` (days of a suspension still running) is looked up unless given;
    lists pass 0 to stay at one query.
    """
    today = today or timezone.localdate()
    if application.accepted_at is None or application.promised_days is None:
        return Deadline(None, DeadlineColour.NONE, False, 0, 0)
    ongoing = _ongoing_suspension_days(application, today) if ongoing_days is None else ongoing_days
    return deadline_of(
        status=application.status,
        accepted_at=application.accepted_at,
        promised_days=application.promised_days,
        extension_days=application.extension_days,
        suspended_days=application.suspended_days + ongoing,
        today=today,
    )


_clocks: tuple[object, dict[tuple[date, int, int, date], tuple[WorkdayResult, int]]] = (None, {})


def _clock(start: date, allowed: int, suspended: int, today: date) -> tuple[WorkdayResult, int]:
    """The due date and the working days elapsed of a clock started on ``start``: two calendar look-ups,
    remembered for as long as the calendar's index is the same one (a change to the calendar, or its
    minute's expiry, builds a new index and so starts a new memo). A page of cases shares most of them:
    accepted on the same few days, with the same few time limits."""
    global _clocks
    index = get_index()
    owner, memo = _clocks
    if owner is not index:
        memo = {}
        _clocks = (index, memo)
    key = (start, allowed, suspended, today)
    found = memo.get(key)
    if found is None:
        if len(memo) >= 100_000:
            memo.clear()
        result = add_workdays_ex(start, allowed + suspended)
        found = memo[key] = (result, max(workdays_between(start, min(today, result.date)) - suspended, 0))
    return found


def deadline_of(
    *,
    status: str,
    accepted_at: datetime | None,
    promised_days: int | None,
    extension_days: int,
    suspended_days: int,
    today: date | None = None,
    tz: tzinfo | None = None,
) -> Deadline:
    """:func:`application_deadline_ex` from the stored columns (``suspended_days`` including any
    suspension still running): what lists use for their rows. A list passes ``today`` and ``tz`` (the
    current time zone), looked up once per page instead of once per row."""
    if accepted_at is None or promised_days is None:
        return Deadline(None, DeadlineColour.NONE, False, 0, 0)
    today = today or timezone.localdate()
    start = timezone.localdate(accepted_at, tz)
    allowed = promised_days + extension_days
    result, elapsed = _clock(start, allowed, suspended_days, today)
    if status not in (*CLOCK_RUNNING, Status.SUSPENDED):
        colour = DeadlineColour.NONE
    elif today > result.date:
        colour = DeadlineColour.RED
    elif allowed == 0 or elapsed >= YELLOW_SHARE * allowed:
        colour = DeadlineColour.YELLOW
    else:
        colour = DeadlineColour.GREEN
    return Deadline(result.date, colour, result.provisional, elapsed, allowed)


def application_deadline(
    *, application: Application, today: date | None = None
) -> tuple[date | None, str, bool]:
    """``(due_date, colour, provisional)``; colour is "", "green", "yellow" or "red"."""
    d = application_deadline_ex(application=application, today=today)
    return d.due_date, d.colour.value, d.provisional


def reviews_late(*, application: Application, today: date | None = None) -> list[Review]:
    today = today or timezone.localdate()
    return [r for r in application.reviews.all() if (r.answered_at is None and r.due_date < today) or r.late]


# --- public progress (kiosk / portal) --------------------------------------------------


@dataclass(frozen=True)
class Progress:
    number: str
    matter: str
    status: str
    status_label: str
    applicant: str  # masked
    accepted_at: str | None
    due_date: date | None
    provisional: bool
    steps: list[tuple[str, str]]  # (time, label)


def application_progress(*, number: str, id_last4: str) -> Progress:
    """Progress lookup by receipt number + last four characters of the ID number. Same answer for
    "no such case" and "wrong digits" so numbers cannot be probed."""
    from tongban.core.crypto import mask_name

    app = application_get_by_number(number)
    if app is None or not id_last4 or app.applicant_id_last4.upper() != id_last4.strip().upper():
        raise ApplicationNotFound("未找到办件，请核对受理编号和证件号后四位", "No matching application")
    due, _, provisional = application_deadline(application=app)
    steps = [
        (timezone.localtime(h.at).strftime("%Y-%m-%d %H:%M"), str(Status(h.to_status).label))
        for h in app.history.order_by("at", "id")
        if h.from_status != h.to_status
    ]
    return Progress(
        number=app.number,
        matter=app.matter.name,
        status=app.status,
        status_label=str(Status(app.status).label),
        applicant=mask_name(app.applicant_name),
        accepted_at=timezone.localtime(app.accepted_at).strftime("%Y-%m-%d") if app.accepted_at else None,
        due_date=due,
        provisional=provisional,
        steps=steps,
    )


# --- intake: find a matter or a bundle by name or colloquial words ------------------------------


@dataclass(frozen=True)
class IntakeOption:
    kind: str  # "m" matter, "b" bundle
    code: str
    name: str
    detail: str
    matter: Any = None  # the Matter or Bundle itself, where the caller goes on to use it
    bundle: Any = None


def intake_option(target: str) -> IntakeOption | None:
    """The matter or bundle a workbench form names (``m:<code>`` or ``b:<code>``), or None."""
    from tongban.catalog.models import Bundle, Matter

    kind, _, code = target.partition(":")
    if kind == "m" and code:
        matter = Matter.objects.filter(code=code).select_related("department").first()
        if matter is not None:
            return IntakeOption("m", matter.code, matter.name, matter.department.name, matter=matter)
    elif kind == "b" and code:
        bundle = Bundle.objects.filter(code=code).first()
        if bundle is not None:
            return IntakeOption("b", bundle.code, bundle.name, gettext("一件事"), bundle=bundle)
    return None


def intake_search(*, q: str, limit: int = 15) -> list[IntakeOption]:
    """Active matters and bundles whose name, keywords or colloquial synonyms contain the words of ``q``
    (catalog ``Synonym`` rows expand 病历本 → 门急诊就医记录册)."""
    from tongban.catalog.models import Bundle, Matter, Synonym

    q = q.strip()
    if not q:
        return []
    terms = {q}
    for syn in Synonym.objects.filter(term__in=[q, *q.split()]):
        terms.update(syn.expansions.split())
    mq = Q()
    bq = Q()
    for t in terms:
        mq |= (
            Q(name__icontains=t)
            | Q(code__iexact=t)
            | Q(current_version__keywords__icontains=t)
            | Q(current_version__synonyms__icontains=t)
        )
        bq |= Q(name__icontains=t) | Q(keywords__icontains=t) | Q(synonyms__icontains=t) | Q(code__iexact=t)
    bundles = [
        IntakeOption("b", b.code, b.name, gettext("一件事"))
        for b in Bundle.objects.filter(bq, active=True).order_by("code")[:limit]
    ]
    matters = [
        IntakeOption("m", m.code, m.name, m.department.name)
        for m in Matter.objects.filter(mq, active=True, current_version__isnull=False)
        .select_related("department")
        .order_by("code")[:limit]
    ]
    return (bundles + matters)[:limit]

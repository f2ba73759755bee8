"""Queue reads: the call display, a window's panel, waiting counts, appointments and statistics."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from tongban.accounts.models import Role, User
from tongban.catalog.models import Center, Window
from tongban.queueing.models import (
    Appointment,
    AppointmentSlot,
    BookingSuspension,
    CallEvent,
    NoShowRecord,
    Queue,
    Ticket,
    TicketApplication,
    WindowSession,
    numbered_with,
)


def center_by_code(code: str) -> Center | None:
    """Cached per process for ``CONFIG_TTL_SECONDS`` (the ticket machine and display look it up on every
    request); a center that does not exist is not cached."""
    from tongban.queueing.rules import config_cache

    return config_cache.get(
        ("center", code), lambda: Center.objects.filter(code=code).first(), cache_none=False
    )


def window_by_pk(pk: int) -> Window | None:
    """A window with its center, cached per process like the center (the staff API resolves the window on
    every call); a window that does not exist is not cached."""
    from tongban.queueing.rules import config_cache

    return config_cache.get(
        ("window", pk),
        lambda: Window.objects.select_related("center").filter(pk=pk).first(),
        cache_none=False,
    )


def queue_by_pk(pk: int) -> Queue | None:
    """A queue by id, cached per process like the rest of the configuration (a called or finished ticket
    shows its queue's prefix)."""
    from tongban.queueing.rules import config_cache

    return config_cache.get(("queue-pk", pk), lambda: Queue.objects.filter(pk=pk).first(), cache_none=False)


def queue_ids_for_window(window: Window) -> list[int]:
    """The active queues ``window`` calls from: a comprehensive window every queue of its center, a specialised
    window those that name it (``Queue.windows``). Cached per process like the rest of the configuration."""
    from tongban.queueing.rules import config_cache

    def load() -> list[int]:
        queues = Queue.objects.filter(center_id=window.center_id, active=True)
        if window.kind != Window.Kind.COMPREHENSIVE:
            queues = queues.filter(windows=window)
        return list(queues.values_list("pk", flat=True))

    return config_cache.get(("window-queues", window.pk, window.kind), load)


def windows_serving_no_queue(center: Center | None = None) -> list[Window]:
    """The active specialised windows that no active queue of their center names: call-next there never calls
    anyone (the admin warns of them). One query."""
    serving = Queue.objects.filter(windows=OuterRef("pk"), center_id=OuterRef("center_id"), active=True)
    windows = Window.objects.filter(kind=Window.Kind.SPECIALISED, active=True).filter(~Exists(serving))
    if center is not None:
        windows = windows.filter(center=center)
    return list(windows.select_related("center").order_by("center__code", "number"))


def queues_for_center(center: Center) -> list[Queue]:
    return list(Queue.objects.filter(center=center, active=True).order_by("order", "prefix"))


def prefix_printed_today(center: Center, prefix: str) -> bool:
    """Whether a ticket of ``center`` issued today carries a number made of ``prefix`` and digits (whatever
    queue it waits in now: a transferred ticket keeps its number)."""
    return Ticket.objects.filter(numbered_with(prefix), center=center, day=timezone.localdate()).exists()


def waiting_counts(
    center: Center, *, day: date | None = None, window: Window | None = None
) -> list[dict[str, Any]]:
    """Waiting tickets per active queue (zero rows included), in display order. One query (and the window's
    queues, from the configuration cache). For ``window``: only the queues it calls from, and only the tickets
    it may call (not those transferred to another window), so that its clerk sees the line it serves."""
    day = day or timezone.localdate()
    queues = Queue.objects.filter(center=center, active=True)
    waiting = Q(tickets__day=day, tickets__state=Ticket.State.WAITING)
    if window is not None:
        queues = queues.filter(pk__in=queue_ids_for_window(window))
        waiting &= Q(tickets__target_window__isnull=True) | Q(tickets__target_window=window)
    rows = (
        queues.annotate(waiting=Count("tickets", filter=waiting))
        .order_by("order", "prefix")
        .values("prefix", "name", "name_en", "kind", "waiting")
    )
    return [dict(r) for r in rows]


def line_ahead_of_new_ticket(center: Center, *, cap: int, now: datetime | None = None) -> int:
    """How many a regular ticket taken now would have ahead of it (the slip's ``waiting_before``): every
    waiting ticket of the center already queued. An appointment checked in early is queued at its slot's
    start and is not ahead yet. Counted up to ``cap``; one query."""
    now = now or timezone.now()
    return Ticket.objects.filter(
        center=center, day=timezone.localdate(now), state=Ticket.State.WAITING, queued_at__lte=now
    )[:cap].count()


def display_snapshot(center: Center, *, recent: int = 8, now: datetime | None = None) -> dict[str, Any]:
    """What the hall TV shows: the current call at each window, the last calls, waiting counts.
    Four queries, whatever the hall's size."""
    now = now or timezone.now()
    day = timezone.localdate(now)
    day_start = timezone.make_aware(datetime.combine(day, datetime.min.time()))
    events = list(
        CallEvent.objects.filter(
            center=center,
            kind__in=[CallEvent.Kind.CALL, CallEvent.Kind.RECALL],
            at__gte=day_start,
            at__lt=day_start + timedelta(days=1),
        )
        .select_related("ticket", "window")
        .order_by("-at", "-id")[:40]
    )
    latest: dict[int, dict[str, Any]] = {}  # each ticket's newest call or recall among these events
    last: list[dict[str, Any]] = []
    for ev in events:
        if ev.window is None:
            continue
        item = {
            "ticket": ev.ticket_id,
            "number": ev.ticket.number,
            "window": ev.window.number,
            "at": ev.at,
            "kind": ev.kind,
        }
        if ev.ticket_id not in latest:
            latest[ev.ticket_id] = item
            if len(last) < recent:
                last.append(item)
    # Current: every window's ticket in hand, however many calls other windows made since (read from the
    # events alone, a long service or a call nobody answered yet fell out of the last 40 and off the TV); as
    # its newest event says it (a recall) where that is for this window, else as called.
    held = Ticket.objects.filter(
        center=center,
        day=day,
        state__in=[Ticket.State.CALLED, Ticket.State.SERVING],
        called_window__isnull=False,
    ).select_related("called_window")
    current: dict[int, dict[str, Any]] = {}
    for t in held:
        if t.called_window is None:  # filtered out above; for the type checker
            continue
        number = t.called_window.number
        seen = latest.get(t.pk)
        if seen is None or seen["window"] != number:
            seen = {
                "ticket": t.pk,
                "number": t.number,
                "window": number,
                "at": t.called_at or now,
                "kind": "call",
            }
        if number not in current or seen["at"] > current[number]["at"]:
            current[number] = seen
    return {
        "center": {"code": center.code, "name": center.name, "name_en": center.name_en},
        "current": sorted(current.values(), key=lambda x: x["at"], reverse=True),
        "recent": last,
        "waiting": waiting_counts(center, day=day),
        "at": now,
    }


@dataclass(frozen=True)
class WindowScreen:
    """What the small screen above a window shows (窗口屏): its state, the number it serves, who serves."""

    window: Window
    state: str  # WindowSession.State: open or paused; closed when nobody staffs the window
    clerk_name: str  # the clerk's display name as the hall sees it ("" when nobody staffs the window)
    ticket: Ticket | None  # the ticket in hand, called or being served


def window_screen(center: Center, number: int) -> WindowScreen | None:
    """The window ``number`` of ``center`` as its screen shows it; None if there is no such active window.
    Two queries: the window, its open session with the clerk and the ticket in hand."""
    window = Window.objects.filter(center=center, number=number, active=True).first()
    if window is None:
        return None
    session = (
        WindowSession.objects.filter(window=window)
        .exclude(state=WindowSession.State.CLOSED)
        .select_related("clerk", "current_ticket")
        .first()
    )
    if session is None:
        return WindowScreen(window=window, state=WindowSession.State.CLOSED, clerk_name="", ticket=None)
    from tongban.queueing.services.calling import ACTIVE_STATES

    ticket = session.current_ticket
    if ticket is not None and ticket.state not in ACTIVE_STATES:
        ticket = None
    return WindowScreen(
        window=window, state=session.state, clerk_name=session.clerk.display_name, ticket=ticket
    )


# How far back a reconnecting display is told the calls it missed: its stream ends every five minutes and the
# browser is back within a second or two; a call older than this is no longer worth announcing.
CALL_REPLAY_WINDOW = timedelta(minutes=2)


def calls_since(center: Center, after: int, *, now: datetime | None = None) -> list[dict[str, Any]]:
    """The calls and recalls made at ``center`` after the call event ``after`` (ids grow as events are written;
    within :data:`CALL_REPLAY_WINDOW`), oldest first, as the live messages announced them. One query, at most 20
    rows."""
    from tongban.queueing.services.calling import call_message

    now = now or timezone.now()
    events = (
        CallEvent.objects.filter(
            center=center,
            kind__in=[CallEvent.Kind.CALL, CallEvent.Kind.RECALL],
            at__gt=now - CALL_REPLAY_WINDOW,
            pk__gt=after,
        )
        .exclude(window=None)
        .select_related("ticket", "window")
        .order_by("id")[:20]
    )
    calls = []
    for ev in events:
        window = ev.window
        if window is None:  # excluded above; for the type checker
            continue
        calls.append(
            call_message(
                kind=ev.kind,
                event_id=ev.pk,
                ticket_id=ev.ticket_id,
                number=ev.ticket.number,
                window_number=window.number,
                at=ev.at,
            )
        )
    return calls


@dataclass
class PanelState:
    window: Window
    session: WindowSession | None
    current: Ticket | None
    waiting: list[dict[str, Any]]
    recent_no_shows: list[Ticket]
    other_windows: list[Window]  # the windows the ticket in hand may be transferred to
    queues: list[Queue]  # the queues the ticket in hand may be transferred to
    served_today: int = 0
    extras: dict[str, Any] = field(default_factory=dict)
    serves_no_queue: bool = False  # misconfigured: call-next here never calls anyone


def window_for_clerk(user: User) -> Window | None:
    """The window the clerk is staffing now; None when they staff none (the workbench then offers the
    chooser, with their default window preselected: falling back to the default window here kept a clerk who
    had signed off from ever choosing another)."""
    session = (
        WindowSession.objects.filter(clerk=user)
        .exclude(state=WindowSession.State.CLOSED)
        .select_related("window__center")
        .first()
    )
    return session.window if session is not None else None


@dataclass(frozen=True)
class WindowChoice:
    """A window as the workbench's chooser offers it."""

    window: Window
    staffed_by: str  # the display name of the clerk staffing it; "" when it is free
    state: str  # WindowSession.State of its open session; closed when it is free
    ticket: str = ""  # the number it has in hand (called or being served)


@dataclass(frozen=True)
class Released:
    """A clerk's window released by a manager (释放窗口): who, when, and the tickets sent back to the line."""

    window: int
    by: str
    at: datetime
    tickets: list[str]


def released_from(user: User, *, now: datetime | None = None) -> Released | None:
    """The release that ended the clerk's last session, today: their page was taken from them (a stale panel's
    next click failed with "not this window's clerk"), and it should say by whom and what became of the ticket in
    hand. None once they open a window again, or when the last session ended otherwise. Three queries."""
    from tongban.core.models import AuditEntry

    now = now or timezone.now()
    last = WindowSession.objects.filter(clerk=user).order_by("-opened_at", "-pk").first()
    if last is None or last.state != WindowSession.State.CLOSED or last.closed_at is None:
        return None
    if timezone.localdate(last.closed_at) != timezone.localdate(now):
        return None
    entry = (
        AuditEntry.objects.filter(
            action="queueing.window.release", object_type="queueing.windowsession", object_id=str(last.pk)
        )
        .order_by("-seq")
        .first()
    )
    if entry is None:
        return None
    manager = User.objects.filter(pk=entry.actor_id).first() if entry.actor_id else None
    return Released(
        window=int(entry.data.get("window") or 0),
        by=str(manager) if manager is not None else entry.actor_repr,  # the name the clerk knows
        at=timezone.localtime(entry.at),
        tickets=list(entry.data.get("tickets") or []),
    )


def window_choices(user: User) -> list[WindowChoice]:
    """The active windows ``user`` may staff (their center's; an admin's: every center's), each with who
    staffs it now. Two queries."""
    windows = Window.objects.filter(active=True).select_related("center").order_by("center__code", "number")
    if user.role != Role.ADMIN:
        if user.center_id is None:  # staff not yet placed at a center staff no window
            return []
        windows = windows.filter(center_id=user.center_id)
    sessions = {
        s.window_id: s
        for s in WindowSession.objects.filter(window__in=windows)
        .exclude(state=WindowSession.State.CLOSED)
        .select_related("clerk", "current_ticket")
    }
    choices = []
    for window in windows:
        session = sessions.get(window.pk)
        if session is None:
            choices.append(WindowChoice(window=window, staffed_by="", state=WindowSession.State.CLOSED))
            continue
        held = session.current_ticket
        choices.append(
            WindowChoice(
                window=window,
                staffed_by=str(session.clerk),
                state=session.state,
                ticket=held.number
                if held is not None and held.state in (Ticket.State.CALLED, Ticket.State.SERVING)
                else "",
            )
        )
    return choices


def window_panel(window: Window, *, now: datetime | None = None) -> PanelState:
    now = now or timezone.now()
    day = timezone.localdate(now)
    session = WindowSession.objects.filter(window=window).exclude(state=WindowSession.State.CLOSED).first()
    current = (
        Ticket.objects.filter(called_window=window, state__in=[Ticket.State.CALLED, Ticket.State.SERVING])
        .select_related("queue", "matter", "bundle", "appointment")
        .first()
    )
    extras: dict[str, Any] = {}
    if current is not None and current.appointment is not None:
        from tongban.core.crypto import mask_id_number, mask_name

        extras["appointment"] = {
            "code": current.appointment.code,
            "name": mask_name(current.appointment.name),
            "id_number": mask_id_number(current.appointment.id_number),
        }
    from tongban.queueing.rules import settings_for

    # those the center's rules still let re-queue: a button that can only fail is not offered
    cutoff = now - timedelta(minutes=settings_for(window.center).noshow_requeue_minutes)
    no_shows = list(
        Ticket.objects.filter(
            called_window=window, state=Ticket.State.NO_SHOW, finished_at__gte=cutoff, day=day
        ).order_by("-finished_at")[:5]
    )
    served = Ticket.objects.filter(called_window=window, state=Ticket.State.FINISHED, day=day).count()
    transfer_queues: list[Queue] = []
    other_windows: list[Window] = []
    if current is not None:
        # Offered only what a transfer takes (ticket_transfer refuses the rest): the normal queues but its own,
        # and the other windows that serve its queue or one of those.
        transfer_queues = [
            q
            for q in queues_for_center(window.center)
            if q.kind == Queue.Kind.NORMAL and q.pk != current.queue_id
        ]
        serving = Queue.objects.filter(
            windows=OuterRef("pk"),
            center_id=window.center_id,
            active=True,
            pk__in=[current.queue_id, *(q.pk for q in transfer_queues)],
        )
        other_windows = list(
            Window.objects.filter(center_id=window.center_id, active=True)
            .exclude(pk=window.pk)
            .filter(Q(kind=Window.Kind.COMPREHENSIVE) | Exists(serving))
            .order_by("number")
        )
    return PanelState(
        window=window,
        session=session,
        current=current,
        waiting=waiting_counts(window.center, day=day, window=window),
        recent_no_shows=no_shows,
        other_windows=other_windows,
        queues=transfer_queues,
        served_today=served,
        extras=extras,
        serves_no_queue=not queue_ids_for_window(window),
    )


def ticket_finished_recently(
    window: Window, *, minutes: int = 30, now: datetime | None = None
) -> Ticket | None:
    """The ticket this window finished last, if within ``minutes`` (the rating pad invites a rating for it)."""
    now = now or timezone.now()
    return (
        Ticket.objects.filter(
            called_window=window,
            state=Ticket.State.FINISHED,
            finished_at__gte=now - timedelta(minutes=minutes),
        )
        .select_related("called_by", "queue")
        .order_by("-finished_at")
        .first()
    )


def ticket_current_for_window(window: Window) -> Ticket | None:
    """The ticket being called or served at ``window`` (the workbench shows it beside the case)."""
    return (
        Ticket.objects.filter(called_window=window, state__in=[Ticket.State.CALLED, Ticket.State.SERVING])
        .select_related("queue", "matter", "bundle")
        .first()
    )


def ticket_get(ticket_id: int) -> Ticket | None:
    return Ticket.objects.select_related("center", "queue", "called_window").filter(pk=ticket_id).first()


def ticket_application_numbers(ticket_id: int) -> list[str]:
    """The receipt numbers of the cases linked to the ticket, sorted; one statement."""
    return list(
        TicketApplication.objects.filter(ticket_id=ticket_id)
        .order_by("application__number")
        .values_list("application__number", flat=True)
    )


@dataclass(frozen=True)
class FollowState:
    """What the resident's own page of a ticket shows (扫码看进度)."""

    ticket: Ticket
    today: bool  # a slip of another day is closed, whatever its state says until the nightly close
    # the waiting tickets before it, counted up to WAITING_BEFORE_CAP; None unless it waits today
    ahead: int | None
    eta_minutes: int | None
    window_number: int | None  # the window it is called to (called or being served)

    @property
    def ahead_more(self) -> bool:
        from tongban.queueing.services.tickets import WAITING_BEFORE_CAP

        return self.ahead is not None and self.ahead >= WAITING_BEFORE_CAP

    @property
    def cancellable(self) -> bool:
        return self.today and self.ticket.state == Ticket.State.WAITING


def ticket_follow(token: str, *, now: datetime | None = None) -> FollowState | None:
    """The ticket a slip's token (:mod:`~tongban.queueing.links`) names, as its own page shows it; None for a
    token that was altered or made up (no query) or a ticket that no longer exists. One query for the ticket,
    one for the line when it waits (the wait estimate's inputs are cached per center)."""
    from tongban.queueing.links import ticket_id_from_token
    from tongban.queueing.services.calling import ACTIVE_STATES
    from tongban.queueing.services.tickets import estimate_wait_minutes, tickets_ahead

    ticket_id = ticket_id_from_token(token)
    ticket = ticket_get(ticket_id) if ticket_id is not None else None
    if ticket is None:
        return None
    now = now or timezone.now()
    today = ticket.day == timezone.localdate(now)
    ahead = eta = None
    if today and ticket.state == Ticket.State.WAITING:
        ahead = tickets_ahead(ticket, now=now)
        eta = estimate_wait_minutes(ticket.center, ahead, queue=ticket.queue, now=now)
    window = None
    if ticket.state in ACTIVE_STATES and ticket.called_window is not None:
        window = ticket.called_window.number
    return FollowState(ticket=ticket, today=today, ahead=ahead, eta_minutes=eta, window_number=window)


# --- appointments ----------------------------------------------------------------------------


def slots_available(
    center: Center, *, day_from: date | None = None, days: int = 14, now: datetime | None = None
) -> QuerySet[AppointmentSlot]:
    """The center's slots of ``days`` days from ``day_from`` (today) that have not ended: booking refuses a slot
    whose end has come (``appointment.slot_past``), so one is listed exactly while it can still be booked —
    also once it has begun, as booking takes it until its end. Full ones included (no place ``available``)."""
    now = timezone.localtime(now or timezone.now())
    today = now.date()
    day_from = day_from or today
    return (
        AppointmentSlot.objects.filter(
            Q(day__gt=today) | Q(day=today, end__gt=now.time()),
            center=center,
            day__gte=day_from,
            day__lt=day_from + timedelta(days=days),
        )
        .select_related("queue")
        .order_by("day", "start", "queue__order")
    )


def slots_by_day(
    center: Center,
    *,
    queue_id: int | None = None,
    exclude: int | None = None,
    days: int = 14,
    now: datetime | None = None,
) -> list[tuple[date, list[AppointmentSlot]]]:
    """The slots still to come in the next ``days`` (:func:`slots_available`), by day, each with ``available``
    places set (full ones included, shown as full: the resident sees the time is there and taken); only
    ``queue_id``'s, and without slot ``exclude`` (the one an appointment being moved holds), when given."""
    slots = slots_available(center, days=days, now=now)
    if queue_id is not None:
        slots = slots.filter(queue_id=queue_id)
    if exclude is not None:
        slots = slots.exclude(pk=exclude)
    by_day: dict[date, list[AppointmentSlot]] = {}
    for slot in slots:
        slot.available = max(0, slot.capacity - slot.booked)  # type: ignore[attr-defined]
        by_day.setdefault(slot.day, []).append(slot)
    return sorted(by_day.items())


def appointment_queue_count(center: Center) -> int:
    """How many active appointment queues the center books in (one query)."""
    return Queue.objects.filter(center=center, kind=Queue.Kind.APPOINTMENT, active=True).count()


def appointments_of(user: User) -> QuerySet[Appointment]:
    """A resident's appointments: those they booked, and those staff booked for them (a call to the center, a
    visit to the window: see ``services.appointments._authorise_holder``) by the phone they sign in with or by
    their ID number. By the ID number too, as the one-a-day rule counts it: a clerk booked a resident with a
    family member's phone, and the portal refused the resident "您当天在本中心已有预约" while 我的预约 showed
    nothing."""
    mine = Q(resident=user)
    if user.role == Role.RESIDENT and user.phone_hash:
        mine |= Q(resident=None, phone_hash=user.phone_hash)
    if user.role == Role.RESIDENT and user.id_number_hash:
        mine |= Q(resident=None, id_number_hash=user.id_number_hash)
    return Appointment.objects.filter(mine).select_related("slot__center", "slot__queue", "matter")


def appointments_for_staff(user: User, *, q: str = "", today: date | None = None) -> list[Appointment]:
    """What a clerk's appointment page lists: the center's coming appointments (an admin's: every center's),
    or, with ``q``, the ones a caller names by their code, phone or ID number (the last 30 days too, so a
    clerk can answer "was it missed?"). A phone or an ID number is matched by its blind index, never in the
    clear."""
    from tongban.core.crypto import blind_index

    today = today or timezone.localdate()
    base = Appointment.objects.select_related("slot__queue", "slot__center")
    if user.role != Role.ADMIN:
        if user.center_id is None:  # staff not yet placed at a center see no one's
            return []
        base = base.filter(slot__center_id=user.center_id)
    q = "".join(q.split()).upper()
    if not q:
        return list(base.filter(slot__day__gte=today).order_by("slot__day", "slot__start")[:50])
    found = base.filter(slot__day__gte=today - timedelta(days=30))
    found = found.filter(Q(code=q) | Q(phone_hash=blind_index(q)) | Q(id_number_hash=blind_index(q)))
    return list(found.order_by("-slot__day", "-slot__start")[:20])


# --- one person, known by either their ID number or their phone ------------------------------------------


def person_keys(*, id_number_hash: str = "", phone_hash: str = "") -> tuple[str, ...]:
    """Every blind index a person is known by, in a fixed order: the ID number's and the phone's (either may
    be missing). Two bookings are one person's when EITHER matches: a clerk books a caller by phone alone,
    then the same caller gives an ID number, or books on the portal (always with the ID number); by one key
    alone each would be someone else, and book again that day or round a suspension."""
    return tuple(sorted({key for key in (id_number_hash, phone_hash) if key}))


def same_person(keys: tuple[str, ...]) -> Q:
    """Appointments made with any of ``keys`` (an appointment without an ID number has an empty hash, never
    one of them)."""
    return Q(id_number_hash__in=keys) | Q(phone_hash__in=keys)


def same_person_no_show(keys: tuple[str, ...]) -> Q:
    """No-show records of appointments made with any of ``keys``."""
    return Q(appointment__id_number_hash__in=keys) | Q(appointment__phone_hash__in=keys)


# how many times the keys of a person's misses are widened by the keys of the misses they find: a chain of
# bookings each sharing one key with the next is rarely longer than two links (ID + phone, phone alone)
CLOSURE_ROUNDS = 4


def person_no_shows(keys: tuple[str, ...], *, center_id: int, since: datetime) -> tuple[tuple[str, ...], int]:
    """A person's misses at a center after ``since``: every key they are known by through those misses, and
    how many there are. Found from ``keys`` and widened by every key of every miss found, so the count does
    not depend on which miss is marked last: misses by ID + phone 139…, by 139… alone and by the ID number
    with phone 138… are one person's whichever is counted from (at most :data:`CLOSURE_ROUNDS` widenings)."""
    records = NoShowRecord.objects.filter(center_id=center_id, at__gt=since)
    known = set(keys)
    found: list[tuple[str, str]] = []
    for _ in range(CLOSURE_ROUNDS):
        found = list(
            records.filter(same_person_no_show(tuple(sorted(known)))).values_list(
                "appointment__id_number_hash", "appointment__phone_hash"
            )
        )
        wider = known | {key for pair in found for key in pair if key}
        if wider == known:
            break
        known = wider
    return tuple(sorted(known)), len(found)


def person_suspensions(keys: tuple[str, ...], *, center_id: int | None = None) -> QuerySet[BookingSuspension]:
    """The person's suspensions (at ``center_id``, or at every center), in force or not: those filed under any
    of ``keys`` or counting a miss booked with one (``BookingSuspension.keys``). The one look-up of booking's
    refusal, the staff page's notice and the admin's search, so the three cannot disagree."""
    reach = Q(person_hash__in=keys)
    for key in keys:
        reach |= Q(keys__contains=key)
    found = BookingSuspension.objects.filter(reach)
    return found if center_id is None else found.filter(center_id=center_id)


def suspensions_in_force_for_search(
    user: User, *, q: str, found: list[Appointment], now: datetime | None = None
) -> list[BookingSuspension]:
    """What the staff appointments page says of the person a clerk searched for (by phone, ID number or a code
    of theirs): the suspensions in force at the user's center (an admin's: at every center) that booking that
    number would be refused for, or, for a code, booking its appointment's ID number and phone. Not widened by
    the other keys of the appointments a number finds: the page said an ID number was suspended through the
    phone of an old booking of it, while booking the ID number with a new phone went through."""
    from tongban.core.crypto import blind_index

    compact = "".join(q.split()).upper()
    if not compact or (user.role != Role.ADMIN and user.center_id is None):
        return []
    hashes = {blind_index(compact)}  # a phone or an ID number (a code's hash matches nothing)
    for appointment in found:
        if appointment.code == compact:
            hashes.update(
                person_keys(id_number_hash=appointment.id_number_hash, phone_hash=appointment.phone_hash)
            )
    return list(
        person_suspensions(
            tuple(sorted(hashes)), center_id=None if user.role == Role.ADMIN else user.center_id
        )
        .filter(until__gt=now or timezone.now(), lifted_at=None)
        .select_related("center")
        .order_by("center__code", "-until")
    )


@dataclass(frozen=True)
class OwnAppointment:
    """What the appointment's own page shows (the link in its SMS)."""

    appointment: Appointment
    over: bool  # the slot has ended: kept or missed, no longer the resident's to cancel

    @property
    def cancellable(self) -> bool:
        return self.appointment.state == Appointment.State.BOOKED and not self.over


def appointment_own(token: str, *, now: datetime | None = None) -> OwnAppointment | None:
    """The appointment an SMS link's token names; None for a token altered or made up (no query) or an
    appointment that no longer exists. One query."""
    from tongban.queueing.links import appointment_id_from_token

    appointment_id = appointment_id_from_token(token)
    if appointment_id is None:
        return None
    appointment = (
        Appointment.objects.select_related("slot__center", "slot__queue", "matter")
        .filter(pk=appointment_id)
        .first()
    )
    if appointment is None:
        return None
    return OwnAppointment(appointment, over=appointment.slot.ends_at <= (now or timezone.now()))


# --- statistics ------------------------------------------------------------------------------


def _avg(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 1) if values else None


def _p90(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)], 1)


def queue_stats(center: Center, *, day_from: date, day_to: date) -> dict[str, Any]:
    """Numbers people manage by, for ``day_from``..``day_to`` inclusive: waiting now per queue, average and
    p90 wait, service time per window and clerk, no-show and abandonment rates, appointments kept.

    Wait = called − issued (for an appointment checked in early, − its slot's start: ``Ticket.wait_seconds``);
    service = finished − started (started = called if the clerk never pressed "start"). No-show rate =
    no-shows ÷ tickets called; abandonment = abandoned ÷ issued. "Waiting" is the line now, so it is given
    (per queue) only when the range includes today, and None otherwise: a past range shown beside today's
    line read as that range's figure. Appointments "booked" are those made and not cancelled."""
    rows = list(
        Ticket.objects.filter(center=center, day__gte=day_from, day__lte=day_to).values(
            "queue__prefix",
            "queue__name",
            "queue__name_en",
            "state",
            *Ticket.WAIT_FIELDS,
            "served_at",
            "finished_at",
            "called_window__number",
            "called_by_id",
            "called_by__display_name",
            "called_by__username",
        )
    )
    per_queue: dict[str, dict[str, Any]] = {}
    per_window: dict[int, list[float]] = {}
    per_clerk: dict[int, dict[str, Any]] = {}
    waits: list[float] = []
    issued = called = no_show = abandoned = finished = 0
    for r in rows:
        issued += 1
        q = per_queue.setdefault(
            r["queue__prefix"],
            {
                "prefix": r["queue__prefix"],
                "name": r["queue__name"],
                "name_en": r["queue__name_en"],
                "issued": 0,
                "waits": [],
            },
        )
        q["issued"] += 1
        seconds = Ticket.wait_seconds(*(r[f] for f in Ticket.WAIT_FIELDS))
        if seconds is not None:
            called += 1
            waits.append(seconds / 60)
            q["waits"].append(seconds / 60)
        if r["state"] == Ticket.State.NO_SHOW:
            no_show += 1
        elif r["state"] == Ticket.State.ABANDONED:
            abandoned += 1
        elif r["state"] == Ticket.State.FINISHED and r["finished_at"] and r["served_at"]:
            finished += 1
            minutes = (r["finished_at"] - r["served_at"]).total_seconds() / 60
            per_window.setdefault(r["called_window__number"], []).append(minutes)
            clerk = per_clerk.setdefault(
                r["called_by_id"],
                {"name": r["called_by__display_name"] or r["called_by__username"], "values": []},
            )
            clerk["values"].append(minutes)
    live = day_from <= timezone.localdate() <= day_to
    waiting_list = waiting_counts(center) if live else []
    waiting_now = {w["prefix"]: w["waiting"] for w in waiting_list}
    appts = Appointment.objects.filter(slot__center=center, slot__day__gte=day_from, slot__day__lte=day_to)
    appt_counts = dict(appts.values_list("state").annotate(n=Count("id")).values_list("state", "n"))
    kept = appt_counts.get(Appointment.State.CHECKED_IN, 0)
    missed = appt_counts.get(Appointment.State.NO_SHOW, 0)
    return {
        "center": center.code,
        "from": day_from,
        "to": day_to,
        "issued": issued,
        "called": called,
        "finished": finished,
        "avg_wait_minutes": _avg(waits),
        "p90_wait_minutes": _p90(waits),
        "no_show_rate": round(no_show / called, 3) if called else None,
        "abandonment_rate": round(abandoned / issued, 3) if issued else None,
        "queues": [
            {
                "prefix": q["prefix"],
                "name": q["name"],
                "name_en": q["name_en"],
                "issued": q["issued"],
                "waiting": waiting_now.get(q["prefix"], 0) if live else None,
                "avg_wait_minutes": _avg(q["waits"]),
                "p90_wait_minutes": _p90(q["waits"]),
            }
            for q in sorted(per_queue.values(), key=lambda x: x["prefix"])
        ]
        + [
            {
                "prefix": p,
                "name": w["name"],
                "name_en": w["name_en"],
                "issued": 0,
                "waiting": w["waiting"],
                "avg_wait_minutes": None,
                "p90_wait_minutes": None,
            }
            for w in waiting_list
            for p in [w["prefix"]]
            if p not in per_queue
        ],
        "windows": [
            {"window": n, "served": len(v), "avg_service_minutes": _avg(v)}
            for n, v in sorted(per_window.items())
        ],
        "clerks": [
            {"clerk": c["name"], "served": len(c["values"]), "avg_service_minutes": _avg(c["values"])}
            for c in sorted(per_clerk.values(), key=lambda x: x["name"])
        ],
        "appointments": {
            "booked": sum(n for state, n in appt_counts.items() if state != Appointment.State.CANCELLED),
            "kept": kept,
            "no_show": missed,
            "cancelled": appt_counts.get(Appointment.State.CANCELLED, 0),
            "kept_rate": round(kept / (kept + missed), 3) if (kept + missed) else None,
        },
    }

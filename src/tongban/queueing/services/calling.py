"""Window sessions and calling: call next, recall, start, no-show, re-queue, transfer, finish.

Concurrency: ``ticket_call_next`` picks the first ticket of the fair order with
``SELECT … FOR UPDATE SKIP LOCKED LIMIT 1`` on PostgreSQL, so windows calling at the
same moment each lock a different row and none waits for another's choice; the
state change is additionally guarded (``UPDATE … WHERE state = 'waiting'``). On SQLite
the settings open every transaction with ``BEGIN IMMEDIATE``: writers run one at a
time, which is the serial equivalent of the same guarantee.

Cost: calling and finishing run all day at every window, so their statements are written
out in SQL (see ``_sql``): the window's session is locked and checked for a ticket in hand
in one statement, the ticket is picked, claimed and its call event appended in one, and
every ticket action locks the ticket together with "does this clerk staff its window", then
writes the ticket and its event in one (PostgreSQL; two on SQLite).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from tongban.accounts.models import Role, User
from tongban.catalog.models import Window
from tongban.core import sql as _sql
from tongban.core.audit import audit_entry, audit_log, audit_log_many
from tongban.core.errors import Forbidden, NotFound, ValidationError
from tongban.core.models import AuditEntry
from tongban.queueing import live
from tongban.queueing.errors import (
    ClerkAtOtherWindow,
    RequeueExpired,
    TicketNotFound,
    TicketStateError,
    WindowBusy,
    WindowNotStaffed,
    WindowPaused,
    WindowStaffedByOther,
)
from tongban.queueing.models import Appointment, CallEvent, Queue, Ticket, TicketApplication, WindowSession
from tongban.queueing.rules import settings_for
from tongban.queueing.selectors import queue_by_pk, queue_ids_for_window, window_by_pk

STAFF_AT_WINDOW = {Role.CLERK, Role.MANAGER, Role.ADMIN}
SUPERVISING = {Role.MANAGER, Role.ADMIN}
ACTIVE_STATES = (Ticket.State.CALLED, Ticket.State.SERVING)


def announcement_text(number: str, window_number: int) -> str:
    return f"请 {number} 号到 {window_number} 号窗口"


def _check_center_staff(user: User, window: Window) -> None:
    if user.role not in STAFF_AT_WINDOW:
        raise Forbidden()
    if user.role != Role.ADMIN and user.center_id != window.center_id:
        raise Forbidden("您不属于该窗口所在的服务中心", "You do not belong to this window's center")


# --- window sessions -------------------------------------------------------------------------


def window_session_open(*, window: Window, clerk: User, now: datetime | None = None) -> WindowSession:
    """Sign ``clerk`` on to ``window`` (idempotent for the clerk already there)."""
    _check_center_staff(clerk, window)
    if not window.active:
        raise ValidationError("窗口已停用", "The window is inactive", code="queue.window_inactive")
    now = now or timezone.now()
    with transaction.atomic():
        current = _session_to_reuse(window, clerk)
        if current is not None:
            return current
        try:
            with transaction.atomic():
                session = WindowSession.objects.create(window=window, clerk=clerk, opened_at=now)
        except IntegrityError:
            # Another request opened this window, or signed this clerk on at another, in the same moment and
            # committed first (the day's first call-next clicked twice, two tabs): neither saw the other's
            # uncommitted session, and the open-session constraints let one through. Answer as if this one had
            # come second: the same session for the same clerk, else the reason it is refused.
            current = _session_to_reuse(window, clerk)
            if current is None:
                raise
            return current
        audit_log(actor=clerk, action="queueing.window.open", obj=session, data={"window": window.number})
        # the window's screen shows who serves there now
        _publish(window.center_id, {"type": "window", "window": window.number, "state": "open"})
    return session


def _session_to_reuse(window: Window, clerk: User) -> WindowSession | None:
    """The window's open session, locked, if it is ``clerk``'s; ``None`` if the window and the clerk are both
    free; raises if the window is another clerk's or the clerk staffs another window."""
    current = _open_session_locked(window, clerk)
    if (
        current is None
        and WindowSession.objects.filter(clerk=clerk).exclude(state=WindowSession.State.CLOSED).exists()
    ):
        raise ClerkAtOtherWindow()
    return current


def _open_session_locked(window: Window, clerk: User) -> WindowSession | None:
    """The window's open session, locked, when ``clerk`` staffs it; ``None`` when nobody does; raises when
    another clerk does."""
    session = (
        WindowSession.objects.select_for_update()
        .filter(window=window)
        .exclude(state=WindowSession.State.CLOSED)
        .first()
    )
    if session is not None and session.clerk_id != clerk.pk:
        raise _staffed_by_other(session.clerk_id)
    return session


def _staffed_by_other(clerk_id: int) -> WindowStaffedByOther:
    """The refusal for a window ``clerk_id`` staffs, naming them (a query on the refusal only)."""
    found = User.objects.filter(pk=clerk_id).values_list("display_name", "username").first()
    return WindowStaffedByOther.naming((found[0] or found[1]) if found is not None else "")


def _sign_off(session: WindowSession, now: datetime) -> None:
    """Close ``session`` (locked by the caller): its clerk's sign-off, the day's close, a manager's release."""
    session.state = WindowSession.State.CLOSED
    session.closed_at = now
    session.current_ticket = None
    session.save(update_fields=["state", "closed_at", "current_ticket"])


def window_session_close(*, window: Window, clerk: User, now: datetime | None = None) -> None:
    now = now or timezone.now()
    with transaction.atomic():
        session = _staffing_session(window, clerk)
        if _holds_ticket(window):
            raise WindowBusy(
                "请先办结或过号当前号码再结束服务", "Finish the current ticket before signing off"
            )
        _sign_off(session, now)
        audit_log(actor=clerk, action="queueing.window.close", obj=session)
    _publish(window.center_id, {"type": "window", "window": window.number, "state": "closed"})


def window_sessions_close_day(*, before: date | None = None, now: datetime | None = None) -> int:
    """The day's close signs off the windows nobody signed off: every session opened before ``before`` (today)
    and still open or paused is closed, audited (``queueing.window.close``, ``{"by": "close_day"}``) and its
    screen told. Left open overnight, a session said 服务中 on the screens, refused the next clerk the window,
    and counted as an open window in the wait estimates and the dashboard. A session whose window still has a
    ticket of ``before`` in hand stays open: its clerk is serving someone past midnight (a 24-hour hall); the
    tickets of earlier days are ``tickets_close_day``'s, which runs first. Idempotent; the number closed."""
    now = now or timezone.now()
    before = before or timezone.localdate(now)
    day_start = timezone.make_aware(datetime.combine(before, time.min))
    stale = list(
        WindowSession.objects.filter(opened_at__lt=day_start)
        .exclude(state=WindowSession.State.CLOSED)
        .order_by("opened_at", "pk")
        .values_list("pk", flat=True)
    )
    closed = 0
    for pk in stale:
        with transaction.atomic():
            session = (
                WindowSession.objects.select_for_update()
                .exclude(state=WindowSession.State.CLOSED)
                .filter(pk=pk)
                .first()
            )
            if session is None:  # signed off meanwhile
                continue
            window = Window.objects.get(pk=session.window_id)
            if Ticket.objects.filter(called_window=window, state__in=ACTIVE_STATES, day__gte=before).exists():
                continue
            was = session.state
            _sign_off(session, now)
            audit_log(
                action="queueing.window.close",
                obj=session,
                data={"window": window.number, "by": "close_day", "was": was},
            )
            _publish(window.center_id, {"type": "window", "window": window.number, "state": "closed"})
            closed += 1
    return closed


@dataclass(frozen=True)
class WindowReleased:
    """What :func:`window_release` did: the session it closed, whose it was, the tickets sent back to the line."""

    session: WindowSession
    clerk_name: str
    tickets: list[str]


def _wait_again(ticket: Ticket, *, target_window: Window | None) -> list[str]:
    """The ticket waits in line again, for ``target_window`` alone or (None) any window of its queue, called
    and served by no one (a release, a re-queue, a transfer). Returns the fields this changes, to write."""
    ticket.state = Ticket.State.WAITING
    ticket.target_window = target_window
    ticket.called_window = None
    ticket.called_by = None
    ticket.called_at = None
    ticket.served_at = None
    ticket.finished_at = None
    return ["state", "target_window", "called_window", "called_by", "called_at", "served_at", "finished_at"]


def window_release(*, window: Window, actor: User, now: datetime | None = None) -> WindowReleased | None:
    """释放窗口: a manager (or an admin) frees a window its clerk left staffed: gone home without signing off,
    or ill. The clerk's session is closed; a ticket the window had in hand goes back to waiting at its place
    in the line (``queued_at`` is kept), for any window serving its queue, and is called again. Audited:
    ``queueing.window.release`` on the session and ``queueing.ticket.release`` on the ticket. The session
    released, or ``None`` when nobody staffed the window (a second click: nothing more to do)."""
    if actor.role not in SUPERVISING or (actor.role != Role.ADMIN and actor.center_id != window.center_id):
        raise Forbidden(
            "只有本中心的负责人或管理员可以释放窗口",
            "Only a manager of this center or an administrator can release a window",
        )
    now = now or timezone.now()
    open_sessions = WindowSession.objects.filter(window=window).exclude(state=WindowSession.State.CLOSED)
    with transaction.atomic():
        if not open_sessions.exists():
            return None
        # The tickets first, then the session: the order finish, no-show and transfer lock them in (the ticket,
        # then the session that no longer holds it), so that a finish at the same moment waits, not deadlocks.
        returned = []
        held = Ticket.objects.filter(called_window=window, state__in=ACTIVE_STATES)
        for ticket_id in list(held.values_list("pk", flat=True)):
            ticket, _ = _lock_ticket(ticket_id)
            if ticket.state not in ACTIVE_STATES or ticket.called_window_id != window.pk:
                continue  # left the window meanwhile
            was = ticket.state
            # it may have been sent to this window: any window of its queue now
            _write_with_event(
                ticket,
                _wait_again(ticket, target_window=None),
                CallEvent.Kind.RELEASE,
                window=window,
                actor=actor,
                at=now,
                data={"was": was},
                audit=("queueing.ticket.release", {"number": ticket.number, "window": window.number}),
                leaves=window,
            )
            returned.append(ticket.number)
        session = open_sessions.select_for_update().first()
        if session is None:  # signed off meanwhile, with nothing in hand (sign-off refuses otherwise)
            return None
        clerk = User.objects.filter(pk=session.clerk_id).first()
        clerk_name = str(clerk) if clerk is not None else ""
        _sign_off(session, now)
        audit_log(
            actor=actor,
            action="queueing.window.release",
            obj=session,
            data={"window": window.number, "clerk": clerk_name, "tickets": returned},
        )
    _publish(window.center_id, {"type": "window", "window": window.number, "state": "closed"})
    if returned:
        _publish(window.center_id, {"type": "waiting"})
    return WindowReleased(session=session, clerk_name=clerk_name, tickets=returned)


def _holds_ticket(window: Window) -> bool:
    """Whether a ticket called at ``window`` is still there (called or being served)."""
    return Ticket.objects.filter(called_window=window, state__in=ACTIVE_STATES).exists()


def window_pause(
    *, window: Window, clerk: User, reason: str = "", now: datetime | None = None
) -> WindowSession:
    """暂停服务: the window stops calling. Only the clerk signed on at it pauses it: a pause never signs anyone
    on (it did, and a clerk who pressed 暂停 at a window they had not opened found it staffed in their name)."""
    now = now or timezone.now()
    with transaction.atomic():
        session = _staffing_session(window, clerk)
        if session.state == WindowSession.State.PAUSED:
            return session
        # the hall's TV would go on calling the ticket to a window whose own screen says 暂停服务
        if _holds_ticket(window):
            raise WindowBusy(
                "请先办结或过号当前号码再暂停",
                "Finish the current ticket (or mark it no-show) before pausing",
            )
        session.state = WindowSession.State.PAUSED
        session.paused_at = now
        session.pause_reason = reason[:100]
        session.save(update_fields=["state", "paused_at", "pause_reason"])
        audit_log(actor=clerk, action="queueing.window.pause", obj=session, data={"reason": reason[:100]})
    _publish(window.center_id, {"type": "window", "window": window.number, "state": "paused"})
    return session


def window_resume(*, window: Window, clerk: User) -> WindowSession:
    """恢复服务, by the clerk signed on at the window (see :func:`window_pause`)."""
    with transaction.atomic():
        session = _staffing_session(window, clerk)
        if session.state == WindowSession.State.OPEN:
            return session
        session.state = WindowSession.State.OPEN
        session.paused_at = None
        session.pause_reason = ""
        session.save(update_fields=["state", "paused_at", "pause_reason"])
        audit_log(actor=clerk, action="queueing.window.resume", obj=session)
    _publish(window.center_id, {"type": "window", "window": window.number, "state": "open"})
    return session


def _staffing_session(window: Window, clerk: User) -> WindowSession:
    """The clerk's open session at ``window``, locked; 403 ``queue.window_not_staffed`` if nobody staffs it."""
    _check_center_staff(clerk, window)
    session = _open_session_locked(window, clerk)
    if session is None:
        raise WindowNotStaffed()
    return session


# --- calling ---------------------------------------------------------------------------------


# A ticket that has left the window (finished, no-show, sent home) no longer holds it, whatever the session says.
_HELD = "{t}.state NOT IN ('finished', 'no_show', 'abandoned')"
_SESSION_FOR_CALL_SQL = (
    "SELECT s.id, s.clerk_id, s.state, s.priority_streak,"  # noqa: S608 - fixed text; every value is a parameter
    " (SELECT t.number || ' ' || t.id FROM queueing_ticket t WHERE t.id = s.current_ticket_id AND "
    + _HELD.format(t="t")
    + ") FROM queueing_windowsession s WHERE s.window_id = %s AND s.state <> 'closed'"
    " ORDER BY s.opened_at DESC LIMIT 1"
)


def _session_for_call(window: Window, clerk: User) -> tuple[int, str, int, str | None]:
    """The clerk's session at ``window`` (opening one if the window is free) and the ticket the window still
    has in hand, in one statement: (session id, state, priority streak, "<number> <id>" or None). SQLite, whose
    transactions here begin IMMEDIATE and so hold the database; PostgreSQL does this inside the call's one
    statement (``_CALL_SQL``)."""
    sql = _SESSION_FOR_CALL_SQL
    with connection.cursor() as cursor:
        _sql.execute(cursor, sql, [window.pk])
        row = cursor.fetchone()
        if row is None:
            window_session_open(window=window, clerk=clerk)
            _sql.execute(cursor, sql, [window.pk])
            row = cursor.fetchone()
    session_id, clerk_id, state, streak, current = row
    if clerk_id != clerk.pk:
        raise _staffed_by_other(clerk_id)
    return session_id, state, streak, current


# The window's part of the line (its queues; a ticket transferred to a window waits for that window only).
_WINDOW_LINE = (
    "FROM queueing_ticket WHERE center_id = %s AND day = %s AND state = 'waiting' AND queue_id IN ({queues})"
    " AND (target_window_id IS NULL OR target_window_id = %s)"
)
# The fair order (rules.py): the priority class first, oldest first; after max_priority_in_row priority calls
# in a row, the oldest normal ticket first.
_FAIR_ORDER = (
    "ORDER BY {normal_first}"
    " CASE WHEN (queued_at <= %s AND priority_reason <> '') OR queued_at <= %s THEN 0 ELSE 1 END, queued_at, id"
)
# How many tickets each walk of the line takes from its front. The first ticket of the fair order that no other
# window has locked is among them while fewer than this many windows claim at the same instant; when not, the
# pick falls back to ordering the whole line (``COALESCE`` evaluates it only then).
PICK_CANDIDATES = 32
# The fair order's first ticket is the front of one of three walks: the priority tickets whose time has come
# (``ticket_line_priority_idx``), the whole line (``ticket_day_state_line_idx``: the oldest, boosted or not), and — after
# max_priority_in_row — the normal tickets. Each walk stops after PICK_CANDIDATES; only the candidates are
# ordered. Row locks: the chosen ticket only (SKIP LOCKED passes over tickets other windows are claiming).
_CANDIDATES = (
    "SELECT id FROM (SELECT id {line} AND priority_reason <> '' AND queued_at <= %s"
    " ORDER BY queued_at, id LIMIT {k}) p"
    " UNION ALL SELECT id FROM (SELECT id {line} ORDER BY queued_at, id LIMIT {k}) o"
    "{normals}"
)
_NORMALS = (
    " UNION ALL SELECT id FROM (SELECT id {line} AND priority_reason = '' ORDER BY queued_at, id LIMIT {k}) n"
)
_CLAIM_SQL = (
    "UPDATE queueing_ticket SET state = 'called', called_at = %s, called_window_id = %s, called_by_id = %s,"
    " call_count = 1, served_at = NULL"
    " WHERE id = COALESCE("
    "(SELECT id FROM queueing_ticket WHERE id IN ({candidates}) AND state = 'waiting' {order} LIMIT 1{lock}),"
    " (SELECT id {line} {order} LIMIT 1{lock}))"
    " AND state = 'waiting'"
)


def _claim_statement(queue_ids: list[int], *, normal_first: bool | None) -> str:
    """The claim (``_CLAIM_SQL``) for a window serving ``queue_ids``. ``normal_first=None``: decided inside the
    statement by ``_CALL_SQL``'s ``go``, which also gates every walk of the line (PostgreSQL; a condition on
    ``go`` alone is checked once, before the walk starts)."""
    line = _WINDOW_LINE.format(queues=", ".join(["%s"] * len(queue_ids)))
    if normal_first is None:
        line = line.replace("WHERE ", "WHERE EXISTS (SELECT 1 FROM go) AND ", 1)
        order = _FAIR_ORDER.format(normal_first="(SELECT normal_first FROM go) AND priority_reason <> '',")
        gated = f"{line} AND (SELECT normal_first FROM go)"  # noqa: S608 - fixed text
        normals = _NORMALS.format(line=gated, k=PICK_CANDIDATES)
    else:
        order = _FAIR_ORDER.format(normal_first="priority_reason <> ''," if normal_first else "")
        normals = _NORMALS.format(line=line, k=PICK_CANDIDATES) if normal_first else ""
    candidates = _CANDIDATES.format(line=line, k=PICK_CANDIDATES, normals=normals)
    lock = " FOR UPDATE SKIP LOCKED" if connection.features.has_select_for_update_skip_locked else ""
    return _CLAIM_SQL.format(candidates=candidates, order=order, line=line, lock=lock)


def _claim_params(
    window: Window, clerk: User, queue_ids: list[int], *, normals: bool, boost: datetime, now: datetime
) -> list[Any]:
    at = _sql.prep(Ticket, "called_at", now)
    line = [window.center_id, _sql.prep(Ticket, "day", timezone.localdate(now)), *queue_ids, window.pk]
    order = [at, _sql.prep(Ticket, "queued_at", boost)]
    walks = [*line, at, *line] + (line if normals else [])
    return [at, window.pk, clerk.pk, *walks, *order, *line, *order]


_EVENT_SQL = (
    "INSERT INTO queueing_callevent (ticket_id, center_id, kind, window_id, actor_id, at, data)"
    " VALUES (%s, %s, %s, %s, %s, %s, %s)"
)
# Does anyone wait for an SMS "few are ahead"? Only then is the notice task worth dispatching.
_WATCHED_SQL = (
    "EXISTS (SELECT 1 FROM queueing_ticket w WHERE w.center_id = %s AND w.day = %s AND w.state = 'waiting'"
    " AND w.notify_sent_at IS NULL AND w.notify_phone <> '')"
)
_AUDIT_INSERT = (
    "INSERT INTO core_auditentry (chain_seq, at, actor_id, actor_repr, action, object_type, object_id, data, ip,"
    " prev_hash, hash)"
)

# PostgreSQL: the whole call-next in one statement, so in one round trip and no transaction around it.
# - s: lock the window's session. A second call-next for the window waits here for the first to commit; the
#   session row it then gets is the first one's version, with the first one's ticket in ``current_ticket``.
# - h: the ticket the window still has in hand, if any.
# - go: one row if the clerk staffing the window may call now (theirs, open, nothing in hand), saying whether
#   the fair order takes a normal ticket first (max_priority_in_row priority calls in a row).
# - t: claim the first ticket of the fair order (gated by go); e, a: its call event and the audit entry that
#   ``audit_log`` writes for ``queueing.ticket.call`` (test_services_calling compares them); w: the session's
#   ticket in hand and priority streak (``streak + 1`` after a priority call, else 0).
# The last SELECT returns one row whatever happened; the caller tells the resident which.
_WAS_PRIORITY = "(t.priority_reason <> '' AND t.queued_at <= %s)"
_CALL_SQL = (
    "WITH s AS MATERIALIZED (SELECT id, clerk_id, state, priority_streak, current_ticket_id"  # noqa: S608 - fixed text; every value is a parameter
    " FROM queueing_windowsession WHERE window_id = %s AND state <> 'closed' ORDER BY opened_at DESC LIMIT 1"
    " FOR UPDATE),"
    " h AS MATERIALIZED (SELECT k.id, k.number FROM s JOIN queueing_ticket k ON k.id = s.current_ticket_id"
    " WHERE " + _HELD.format(t="k") + "),"
    " go AS MATERIALIZED (SELECT %s::int > 0 AND s.priority_streak >= %s::int AS normal_first FROM s"
    " WHERE s.clerk_id = %s AND s.state = 'open' AND NOT EXISTS (SELECT 1 FROM h)),"
    " t AS ({claim} RETURNING {columns}),"
    " e AS (INSERT INTO queueing_callevent (ticket_id, center_id, kind, window_id, actor_id, at, data)"
    " SELECT t.id, t.center_id, 'call', %s, %s, %s, %s FROM t RETURNING id),"
    " a AS (" + _AUDIT_INSERT + " SELECT NULL, %s, %s, %s::text, 'queueing.ticket.call', 'queueing.ticket',"
    " t.id::text, jsonb_build_object('number', t.number, 'window', %s::int, 'priority', "
    + _WAS_PRIORITY
    + "),"
    " NULL, NULL, NULL FROM t),"
    " w AS (UPDATE queueing_windowsession w SET current_ticket_id = t.id,"
    " priority_streak = CASE WHEN " + _WAS_PRIORITY + " THEN s.priority_streak + 1 ELSE 0 END"
    " FROM t, s WHERE w.id = s.id)"
    " SELECT s.id, s.clerk_id, s.state, h.id, h.number, {t_columns},"
    " (SELECT code FROM catalog_matter WHERE id = t.matter_id), t.id IS NOT NULL AND {watched},"
    " (SELECT id FROM e)"
    " FROM (SELECT 1) o LEFT JOIN s ON TRUE LEFT JOIN h ON TRUE LEFT JOIN t ON TRUE"
)


def _call_next_in_one_statement(
    window: Window, clerk: User, queue_ids: list[int], *, max_in_row: int, boost: datetime, now: datetime
) -> tuple[Ticket, bool, int] | None:
    """PostgreSQL's call-next (``_CALL_SQL``): the called ticket, whether anyone in the hall waits for an
    SMS and the call event's id, or ``None`` when nobody waits. Raises what the window's session forbids."""
    sql = _CALL_SQL.format(
        claim=_claim_statement(queue_ids or [None], normal_first=None),  # type: ignore[list-item]
        columns=_sql.columns(Ticket),
        t_columns=_sql.columns(Ticket, "t"),
        watched=_WATCHED_SQL,
    )
    at = _sql.prep(Ticket, "called_at", now)
    # a window that serves no queue has an empty line: ``queue_id IN (NULL)``
    claim = _claim_params(window, clerk, queue_ids or [None], normals=True, boost=boost, now=now)  # type: ignore[list-item]
    event = [window.pk, clerk.pk, _sql.prep(CallEvent, "at", now), _sql.prep(CallEvent, "data", {})]
    audit = [_sql.prep(AuditEntry, "at", now), clerk.pk, clerk.username, window.number, at]
    day = _sql.prep(Ticket, "day", timezone.localdate(now))
    params = [window.pk, max_in_row, max_in_row, clerk.pk, *claim, *event, *audit, at, window.center_id, day]
    with connection.cursor() as cursor:
        _sql.execute(cursor, sql, params)
        row = cursor.fetchone()
        if row[0] is None:  # nobody staffs the window: the clerk signs on, as at the first call of the day
            window_session_open(window=window, clerk=clerk)
            _sql.execute(cursor, sql, params)
            row = cursor.fetchone()
    session_id, clerk_id, state, held_id, held_number, *values, matter_code, watched, event_id = row
    if clerk_id != clerk.pk:
        raise _staffed_by_other(clerk_id)
    if state == WindowSession.State.PAUSED:
        raise WindowPaused()
    if held_id is not None:
        # the id lets a workbench that lost track of its ticket finish it (or mark it no-show)
        raise WindowBusy(details={"ticket": held_number, "ticket_id": held_id})
    if values[0] is None:
        return None
    ticket = _sql.from_row(Ticket, values)
    ticket.called_window = window
    ticket.called_by = clerk
    _attach(ticket, matter_code=matter_code)
    return ticket, bool(watched), int(event_id)


def _claim_next(
    window: Window, clerk: User, queue_ids: list[int], *, normal_first: bool, boost: datetime, now: datetime
) -> tuple[Ticket, bool, int] | None:
    """SQLite's claim: call the first ticket of the fair order for ``window`` and append its call event (three
    statements); the ticket, whether anyone in the hall waits for an SMS and the call event's id. The caller
    writes the rest."""
    claim = _claim_statement(queue_ids, normal_first=normal_first)
    params = _claim_params(window, clerk, queue_ids, normals=normal_first, boost=boost, now=now)
    event = [window.pk, clerk.pk, _sql.prep(CallEvent, "at", now), _sql.prep(CallEvent, "data", {})]
    with connection.cursor() as cursor:
        cursor.execute(f"{claim} RETURNING {_sql.columns(Ticket)}", params)
        values = cursor.fetchone()
        if values is None:
            return None
        cursor.execute(
            f"{_EVENT_SQL} RETURNING id", [values[0], window.center_id, CallEvent.Kind.CALL.value, *event]
        )
        event_id = int(cursor.fetchone()[0])
        cursor.execute(f"SELECT {_WATCHED_SQL}", [window.center_id, timezone.localdate(now)])
        watched = cursor.fetchone()[0]
    ticket = _sql.from_row(Ticket, values)
    ticket.called_window = window
    ticket.called_by = clerk
    _attach(ticket)
    return ticket, bool(watched), event_id


def _attach(ticket: Ticket, *, matter_code: str | None = None) -> None:
    """Give a ticket read by hand-written SQL its queue and called window (from the config cache) and, when
    known, its matter's code, so rendering it needs no further query."""
    queue = queue_by_pk(ticket.queue_id)
    if queue is not None:
        ticket.queue = queue
    if ticket.called_window_id is not None and "called_window" not in ticket._state.fields_cache:
        window = window_by_pk(ticket.called_window_id)
        if window is not None:
            ticket.called_window = window
    if ticket.matter_id is not None and matter_code is not None:
        from tongban.catalog.models import Matter

        ticket.matter = _sql.deferred(Matter, id=ticket.matter_id, code=matter_code)


def ticket_call_next(*, window: Window, clerk: User, now: datetime | None = None) -> Ticket | None:
    """Call the next ticket for ``window`` under the fair order (see ``rules``); ``None`` if nobody waits."""
    now = now or timezone.now()
    _check_center_staff(clerk, window)
    rules = settings_for(window.center)
    boost = now - timedelta(minutes=rules.max_wait_boost_minutes)
    if connection.vendor == "postgresql":
        claimed = _call_next_in_one_statement(
            window,
            clerk,
            queue_ids_for_window(window),
            max_in_row=rules.max_priority_in_row,
            boost=boost,
            now=now,
        )
    else:
        claimed = _call_next_in_steps(window, clerk, rules.max_priority_in_row, boost=boost, now=now)
    if claimed is None:
        return None
    ticket, watched, event_id = claimed
    _publish_call(ticket, window, "call", now, event_id)
    if watched:
        _dispatch_ahead_notice(window.center_id)
    return ticket


def _call_next_in_steps(
    window: Window, clerk: User, max_in_row: int, *, boost: datetime, now: datetime
) -> tuple[Ticket, bool, int] | None:
    """SQLite's call-next: what ``_CALL_SQL`` does, a statement at a time in one transaction (SQLite runs one
    writer at a time, so a second call waits for the first to commit before it reads the session)."""
    with transaction.atomic():
        session_id, state, streak, current = _session_for_call(window, clerk)
        if state == WindowSession.State.PAUSED:
            raise WindowPaused()
        if current is not None:
            number, ticket_id = current.rsplit(" ", 1)
            raise WindowBusy(details={"ticket": number, "ticket_id": int(ticket_id)})
        queue_ids = queue_ids_for_window(window)
        if not queue_ids:
            return None
        claimed = _claim_next(
            window,
            clerk,
            queue_ids,
            normal_first=bool(max_in_row) and streak >= max_in_row,
            boost=boost,
            now=now,
        )
        if claimed is None:
            return None
        ticket = claimed[0]
        was_priority = bool(ticket.priority_reason) and ticket.queued_at <= now
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE queueing_windowsession SET priority_streak = %s, current_ticket_id = %s WHERE id = %s",
                [streak + 1 if was_priority else 0, ticket.pk, session_id],
            )
        audit_log(
            actor=clerk,
            action="queueing.ticket.call",
            obj=ticket,
            data={"number": ticket.number, "window": window.number, "priority": was_priority},
        )
    return claimed


_LOCK_TICKET_SQL = (
    "SELECT {columns}, (SELECT code FROM catalog_matter WHERE id = queueing_ticket.matter_id),"
    " EXISTS (SELECT 1 FROM queueing_windowsession s WHERE s.window_id = queueing_ticket.called_window_id"
    " AND s.clerk_id = %s AND s.state <> 'closed')"
    " FROM queueing_ticket WHERE id = %s"
)


def _lock_ticket(ticket_id: int, actor: User | None = None) -> tuple[Ticket, bool]:
    """Lock the ticket and tell whether ``actor`` staffs the window that called it, in one statement."""
    sql = _LOCK_TICKET_SQL.format(columns=_sql.columns(Ticket))
    if connection.features.has_select_for_update:
        sql += " FOR UPDATE OF queueing_ticket"
    with connection.cursor() as cursor:
        _sql.execute(cursor, sql, [actor.pk if actor is not None else None, ticket_id])
        row = cursor.fetchone()
    if row is None:
        raise TicketNotFound()
    *values, matter_code, staffs_window = row
    ticket = _sql.from_row(Ticket, values)
    _attach(ticket, matter_code=matter_code)
    return ticket, bool(staffs_window)


# How soon a repeat of the same action by the same person is a double click (answered as done) rather than a
# mistake (a 409): two requests from one click arrive within a second or two.
DOUBLE_CLICK_SECONDS = 10


def _just_did(ticket: Ticket, actor: User, kind: str, now: datetime) -> bool:
    """Whether ``actor`` did ``kind`` to ``ticket`` a moment ago (its call event)."""
    return CallEvent.objects.filter(
        ticket=ticket,
        kind=kind,
        actor=actor,
        at__gte=now - timedelta(seconds=DOUBLE_CLICK_SECONDS),
        at__lte=now,
    ).exists()


def _check_ticket_actor(ticket: Ticket, actor: User, staffs_window: bool) -> None:
    """Only the clerk staffing the window that called the ticket (or the center's manager) acts on it."""
    if actor.role in SUPERVISING and (actor.role == Role.ADMIN or actor.center_id == ticket.center_id):
        return
    if actor.role not in STAFF_AT_WINDOW or actor.center_id != ticket.center_id:
        raise Forbidden()
    if ticket.called_window_id is None:
        raise WindowNotStaffed("该号码尚未被您的窗口呼叫", "This ticket was not called at your window")
    if not staffs_window:
        raise WindowNotStaffed()


# column names come from the model; every value is a parameter
_UPDATE_SQL = "UPDATE queueing_ticket SET {} WHERE id = %s"


def _write_with_event(
    ticket: Ticket,
    fields: list[str],
    kind: str,
    *,
    window: Window | None,
    actor: User | None,
    at: datetime,
    data: dict[str, Any] | None = None,
    audit: tuple[str, dict[str, Any] | None],
    leaves: Window | None = None,
    ip: str | None = None,
) -> int:
    """Save ``fields`` of ``ticket``, append its :class:`CallEvent` and write the audit entry ``audit``
    (action, data) that :func:`audit_log` would write for ``actor`` and the ticket (from ``ip``) — one statement
    on PostgreSQL, three elsewhere. ``leaves``: the window the ticket leaves, whose session no longer holds it.
    Returns the event's id."""
    qn = connection.ops.quote_name
    targets = [_sql.field(Ticket, name) for name in fields]
    update = _UPDATE_SQL.format(", ".join(f"{qn(str(f.column))} = %s" for f in targets))
    update_params = [f.get_db_prep_save(getattr(ticket, f.attname), connection) for f in targets]
    update_params.append(ticket.pk)
    event_params = [
        ticket.pk,
        ticket.center_id,
        str(kind),
        window.pk if window is not None else None,
        actor.pk if actor is not None else None,
        _sql.prep(CallEvent, "at", at),
        _sql.prep(CallEvent, "data", data or {}),
    ]
    action, audit_data = audit
    entry = audit_entry(actor=actor, action=action, obj=ticket, data=audit_data, ip=ip)
    release_params = [leaves.pk, ticket.pk] if leaves is not None else []
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(update, update_params)
            cursor.execute(f"{_EVENT_SQL} RETURNING id", event_params)
            event_id = int(cursor.fetchone()[0])
            if leaves is not None:
                cursor.execute(_RELEASE_BY_KEYS, release_params)
        audit_log_many([entry])
        return event_id
    audit_insert, audit_params = _sql.insert_parts([entry])
    release = f", r AS ({_RELEASE_BY_KEYS})" if leaves is not None else ""
    with connection.cursor() as cursor:
        _sql.execute(
            cursor,
            # the audit entry's INSERT is a CTE too: the statement answers the event's id
            f"WITH u AS ({update}), e AS ({_EVENT_SQL} RETURNING id){release},"  # noqa: S608 - fixed text; values are parameters
            f" a AS ({audit_insert}) SELECT id FROM e",
            [*update_params, *event_params, *release_params, *audit_params],
        )
        return int(cursor.fetchone()[0])


# The session of the window a ticket leaves no longer holds it (``WindowSession.current_ticket``); the window and
# the ticket are SQL expressions: parameters here, the finished ticket's columns in ``_FINISH_SQL``.
_RELEASE_SQL = (
    "UPDATE queueing_windowsession SET current_ticket_id = NULL"
    " WHERE window_id = {window} AND state <> 'closed' AND current_ticket_id = {ticket}"
)
_RELEASE_BY_KEYS = _RELEASE_SQL.format(window="%s", ticket="%s")


def window_release_ticket(*, window_id: int, ticket_id: int) -> None:
    """The open session of ``window_id`` no longer holds ``ticket_id``: for a ticket that leaves the window
    outside these services (``tickets_close_day``)."""
    with connection.cursor() as cursor:
        cursor.execute(_RELEASE_BY_KEYS, [window_id, ticket_id])


def ticket_recall(*, ticket_id: int, actor: User, now: datetime | None = None) -> Ticket:
    """重呼: announce the called ticket again."""
    now = now or timezone.now()
    with transaction.atomic():
        ticket, staffs_window = _lock_ticket(ticket_id, actor)
        _check_ticket_actor(ticket, actor, staffs_window)
        if ticket.state != Ticket.State.CALLED or ticket.called_window is None:
            raise TicketStateError(ticket=ticket)
        ticket.call_count += 1
        event_id = _write_with_event(
            ticket,
            ["call_count"],
            CallEvent.Kind.RECALL,
            window=ticket.called_window,
            actor=actor,
            at=now,
            data={"count": ticket.call_count},
            audit=("queueing.ticket.recall", {"count": ticket.call_count}),
        )
        _publish_call(ticket, ticket.called_window, "recall", now, event_id)
    return ticket


def ticket_start(*, ticket_id: int, actor: User, now: datetime | None = None) -> Ticket:
    """The resident arrived at the window: service time starts."""
    now = now or timezone.now()
    with transaction.atomic():
        ticket, staffs_window = _lock_ticket(ticket_id, actor)
        _check_ticket_actor(ticket, actor, staffs_window)
        if ticket.state != Ticket.State.CALLED:
            raise TicketStateError(ticket=ticket)
        ticket.state = Ticket.State.SERVING
        ticket.served_at = now
        _write_with_event(
            ticket,
            ["state", "served_at"],
            CallEvent.Kind.START,
            window=ticket.called_window,
            actor=actor,
            at=now,
            audit=("queueing.ticket.start", None),
        )
        _publish(ticket.center_id, _state_message(ticket))
    return ticket


def ticket_no_show(*, ticket_id: int, actor: User, now: datetime | None = None) -> Ticket:
    """过号: the called resident did not come. They may re-queue within the center's time limit."""
    now = now or timezone.now()
    with transaction.atomic():
        ticket, staffs_window = _lock_ticket(ticket_id, actor)
        _check_ticket_actor(ticket, actor, staffs_window)
        if ticket.state == Ticket.State.NO_SHOW and _just_did(ticket, actor, "no_show", now):
            return ticket  # a double click, answered as done
        if ticket.state != Ticket.State.CALLED:
            raise TicketStateError(ticket=ticket)
        ticket.state = Ticket.State.NO_SHOW
        ticket.finished_at = now
        _write_with_event(
            ticket,
            ["state", "finished_at"],
            CallEvent.Kind.NO_SHOW,
            window=ticket.called_window,
            actor=actor,
            at=now,
            audit=("queueing.ticket.no_show", {"number": ticket.number}),
            leaves=ticket.called_window,
        )
        _publish(ticket.center_id, _state_message(ticket))
    return ticket


def ticket_requeue(*, ticket_id: int, actor: User | None = None, now: datetime | None = None) -> Ticket:
    """A late arrival after 过号: back into the queue ``noshow_requeue_after`` places behind the head,
    if it comes back within ``noshow_requeue_minutes``; otherwise a new ticket is needed."""
    now = now or timezone.now()
    with transaction.atomic():
        ticket, _ = _lock_ticket(ticket_id)
        if actor is not None and (
            actor.role not in STAFF_AT_WINDOW
            or (actor.role != Role.ADMIN and actor.center_id != ticket.center_id)
        ):
            raise Forbidden()
        if ticket.state != Ticket.State.NO_SHOW:
            raise TicketStateError(ticket=ticket)
        rules = settings_for(ticket.center)
        if ticket.finished_at is None or now - ticket.finished_at > timedelta(
            minutes=rules.noshow_requeue_minutes
        ):
            raise RequeueExpired()
        line = list(
            Ticket.objects.filter(
                center_id=ticket.center_id,
                day=ticket.day,
                state=Ticket.State.WAITING,
                queue_id=ticket.queue_id,
            )
            .order_by("queued_at", "id")
            .values_list("queued_at", flat=True)[: rules.noshow_requeue_after]
        )
        if len(line) >= rules.noshow_requeue_after and rules.noshow_requeue_after > 0:
            queued_at = min(line[-1] + timedelta(microseconds=1), now)
        else:
            queued_at = now
        ticket.queued_at = queued_at
        _write_with_event(
            ticket,
            ["queued_at", *_wait_again(ticket, target_window=None)],
            CallEvent.Kind.REQUEUE,
            window=None,
            actor=actor,
            at=now,
            audit=("queueing.ticket.requeue", {"number": ticket.number}),
        )
        _publish(ticket.center_id, {"type": "waiting"})
    return ticket


def transfer_targets(
    center_id: int, *, queue_prefix: str = "", window_number: int | None = None
) -> tuple[Queue | None, Window | None]:
    """The queue and window a transfer names (by prefix and number, as a clerk says them), or a 404 that
    says which does not exist: "对象不存在" left the clerk guessing which of the two was wrong."""
    to_queue = to_window = None
    prefix = queue_prefix.strip().upper()
    if prefix:
        to_queue = Queue.objects.filter(center_id=center_id, prefix=prefix, active=True).first()
        if to_queue is None:
            raise NotFound(
                f"队列 {prefix} 不存在或已停用",
                f"Queue {prefix} does not exist or is inactive",
                code="queue.transfer_queue_not_found",
            )
    if window_number:
        to_window = Window.objects.filter(center_id=center_id, number=window_number, active=True).first()
        if to_window is None:
            raise NotFound(
                f"{window_number} 号窗口不存在或已停用",
                f"Window {window_number} does not exist or is inactive",
                code="queue.transfer_window_not_found",
            )
    return to_queue, to_window


def ticket_transfer(
    *,
    ticket_id: int,
    actor: User,
    to_queue: Queue | None = None,
    to_window: Window | None = None,
    now: datetime | None = None,
) -> Ticket:
    """Send the ticket to another queue and/or window; it keeps its number and its place in the line: its issue
    time, or a later ``queued_at`` it was given (a re-queued no-show's penalty, an early appointment's slot).

    Refused: a queue of the priority or appointment kind (both are given when the ticket is taken, on the
    grounds shown there; a transfer would grant them unasked), and the ticket's own queue without a window
    (a transfer to nowhere that only sent it back to the line)."""
    now = now or timezone.now()
    if to_queue is None and to_window is None:
        raise ValidationError(
            "请选择转移到的队列或窗口", "Choose a queue or a window", code="queue.transfer_target"
        )
    with transaction.atomic():
        ticket, staffs_window = _lock_ticket(ticket_id, actor)
        _check_ticket_actor(ticket, actor, staffs_window)
        if ticket.state not in ACTIVE_STATES:
            raise TicketStateError(ticket=ticket)
        if to_queue is not None and (to_queue.center_id != ticket.center_id or not to_queue.active):
            raise ValidationError("目标队列无效", "Invalid target queue", code="queue.transfer_target")
        if to_window is not None and (to_window.center_id != ticket.center_id or not to_window.active):
            raise ValidationError("目标窗口无效", "Invalid target window", code="queue.transfer_target")
        if to_queue is not None and to_queue.pk == ticket.queue_id:
            if to_window is None:
                raise ValidationError(
                    f"号码已在“{to_queue.name}”队列，请选择其他队列或窗口",
                    "The ticket is in this queue already; choose another queue or a window",
                    code="queue.transfer_target",
                )
            to_queue = None  # to a window of its own queue: a transfer to the window
        if to_queue is not None and to_queue.kind != Queue.Kind.NORMAL:
            raise ValidationError(
                f"不能转入“{to_queue.name}”：优先和预约只在取号、签到时按条件给予",
                "A ticket cannot be transferred into the priority or appointment queue: both are given only when"
                " the ticket is taken or the appointment checked in",
                code="queue.transfer_target",
            )
        if to_window is not None and (to_queue or ticket.queue).pk not in queue_ids_for_window(to_window):
            # it would wait for that window alone, which never calls from its queue: stranded, while its slip
            # says "next is you" (a reviewer sent a 居住证 ticket to a window serving no queue)
            raise ValidationError(
                f"{to_window.number} 号窗口不办理“{(to_queue or ticket.queue).name}”，请选择办理该业务的窗口或转到对应队列",
                f"Window {to_window.number} does not serve this queue; choose a window that does, or a queue",
                code="queue.transfer_target",
            )
        if to_window is not None and to_queue is None and to_window.pk == ticket.called_window_id:
            # it would only send the ticket back to the line, to be called here again
            raise ValidationError(
                "号码已在本窗口，请选择其他窗口或队列",
                "The ticket is at this window already; choose another window or a queue",
                code="queue.transfer_target",
            )
        from_window = ticket.called_window
        data: dict[str, Any] = {
            "from_queue": ticket.queue.prefix,
            "from_window": from_window.number if from_window else None,
        }
        if to_queue is not None:
            ticket.queue = to_queue
            data["to_queue"] = to_queue.prefix
        data["to_window"] = to_window.number if to_window else None
        # its place: the issue time, unless it was given a later one (a re-queued no-show behind the head, an
        # appointment checked in early queued at its slot's start), which it keeps
        ticket.queued_at = max(ticket.queued_at, ticket.issued_at)
        _write_with_event(
            ticket,
            ["queue", "queued_at", *_wait_again(ticket, target_window=to_window)],
            CallEvent.Kind.TRANSFER,
            window=from_window,
            actor=actor,
            at=now,
            data=data,
            audit=("queueing.ticket.transfer", data),
            leaves=from_window,
        )
        # back in the line, and gone from the window that had it (its screen)
        _publish(ticket.center_id, {"type": "waiting", "window": data["from_window"]})
    return ticket


def ticket_finish(
    *, ticket_id: int, actor: User, application_ids: list[int] | None = None, now: datetime | None = None
) -> Ticket:
    """办结: service over. Links the applications handled: those ``application_ids`` names (an API client's
    own list) and the cases the clerk opened at the window since the ticket was called, or handled for the
    resident whose appointment it is (:func:`_handled_since_call`), so that a rating of the service can be
    traced to its cases. The window's rating pad then invites a rating
    (``selectors.ticket_finished_recently``)."""
    now = now or timezone.now()
    if not application_ids and connection.vendor == "postgresql":
        finished = _finish_in_one_statement(ticket_id, actor, now)  # only where the clerk handled no case
        if finished is not None:
            return finished
        # refused: the steps below find the cases, or find out why, under the ticket's lock, and say so
    with transaction.atomic():
        ticket, staffs_window = _lock_ticket(ticket_id, actor)
        _check_ticket_actor(ticket, actor, staffs_window)
        if ticket.state == Ticket.State.FINISHED and _just_did(ticket, actor, "finish", now):
            # A double click, or a client retrying a finish whose answer it lost: the first finished it, and this
            # one is answered as done. The cases it names that are not linked yet are linked now, under the first
            # finish's rule (cases of the ticket's center; 400 for any other), and audited.
            if application_ids:
                _, added = _link_applications(ticket, application_ids, now)  # may refuse
                if added:
                    audit_log(
                        actor=actor,
                        action="queueing.ticket.link",
                        obj=ticket,
                        data={"number": ticket.number, "applications": added},
                    )
                # the first finish linked cases too: the answer reads every link, not only those named now
                ticket.linked_application_ids = None
            return ticket
        if ticket.state not in ACTIVE_STATES:
            raise TicketStateError(ticket=ticket)
        handled = _handled_since_call(ticket, actor)
        linked, _ = _link_applications(
            ticket, sorted({*(application_ids or []), *handled}), now
        )  # may refuse
        ticket.state = Ticket.State.FINISHED
        ticket.served_at = ticket.served_at or ticket.called_at
        ticket.finished_at = now
        _write_with_event(
            ticket,
            ["state", "served_at", "finished_at"],
            CallEvent.Kind.FINISH,
            window=ticket.called_window,
            actor=actor,
            at=now,
            data={"applications": linked},
            audit=("queueing.ticket.finish", {"number": ticket.number, "applications": linked}),
            leaves=ticket.called_window,
        )
        _publish_finish(ticket)
    return ticket


def _publish_finish(ticket: Ticket) -> None:
    window_number = ticket.called_window.number if ticket.called_window else None
    _publish(ticket.center_id, {"type": "finish", "ticket": ticket.pk, "window": window_number})


# PostgreSQL: a finish with no applications to link, in one statement (one round trip, no transaction around
# it): the ticket, its event, the audit entry ``audit_log`` writes for ``queueing.ticket.finish``
# (test_services_calling compares them) and the window's session, which no longer holds the ticket. The
# statement changes nothing unless the ticket is in hand and ``{actor}`` (``_actor_may_act``) holds.
_FINISH_SQL = (
    "WITH t AS (UPDATE queueing_ticket SET state = 'finished', served_at = COALESCE(served_at, called_at),"  # noqa: S608 - fixed text; every value is a parameter
    " finished_at = %s WHERE id = %s AND state IN ('called', 'serving'){actor}"
    # no case handled since the call (_handled_since_call): else the linking steps run instead
    " AND NOT EXISTS (SELECT 1 FROM applications_statuschange sc"
    " JOIN applications_application ap ON ap.id = sc.application_id AND ap.center_id = queueing_ticket.center_id"
    " WHERE sc.actor_id = %s AND sc.at >= queueing_ticket.called_at)"
    " RETURNING {columns}),"
    " e AS (INSERT INTO queueing_callevent (ticket_id, center_id, kind, window_id, actor_id, at, data)"
    " SELECT t.id, t.center_id, 'finish', t.called_window_id, %s, %s, %s FROM t),"
    " a AS (" + _AUDIT_INSERT + " SELECT NULL, %s, %s, %s::text, 'queueing.ticket.finish', 'queueing.ticket',"
    " t.id::text, jsonb_build_object('number', t.number, 'applications', '[]'::jsonb), NULL, NULL, NULL FROM t),"
    " w AS ("
    + _RELEASE_SQL.format(window="(SELECT called_window_id FROM t)", ticket="(SELECT id FROM t)")
    + ")"
    " SELECT {t_columns}, (SELECT code FROM catalog_matter WHERE id = t.matter_id) FROM t"
)
_STAFFS_CALLING_WINDOW = (
    " AND EXISTS (SELECT 1 FROM queueing_windowsession s"
    " WHERE s.window_id = queueing_ticket.called_window_id AND s.clerk_id = %s AND s.state <> 'closed')"
)


def _actor_may_act(actor: User) -> tuple[str, list[Any]] | None:
    """``_check_ticket_actor`` as a condition on the ticket and its parameters: an admin; the center's manager;
    a clerk of the center staffing the window that called it. ``None`` for anyone else."""
    if actor.role == Role.ADMIN:
        return "", []
    if actor.role == Role.MANAGER:
        return " AND center_id = %s", [actor.center_id]
    if actor.role == Role.CLERK:
        return " AND center_id = %s" + _STAFFS_CALLING_WINDOW, [actor.center_id, actor.pk]
    return None


def _finish_in_one_statement(ticket_id: int, actor: User, now: datetime) -> Ticket | None:
    """The finished ticket, or ``None`` if the statement was refused (see ``_FINISH_SQL``)."""
    may_act = _actor_may_act(actor)
    if may_act is None:
        return None
    condition, actor_params = may_act
    sql = _FINISH_SQL.format(
        actor=condition, columns=_sql.columns(Ticket), t_columns=_sql.columns(Ticket, "t")
    )
    params = [
        _sql.prep(Ticket, "finished_at", now),
        ticket_id,
        *actor_params,
        actor.pk,  # the cases it handled (NOT EXISTS)
        actor.pk,
        _sql.prep(CallEvent, "at", now),
        _sql.prep(CallEvent, "data", {"applications": []}),
        _sql.prep(AuditEntry, "at", now),
        actor.pk,
        actor.username,
    ]
    with connection.cursor() as cursor:
        _sql.execute(cursor, sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    *values, matter_code = row
    ticket = _sql.from_row(Ticket, values)
    _attach(ticket, matter_code=matter_code)
    ticket.linked_application_ids = []  # the statement finishes only a ticket with no case to link
    _publish_finish(ticket)
    return ticket


def _handled_since_call(ticket: Ticket, actor: User) -> list[int]:
    """The cases ``actor`` handled for the person holding ``ticket``, as far as the history can tell: of the
    center's cases whose history has an entry by ``actor`` since the ticket was called (the history's
    (actor, at) index), those that began then (an intake at the window is for the person at it) and those
    of the resident whose appointment the ticket is. A clerk who also records a supplement for someone else's
    case while a ticket is called does not give that case to this ticket, whose rating would then go to the
    wrong case and department; an API client names such cases itself. One statement; none for a ticket not
    called. ``_FINISH_SQL`` asks for any entry at all in its ``NOT EXISTS`` (a superset: it then defers here)."""
    from tongban.applications.models import StatusChange

    if ticket.called_at is None:
        return []
    began_before = StatusChange.objects.filter(
        application_id=OuterRef("application_id"), at__lt=ticket.called_at
    )
    mine = Q(began_before=False)
    resident_id = (
        Appointment.objects.filter(pk=ticket.appointment_id).values_list("resident_id", flat=True).first()
        if ticket.appointment_id
        else None
    )
    if resident_id is not None:
        mine |= Q(application__applicant_id=resident_id)
    return list(
        StatusChange.objects.filter(
            actor=actor, at__gte=ticket.called_at, application__center_id=ticket.center_id
        )
        .annotate(began_before=Exists(began_before))
        .filter(mine)
        .values_list("application_id", flat=True)
        .distinct()
    )


def _link_applications(
    ticket: Ticket, application_ids: list[int], now: datetime
) -> tuple[list[int], list[int]]:
    """Record which applications were handled for the ticket (same center only): those named, and of them
    those linked only now. The ticket keeps the ids named in ``linked_application_ids``."""
    from tongban.applications.models import Application

    if not application_ids:
        ticket.linked_application_ids = []
        return [], []
    wanted = sorted(set(application_ids))
    found = list(
        Application.objects.filter(pk__in=wanted, center_id=ticket.center_id).values_list("pk", flat=True)
    )
    missing = sorted(set(wanted) - set(found))
    if missing:
        raise ValidationError(
            "办件不存在或不属于本中心",
            "Unknown application or not of this center",
            code="queue.application_unknown",
            details={"applications": missing},
        )
    already = set(TicketApplication.objects.filter(ticket=ticket).values_list("application_id", flat=True))
    added = sorted(pk for pk in found if pk not in already)
    TicketApplication.objects.bulk_create(
        [TicketApplication(ticket=ticket, application_id=pk, linked_at=now) for pk in added]
    )
    ticket.linked_application_ids = sorted(found)
    return sorted(found), added


# --- live updates ----------------------------------------------------------------------------


def _publish(center_id: int, message: dict[str, Any]) -> None:
    transaction.on_commit(lambda: live.publish_center_event(center_id, message))


def _state_message(ticket: Ticket) -> dict[str, Any]:
    """A called ticket's state changed (started, no-show) at its window: the window's screen follows it."""
    window = ticket.called_window
    return {"type": "state", "ticket": ticket.pk, "window": window.number if window is not None else None}


def call_message(
    *, kind: str, event_id: int, ticket_id: int, number: str, window_number: int, at: datetime
) -> dict[str, Any]:
    """A call's or recall's live message, as published and as replayed to a reconnecting display
    (``selectors.calls_since``): the display tells one call from another by its ``event`` (the call event's
    id, which the stream also gives as the message's id)."""
    return {
        "type": str(kind),
        "event": event_id,
        "ticket": ticket_id,
        "number": number,
        "window": window_number,
        "at": at.isoformat(),
        "text": announcement_text(number, window_number),
    }


def _publish_call(ticket: Ticket, window: Window, kind: str, now: datetime, event_id: int) -> None:
    _publish(
        ticket.center_id,
        call_message(
            kind=kind,
            event_id=event_id,
            ticket_id=ticket.pk,
            number=ticket.number,
            window_number=window.number,
            at=now,
        ),
    )


def _dispatch_ahead_notice(center_id: int) -> None:
    from tongban.queueing.tasks import notify_ahead

    transaction.on_commit(lambda: notify_ahead.delay(center_id))

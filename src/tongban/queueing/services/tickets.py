"""Issuing tickets (取号) at the ticket machine, and the daily close of unserved tickets."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Max
from django.utils import timezone

from tongban.accounts import throttle
from tongban.catalog.models import Bundle, BundleItem, Center, Matter
from tongban.core import sql as _sql
from tongban.core.audit import audit_log
from tongban.core.cache import ConfigCache
from tongban.queueing import live
from tongban.queueing.errors import (
    AppointmentNotFound,
    CheckInLocked,
    HallClosed,
    InvalidIdNumber,
    InvalidTicketRequest,
    NotATicketMachine,
    NotElderly,
    PriorityNotAllowed,
    QueueNotFound,
    TicketNotCancellable,
)
from tongban.queueing.models import (
    CallEvent,
    DailyCounter,
    PriorityReason,
    Queue,
    QueueSettings,
    Ticket,
    WindowSession,
    numbered_with,
)
from tongban.queueing.rules import (
    age_on,
    birth_date,
    config_cache,
    enabled_reasons,
    hall_status,
    settings_for,
    ticket_machine_allowed,
)
from tongban.queueing.services.calling import _lock_ticket, _write_with_event, window_release_ticket

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IssuedTicket:
    ticket: Ticket
    waiting_before: int
    estimated_wait_minutes: int


def format_number(prefix: str, seq: int) -> str:
    return f"{prefix}{seq:03d}"


_NEXT_SEQ_SQL = "UPDATE queueing_dailycounter SET last_seq = last_seq + 1 WHERE queue_id = %s AND day = %s RETURNING last_seq"


def _highest_seq(queue: Queue, day: date) -> int:
    """Where a day's counter starts: 0, or the highest number already present if tickets were imported
    without a counter (e.g. generated history), so numbers still never repeat."""
    # its own numbers only: a ticket transferred in from another queue keeps that queue's number
    found = Ticket.objects.filter(
        numbered_with(queue.prefix), center_id=queue.center_id, day=day, queue=queue
    ).aggregate(top=Max("seq"))["top"]
    return int(found or 0)


def _next_seq(queue: Queue, day: date) -> int:
    """Lock the day's counter row and take the next number (gapless: same transaction as the insert).
    One round trip: ``UPDATE … RETURNING`` (PostgreSQL, SQLite ≥ 3.35)."""
    with connection.cursor() as cursor:
        cursor.execute(_NEXT_SEQ_SQL, [queue.pk, day])
        row = cursor.fetchone()
        if row is not None:
            return int(row[0])
    start = _highest_seq(queue, day)
    try:
        with transaction.atomic():
            DailyCounter.objects.create(queue=queue, day=day, last_seq=start + 1)
        return start + 1
    except IntegrityError:
        # another transaction created the row first; its row lock now orders us after it
        with connection.cursor() as cursor:
            cursor.execute(_NEXT_SEQ_SQL, [queue.pk, day])
            return int(cursor.fetchone()[0])


_INSERT_FIELDS = (
    "center",
    "queue",
    "day",
    "state",
    "priority_reason",
    "matter",
    "bundle",
    "appointment",
    "target_window",
    "queued_at",
    "issued_at",
    "call_count",
    "notify_phone",
)


_NUMBERED_INSERT_SQL = (
    "WITH c AS (UPDATE queueing_dailycounter SET last_seq = last_seq + 1"
    " WHERE queue_id = %s AND day = %s RETURNING last_seq)"
    " INSERT INTO queueing_ticket ({columns}, seq, number)"
    " SELECT {placeholders}, c.last_seq,"
    " %s || CASE WHEN c.last_seq < 1000 THEN lpad(c.last_seq::text, 3, '0') ELSE c.last_seq::text END"
    " FROM c RETURNING id, seq, number"
)


_numbered: tuple[str, list[Any]] | None = None


def _numbered_insert() -> tuple[str, list[Any]]:
    """The statement and its fields for this model (column names from its metadata), built once."""
    global _numbered
    if _numbered is None:
        fields = [_sql.field(Ticket, name) for name in _INSERT_FIELDS]
        columns = ", ".join(connection.ops.quote_name(str(f.column)) for f in fields)
        placeholders = ", ".join(["%s"] * len(fields))
        _numbered = (_NUMBERED_INSERT_SQL.format(columns=columns, placeholders=placeholders), fields)
    return _numbered


def _execute_numbered(sql: str, params: list[Any], queue: Queue, day: date) -> tuple[Any, ...]:
    """Run a statement that numbers from the queue's day counter (``UPDATE … RETURNING`` in a ``WITH``) and
    return its row. The first ticket of the day finds no counter row: create it, then go again."""
    with connection.cursor() as cursor:
        _sql.execute(cursor, sql, params)
        row = cursor.fetchone()
        if row is None:
            try:
                with transaction.atomic():
                    DailyCounter.objects.create(queue=queue, day=day, last_seq=_highest_seq(queue, day))
            except IntegrityError:
                pass  # created concurrently; its lock orders us
            _sql.execute(cursor, sql, params)
            row = cursor.fetchone()
    return tuple(row)


def _insert_numbered(ticket: Ticket) -> None:
    """Give ``ticket`` the next number of its queue's day and insert it, atomically.

    PostgreSQL: one statement — ``WITH c AS (UPDATE counter … RETURNING) INSERT … SELECT … FROM c``. It
    is atomic on its own, so outside a transaction it needs no BEGIN/COMMIT round trips, and the
    counter's row lock (which orders every ticket of the queue) is held for that statement only (inside
    the caller's transaction: until its COMMIT). Elsewhere (SQLite: writers are serialised anyway) the
    ORM does the same in two statements inside a transaction."""
    if connection.vendor != "postgresql":
        with transaction.atomic(savepoint=False):
            ticket.seq = _next_seq(ticket.queue, ticket.day)
            ticket.number = format_number(ticket.queue.prefix, ticket.seq)
            ticket.save(force_insert=True)
        return
    # column names come from the model's metadata; every value is a parameter
    sql, fields = _numbered_insert()
    values = [f.get_db_prep_save(getattr(ticket, f.attname), connection) for f in fields]
    params = [ticket.queue.pk, ticket.day, *values, ticket.queue.prefix]
    row = _execute_numbered(sql, params, ticket.queue, ticket.day)
    ticket.pk, ticket.seq, ticket.number = row[0], row[1], row[2]
    ticket._state.adding = False
    ticket._state.db = connection.alias


def _queue_by_prefix(center: Center, prefix: str) -> Queue:
    key = ("queue", center.pk, prefix.upper())
    found = config_cache.get(
        key, lambda: Queue.objects.filter(center=center, prefix=key[2], active=True).first()
    )
    if found is None:
        raise QueueNotFound(f"队列 {prefix} 不存在或已停用", f"Queue {prefix} does not exist or is inactive")
    return found


def _default_queue(center: Center, kind: str = Queue.Kind.NORMAL) -> Queue | None:
    """The first active queue of ``kind`` (cached like the rules: every priority ticket asks)."""
    return config_cache.get(
        ("default-queue", center.pk, str(kind)),
        lambda: (
            Queue.objects.filter(center=center, kind=kind, active=True).order_by("order", "prefix").first()
        ),
    )


def _queue_for_matter(center: Center, matter: Matter) -> Queue:
    found = None
    if matter.group_id:
        group_id = matter.group_id
        found = config_cache.get(
            ("group-queue", center.pk, group_id),
            lambda: (
                Queue.objects.filter(
                    center=center, active=True, kind=Queue.Kind.NORMAL, matter_groups=group_id
                )
                .order_by("order", "prefix")
                .first()
            ),
        )
    found = found or _default_queue(center)
    if found is None:
        raise QueueNotFound()
    return found


def _resolve_priority(rules: QueueSettings, reason: str, id_number: str, today: date) -> str:
    """The priority reason to record. Elderly is checked against the ID number; the other groups are
    declared at the machine and verified at the window (documents)."""
    if id_number and not reason:
        # an ID card read at the machine gives the elderly priority without asking
        if age_on(id_number, today) >= rules.elderly_age and PriorityReason.ELDERLY in enabled_reasons(rules):
            return str(PriorityReason.ELDERLY)
        return ""
    if not reason:
        return ""
    if reason not in enabled_reasons(rules):
        raise PriorityNotAllowed()
    if reason == PriorityReason.ELDERLY:
        if not id_number:
            raise NotElderly("老年人优先需刷身份证或输入身份证号", "Elderly priority needs the ID number")
        if age_on(id_number, today) < rules.elderly_age:
            raise NotElderly(
                f"老年人优先适用于{rules.elderly_age}周岁及以上",
                f"Elderly priority applies from age {rules.elderly_age}",
            )
    return reason


def ticket_issue(
    *,
    center: Center,
    queue: str | None = None,
    matter: str | None = None,
    bundle: str | None = None,
    appointment_code: str | None = None,
    id_number: str = "",
    priority_reason: str = "",
    notify_phone: str = "",
    client_ip: str | None = None,
    now: datetime | None = None,
) -> IssuedTicket:
    """Issue the next number in a queue (chosen directly, by matter, by bundle, or by checking in an
    appointment by code or ID number). Enforces the center's ticket machine networks (``client_ip``: the
    requester's address, "" when unknown; ``None`` only for callers that are not a request, e.g. the demo
    loader), opening hours and the priority rules."""
    now = now or timezone.now()
    rules = settings_for(center)
    if client_ip is not None and not ticket_machine_allowed(rules, client_ip):
        log.warning(
            "queue: ticket refused to %s, outside the ticket machine networks of center %s",
            client_ip,
            center.pk,
        )
        raise NotATicketMachine()
    chosen = [x for x in (queue, matter, bundle, appointment_code) if x]
    # The priority lane (优先通道): a reason and no queue; the priority queue takes it (the ID number then
    # proves the age of an elderly resident, it is not an appointment check-in).
    lane = bool(priority_reason) and not chosen
    if len(chosen) > 1 or (not chosen and not id_number and not lane):
        raise InvalidTicketRequest()
    status = hall_status(center, now)
    if not status.open:
        raise hall_closed_error(status.next_open)
    today = timezone.localdate(now)
    id_number = "".join(id_number.split()).upper()

    if appointment_code or (id_number and not chosen and not lane):
        ticket = _check_in(
            center=center,
            code=appointment_code or "",
            id_number=id_number,
            notify_phone=notify_phone,
            client_ip=client_ip,
            now=now,
            rules=rules,
        )
        target = ticket.queue
    else:
        reason = _resolve_priority(rules, priority_reason, id_number, today)
        matter_obj: Matter | None = None
        bundle_obj: Bundle | None = None
        if queue:
            target = _queue_by_prefix(center, queue)
            # the appointment and priority queues are entered by check-in and with a reason, not chosen:
            # a Y or V number taken like any other jumps the line the fair order protects
            if target.kind == Queue.Kind.APPOINTMENT:
                raise InvalidTicketRequest(
                    "预约号须凭预约码或身份证签到领取",
                    "Appointment numbers come from checking in with the code",
                    code="queue.appointment_queue",
                )
            if target.kind == Queue.Kind.PRIORITY and not reason:
                raise InvalidTicketRequest(
                    "优先号须选择优先原因",
                    "A priority number needs a priority reason",
                    code="queue.priority_reason",
                )
        elif matter:
            matter_obj = Matter.objects.filter(code=matter, active=True).first()
            if matter_obj is None:
                raise QueueNotFound("事项不存在", "Unknown matter")
            target = _queue_for_matter(center, matter_obj)
        elif lane:
            target = _default_queue(center, Queue.Kind.PRIORITY) or _default_queue(center) or _raise()
        else:
            bundle_obj = Bundle.objects.filter(code=bundle, active=True).first()
            if bundle_obj is None:
                raise QueueNotFound("一件事不存在", "Unknown bundle")
            item = (
                BundleItem.objects.filter(bundle=bundle_obj)
                .select_related("matter")
                .order_by("order")
                .first()
            )
            target = _queue_for_matter(center, item.matter) if item else _default_queue(center) or _raise()
        if reason and target.kind == Queue.Kind.NORMAL:
            target = _default_queue(center, Queue.Kind.PRIORITY) or target
        if connection.vendor == "postgresql":
            # The only write, atomic by itself (no transaction of its own), and the position counted in the
            # same statement.
            ticket, ahead = _issue_counted(
                center=center,
                queue=target,
                day=today,
                reason=reason,
                matter=matter_obj,
                bundle=bundle_obj,
                now=now,
                notify_phone=notify_phone,
                rules=rules,
            )
            center_id = center.pk
            transaction.on_commit(lambda: live.publish_waiting(center_id))
            return IssuedTicket(ticket, ahead, estimate_wait_minutes(center, ahead, queue=target, now=now))
        ticket = Ticket(
            center=center,
            queue=target,
            day=today,
            priority_reason=reason,
            matter=matter_obj,
            bundle=bundle_obj,
            queued_at=now,
            issued_at=now,
            notify_phone=notify_phone,
        )
        # The only write, and atomic by itself (one statement on PostgreSQL): no transaction of its own.
        _insert_numbered(ticket)
    # Not in the audit chain: an anonymous machine's ticket has no actor and no personal data, and the
    # ticket row with its gapless (queue, day, seq) is itself the record (docs/architecture.md, "Queue").
    # Check-ins (personal data) are audited by ``claim_for_check_in``.
    center_id = center.pk
    transaction.on_commit(lambda: live.publish_waiting(center_id))

    ahead = tickets_ahead(ticket, rules=rules, now=now)
    return IssuedTicket(ticket, ahead, estimate_wait_minutes(center, ahead, queue=target, now=now))


# Checking in by code or ID number tells whether an appointment exists: check-ins that find nothing (a code or an
# ID number with no appointment, or no valid ID number) are counted per client address, and past the limit the
# address waits (the count's window). Those only: one hall kiosk checks in every resident with an appointment,
# and turns away many who are early or on the wrong day; plain tickets are never counted (nor read: the hot
# path). Only where the endpoint is open to any address: a center that lists its ticket machines' networks
# hears only its own machines here.
CHECKIN_FAILURES = throttle.Window("queue-checkin", limit=20, seconds=900)


def _check_in(
    *,
    center: Center,
    code: str,
    id_number: str,
    notify_phone: str,
    client_ip: str | None,
    now: datetime,
    rules: QueueSettings,
) -> Ticket:
    """The ticket of today's appointment found by ``code`` or ``id_number``, checked in. ``client_ip`` None (not
    a request: the demo loader) is not counted, nor a center's own machines (:data:`CHECKIN_FAILURES`)."""
    from tongban.queueing.services.appointments import claim_for_check_in

    counted = None if rules.kiosk_networks else client_ip  # the address counted, if any
    if counted is not None:
        wait = throttle.retry_after(CHECKIN_FAILURES, counted)
        if wait:
            log.warning("queue: check-in refused to %s after repeated failures", counted)
            minutes = math.ceil(wait / 60)
            raise CheckInLocked(
                f"这台取号机签到失败次数过多，请{minutes}分钟后再试，或到咨询台请工作人员帮助签到；也可以普通取号",
                f"Too many failed check-ins at this machine: try again in {minutes} minutes, ask at the help desk,"
                " or take a regular ticket",
                retry_after=wait,
            )
    try:
        if id_number and not code:
            birth_date(id_number)  # a mistyped ID number says so, rather than "no appointment found"
        # a check-in writes the appointment, its audit entry and the ticket: one transaction
        with transaction.atomic():
            appointment = claim_for_check_in(
                center=center, code=code, id_number=id_number, now=now, rules=rules
            )
            ticket = Ticket(
                center=center,
                queue=appointment.slot.queue,
                day=timezone.localdate(now),
                priority_reason=str(PriorityReason.APPOINTMENT),
                matter=appointment.matter,
                appointment=appointment,
                # served with priority inside its slot: an early arrival waits as a normal ticket until then
                queued_at=max(now, appointment.slot.starts_at),
                issued_at=now,
                notify_phone=notify_phone,
            )
            _insert_numbered(ticket)
    except (AppointmentNotFound, InvalidIdNumber):
        # only what a guess looks like: nothing found, or no ID number at all. A resident too early, on the
        # wrong day or with a lost slip was found: a morning of those is no guessing, and locked the machine
        if counted is not None:
            throttle.hit(CHECKIN_FAILURES, counted)
        raise
    return ticket


def _raise() -> Queue:
    raise QueueNotFound()


def hall_closed_error(next_open: datetime | None) -> HallClosed:
    if next_open is None:
        return HallClosed()
    local = timezone.localtime(next_open)
    shown = local.strftime("%m月%d日 %H:%M")
    return HallClosed(
        f"服务中心当前不在开放时间，将于{shown}开放；24小时自助服务区可自助办理",
        f"The center is closed; it opens at {local:%Y-%m-%d %H:%M}. The 24-hour self-service area is open.",
        details={"opens_at": local.isoformat()},
    )


# Counted up to this many: the line's front is what a resident plans by, and counting on to the end of a very
# long line would make every ticket cost more as the hall fills up. The API and the ticket machine say "N or more".
WAITING_BEFORE_CAP = 500

# The count below, written out: the ticket machine runs it for every ticket, and building it with the ORM
# cost more CPU than the count itself. Same predicate as the fair order (rules.py): the priority class is
# "a priority reason whose time has come, or waited past the boost"; within a class, earlier queued_at
# (ties: lower id) goes first. It is split into two disjoint parts that each walk one index of the line
# (``ticket_day_state_line_idx``'s waiting range, ``ticket_line_priority_idx``) from its front and stop at the cap:
# * a ticket outside the priority class has ahead of it every earlier ticket, and the priority tickets
#   whose time has come that were queued after it (a later ticket cannot be boosted: it waited less);
# * a ticket in the priority class has ahead of it the earlier priority tickets whose time has come, and
#   the earlier normal tickets that waited past the boost.
_LINE = "FROM queueing_ticket WHERE center_id = %s AND day = %s AND state = 'waiting' AND id <> %s"
_EARLIER = "queued_at <= %s AND (queued_at < %s OR id < %s)"
_LATER = "queued_at >= %s AND (queued_at > %s OR id > %s)"
_PART = "(SELECT COUNT(*) FROM (SELECT 1 {line} AND {where} LIMIT {cap}) p)"
_AHEAD_NORMAL_SQL = "SELECT {a}, {b}".format(
    a=_PART.format(line=_LINE, where=_EARLIER, cap=WAITING_BEFORE_CAP),
    b=_PART.format(
        line=_LINE, where=f"priority_reason <> '' AND queued_at <= %s AND {_LATER}", cap=WAITING_BEFORE_CAP
    ),
)
_AHEAD_IN_CLASS_SQL = "SELECT {a}, {b}".format(
    a=_PART.format(
        line=_LINE, where=f"priority_reason <> '' AND queued_at <= %s AND {_EARLIER}", cap=WAITING_BEFORE_CAP
    ),
    b=_PART.format(
        line=_LINE, where=f"priority_reason = '' AND queued_at <= %s AND {_EARLIER}", cap=WAITING_BEFORE_CAP
    ),
)


def tickets_ahead(ticket: Ticket, *, rules: QueueSettings | None = None, now: datetime | None = None) -> int:
    """Waiting tickets the fair call order puts before ``ticket`` (center-wide: comprehensive windows
    serve every queue), up to :data:`WAITING_BEFORE_CAP`. Two bounded index walks, one statement."""
    now = now or timezone.now()
    rules = rules or settings_for(ticket.center)
    boost = now - timedelta(minutes=rules.max_wait_boost_minutes)
    in_priority = (ticket.priority_reason and ticket.queued_at <= now) or ticket.queued_at <= boost
    ops = connection.ops
    line = [ticket.center_id, ops.adapt_datefield_value(ticket.day), ticket.pk]
    mine = [ops.adapt_datetimefield_value(ticket.queued_at)] * 2 + [ticket.pk]
    at_now = ops.adapt_datetimefield_value(now)
    if in_priority:
        sql = _AHEAD_IN_CLASS_SQL
        params = [*line, at_now, *mine, *line, ops.adapt_datetimefield_value(boost), *mine]
    else:
        sql = _AHEAD_NORMAL_SQL
        params = [*line, *mine, *line, at_now, *mine]
    with connection.cursor() as cursor:
        _sql.execute(cursor, sql, params)
        first, second = cursor.fetchone()
    return min(int(first) + int(second), WAITING_BEFORE_CAP)


# The ticket machine's statement (PostgreSQL): the position count, then the number and the row, in one round
# trip. The count (``a``, MATERIALIZED) is read before the UPDATE takes the counter's row lock, which orders every
# ticket of the queue until COMMIT, so the count does not lengthen that critical section. It is the count of
# :func:`tickets_ahead` for a ticket queued now that is not inserted yet: every row the statement can see got
# its id before this one, so the id tie-breaks of that count are settled ("earlier" is ``queued_at <= mine``,
# "later" is ``queued_at > mine``). test_services_tickets holds the two counts equal.
_NEW_LINE = "FROM queueing_ticket WHERE center_id = %s AND day = %s AND state = 'waiting'"
_NEW_AHEAD_NORMAL = (
    _PART.format(line=_NEW_LINE, where="queued_at <= %s", cap=WAITING_BEFORE_CAP),
    _PART.format(
        line=_NEW_LINE,
        where="priority_reason <> '' AND queued_at <= %s AND queued_at > %s",
        cap=WAITING_BEFORE_CAP,
    ),
)
_NEW_AHEAD_IN_CLASS = (
    _PART.format(
        line=_NEW_LINE,
        where="priority_reason <> '' AND queued_at <= %s AND queued_at <= %s",
        cap=WAITING_BEFORE_CAP,
    ),
    _PART.format(
        line=_NEW_LINE,
        where="priority_reason = '' AND queued_at <= %s AND queued_at <= %s",
        cap=WAITING_BEFORE_CAP,
    ),
)
_COUNTED_INSERT_SQL = (
    "WITH a AS MATERIALIZED (SELECT {first} AS n1, {second} AS n2),"
    " c AS (UPDATE queueing_dailycounter SET last_seq = last_seq + 1 FROM a"
    " WHERE queue_id = %s AND day = %s RETURNING last_seq, a.n1 + a.n2 AS ahead),"
    " t AS (INSERT INTO queueing_ticket ({columns}, seq, number)"
    " SELECT {placeholders}, c.last_seq,"
    " %s || CASE WHEN c.last_seq < 1000 THEN lpad(c.last_seq::text, 3, '0') ELSE c.last_seq::text END"
    " FROM c RETURNING id, seq, number)"
    " SELECT t.id, t.seq, t.number, c.ahead FROM t, c"
)
_counted: dict[bool, str] = {}
_INSERT_ATTNAMES = [str(_sql.field(Ticket, name).attname) for name in _INSERT_FIELDS]
_NOTIFY_PHONE = _sql.field(Ticket, "notify_phone")
assert _INSERT_FIELDS[-1] == "notify_phone"  # _issue_counted puts it in encrypted, last
_TICKET_ATTNAMES = [str(f.attname) for f in Ticket._meta.concrete_fields]


def _counted_insert(in_priority: bool) -> str:
    found = _counted.get(in_priority)
    if found is None:
        _, fields = _numbered_insert()
        first, second = _NEW_AHEAD_IN_CLASS if in_priority else _NEW_AHEAD_NORMAL
        found = _counted[in_priority] = _COUNTED_INSERT_SQL.format(
            first=first,
            second=second,
            columns=", ".join(connection.ops.quote_name(str(f.column)) for f in fields),
            placeholders=", ".join(["%s"] * len(fields)),
        )
    return found


def _issue_counted(
    *,
    center: Center,
    queue: Queue,
    day: date,
    reason: str,
    matter: Matter | None,
    bundle: Bundle | None,
    now: datetime,
    notify_phone: str,
    rules: QueueSettings,
) -> tuple[Ticket, int]:
    """PostgreSQL: insert the next ticket of ``queue``, queued now, and count the line ahead of it, in one
    statement (:data:`_COUNTED_INSERT_SQL`). The values go in as they are (the columns
    of :data:`_INSERT_FIELDS`, in order) and the ``Ticket`` is built from them afterwards: preparing them
    field by field and building the model from keyword arguments cost more CPU than the statement."""
    line = [center.pk, day]
    boost = now - timedelta(minutes=rules.max_wait_boost_minutes)
    in_priority = bool(reason) or now <= boost  # queued now: a priority ticket's time has come
    if in_priority:
        count = [*line, now, now, *line, boost, now]
    else:
        count = [*line, now, *line, now, now]
    matter_id = matter.pk if matter else None
    bundle_id = bundle.pk if bundle else None
    values = [center.pk, queue.pk, day, Ticket.State.WAITING.value, reason, matter_id, bundle_id, None, None]
    values += [now, now, 0, notify_phone]
    sql = _counted_insert(in_priority)
    # personal data, encrypted at rest like every phone (the other values go in as they are)
    stored_phone = _NOTIFY_PHONE.get_db_prep_save(notify_phone, connection) if notify_phone else ""
    params = [*count, queue.pk, day, *values[:-1], stored_phone, queue.prefix]
    pk, seq, number, ahead = _execute_numbered(sql, params, queue, day)
    known = dict(zip(_INSERT_ATTNAMES, values, strict=True))
    known.update(id=pk, seq=seq, number=number)
    # positional, as a row read from the database is built: a quarter of the CPU of keyword arguments
    ticket = Ticket.from_db(connection.alias, _TICKET_ATTNAMES, [known.get(n) for n in _TICKET_ATTNAMES])
    Ticket.center.field.set_cached_value(ticket, center)
    Ticket.queue.field.set_cached_value(ticket, queue)
    Ticket.matter.field.set_cached_value(ticket, matter)
    Ticket.bundle.field.set_cached_value(ticket, bundle)
    return ticket, min(int(ahead), WAITING_BEFORE_CAP)


# The wait estimate's inputs per center, refreshed every 30 s by one thread of each process (the others
# go on with the old figures meanwhile, core/cache.py).
ESTIMATE_TTL = 30.0
_estimate_cache = ConfigCache(ESTIMATE_TTL)
# How many of the last two hours' services the average reads, newest first: a bounded read through the
# call events' (center, kind, at) index, whatever the day's volume (the whole day's tickets, before: a
# 100–400 ms scan every 30 s in the queue bench, where a day holds hundreds of thousands).
ESTIMATE_SAMPLE = 200
# Below this many services the average is not trusted alone: one long or one quick service made the slips
# swing (4 ahead: 32 minutes, then 9 ahead: 5). It is blended with the queue's own default, weighted by the
# number of services seen: 1 service counts a tenth, 10 or more count alone.
ESTIMATE_MIN_SAMPLE = 10


@dataclass(frozen=True)
class EstimateInputs:
    average: float | None  # minutes per service over the sample; None with no service in two hours
    services: int  # how many services the average is over
    windows: int  # windows open now, at least 1


def _estimate_inputs(center: Center, now: datetime) -> EstimateInputs:
    """The recent services and the windows open now, for the center's wait estimates. Two queries."""
    since = now - timedelta(hours=2)
    # The newest finishes first, each joined to its ticket by key, and the average taken over those: the
    # ordered, limited read of the call events drives the join on any table size (a ``pk IN (…)`` form
    # let the planner walk every finished ticket of the table instead, test_concurrency_pg).
    recent = (
        CallEvent.objects.filter(
            center=center,
            kind=CallEvent.Kind.FINISH,
            at__gte=since,
            ticket__state=Ticket.State.FINISHED,
            ticket__served_at__isnull=False,
        )
        .order_by("-at")
        .annotate(
            duration=ExpressionWrapper(
                F("ticket__finished_at") - F("ticket__served_at"), output_field=DurationField()
            )
        )[:ESTIMATE_SAMPLE]
    )
    found = recent.aggregate(avg=Avg("duration"), n=Count("pk"))
    avg = found["avg"]
    windows = WindowSession.objects.filter(window__center=center, state=WindowSession.State.OPEN).count()
    return EstimateInputs(
        average=avg.total_seconds() / 60 if avg is not None else None,
        services=int(found["n"] or 0) if avg is not None else 0,
        windows=max(windows, 1),
    )


def service_minutes(inputs: EstimateInputs, default: float) -> float:
    """Minutes per service for an estimate: the recent average, blended with ``default`` (the queue's) while
    fewer than :data:`ESTIMATE_MIN_SAMPLE` services stand behind it; at least a minute."""
    seen = min(inputs.services, ESTIMATE_MIN_SAMPLE)
    minutes = default
    if inputs.average is not None and seen > 0:
        minutes = (seen * inputs.average + (ESTIMATE_MIN_SAMPLE - seen) * default) / ESTIMATE_MIN_SAMPLE
    return max(minutes, 1.0)


def estimate_wait_minutes(center: Center, ahead: int, *, queue: Queue, now: datetime | None = None) -> int:
    """ahead × minutes per service ÷ windows open now (cached 30 s per center). Minutes per service: the average
    of the last :data:`ESTIMATE_SAMPLE` services of the last two hours, blended with the ticket's queue's own
    default while fewer than :data:`ESTIMATE_MIN_SAMPLE` (:func:`service_minutes`)."""
    if ahead <= 0:
        return 0
    now = now or timezone.now()
    inputs = _estimate_cache.get(center.pk, lambda: _estimate_inputs(center, now))
    minutes = service_minutes(inputs, float(queue.default_service_minutes))
    return math.ceil(ahead * minutes / inputs.windows)


def tickets_close_day(*, before: date | None = None) -> int:
    """Mark tickets of earlier days still waiting or called as abandoned (未办理离开). Idempotent."""
    before = before or timezone.localdate()
    now = timezone.now()
    count = 0
    stale = Ticket.objects.filter(
        day__lt=before, state__in=[Ticket.State.WAITING, Ticket.State.CALLED, Ticket.State.SERVING]
    ).values_list("pk", "center_id", "state", "called_window_id")
    for pk, center_id, state, window_id in stale.iterator():
        with transaction.atomic():
            changed = Ticket.objects.filter(pk=pk, state=state).update(state=Ticket.State.ABANDONED)
            if changed:
                if window_id is not None:  # the window that called it no longer holds it
                    window_release_ticket(window_id=window_id, ticket_id=pk)
                CallEvent.objects.create(
                    ticket_id=pk,
                    center_id=center_id,
                    kind=CallEvent.Kind.ABANDON,
                    at=now,
                    data={"was": state},
                )
                audit_log(action="queueing.ticket.abandon", object_type="queueing.ticket", object_id=pk)
                count += 1
    return count


def ticket_cancel(*, ticket_id: int, ip: str = "", now: datetime | None = None) -> Ticket:
    """The resident gives up their place (不再等候), from the ticket's own page: a waiting ticket of today
    becomes abandoned, as if they had left, so the line and its estimates stop counting them and a window
    never calls a number nobody will answer. Anything else (called, served, closed, another day) is a 409:
    by then the window is the place to ask."""
    now = now or timezone.now()
    with transaction.atomic():
        ticket, _ = _lock_ticket(ticket_id)
        if ticket.state != Ticket.State.WAITING or ticket.day != timezone.localdate(now):
            raise TicketNotCancellable(details={"state": ticket.state})
        ticket.state = Ticket.State.ABANDONED
        _write_with_event(
            ticket,
            ["state"],
            CallEvent.Kind.ABANDON,
            window=None,
            actor=None,
            at=now,
            data={"was": Ticket.State.WAITING.value, "by": "resident"},
            audit=("queueing.ticket.cancel", {"number": ticket.number}),
            ip=ip or None,
        )
        center_id = ticket.center_id
        transaction.on_commit(lambda: live.publish_waiting(center_id))
    return ticket


# A phone gets at most this many "few ahead" reminders a day, however many tickets name it. The reminder is
# asked for without signing in (the ticket machine and its API), so without a limit anyone could send a
# stranger one SMS per ticket taken. A family taking two or three tickets on one phone is still served.
AHEAD_SMS_PER_PHONE_PER_DAY = 3
AHEAD_SMS_PURPOSE = "queueing.ticket.ahead"


def ahead_sms_today(phone_hash: str, day: date) -> int:
    """How many "few ahead" reminders the phone with this blind index has had on ``day`` (from the SMS log)."""
    from tongban.notifications.models import Message

    since = timezone.make_aware(datetime.combine(day, time.min))
    return Message.objects.filter(
        to_hash=phone_hash, purpose=AHEAD_SMS_PURPOSE, created_at__gte=since
    ).count()


def ticket_set_notify_phone(*, ticket_id: int, phone: str, now: datetime | None = None) -> Ticket:
    """ "SMS me when few are ahead", asked on the ticket machine right after taking the ticket (within
    10 minutes of issue, while still waiting)."""
    from tongban.core.crypto import blind_index
    from tongban.core.errors import RateLimited, ValidationError

    now = now or timezone.now()
    phone = "".join(phone.split())
    if not (len(phone) == 11 and phone.isdigit() and phone.startswith("1")):
        raise ValidationError("请输入11位手机号", "Enter an 11-digit mobile number", code="queue.phone")
    if ahead_sms_today(blind_index(phone), timezone.localdate(now)) >= AHEAD_SMS_PER_PHONE_PER_DAY:
        # said at the machine, where the resident can still choose to watch the screen instead
        raise RateLimited(
            f"该手机号今天已收到{AHEAD_SMS_PER_PHONE_PER_DAY}条叫号提醒，不能再设置；请留意叫号屏",
            f"This phone has had today's {AHEAD_SMS_PER_PHONE_PER_DAY} queue reminders; please watch the call display",
            code="queue.reminder_limit",
            retry_after=3600,
        )
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().filter(pk=ticket_id).first()
        if (
            ticket is None
            or ticket.state != Ticket.State.WAITING
            or now - ticket.issued_at > timedelta(minutes=10)
        ):
            raise InvalidTicketRequest(
                "该号码已不能设置短信提醒", "SMS reminder can no longer be set for this ticket"
            )
        ticket.notify_phone = phone
        ticket.notify_sent_at = None
        ticket.save(update_fields=["notify_phone", "notify_sent_at"])
        audit_log(action="queueing.ticket.notify_phone", obj=ticket, data={"number": ticket.number})
        center_id = ticket.center_id
        from tongban.queueing.tasks import notify_ahead

        transaction.on_commit(lambda: notify_ahead.delay(center_id))
    return ticket

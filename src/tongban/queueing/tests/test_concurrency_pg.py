"""Many windows calling at once never get the same ticket and never skip one; many ticket machines issuing
at once never reuse or skip a number. Real PostgreSQL, real threads, one connection each."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.db import connection, connections, transaction

from tongban.accounts.tests.factories import ClerkFactory
from tongban.core.tests.races import first_holds_second_waits
from tongban.queueing.models import CallEvent, Ticket
from tongban.queueing.services import ticket_call_next, ticket_finish, ticket_issue, window_session_open
from tongban.queueing.tests.factories import hall

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _needs_postgres():
    if connection.vendor != "postgresql":
        pytest.skip(
            "row-lock concurrency is proven on PostgreSQL (SQLite serialises writers: BEGIN IMMEDIATE)"
        )


def run_threads(n, target):
    barrier = threading.Barrier(n)
    errors = []

    def wrap(i):
        try:
            barrier.wait()
            target(i)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=wrap, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []


def test_concurrent_issue_never_reuses_or_skips_a_number():
    center, _, _ = hall(windows=1)
    per_thread = 25
    numbers = []
    lock = threading.Lock()

    def issue(i):
        for _ in range(per_thread):
            t = ticket_issue(
                center=center, queue="A" if i % 2 else "V", priority_reason="" if i % 2 else "military"
            )
            with lock:
                numbers.append(t.ticket.number)

    run_threads(8, issue)
    assert len(numbers) == 8 * per_thread
    assert sorted(numbers) == sorted(
        [f"A{i:03d}" for i in range(1, 101)] + [f"V{i:03d}" for i in range(1, 101)]
    )


@pytest.mark.parametrize("candidates", [None, 1], ids=["default-pick", "one-candidate-per-walk"])
def test_concurrent_calls_never_double_call_and_never_skip(candidates, monkeypatch):
    """With one candidate per walk of the line, windows calling together mostly find the front locked by
    another and take the fallback (the whole line in fair order): that path must hold too."""
    if candidates is not None:
        monkeypatch.setattr("tongban.queueing.services.calling.PICK_CANDIDATES", candidates)
    windows = 8
    center, _, wins = hall(windows=windows)
    clerks = [ClerkFactory(center=center) for _ in wins]
    for w, c in zip(wins, clerks, strict=True):
        window_session_open(window=w, clerk=c)
    total = 240
    for i in range(total):
        ticket_issue(center=center, queue="A", priority_reason="military" if i % 5 == 0 else "")
    got = {w.number: [] for w in wins}

    def work(i):
        w, c = wins[i], clerks[i]
        while (t := ticket_call_next(window=w, clerk=c)) is not None:
            got[w.number].append(t.pk)
            ticket_finish(ticket_id=t.pk, actor=c)

    run_threads(windows, work)
    called = [pk for ids in got.values() for pk in ids]
    assert Counter(called).most_common(1)[0][1] == 1  # nobody called twice
    assert len(called) == total  # nobody skipped
    assert Ticket.objects.filter(center=center, state="finished").count() == total
    assert CallEvent.objects.filter(center=center, kind="call").count() == total
    assert all(len(ids) > 0 for ids in got.values())  # every window took part


def test_call_next_passes_over_a_ticket_another_window_is_claiming(monkeypatch):
    """The candidates at the front of the line are locked by a window whose call has not committed yet:
    call-next neither waits for it nor answers "nobody waiting"; it takes the next ticket in fair order."""
    monkeypatch.setattr("tongban.queueing.services.calling.PICK_CANDIDATES", 1)
    center, _, (w1, w2) = hall(windows=2)
    clerk = ClerkFactory(center=center)
    window_session_open(window=w1, clerk=clerk)
    first, second = (ticket_issue(center=center, queue="A").ticket for _ in range(2))
    locked, release = threading.Event(), threading.Event()

    def hold():
        with transaction.atomic():
            list(Ticket.objects.select_for_update().filter(pk=first.pk))
            locked.set()
            release.wait(30)
        connections.close_all()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert locked.wait(30)
        called = ticket_call_next(window=w1, clerk=clerk)
        assert called is not None and called.pk == second.pk
    finally:
        release.set()
        holder.join(30)
    assert Ticket.objects.get(pk=first.pk).state == "waiting"


def test_a_line_vacuumed_while_empty_still_finds_a_ticket_by_its_key():
    """Vacuumed when nobody waited, a partial index of the waiting tickets is planned as empty until the
    next vacuum. PostgreSQL then chose it to find the called ticket by key (call-next's UPDATE): a walk
    of the whole line for every call once the hall filled up. The key's own index must serve."""
    center, _, _ = hall()
    for _ in range(20):
        ticket_issue(center=center, queue="A")
    Ticket.objects.filter(center=center).update(state="abandoned")  # closing time: the hall is empty
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE) queueing_ticket")
    for _ in range(200):  # the next morning's line
        ticket_issue(center=center, queue="A")
    front = Ticket.objects.filter(center=center, state="waiting").order_by("queued_at", "id").first()
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")  # a test's table is small; a hall's is not
        try:
            cursor.execute(
                "EXPLAIN SELECT id FROM queueing_ticket WHERE id = %s AND state = 'waiting'", [front.pk]
            )
            plan = "\n".join(row[0] for row in cursor.fetchall())
        finally:
            cursor.execute("RESET enable_seqscan")
    assert "queueing_ticket_pkey" in plan, plan


def test_a_double_click_on_call_next_calls_one_ticket():
    """Two call-next requests for the same window at the same moment (a double click, two tabs): the second
    waits for the first and then finds the window busy with the ticket the first called. It must not see
    the window as it was before the first committed and call a second ticket."""
    from tongban.queueing.errors import WindowBusy

    center, _, (w1, _) = hall(windows=2)
    clerk = ClerkFactory(center=center)
    window_session_open(window=w1, clerk=clerk)
    for _ in range(3):
        ticket_issue(center=center, queue="A")

    def call():
        return ticket_call_next(window=w1, clerk=clerk)

    first, second = first_holds_second_waits(call, call)
    assert isinstance(second, WindowBusy), second
    assert second.details["ticket_id"] == first.pk
    assert list(Ticket.objects.filter(center=center, called_window=w1).values_list("pk", flat=True)) == [
        first.pk
    ]


@pytest.mark.parametrize(
    "second_opens", ["same window, same clerk", "same window, other clerk", "other window"]
)
def test_two_requests_opening_a_window_at_once_leave_one_session_and_a_clear_answer(second_opens):
    """The day's first call-next signs the clerk on. Two such requests at the same moment (a double click,
    two tabs) both find the window free, since neither sees the other's uncommitted session, and both insert
    one; the open-session constraints let only the first through (the second's INSERT waits on the first's
    entry in the unique index). The second must get the answer it would have had a moment later (the same
    session and the next ticket; the window is taken; the clerk is at another window), not a database error
    (a 500), and the window must have one session, opened once."""
    from tongban.core.models import AuditEntry
    from tongban.queueing.errors import ClerkAtOtherWindow, WindowStaffedByOther
    from tongban.queueing.models import WindowSession

    center, _, (w1, w2) = hall(windows=2)
    clerk, other = ClerkFactory(center=center), ClerkFactory(center=center)
    waiting = ticket_issue(center=center, queue="A").ticket

    def second():
        if second_opens == "same window, same clerk":
            return ticket_call_next(window=w1, clerk=clerk)
        if second_opens == "same window, other clerk":
            return window_session_open(window=w1, clerk=other)
        return window_session_open(window=w2, clerk=clerk)

    opened, answer = first_holds_second_waits(lambda: window_session_open(window=w1, clerk=clerk), second)
    if second_opens == "same window, same clerk":
        assert isinstance(answer, Ticket), answer
        assert answer.pk == waiting.pk
    elif second_opens == "same window, other clerk":
        assert isinstance(answer, WindowStaffedByOther), answer
    else:
        assert isinstance(answer, ClerkAtOtherWindow), answer
    open_sessions = WindowSession.objects.exclude(state=WindowSession.State.CLOSED)
    assert list(open_sessions.values_list("pk", "window_id", "clerk_id")) == [(opened.pk, w1.pk, clerk.pk)]
    assert AuditEntry.objects.filter(action="queueing.window.open").count() == 1


@pytest.mark.parametrize("second_slot", ["the same slot", "another slot that day"])
def test_a_person_booking_twice_at_once_gets_one_appointment(second_slot):
    """One booking a person a center-day. A double click on "book", or two tabs with two slots of the same day:
    both requests found no booking (the other's was not committed) and both booked, with two SMS codes and two
    places taken. The second must wait for the first and then be told it is already booked."""
    from datetime import time, timedelta

    from django.utils import timezone

    from tongban.accounts.tests.factories import ResidentFactory
    from tongban.notifications.models import Message
    from tongban.queueing.errors import AlreadyBooked
    from tongban.queueing.models import Appointment, AppointmentSlot
    from tongban.queueing.services import appointment_book

    center, q, _ = hall()
    day = timezone.localdate() + timedelta(days=1)
    slots = [
        AppointmentSlot.objects.create(
            center=center, queue=q["Y"], day=day, start=time(h), end=time(h, 30), capacity=5
        )
        for h in (9, 10)
    ]
    person = ResidentFactory(id_number="310110195601010049", phone="13800000001")
    target = slots[0] if second_slot == "the same slot" else slots[1]

    first, second = first_holds_second_waits(
        lambda: appointment_book(slot=slots[0], actor=person, resident=person),
        lambda: appointment_book(slot=target, actor=person, resident=person),
    )
    assert isinstance(second, AlreadyBooked), second
    assert list(Appointment.objects.values_list("pk", flat=True)) == [first.pk]
    booked = AppointmentSlot.objects.filter(pk__in=[s.pk for s in slots]).order_by("start")
    assert [s.booked for s in booked] == [1, 0]
    assert Message.objects.filter(purpose="queueing.appointment.booked").count() == 1


def test_a_clerk_by_phone_and_the_portal_by_id_number_at_once_book_the_person_once():
    """The person is one by either key: a clerk booking a caller by phone alone while the caller books on the
    portal (ID number and that phone) must wait for the other, then be told the person is already booked.
    Locking the ID number's key alone, the portal never waited for the clerk."""
    from datetime import time, timedelta

    from django.utils import timezone

    from tongban.accounts.tests.factories import ClerkFactory, ResidentFactory
    from tongban.queueing.errors import AlreadyBooked
    from tongban.queueing.models import Appointment, AppointmentSlot
    from tongban.queueing.services import appointment_book

    center, q, _ = hall()
    day = timezone.localdate() + timedelta(days=1)
    nine, ten = (
        AppointmentSlot.objects.create(
            center=center, queue=q["Y"], day=day, start=time(h), end=time(h, 30), capacity=5
        )
        for h in (9, 10)
    )
    clerk = ClerkFactory(center=center)
    person = ResidentFactory(id_number="310110195601010049", phone="13800000001")

    first, second = first_holds_second_waits(
        lambda: appointment_book(slot=nine, actor=clerk, phone="13800000001"),
        lambda: appointment_book(slot=ten, actor=person, resident=person),
    )
    assert isinstance(second, AlreadyBooked), second
    assert list(Appointment.objects.values_list("pk", flat=True)) == [first.pk]


def test_two_no_show_runs_at_once_for_one_person_suspend_booking_once():
    """The no-show job can overlap itself (a backlogged worker). With the limit at two, a person's two missed
    appointments marked by two runs at once were each counted alone (one record each, neither seeing the
    other's): no suspension, though the policy called for one. The second must wait for the first and count
    both."""
    from datetime import time, timedelta

    from django.utils import timezone

    from tongban.accounts.tests.factories import ResidentFactory
    from tongban.queueing.models import Appointment, AppointmentSlot, BookingSuspension, NoShowRecord
    from tongban.queueing.rules import settings_for
    from tongban.queueing.services import appointment_book
    from tongban.queueing.services.appointments import _mark_no_show

    center, q, _ = hall(noshow_limit=2)
    person = ResidentFactory(id_number="310110195601010049", phone="13800000001")
    booked = []
    for days in (1, 2):
        slot = AppointmentSlot.objects.create(
            center=center,
            queue=q["Y"],
            day=timezone.localdate() + timedelta(days=days),
            start=time(9),
            end=time(9, 30),
            capacity=2,
        )
        booked.append(appointment_book(slot=slot, actor=person, resident=person))
    a, b = (Appointment.objects.select_related("slot__center").get(pk=x.pk) for x in booked)
    rules, later = settings_for(center), timezone.now() + timedelta(days=3)

    first, second = first_holds_second_waits(
        lambda: _mark_no_show(a, rules, later), lambda: _mark_no_show(b, rules, later)
    )
    assert (first, second) == (True, True)
    assert NoShowRecord.objects.filter(center=center).count() == 2
    assert BookingSuspension.objects.filter(center=center).count() == 1


def test_a_windows_open_session_is_found_through_one_index_entry():
    """A window gets a session per working day; call-next, finish and the workbench look up the open one.
    The partial unique indexes of open sessions answer that; plain indexes on the window and the clerk
    would grow by a day's sessions each day, and PostgreSQL chose them for call-next (walking every closed
    session of the window), so there are none."""
    from django.utils import timezone

    from tongban.queueing.models import WindowSession

    center, _, (w1, _) = hall()
    clerk = ClerkFactory(center=center)
    WindowSession.objects.bulk_create(
        WindowSession(window=w1, clerk=clerk, state="closed", opened_at=timezone.now()) for _ in range(300)
    )
    window_session_open(window=w1, clerk=clerk)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE queueing_windowsession")
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'queueing_windowsession' AND indexname <> %s",
            ["queueing_windowsession_pkey"],
        )
        rows = cursor.fetchall()
        indexes = sorted(row[0].split(" USING ")[1] for row in rows)
        cursor.execute(
            "EXPLAIN SELECT id FROM queueing_windowsession WHERE window_id = %s AND state <> 'closed'",
            [w1.pk],
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert indexes == [
        "btree (clerk_id) WHERE (NOT ((state)::text = 'closed'::text))",
        "btree (window_id) WHERE (NOT ((state)::text = 'closed'::text))",
    ]
    assert "_one_open_session" in plan, plan  # either holds open sessions only: one per staffed window


def test_the_wait_estimate_reads_a_bounded_number_of_recent_services():
    """The ticket machine's estimate averages the newest ESTIMATE_SAMPLE services of the last two hours
    (refreshed every 30 s per process): read newest first through the call events' (center, kind, at) index,
    then each ticket by its key, and stopped at the limit. It once read the center's whole history of
    tickets, then the whole day's (a scan of 100–400 ms in the queue bench)."""
    from django.test.utils import CaptureQueriesContext

    from tongban.queueing.services import tickets as tickets_mod

    center, _, _ = hall()
    ticket_issue(center=center, queue="A")
    tickets_mod._estimate_cache.clear()
    with CaptureQueriesContext(connection) as captured:
        ticket_issue(center=center, queue="A")
    (average,) = [q["sql"] for q in captured.captured_queries if "AVG(" in q["sql"]]
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")  # a test's table is small; a center's history is not
        try:
            cursor.execute("EXPLAIN " + average)
            plan = [row[0].strip() for row in cursor.fetchall()]
        finally:
            cursor.execute("RESET enable_seqscan")
    text = "\n".join(plan)
    # the limit above the join, the join driven by the ordered read of the call events
    nodes = [line.split("  (")[0].lstrip("-> ") for line in plan if "cost=" in line]
    assert nodes[:3] == ["Aggregate", "Limit", "Nested Loop"], text
    assert nodes[3] == "Index Scan Backward using callevent_center_kind_at on queueing_callevent", text
    # then the ticket of each (by its key on a real table; this one is too small for the planner to care)
    assert nodes[4].startswith("Index Scan using ") and nodes[4].endswith(" on queueing_ticket"), text
    (by_center,) = [line for line in plan if line.startswith("Index Cond: ((center_id")]
    assert "'finish'" in by_center and "at >=" in by_center, text


def test_a_windows_tickets_are_found_through_the_index_of_called_tickets():
    """A new ticket adds no entry to the window's index (it is written under its queue's counter lock, for
    which the next ticket waits); the look-ups by window, which all name one, still use it."""
    from tongban.queueing.models import Ticket

    center, _, (w1, _) = hall()
    for _ in range(3):
        ticket_issue(center=center, queue="A")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'ticket_window_state_idx'",
        )
        (definition,) = cursor.fetchone()
        cursor.execute("SET enable_seqscan = off")
        try:
            plans = [
                Ticket.objects.filter(called_window=w1, state__in=["called", "serving"]).explain(),
                Ticket.objects.filter(called_window=w1, state="finished", day="2026-11-27").explain(),
            ]
        finally:
            cursor.execute("RESET enable_seqscan")
    assert definition.endswith("WHERE (called_window_id IS NOT NULL)"), definition
    assert all("ticket_window_state_idx" in plan for plan in plans), plans


def test_two_reminder_runs_at_once_keep_a_phone_to_three_reminders_a_day():
    """Two centers' reminder runs at once, each due to remind one phone that has had two reminders today:
    each counted two and each sent, four in all. The second must wait for the first and count three."""
    from tongban.core.crypto import blind_index
    from tongban.notifications.models import Message
    from tongban.queueing.services import ticket_issue
    from tongban.queueing.tasks import notify_ahead

    phone = "13912345678"
    first_center, _, _ = hall(sms_ahead=10)
    second_center, _, _ = hall(sms_ahead=10)
    for _ in range(3):
        ticket_issue(center=first_center, queue="A", notify_phone=phone)
    ticket_issue(center=second_center, queue="A", notify_phone=phone)
    Message.objects.create(
        to=phone, to_hash=blind_index(phone), body="-", purpose="queueing.ticket.ahead", backend="outbox"
    )
    Message.objects.create(
        to=phone, to_hash=blind_index(phone), body="-", purpose="queueing.ticket.ahead", backend="outbox"
    )
    # the first run reminds its first ticket (the third reminder), then waits before its second
    first, second = first_holds_second_waits(
        lambda: notify_ahead(first_center.pk), lambda: notify_ahead(second_center.pk)
    )
    assert (first, second) == (1, 0)
    assert Message.objects.filter(to_hash=blind_index(phone)).count() == 3


def test_a_resident_cancelling_while_a_window_calls_them():
    """The call comes first: the cancel waits for the ticket's row lock, then finds the ticket called and
    answers 409; nothing is abandoned. The cancel comes first: the window passes over the row being cancelled
    (SKIP LOCKED) without waiting and calls the next ticket; the cancelled one is never called."""
    from tongban.queueing.errors import TicketNotCancellable
    from tongban.queueing.services import ticket_cancel

    center, _, (w1, w2) = hall(windows=2)
    clerk1, clerk2 = ClerkFactory(center=center), ClerkFactory(center=center)
    window_session_open(window=w1, clerk=clerk1)
    window_session_open(window=w2, clerk=clerk2)
    first, second, third = (ticket_issue(center=center, queue="A").ticket for _ in range(3))

    called, refused = first_holds_second_waits(
        lambda: ticket_call_next(window=w1, clerk=clerk1), lambda: ticket_cancel(ticket_id=first.pk)
    )
    assert called.pk == first.pk
    assert isinstance(refused, TicketNotCancellable), refused
    assert Ticket.objects.get(pk=first.pk).state == Ticket.State.CALLED

    cancelling, call = threading.Event(), {}

    def window_calls() -> None:
        try:
            assert cancelling.wait(30)
            call["ticket"] = ticket_call_next(window=w2, clerk=clerk2)
        finally:
            connections.close_all()

    caller = threading.Thread(target=window_calls)
    caller.start()
    with transaction.atomic():
        ticket_cancel(ticket_id=second.pk)  # holds the row until the window has called
        cancelling.set()
        caller.join(30)
        assert not caller.is_alive(), "call-next waited for the row being cancelled"
    assert call["ticket"].pk == third.pk
    assert Ticket.objects.get(pk=second.pk).state == Ticket.State.ABANDONED
    assert not CallEvent.objects.filter(ticket=second, kind=CallEvent.Kind.CALL).exists()

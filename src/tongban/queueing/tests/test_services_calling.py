"""Calling: fair order, window sessions, recall, no-show and re-queue, transfer, finish, live events."""

from __future__ import annotations

from datetime import date, time

import pytest
from django.utils import translation
from freezegun import freeze_time

from tongban.accounts.tests.factories import ClerkFactory, ManagerFactory, ResidentFactory
from tongban.catalog.models import Window
from tongban.catalog.tests.factories import WindowFactory
from tongban.core.errors import Forbidden
from tongban.core.models import AuditEntry
from tongban.queueing import live
from tongban.queueing.errors import (
    ClerkAtOtherWindow,
    RequeueExpired,
    TicketStateError,
    WindowBusy,
    WindowNotStaffed,
    WindowPaused,
    WindowStaffedByOther,
)
from tongban.queueing.models import CallEvent, Ticket, WindowSession
from tongban.queueing.selectors import display_snapshot, ticket_finished_recently, window_panel
from tongban.queueing.services import (
    ticket_call_next,
    ticket_finish,
    ticket_issue,
    ticket_no_show,
    ticket_recall,
    ticket_requeue,
    ticket_start,
    ticket_transfer,
    window_pause,
    window_resume,
    window_session_close,
    window_session_open,
)
from tongban.queueing.tests.factories import QueueFactory, hall

pytestmark = pytest.mark.django_db
T0 = "2026-11-25 02:00:00"  # Wednesday 10:00 Shanghai


@pytest.fixture(params=[None, 1], ids=["default-pick", "one-candidate-per-walk"])
def pick(request, monkeypatch):
    """Call-next orders only the front of each walk of the line (``PICK_CANDIDATES`` per walk); with one
    candidate per walk the fair order must come out the same."""
    if request.param is not None:
        monkeypatch.setattr("tongban.queueing.services.calling.PICK_CANDIDATES", request.param)


def issue(center, n=1, **kw):
    return [ticket_issue(center=center, **{"queue": "A", **kw}).ticket for _ in range(n)]


def drain(window, clerk):
    """Call and finish until nobody waits; the numbers in call order."""
    called = []
    while (t := ticket_call_next(window=window, clerk=clerk)) is not None:
        called.append(t.number)
        ticket_finish(ticket_id=t.pk, actor=clerk)
    return called


@freeze_time(T0)
def test_call_next_is_fifo_and_records_everything(clerk_at, pick):
    center, _, (w1, _) = hall()
    clerk = clerk_at(w1)
    a1, a2 = issue(center, 2)
    t = ticket_call_next(window=w1, clerk=clerk)
    assert (t.pk, t.state, t.called_window, t.called_by, t.call_count) == (a1.pk, "called", w1, clerk, 1)
    t.refresh_from_db()
    assert t.state == Ticket.State.CALLED
    session = WindowSession.objects.get(window=w1)
    assert (session.clerk, session.state) == (clerk, "open")
    assert list(CallEvent.objects.filter(ticket=t).values_list("kind", "window__number")) == [("call", 1)]
    assert AuditEntry.objects.filter(action="queueing.ticket.call", object_id=str(t.pk)).count() == 1
    with pytest.raises(WindowBusy) as exc:
        ticket_call_next(window=w1, clerk=clerk)
    assert exc.value.details == {"ticket": "A001", "ticket_id": a1.pk}
    ticket_finish(ticket_id=t.pk, actor=clerk)
    assert ticket_call_next(window=w1, clerk=clerk).pk == a2.pk
    ticket_finish(ticket_id=a2.pk, actor=clerk)
    assert ticket_call_next(window=w1, clerk=clerk) is None


@freeze_time(T0)
def test_a_call_is_audited_and_counts_the_priority_streak_as_the_service_does(clerk_at):
    """On PostgreSQL the claim's statement writes the call's audit entry and the window's priority streak
    (calling.py, ``_CLAIM_WITH_EVENT_SQL``); they must be what ``audit_log`` and the service write elsewhere."""
    from django.utils import timezone

    from tongban.core.audit import audit_entry

    center, _, (w1, _) = hall()
    clerk = clerk_at(w1)
    issue(center, 1, priority_reason="military")
    issue(center, 1)
    session_streaks = []
    for expected_number, priority in [("V001", True), ("A001", False)]:
        t = ticket_call_next(window=w1, clerk=clerk)
        assert t.number == expected_number
        entry = AuditEntry.objects.get(action="queueing.ticket.call", object_id=str(t.pk))
        expected = audit_entry(
            actor=clerk,
            action="queueing.ticket.call",
            obj=t,
            data={"number": t.number, "window": w1.number, "priority": priority},
        )
        fields = ["actor_id", "actor_repr", "action", "object_type", "object_id", "data", "ip", "chain_seq"]
        assert [getattr(entry, f) for f in fields] == [getattr(expected, f) for f in fields]
        assert entry.at == timezone.now()
        session_streaks.append(WindowSession.objects.get(window=w1).priority_streak)
        ticket_finish(ticket_id=t.pk, actor=clerk)
    assert session_streaks == [1, 0]


@freeze_time(T0)
def test_each_action_on_a_ticket_writes_the_audit_entry_audit_log_writes(clerk_at):
    """Recall, start, no-show, requeue, transfer and finish write their audit entry in the statement that
    changes the ticket on PostgreSQL (calling.py, ``_write_with_event``); it must be the entry ``audit_log`` writes."""
    from tongban.core.audit import audit_entry

    center, queues, (w1, _) = hall()
    other = QueueFactory(center=center, prefix="B", order=4)
    clerk = clerk_at(w1)
    a1, _ = issue(center, 2)
    ticket_call_next(window=w1, clerk=clerk)
    ticket_recall(ticket_id=a1.pk, actor=clerk)
    ticket_no_show(ticket_id=a1.pk, actor=clerk)
    ticket_requeue(ticket_id=a1.pk, actor=clerk)
    t = ticket_call_next(window=w1, clerk=clerk)
    ticket_transfer(ticket_id=t.pk, actor=clerk, to_queue=other)
    assert ticket_call_next(window=w1, clerk=clerk).pk == t.pk  # it kept its place
    ticket_start(ticket_id=t.pk, actor=clerk)
    ticket_finish(ticket_id=t.pk, actor=clerk)
    fields = ["actor_id", "actor_repr", "action", "object_type", "object_id", "data", "ip", "chain_seq"]
    got = [
        [getattr(e, f) for f in fields]
        for e in AuditEntry.objects.filter(object_type="queueing.ticket").order_by("seq")
    ]
    a1_number, t_number = a1.number, t.number
    expected = [
        ("queueing.ticket.call", a1, {"number": a1_number, "window": w1.number, "priority": False}),
        ("queueing.ticket.recall", a1, {"count": 2}),
        ("queueing.ticket.no_show", a1, {"number": a1_number}),
        ("queueing.ticket.requeue", a1, {"number": a1_number}),
        ("queueing.ticket.call", t, {"number": t_number, "window": w1.number, "priority": False}),
        (
            "queueing.ticket.transfer",
            t,
            {"from_queue": "A", "from_window": w1.number, "to_queue": "B", "to_window": None},
        ),
        ("queueing.ticket.call", t, {"number": t_number, "window": w1.number, "priority": False}),
        ("queueing.ticket.start", t, None),
        ("queueing.ticket.finish", t, {"number": t_number, "applications": []}),
    ]
    want = [
        [getattr(audit_entry(actor=clerk, action=a, obj=o, data=d), f) for f in fields]
        for a, o, d in expected
    ]
    assert got == want


def test_fair_order_caps_priority_streak_and_boosts_long_waits(clerk_at, pick):
    center, _, (w1, _) = hall(max_priority_in_row=2, max_wait_boost_minutes=30)
    clerk = clerk_at(w1)
    with freeze_time(T0):
        issue(center, 2)  # A001 A002
        issue(center, 4, priority_reason="military")  # V001..V004
    with freeze_time("2026-11-25 02:10:00"):
        assert drain(w1, clerk) == ["V001", "V002", "A001", "V003", "V004", "A002"]


def test_streak_cap_takes_the_oldest_normal_ticket_behind_older_priority_ones(clerk_at, pick):
    center, _, (w1, _) = hall(max_priority_in_row=2, max_wait_boost_minutes=30)
    clerk = clerk_at(w1)
    with freeze_time(T0):
        issue(center, 3, priority_reason="military")  # V001..V003 first in line
    with freeze_time("2026-11-25 02:01:00"):
        issue(center, 2)  # A001 A002
    with freeze_time("2026-11-25 02:10:00"):
        assert drain(w1, clerk) == ["V001", "V002", "A001", "V003", "A002"]


def test_wait_boost_puts_a_long_waiting_normal_ticket_among_the_priority_ones(clerk_at, pick):
    center, _, (w1, _) = hall(max_priority_in_row=0, max_wait_boost_minutes=30)  # 0 = no streak cap
    clerk = clerk_at(w1)
    with freeze_time(T0):
        issue(center, 1)  # A001 at 10:00
    with freeze_time("2026-11-25 02:20:00"):
        issue(center, 2, priority_reason="disabled")  # V001, V002 at 10:20
    with freeze_time("2026-11-25 02:25:00"):
        assert ticket_call_next(window=w1, clerk=clerk).number == "V001"  # A001 waited 25 min: no boost yet
    with freeze_time("2026-11-25 02:31:00"):
        ticket_finish(ticket_id=Ticket.objects.get(number="V001").pk, actor=clerk)
        assert ticket_call_next(window=w1, clerk=clerk).number == "A001"  # 31 min: boosted, oldest first


@freeze_time(T0)
def test_specialised_window_takes_only_its_queues_and_comprehensive_takes_all(clerk_at, pick):
    center, q, (w1,) = hall(windows=1)
    special = WindowFactory(center=center, number=9, kind=Window.Kind.SPECIALISED)
    c = QueueFactory(center=center, prefix="C", name="居住证", order=4)
    c.windows.add(special)
    issue(center, 1)
    issue(center, 1, queue="C")
    clerk9 = clerk_at(special)
    assert ticket_call_next(window=special, clerk=clerk9).number == "C001"
    t = Ticket.objects.get(number="C001")
    ticket_finish(ticket_id=t.pk, actor=clerk9)
    assert ticket_call_next(window=special, clerk=clerk9) is None  # A001 is not for window 9
    assert ticket_call_next(window=w1, clerk=clerk_at(w1)).number == "A001"


@freeze_time(T0)
def test_window_sessions_one_clerk_one_window(clerk_at):
    center, _, (w1, w2) = hall()
    c1, c2 = clerk_at(w1), clerk_at(w2)
    c1.display_name = "陆晓燕"
    c1.save()
    window_session_open(window=w1, clerk=c1)
    assert window_session_open(window=w1, clerk=c1).clerk == c1  # idempotent
    # the refusal names who is there, so that the clerk knows whom to ask
    for refused_action in (window_session_open, ticket_call_next, window_pause):
        with pytest.raises(WindowStaffedByOther) as refused:
            refused_action(window=w1, clerk=c2)
        assert (
            refused.value.message == "该窗口已由陆晓燕值守；如需接替，请其先结束值守，或请中心负责人释放窗口"
        )
        assert refused.value.message_en.startswith("陆晓燕 is staffing this window; ask them to sign off")
        assert refused.value.details == {"clerk": "陆晓燕"}
    with pytest.raises(ClerkAtOtherWindow):
        window_session_open(window=w2, clerk=c1)
    stranger = ClerkFactory(center=hall()[0])
    with pytest.raises(Forbidden):
        ticket_call_next(window=w2, clerk=stranger)
    with pytest.raises(Forbidden):
        ticket_call_next(window=w2, clerk=ResidentFactory())
    window_session_close(window=w1, clerk=c1)
    assert WindowSession.objects.get(window=w1).state == "closed"
    window_session_open(window=w1, clerk=c2)  # free again


@freeze_time(T0)
def test_paused_window_does_not_call(clerk_at):
    center, _, (w1, _) = hall()
    clerk = clerk_at(w1)
    issue(center, 1)
    window_session_open(window=w1, clerk=clerk)
    window_pause(window=w1, clerk=clerk, reason="午休")
    with pytest.raises(WindowPaused):
        ticket_call_next(window=w1, clerk=clerk)
    assert Ticket.objects.get().state == "waiting"
    window_resume(window=w1, clerk=clerk)
    assert ticket_call_next(window=w1, clerk=clerk).number == "A001"
    with pytest.raises(WindowBusy):
        window_session_close(window=w1, clerk=clerk)
    # nor a pause with A001 called: the hall's TV would call it to a window whose screen says 暂停服务
    with pytest.raises(WindowBusy) as busy:
        window_pause(window=w1, clerk=clerk)
    assert busy.value.message == "请先办结或过号当前号码再暂停"
    assert WindowSession.objects.get(window=w1).state == "open"


@freeze_time(T0)
def test_pause_and_resume_do_not_sign_anyone_on(clerk_at):
    """暂停 pressed at a window the clerk has not opened (or has signed off from) is refused: it signed the
    clerk on, and the window then showed 服务中 in their name while they were away."""
    center, _, (w1, w2) = hall()
    clerk = clerk_at(w1)
    for action in (window_pause, window_resume):
        with pytest.raises(WindowNotStaffed) as refused:
            action(window=w1, clerk=clerk)
        assert (refused.value.status_code, refused.value.code) == (403, "queue.window_not_staffed")
    assert not WindowSession.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="queueing.window.").exists()
    window_session_open(window=w1, clerk=clerk)
    with pytest.raises(WindowNotStaffed):
        window_pause(window=w2, clerk=clerk)  # signed on at window 1, not 2
    assert window_pause(window=w1, clerk=clerk).state == "paused"
    window_session_close(window=w1, clerk=clerk)
    with pytest.raises(WindowNotStaffed):
        window_resume(window=w1, clerk=clerk)
    assert list(WindowSession.objects.values_list("window__number", "state")) == [(1, "closed")]


@freeze_time(T0)
def test_recall_start_finish_and_rating_invitation(clerk_at):
    center, _, (w1, w2) = hall()
    clerk = clerk_at(w1)
    issue(center, 1)
    t = ticket_call_next(window=w1, clerk=clerk)
    assert ticket_recall(ticket_id=t.pk, actor=clerk).call_count == 2
    with pytest.raises(WindowNotStaffed):
        ticket_recall(ticket_id=t.pk, actor=clerk_at(w2))
    with freeze_time("2026-11-25 02:02:00"):
        ticket_start(ticket_id=t.pk, actor=clerk)
    with pytest.raises(TicketStateError):
        ticket_recall(ticket_id=t.pk, actor=clerk)
    with freeze_time("2026-11-25 02:09:00"):
        done = ticket_finish(ticket_id=t.pk, actor=clerk)
    assert (done.state, done.finished_at.minute, done.served_at.minute) == ("finished", 9, 2)
    assert list(CallEvent.objects.filter(ticket=t).order_by("id").values_list("kind", flat=True)) == [
        "call",
        "recall",
        "start",
        "finish",
    ]
    with freeze_time("2026-11-25 02:30:00"):
        assert ticket_finished_recently(w1) == done
        assert ticket_finished_recently(w2) is None
    with freeze_time("2026-11-25 02:40:00"):
        assert ticket_finished_recently(w1) is None  # more than 30 minutes ago
    with pytest.raises(TicketStateError):
        ticket_finish(ticket_id=t.pk, actor=clerk)


@freeze_time(T0)
def test_a_refused_action_names_the_state_the_ticket_is_in(clerk_at):
    """A workbench that lost track of a ticket was told only "not allowed in the current state" (issue 4)."""
    center, _, (w1, _) = hall()
    clerk = clerk_at(w1)
    issue(center, 1)
    t = ticket_call_next(window=w1, clerk=clerk)
    ticket_start(ticket_id=t.pk, actor=clerk)
    with pytest.raises(TicketStateError) as serving:
        ticket_recall(ticket_id=t.pk, actor=clerk)
    assert (serving.value.code, serving.value.status_code) == ("queue.invalid_transition", 409)
    assert serving.value.message == "号码当前状态为“办理中”，不能执行此操作"
    assert serving.value.message_en == "The ticket is being served; this action is not possible"
    assert serving.value.details == {"state": "serving", "ticket": "A001"}
    ticket_finish(ticket_id=t.pk, actor=clerk)
    with freeze_time("2026-11-25 02:01:00"), pytest.raises(TicketStateError) as finished:
        ticket_finish(ticket_id=t.pk, actor=clerk)  # a minute later: not a double click
    assert finished.value.message == "号码当前状态为“已办结”，不能执行此操作"
    assert finished.value.message_en == "The ticket is finished; this action is not possible"
    assert finished.value.details == {"state": "finished", "ticket": "A001"}
    with pytest.raises(TicketStateError) as requeue:
        ticket_requeue(ticket_id=t.pk, actor=clerk)
    assert requeue.value.details == {"state": "finished", "ticket": "A001"}
    assert CallEvent.objects.filter(ticket=t, kind="finish").count() == 1


def test_every_ticket_state_has_words_for_the_refusal():
    from tongban.queueing.errors import TICKET_STATE_WORDS

    assert set(TICKET_STATE_WORDS) == set(Ticket.State.values)
    for state in Ticket.State:
        with translation.override("zh-hans"):
            assert TICKET_STATE_WORDS[state.value][0] == str(state.label)  # the workbench's own word


def test_no_show_and_requeue_rule(clerk_at, pick):
    center, _, (w1, _) = hall(noshow_requeue_minutes=30, noshow_requeue_after=2)
    clerk = clerk_at(w1)
    for i in range(5):  # distinct issue times, as in a real hall
        with freeze_time(f"2026-11-25 02:00:0{i}"):
            issue(center, 1)
    first = Ticket.objects.get(number="A001")
    with freeze_time("2026-11-25 02:01:00"):
        t = ticket_call_next(window=w1, clerk=clerk)
        ticket_no_show(ticket_id=t.pk, actor=clerk)
    assert Ticket.objects.get(pk=first.pk).state == "no_show"
    with freeze_time("2026-11-25 02:10:00"):
        ticket_requeue(ticket_id=first.pk, actor=clerk)
        # back in line two places behind the head: A002, A003, then A001
        assert drain(w1, clerk) == ["A002", "A003", "A001", "A004", "A005"]
    with freeze_time("2026-11-25 02:11:00"):
        late = issue(center, 1)[0]
        t = ticket_call_next(window=w1, clerk=clerk)
        assert t.pk == late.pk
        ticket_no_show(ticket_id=t.pk, actor=clerk)
    with freeze_time("2026-11-25 02:42:00"), pytest.raises(RequeueExpired):
        ticket_requeue(ticket_id=late.pk, actor=clerk)


def test_the_panel_offers_a_re_queue_only_while_the_rules_allow_it(clerk_at):
    """The panel listed the last hour's no-shows for re-queueing while the center allowed 30 minutes: the
    button for one missed 40 minutes ago could only fail with "too late"."""
    center, _, (w1, _) = hall(noshow_requeue_minutes=30)
    clerk = clerk_at(w1)
    with freeze_time(T0):
        issue(center, 1)
        missed = ticket_call_next(window=w1, clerk=clerk)
        ticket_no_show(ticket_id=missed.pk, actor=clerk)
    with freeze_time("2026-11-25 02:30:00"):  # 30 minutes on: still allowed, and offered
        assert [t.number for t in window_panel(w1).recent_no_shows] == ["A001"]
    with freeze_time("2026-11-25 02:30:01"):
        assert window_panel(w1).recent_no_shows == []
        with pytest.raises(RequeueExpired):
            ticket_requeue(ticket_id=missed.pk, actor=clerk)
    with freeze_time("2026-11-25 02:30:00"):
        assert ticket_requeue(ticket_id=missed.pk, actor=clerk).state == "waiting"


@freeze_time(T0)
def test_transfer_to_queue_or_window_keeps_number_and_place(clerk_at, pick):
    center, q, (w1, w2) = hall()
    c1, c2 = clerk_at(w1), clerk_at(w2)
    issue(center, 3)
    t = ticket_call_next(window=w1, clerk=c1)
    moved = ticket_transfer(ticket_id=t.pk, actor=c1, to_window=w2)
    assert (moved.state, moved.number, moved.target_window, moved.called_window) == (
        "waiting",
        "A001",
        w2,
        None,
    )
    # window 1 does not get it back; window 2 gets it first (it keeps its place)
    assert ticket_call_next(window=w1, clerk=c1).number == "A002"
    assert ticket_call_next(window=w2, clerk=c2).number == "A001"
    permits = QueueFactory(center=center, prefix="C", name="居住证", order=4)
    again = ticket_transfer(ticket_id=t.pk, actor=c2, to_queue=permits)
    assert (again.queue, again.target_window) == (permits, None)
    ev = CallEvent.objects.filter(ticket=t, kind="transfer").order_by("id")
    assert [e.data for e in ev] == [
        {"from_queue": "A", "from_window": 1, "to_window": 2},
        {"from_queue": "A", "from_window": 2, "to_queue": "C", "to_window": None},
    ]


@freeze_time(T0)
def test_a_transfer_grants_no_priority_and_goes_somewhere(clerk_at):
    """Priority (V) and appointments (Y) are given at the machine on shown grounds, not by a clerk's transfer;
    a transfer to the ticket's own queue alone only sent it back to the line, to the front (its issue time)."""
    from tongban.core.errors import ValidationError

    center, q, (w1, w2) = hall()
    permits = QueueFactory(center=center, prefix="C", name="居住证", order=4)
    clerk = clerk_at(w1)
    issue(center, 2)
    t = ticket_call_next(window=w1, clerk=clerk)
    for target, says in (
        ({"to_queue": q["V"]}, "不能转入“优先通道”：优先和预约只在取号、签到时按条件给予"),
        ({"to_queue": q["Y"], "to_window": w2}, "不能转入“预约办理”：优先和预约只在取号、签到时按条件给予"),
        ({"to_queue": q["A"]}, "号码已在“综合受理”队列，请选择其他队列或窗口"),
    ):
        with pytest.raises(ValidationError) as refused:
            ticket_transfer(ticket_id=t.pk, actor=clerk, **target)
        assert (refused.value.code, refused.value.message) == ("queue.transfer_target", says)
    assert (Ticket.objects.get(pk=t.pk).state, Ticket.objects.get(pk=t.pk).queue) == ("called", q["A"])
    assert not CallEvent.objects.filter(kind="transfer").exists()
    # its own queue with a window: a transfer to that window
    moved = ticket_transfer(ticket_id=t.pk, actor=clerk, to_queue=q["A"], to_window=w2)
    assert (moved.queue, moved.target_window) == (q["A"], w2)
    assert CallEvent.objects.get(kind="transfer").data == {
        "from_queue": "A",
        "from_window": 1,
        "to_window": 2,
    }
    # a normal queue is taken
    t = ticket_call_next(window=w1, clerk=clerk)
    assert ticket_transfer(ticket_id=t.pk, actor=clerk, to_queue=permits).queue == permits


def test_a_transfer_keeps_a_later_place_in_the_line(clerk_at):
    """Transfer reset the ticket's place to its issue time: an appointment checked in early (queued at its
    slot's start) jumped ahead of those who came before its slot, and a re-queued no-show lost its penalty."""
    from tongban.queueing.models import AppointmentSlot
    from tongban.queueing.services import appointment_book

    center, q, (w1, w2) = hall(noshow_requeue_after=1)
    c1, c2 = clerk_at(w1), clerk_at(w2)
    slot = AppointmentSlot.objects.create(
        center=center, queue=q["Y"], day=date(2026, 11, 25), start=time(10, 30), end=time(11), capacity=2
    )
    with freeze_time("2026-11-25 01:00:00"):
        booked = appointment_book(slot=slot, actor=c1, id_number="310110199006150037", phone="13900000001")
    with freeze_time("2026-11-25 02:00:00"):  # 10:00: checked in half an hour early, nobody else waiting
        early = ticket_issue(center=center, appointment_code=booked.code).ticket
        assert ticket_call_next(window=w1, clerk=c1).pk == early.pk
    with freeze_time("2026-11-25 02:01:00"):
        walk_in = issue(center, 1)[0]
        moved = ticket_transfer(ticket_id=early.pk, actor=c1, to_window=w2)
        assert moved.queued_at == slot.starts_at  # not 10:00
        assert ticket_call_next(window=w2, clerk=c2).pk == walk_in.pk  # who came at 10:01 goes first
        ticket_finish(ticket_id=walk_in.pk, actor=c2)

    with freeze_time("2026-11-25 02:02:00"):
        late, head = issue(center, 2)
    with freeze_time("2026-11-25 02:03:00"):
        assert ticket_call_next(window=w1, clerk=c1).pk == late.pk
        ticket_no_show(ticket_id=late.pk, actor=c1)
    with freeze_time("2026-11-25 02:05:00"):
        penalty = ticket_requeue(ticket_id=late.pk, actor=c1).queued_at  # behind the head of the line
        assert penalty > late.issued_at
        assert ticket_call_next(window=w1, clerk=c1).pk == head.pk
        ticket_finish(ticket_id=head.pk, actor=c1)
        assert ticket_call_next(window=w1, clerk=c1).pk == late.pk
        assert ticket_transfer(ticket_id=late.pk, actor=c1, to_window=w2).queued_at == penalty


@freeze_time(T0)
def test_a_double_click_on_finish_or_no_show_is_answered_as_done(clerk_at):
    """Two near-simultaneous 办结 (or 过号) from one clerk: the first does it, the second is told it is
    done, not shown a red "state does not allow" for an action that worked. Another clerk still cannot."""
    center, _, (w1, _) = hall()
    clerk = clerk_at(w1)
    a, b = issue(center, 2)
    first = ticket_call_next(window=w1, clerk=clerk)
    ticket_finish(ticket_id=first.pk, actor=clerk)
    assert ticket_finish(ticket_id=first.pk, actor=clerk).state == "finished"
    assert CallEvent.objects.filter(ticket=first, kind="finish").count() == 1
    second = ticket_call_next(window=w1, clerk=clerk)
    ticket_no_show(ticket_id=second.pk, actor=clerk)
    assert ticket_no_show(ticket_id=second.pk, actor=clerk).state == "no_show"
    assert CallEvent.objects.filter(ticket=second, kind="no_show").count() == 1
    with pytest.raises(TicketStateError):
        ticket_finish(ticket_id=second.pk, actor=clerk)  # a no-show is not finished by a stray click


def test_a_retried_finish_that_names_cases_is_answered_as_done(clerk_at):
    """A workbench (or an API client) that lost the answer to 办结 sends it again, with the cases it names: it
    was told 409 "state does not allow", for a finish that worked. Within the double-click window the same
    person is answered as done, and a case the first did not link is linked now (a case of another center is
    still refused); later, or by someone else, it is the 409 it was."""
    from tongban.applications.tests.factories import draft
    from tongban.core.errors import ValidationError
    from tongban.queueing.models import TicketApplication

    center, _, (w1, _) = hall()
    clerk = clerk_at(w1)
    with freeze_time("2026-11-25 01:50:00"):
        issue(center, 1)
        earlier = draft(clerk=clerk)  # opened before the call: linked only when named
        elsewhere = draft(clerk=ClerkFactory(center=hall()[0]))
    with freeze_time(T0):
        t = ticket_call_next(window=w1, clerk=clerk)
        opened = draft(clerk=clerk)
    links = TicketApplication.objects.filter(ticket=t).order_by("application_id")
    with freeze_time("2026-11-25 02:05:00"):
        ticket_finish(ticket_id=t.pk, actor=clerk, application_ids=[opened.pk])
    assert list(links.values_list("application_id", flat=True)) == [opened.pk]
    with freeze_time("2026-11-25 02:05:02"):
        assert ticket_finish(ticket_id=t.pk, actor=clerk, application_ids=[opened.pk]).state == "finished"
        assert not AuditEntry.objects.filter(action="queueing.ticket.link").exists()  # nothing new to link
        again = ticket_finish(ticket_id=t.pk, actor=clerk, application_ids=[opened.pk, earlier.pk])
        assert again.state == "finished"
        with pytest.raises(ValidationError) as refused:
            ticket_finish(ticket_id=t.pk, actor=clerk, application_ids=[elsewhere.pk])
        assert refused.value.details == {"applications": [elsewhere.pk]}
    assert list(links.values_list("application_id", flat=True)) == sorted([opened.pk, earlier.pk])
    assert AuditEntry.objects.get(action="queueing.ticket.link").data == {
        "number": t.number,
        "applications": [earlier.pk],
    }
    assert CallEvent.objects.filter(ticket=t, kind="finish").count() == 1
    with freeze_time("2026-11-25 02:05:30"), pytest.raises(TicketStateError):
        ticket_finish(ticket_id=t.pk, actor=clerk, application_ids=[opened.pk])  # not a retry any more
    with freeze_time("2026-11-25 02:05:03"), pytest.raises(TicketStateError):
        ticket_finish(ticket_id=t.pk, actor=ManagerFactory(center=center), application_ids=[opened.pk])


@freeze_time(T0)
def test_a_ticket_is_not_sent_to_a_window_that_never_calls_its_queue(clerk_at):
    """A specialised window calls only its own queues: a 居住证 ticket sent there would wait for it alone and
    never be called, while its slip said "next is you"."""
    from tongban.core.errors import ValidationError

    center, q, (w1, _) = hall()
    permits = QueueFactory(center=center, prefix="C", name="居住证", order=5)
    special = WindowFactory(center=center, number=7, kind=Window.Kind.SPECIALISED)
    c1 = clerk_at(w1)
    issue(center, 1, queue="C")
    t = ticket_call_next(window=w1, clerk=c1)
    with pytest.raises(ValidationError) as refused:
        ticket_transfer(ticket_id=t.pk, actor=c1, to_window=special)
    assert "7 号窗口不办理“居住证”" in refused.value.message
    assert Ticket.objects.get(pk=t.pk).state == "called"
    permits.windows.add(special)  # once window 7 serves 居住证, the transfer is taken
    from tongban.queueing.rules import config_cache

    config_cache.clear()
    moved = ticket_transfer(ticket_id=t.pk, actor=c1, to_window=special)
    assert (moved.state, moved.target_window) == ("waiting", special)


@freeze_time(T0)
def test_transfer_to_a_queue_that_issued_the_same_sequence_number_today(clerk_at):
    """A001 sent to queue C after C001 was issued: it waits there as A001, beside C001. The numbers' key was
    (queue, day, sequence), and the transfer failed with a database error most days."""
    center, q, (w1, w2) = hall()
    permits = QueueFactory(center=center, prefix="C", name="居住证", order=4)
    c1, c2 = clerk_at(w1), clerk_at(w2)
    issue(center, 2)
    called = ticket_call_next(window=w1, clerk=c1)
    assert called.number == "A001"
    issue(center, 1, queue="C")  # C001: sequence 1 of queue C
    moved = ticket_transfer(ticket_id=called.pk, actor=c1, to_queue=permits)
    assert (moved.number, moved.queue, moved.state) == ("A001", permits, "waiting")
    assert sorted(Ticket.objects.filter(queue=permits).values_list("number", flat=True)) == ["A001", "C001"]
    # the queue's own numbering goes on from its own last number
    assert issue(center, 1, queue="C")[0].number == "C002"
    # and a queue whose first ticket of the day came by transfer starts its own numbers at 001
    other = QueueFactory(center=center, prefix="B", order=5)
    called = ticket_call_next(window=w2, clerk=c2)
    ticket_transfer(ticket_id=called.pk, actor=c2, to_queue=other)
    assert issue(center, 1, queue="B")[0].number == "B001"


@freeze_time(T0)
def test_manager_may_act_on_any_ticket_of_the_center(clerk_at):
    center, _, (w1, _) = hall()
    issue(center, 1)
    t = ticket_call_next(window=w1, clerk=clerk_at(w1))
    assert ticket_no_show(ticket_id=t.pk, actor=ManagerFactory(center=center)).state == "no_show"
    with pytest.raises(Forbidden):
        ticket_requeue(ticket_id=t.pk, actor=ManagerFactory(center=hall()[0]))


@freeze_time(T0)
def test_finish_rejects_unknown_applications(clerk_at):
    from tongban.core.errors import ValidationError

    center, _, (w1, _) = hall()
    clerk = clerk_at(w1)
    issue(center, 1)
    t = ticket_call_next(window=w1, clerk=clerk)
    with pytest.raises(ValidationError) as exc:
        ticket_finish(ticket_id=t.pk, actor=clerk, application_ids=[987654])
    assert exc.value.details == {"applications": [987654]}
    assert Ticket.objects.get(pk=t.pk).state == "called"  # nothing half-written


@freeze_time(T0)
def test_calls_are_published_after_commit_for_the_display(clerk_at, django_capture_on_commit_callbacks):
    center, _, (w1, _) = hall()
    clerk = clerk_at(w1)
    issue(center, 1)
    sub = live.get_broker().subscribe(live.channel_for(center.pk))
    try:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            t = ticket_call_next(window=w1, clerk=clerk)
        assert sub.get(0.01) is None  # nothing before commit
        for cb in callbacks:
            cb()
        # the first call of the day signs the clerk on: the window's screen hears of it first
        assert sub.get(1) == {"type": "window", "window": 1, "state": "open"}
        msg = sub.get(1)
        call = CallEvent.objects.get(ticket=t, kind="call")
        assert msg == {
            "type": "call",
            "event": call.pk,  # the display's id of the call: replayed after it on reconnect, never twice
            "ticket": t.pk,
            "number": "A001",
            "window": 1,
            "at": "2026-11-25T02:00:00+00:00",
            "text": "请 A001 号到 1 号窗口",
        }
        with django_capture_on_commit_callbacks(execute=True):
            ticket_recall(ticket_id=t.pk, actor=clerk)
        recall = sub.get(1)
        assert (recall["type"], recall["event"]) == ("recall", CallEvent.objects.get(kind="recall").pk)
    finally:
        sub.close()


@freeze_time(T0)
def test_display_snapshot_current_recent_and_waiting(clerk_at, django_assert_num_queries):
    center, _, (w1, w2) = hall()
    c1, c2 = clerk_at(w1), clerk_at(w2)
    issue(center, 3)
    issue(center, 1, priority_reason="pregnant")
    t1 = ticket_call_next(window=w1, clerk=c1)  # V001
    t2 = ticket_call_next(window=w2, clerk=c2)  # A001
    ticket_recall(ticket_id=t1.pk, actor=c1)
    ticket_finish(ticket_id=t2.pk, actor=c2)
    with django_assert_num_queries(3):
        snap = display_snapshot(center)
    assert [(c["number"], c["window"], c["kind"]) for c in snap["current"]] == [("V001", 1, "recall")]
    assert [(c["number"], c["window"]) for c in snap["recent"]] == [("V001", 1), ("A001", 2)]
    assert [(w["prefix"], w["waiting"]) for w in snap["waiting"]] == [("A", 2), ("V", 0), ("Y", 0)]
    panel = window_panel(w1)
    assert (panel.current.pk, panel.session.clerk, panel.served_today) == (t1.pk, c1, 0)


@freeze_time(T0)
def test_the_panel_counts_and_offers_what_the_window_serves(clerk_at):
    """The panel's waiting counts were the whole hall's: window 7, which calls only 居住证, read "A 3" and
    waited for tickets it would never call. They are now the window's own line: its queues, without the
    tickets transferred to another window. Its transfer list offers only windows that serve some queue."""
    center, q, (w1, w2) = hall()
    permits = QueueFactory(center=center, prefix="C", name="居住证", order=4)
    seven = WindowFactory(center=center, number=7, kind=Window.Kind.SPECIALISED)
    WindowFactory(center=center, number=8, kind=Window.Kind.SPECIALISED)  # serves no queue yet
    permits.windows.add(seven)
    c1 = clerk_at(w1)
    issue(center, 3)
    issue(center, 1, priority_reason="pregnant")
    issue(center, 2, queue="C")
    sent = ticket_call_next(window=w1, clerk=c1)  # V001
    ticket_transfer(ticket_id=sent.pk, actor=c1, to_window=w2)  # now window 2's alone
    counts = {
        p: [(w["prefix"], w["waiting"]) for w in window_panel(w).waiting] for p, w in ((1, w1), (2, w2))
    }
    assert counts == {
        1: [("A", 3), ("V", 0), ("Y", 0), ("C", 2)],
        2: [("A", 3), ("V", 1), ("Y", 0), ("C", 2)],
    }
    assert [(w["prefix"], w["waiting"]) for w in window_panel(seven).waiting] == [("C", 2)]
    assert ticket_call_next(window=w1, clerk=c1).number == "A001"
    assert [w.number for w in window_panel(w1).other_windows] == [2, 7]  # 7: to C with queue C chosen
    assert ticket_call_next(window=seven, clerk=clerk_at(seven)).number == "C001"
    assert [w.number for w in window_panel(seven).other_windows] == [1, 2]


@freeze_time(T0)
def test_a_window_serving_long_stays_on_the_display_however_many_calls_follow(clerk_at):
    """The TV read the current calls from the last 40 call events: window 2 serving one resident for an
    hour vanished from it while window 1 called 41 others."""
    center, _, (w1, w2) = hall()
    c1, c2 = clerk_at(w1), clerk_at(w2)
    issue(center, 43)
    long = ticket_call_next(window=w2, clerk=c2)
    for _ in range(41):
        t = ticket_call_next(window=w1, clerk=c1)
        ticket_finish(ticket_id=t.pk, actor=c1)
    snap = display_snapshot(center)
    assert (long.number, 2) in [(c["number"], c["window"]) for c in snap["current"]]


def held(window):
    return WindowSession.objects.exclude(state="closed").get(window=window).current_ticket_id


@freeze_time(T0)
def test_the_window_holds_the_ticket_it_called_until_it_leaves(clerk_at):
    """``WindowSession.current_ticket`` is what tells a second call-next that the window is busy: the call
    sets it; finish, no-show and transfer clear it, and the window calls again."""
    center, queues, (w1, _) = hall()
    permits = QueueFactory(center=center, prefix="C", name="居住证", order=4)
    clerk = clerk_at(w1)
    issue(center, 3)
    for leave, serve in (
        (lambda t: ticket_finish(ticket_id=t.pk, actor=clerk), True),
        (lambda t: ticket_no_show(ticket_id=t.pk, actor=clerk), False),
        (lambda t: ticket_transfer(ticket_id=t.pk, actor=clerk, to_queue=permits), True),
    ):
        t = ticket_call_next(window=w1, clerk=clerk)
        assert held(w1) == t.pk
        ticket_recall(ticket_id=t.pk, actor=clerk)  # recall and start keep the ticket at the window
        if serve:
            ticket_start(ticket_id=t.pk, actor=clerk)
        assert held(w1) == t.pk
        leave(t)
        assert held(w1) is None
    assert ticket_call_next(window=w1, clerk=clerk).number == "A003"  # the transferred ticket kept its place


@freeze_time(T0)
def test_finish_with_applications_releases_the_window(clerk_at):
    from tongban.applications.tests.factories import draft

    center, _, (w1, _) = hall()
    clerk = clerk_at(w1)
    issue(center, 2)
    t = ticket_call_next(window=w1, clerk=clerk)
    app = draft(clerk=clerk)
    ticket_finish(ticket_id=t.pk, actor=clerk, application_ids=[app.pk])
    assert held(w1) is None
    assert ticket_call_next(window=w1, clerk=clerk).number == "A002"


def test_finish_links_the_cases_the_clerk_handled_since_the_call(clerk_at, client):
    """The window panel's 办结 sends no list: the cases are found from what the clerk did while the ticket was
    at the window (a rating of the service can then be traced to them). Cases handled before the call, by
    another clerk, or at another center are not this ticket's."""
    from tongban.applications.services import application_accept
    from tongban.applications.tests.factories import draft
    from tongban.queueing.models import TicketApplication

    center, _, (w1, w2) = hall()
    clerk, colleague = clerk_at(w1), clerk_at(w2)
    with freeze_time("2026-11-25 01:50:00"):
        issue(center, 2)
        earlier = draft(clerk=clerk)  # the previous resident's, before this call
    with freeze_time("2026-11-25 02:00:00"):
        t = ticket_call_next(window=w1, clerk=clerk)
    with freeze_time("2026-11-25 02:05:00"):
        handled = draft(clerk=clerk)
        accepted_too = draft(clerk=clerk)
        application_accept(application=accepted_too, actor=clerk)
        draft(clerk=colleague)  # the next window's
        application_accept(application=earlier, actor=colleague)
    with freeze_time("2026-11-25 02:10:00"):
        client.force_login(clerk)
        response = client.post(
            "/queue/window/panel/finish/", {"ticket": t.pk, "applications": ""}, HTTP_HX_REQUEST="true"
        )
    assert response.status_code == 200
    linked = sorted(TicketApplication.objects.filter(ticket=t).values_list("application_id", flat=True))
    assert linked == sorted([handled.pk, accepted_too.pk])
    entry = AuditEntry.objects.filter(action="queueing.ticket.finish").get()
    assert entry.data["applications"] == linked
    assert CallEvent.objects.get(ticket=t, kind="finish").data == {"applications": linked}


def test_finish_does_not_give_the_ticket_someone_elses_case(clerk_at):
    """While 李梅's ticket is called the clerk also records a supplement on 张建国's older case: that case is
    not 李梅's, and her rating must not go to its department. A case opened at the window is hers; so is a
    case of the resident whose appointment the ticket is."""
    from tongban.applications.services import application_accept
    from tongban.applications.tests.factories import draft, resident
    from tongban.queueing.models import AppointmentSlot, TicketApplication
    from tongban.queueing.services import appointment_book, ticket_issue

    center, q, (w1, _) = hall()
    clerk = clerk_at(w1)
    li_mei = resident()
    with freeze_time("2026-11-25 01:00:00"):
        zhang_case = draft(clerk=clerk)  # 张建国's, opened earlier in the day
        her_case = draft(clerk=clerk, applicant=li_mei)  # hers, from an earlier visit
        slot = AppointmentSlot.objects.create(
            center=center,
            queue=q["Y"],
            day=date(2026, 11, 25),
            start=time(9, 45),
            end=time(10, 15),
            capacity=2,
        )
        booked = appointment_book(slot=slot, actor=li_mei, resident=li_mei)
    with freeze_time("2026-11-25 01:50:00"):
        ticket_issue(center=center, appointment_code=booked.code)
    with freeze_time("2026-11-25 02:00:00"):
        t = ticket_call_next(window=w1, clerk=clerk)
        assert t.appointment_id == booked.pk
    with freeze_time("2026-11-25 02:05:00"):
        application_accept(application=zhang_case, actor=clerk)
        application_accept(application=her_case, actor=clerk)
        new_case = draft(clerk=clerk, applicant=li_mei)
    with freeze_time("2026-11-25 02:10:00"):
        ticket_finish(ticket_id=t.pk, actor=clerk)
    linked = set(TicketApplication.objects.filter(ticket=t).values_list("application_id", flat=True))
    assert linked == {her_case.pk, new_case.pk}


@freeze_time(T0)
def test_a_session_pointing_at_a_ticket_that_left_does_not_keep_the_window_busy(clerk_at):
    """Closing time sends yesterday's called tickets home (``tickets_close_day``); a session that still
    pointed at one must not refuse every call after it."""
    center, _, (w1, _) = hall()
    clerk = clerk_at(w1)
    gone, waiting = issue(center, 2)
    Ticket.objects.filter(pk=gone.pk).update(state="abandoned")
    WindowSession.objects.filter(window=w1).update(current_ticket=gone)
    assert ticket_call_next(window=w1, clerk=clerk).pk == waiting.pk


def test_close_day_releases_the_window_that_called_the_ticket(clerk_at):
    from tongban.queueing.services import tickets_close_day

    center, _, (w1, _) = hall()
    clerk = clerk_at(w1)
    with freeze_time(T0):
        issue(center, 1)
        t = ticket_call_next(window=w1, clerk=clerk)
    with freeze_time("2026-11-26 00:30:00"):
        assert tickets_close_day() == 1
    assert held(w1) is None
    assert Ticket.objects.get(pk=t.pk).state == "abandoned"


def test_the_days_close_signs_off_the_windows_left_staffed(clerk_at):
    """Nobody pressed 结束值守 last night: the day's close signs the windows off, so that they no longer say
    服务中, refuse the morning's clerk, or count as open in the wait estimates. A clerk serving someone past
    midnight (a 24-hour hall) keeps the window; a session opened today is not touched."""
    from tongban.queueing.services import window_sessions_close_day
    from tongban.queueing.tasks import close_day

    center, _, (w1, w2, w3, w4) = hall(windows=4)
    c1, c2, c3, c4 = (clerk_at(w) for w in (w1, w2, w3, w4))
    with freeze_time("2026-11-24 08:00:00"):  # Tuesday 16:00
        window_session_open(window=w1, clerk=c1)
        window_session_open(window=w2, clerk=c2)
        window_pause(window=w2, clerk=c2, reason="午休")
        yesterdays = issue(center, 1)[0]
        assert ticket_call_next(window=w1, clerk=c1).pk == yesterdays.pk  # still in hand at midnight
    with freeze_time("2026-11-24 15:50:00"):  # Tuesday 23:50, serving past midnight
        window_session_open(window=w3, clerk=c3)
    with freeze_time("2026-11-24 16:05:00"):  # Wednesday 00:05
        tonight = issue(center, 1)[0]
        assert ticket_call_next(window=w3, clerk=c3).pk == tonight.pk
    with freeze_time("2026-11-24 23:00:00"):  # Wednesday 07:00
        window_session_open(window=w4, clerk=c4)
    with freeze_time("2026-11-25 01:00:00"):  # Wednesday 09:00
        assert close_day() == 1 + 2  # yesterday's ticket, then windows 1 and 2
        assert window_sessions_close_day() == 0  # idempotent
    states = dict(WindowSession.objects.values_list("window__number", "state"))
    assert states == {1: "closed", 2: "closed", 3: "open", 4: "open"}
    assert WindowSession.objects.get(window=w1).current_ticket is None
    assert Ticket.objects.get(pk=yesterdays.pk).state == "abandoned"
    entries = AuditEntry.objects.filter(action="queueing.window.close").order_by("seq")
    assert [(e.actor_id, e.data) for e in entries] == [
        (None, {"window": 1, "by": "close_day", "was": "open"}),
        (None, {"window": 2, "by": "close_day", "was": "paused"}),
    ]
    with freeze_time("2026-11-25 01:00:00"):
        # the morning's clerk takes window 1; last night's clerk is free to take another
        assert window_session_open(window=w1, clerk=clerk_at(w1)).state == "open"
        assert window_session_open(window=w2, clerk=c1).state == "open"


def test_a_manager_releases_a_window_left_staffed_and_its_ticket_waits_at_its_place(clerk_at):
    """陆晓燕 went home from window 1 without signing off, A001 still called there. The center's manager
    releases the window: she is signed off, A001 waits again at the front (its place, not the end of the line)
    for any window, and window 1 is free for the next clerk. All of it audited."""
    from tongban.queueing.services import window_release

    center, _, (w1, w2) = hall()
    gone, colleague = clerk_at(w1), clerk_at(w2)
    gone.display_name = "陆晓燕"
    gone.save()
    manager = ManagerFactory(center=center)
    with freeze_time("2026-11-25 01:00:00"):
        a1, a2 = issue(center, 2)
    with freeze_time("2026-11-25 01:10:00"):
        called = ticket_call_next(window=w1, clerk=gone)
        ticket_start(ticket_id=called.pk, actor=gone)
    with freeze_time(T0):
        for not_allowed in (colleague, ManagerFactory(center=hall()[0])):
            with pytest.raises(Forbidden):
                window_release(window=w1, actor=not_allowed)
        released = window_release(window=w1, actor=manager)
        assert (released.clerk_name, released.tickets) == ("陆晓燕", ["A001"])
        t = Ticket.objects.get(pk=a1.pk)
        assert (t.state, t.called_window, t.called_by, t.called_at, t.served_at, t.queued_at) == (
            "waiting",
            None,
            None,
            None,
            None,
            a1.queued_at,
        )
        session = WindowSession.objects.get(window=w1)
        assert (session.state, session.current_ticket) == ("closed", None)
        event = CallEvent.objects.filter(ticket=t).order_by("id").last()
        assert (event.kind, event.window, event.actor, event.data) == (
            "release",
            w1,
            manager,
            {"was": "serving"},
        )
        assert AuditEntry.objects.get(action="queueing.window.release").data == {
            "window": 1,
            "clerk": "陆晓燕",
            "tickets": ["A001"],
        }
        assert AuditEntry.objects.get(action="queueing.ticket.release").data == {
            "number": "A001",
            "window": 1,
        }
        assert window_release(window=w1, actor=manager) is None  # a second click: nothing more to do
        with pytest.raises(WindowNotStaffed):
            ticket_finish(ticket_id=a1.pk, actor=gone)  # no longer hers
        assert ticket_call_next(window=w2, clerk=colleague).pk == a1.pk  # at its place, the front
        assert window_session_open(window=w1, clerk=clerk_at(w1)).state == "open"
        assert Ticket.objects.get(pk=a2.pk).state == "waiting"


@freeze_time(T0)
def test_an_admin_releases_a_paused_window_with_nothing_in_hand(clerk_at):
    from tongban.accounts.tests.factories import AdminFactory
    from tongban.queueing.services import window_release

    center, _, (w1, _) = hall()
    clerk = clerk_at(w1)
    window_session_open(window=w1, clerk=clerk)
    window_pause(window=w1, clerk=clerk)
    released = window_release(window=w1, actor=AdminFactory())
    assert (released.session.state, released.tickets) == ("closed", [])
    assert not CallEvent.objects.filter(kind="release").exists()
    assert window_session_open(window=w1, clerk=ManagerFactory(center=center)).state == "open"


@freeze_time(T0)
def test_a_refused_finish_says_why_and_changes_nothing(clerk_at):
    """On PostgreSQL a finish is one statement that changes nothing unless the actor may finish the ticket in
    hand; when it is refused, the precise reason comes from the checks under the ticket's lock."""
    from tongban.core.errors import NotFound

    center, _, (w1, w2) = hall()
    clerk = clerk_at(w1)
    issue(center, 1)
    t = ticket_call_next(window=w1, clerk=clerk)
    other_manager = ManagerFactory(center=hall()[0])
    refusals = [
        (clerk_at(w2), WindowNotStaffed),  # a clerk of the center, at another window
        (ClerkFactory(center=center), WindowNotStaffed),  # a clerk of the center, at no window
        (other_manager, Forbidden),
        (ResidentFactory(), Forbidden),
    ]
    for actor, error in refusals:
        with pytest.raises(error):
            ticket_finish(ticket_id=t.pk, actor=actor)
    with pytest.raises(NotFound):
        ticket_finish(ticket_id=t.pk + 1000, actor=clerk)
    assert Ticket.objects.get(pk=t.pk).state == "called"
    assert held(w1) == t.pk
    assert not CallEvent.objects.filter(ticket=t, kind="finish").exists()
    assert not AuditEntry.objects.filter(action="queueing.ticket.finish").exists()
    manager = ManagerFactory(center=center)  # the center's manager may finish any ticket of it
    assert ticket_finish(ticket_id=t.pk, actor=manager).state == "finished"
    assert held(w1) is None
    with pytest.raises(TicketStateError):
        ticket_finish(ticket_id=t.pk, actor=clerk)
    assert CallEvent.objects.filter(ticket=t, kind="finish").count() == 1


@freeze_time(T0)
def test_a_window_that_serves_no_queue_finds_nobody_waiting(clerk_at):
    center, _, _ = hall()
    issue(center, 1)
    idle = WindowFactory(center=center, number=8, kind=Window.Kind.SPECIALISED)  # no queue assigned yet
    clerk = clerk_at(idle)
    assert ticket_call_next(window=idle, clerk=clerk) is None
    assert held(idle) is None  # signed on, nothing in hand
    assert Ticket.objects.get().state == "waiting"

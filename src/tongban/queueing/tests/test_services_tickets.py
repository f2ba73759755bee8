"""Issuing tickets: numbering, opening hours, queue choice, priority eligibility, position and estimate."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from freezegun import freeze_time

from tongban.catalog.tests.factories import BundleFactory, CenterFactory, MatterFactory
from tongban.core.crypto import blind_index
from tongban.core.models import AuditEntry, CalendarDay
from tongban.queueing.errors import (
    HallClosed,
    InvalidIdNumber,
    InvalidTicketRequest,
    NotElderly,
    PriorityNotAllowed,
    QueueNotFound,
)
from tongban.queueing.links import ticket_id_from_token
from tongban.queueing.models import DailyCounter, Ticket
from tongban.queueing.rules import config_cache
from tongban.queueing.services import ticket_issue, tickets_close_day
from tongban.queueing.tests.factories import QueueFactory, hall

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
ELDER = "310110195601010049"  # born 1956-01-01: 70 on 2026-11-25
YOUNG = "310110199006150037"


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=SH)


@freeze_time("2026-11-25 02:00:00")  # Wednesday 10:00 in Shanghai
def test_the_appointment_and_priority_queues_are_not_chosen_like_the_others():
    """A Y number comes from checking in, a V number with a reason: taken like any other they would jump the
    line the fair order protects (a reviewer took Y003 and V005 from the machine with neither)."""
    from tongban.queueing.errors import InvalidTicketRequest

    center, _, _ = hall()
    with pytest.raises(InvalidTicketRequest) as y:
        ticket_issue(center=center, queue="Y")
    assert y.value.code == "queue.appointment_queue"
    with pytest.raises(InvalidTicketRequest) as v:
        ticket_issue(center=center, queue="V")
    assert v.value.code == "queue.priority_reason"
    assert not Ticket.objects.exists()
    assert ticket_issue(center=center, queue="V", priority_reason="pregnant").ticket.number == "V001"


def test_numbers_are_per_queue_gapless_and_formatted():
    center, q, _ = hall()
    numbers = [ticket_issue(center=center, queue="A").ticket.number for _ in range(3)]
    numbers.append(ticket_issue(center=center, queue="V", priority_reason="military").ticket.number)
    numbers.append(ticket_issue(center=center, queue="a").ticket.number)
    assert numbers == ["A001", "A002", "A003", "V001", "A004"]
    assert DailyCounter.objects.get(queue=q["A"]).last_seq == 4
    assert list(Ticket.objects.filter(queue=q["A"]).order_by("seq").values_list("seq", flat=True)) == [
        1,
        2,
        3,
        4,
    ]


def test_numbering_restarts_each_day_and_per_center():
    center, _, _ = hall()
    other, _, _ = hall()
    with freeze_time("2026-11-25 02:00:00"):
        assert ticket_issue(center=center, queue="A").ticket.number == "A001"
        assert ticket_issue(center=center, queue="A").ticket.number == "A002"
        assert ticket_issue(center=other, queue="A").ticket.number == "A001"
    with freeze_time("2026-11-26 01:00:00"):
        t = ticket_issue(center=center, queue="A").ticket
    assert (t.number, str(t.day)) == ("A001", "2026-11-26")


@freeze_time("2026-11-25 02:00:00")
def test_a_failed_issue_consumes_no_number():
    center, _, _ = hall()
    ticket_issue(center=center, queue="A")
    with pytest.raises(NotElderly):
        ticket_issue(center=center, queue="A", priority_reason="elderly", id_number=YOUNG)
    assert ticket_issue(center=center, queue="A").ticket.number == "A002"


@freeze_time("2026-11-25 02:00:00")
def test_issue_returns_position_and_estimate_and_stays_out_of_the_audit_chain():
    center, _, _ = hall()
    for _ in range(3):
        ticket_issue(center=center, queue="A")
    issued = ticket_issue(center=center, queue="A")
    # nobody finished yet: the queue's default 8 minutes per person, one window (none open yet)
    assert (issued.waiting_before, issued.estimated_wait_minutes) == (3, 24)
    assert not AuditEntry.objects.filter(object_type="queueing.ticket").exists()


def test_hall_closed_outside_opening_hours_says_when_it_opens():
    center = CenterFactory(
        open_24h=False, opening_hours={"mon": [["09:00", "17:00"]], "thu": [["09:00", "12:00"]]}
    )
    QueueFactory(center=center)
    with freeze_time(at(2026, 11, 25, 20, 0)), pytest.raises(HallClosed) as exc:  # Wednesday evening
        ticket_issue(center=center, queue="A")
    assert exc.value.code == "queue.hall_closed"
    assert exc.value.details == {"opens_at": "2026-11-26T09:00:00+08:00"}
    assert Ticket.objects.count() == 0
    with freeze_time(at(2026, 11, 26, 11, 59)):
        assert ticket_issue(center=center, queue="A").ticket.number == "A001"


def test_statutory_holiday_closes_and_makeup_day_opens_with_monday_hours():
    center = CenterFactory(
        open_24h=False, opening_hours={"mon": [["09:00", "17:00"]], "thu": [["09:00", "17:00"]]}
    )
    QueueFactory(center=center)
    CalendarDay.objects.create(date="2026-11-26", kind=CalendarDay.Kind.HOLIDAY, name="测试假日")
    CalendarDay.objects.create(date="2026-11-28", kind=CalendarDay.Kind.MAKEUP_WORKDAY, name="调休上班")
    with freeze_time(at(2026, 11, 26, 10, 0)), pytest.raises(HallClosed) as exc:
        ticket_issue(center=center, queue="A")
    assert exc.value.details == {"opens_at": "2026-11-28T09:00:00+08:00"}  # Saturday make-up day
    with freeze_time(at(2026, 11, 28, 10, 0)):
        assert ticket_issue(center=center, queue="A").ticket.number == "A001"


@freeze_time("2026-11-25 02:00:00")
def test_exactly_one_selector_is_required():
    center, _, _ = hall()
    with pytest.raises(InvalidTicketRequest):
        ticket_issue(center=center, queue="A", matter="X")
    with pytest.raises(InvalidTicketRequest):
        ticket_issue(center=center)
    with pytest.raises(QueueNotFound):
        ticket_issue(center=center, queue="Z")


@freeze_time("2026-11-25 02:00:00")
def test_matter_and_bundle_choose_the_queue_of_their_group():
    center, q, _ = hall()
    permit = MatterFactory(name="居住证办理")
    other = MatterFactory()
    c = QueueFactory(center=center, prefix="C", name="居住证", order=5)
    c.matter_groups.add(permit.group)
    assert ticket_issue(center=center, matter=permit.code).ticket.queue == c
    assert ticket_issue(center=center, matter=other.code).ticket.queue == q["A"]  # fallback: first normal
    bundle = BundleFactory(matters=[permit, other])
    t = ticket_issue(center=center, bundle=bundle.code).ticket
    assert (t.queue, t.bundle, t.number) == (c, bundle, "C002")
    with pytest.raises(QueueNotFound):
        ticket_issue(center=center, matter="NOPE")


@freeze_time("2026-11-25 02:00:00")
def test_priority_groups_go_to_the_priority_queue_and_elderly_is_checked_by_age():
    center, q, _ = hall()
    t = ticket_issue(center=center, queue="A", priority_reason="military").ticket
    assert (t.queue, t.priority_reason, t.number) == (q["V"], "military", "V001")
    elder = ticket_issue(center=center, queue="A", priority_reason="elderly", id_number=ELDER).ticket
    assert elder.priority_reason == "elderly"
    # an ID card read at the machine is enough
    auto = ticket_issue(center=center, queue="A", id_number=ELDER).ticket
    assert (auto.priority_reason, auto.queue) == ("elderly", q["V"])
    young = ticket_issue(center=center, queue="A", id_number=YOUNG).ticket
    assert (young.priority_reason, young.queue) == ("", q["A"])
    with pytest.raises(NotElderly):
        ticket_issue(center=center, queue="A", priority_reason="elderly", id_number=YOUNG)
    with pytest.raises(NotElderly):
        ticket_issue(center=center, queue="A", priority_reason="elderly")
    with pytest.raises(InvalidIdNumber):
        ticket_issue(center=center, queue="A", priority_reason="elderly", id_number="310110195601010040")


@freeze_time("2026-11-25 02:00:00")
def test_the_priority_lane_takes_a_reason_and_no_queue():
    """The ticket machine's 优先通道 sends the reason (and, for the elderly, the ID number) without a queue:
    the priority queue takes it, and the ID number proves the age; it is not an appointment check-in."""
    center, q, _ = hall()
    soldier = ticket_issue(center=center, priority_reason="military").ticket
    assert (soldier.queue, soldier.priority_reason, soldier.number) == (q["V"], "military", "V001")
    elder = ticket_issue(center=center, priority_reason="elderly", id_number=ELDER).ticket
    assert (elder.queue, elder.priority_reason, elder.appointment_id) == (q["V"], "elderly", None)
    with pytest.raises(NotElderly):
        ticket_issue(center=center, priority_reason="elderly", id_number=YOUNG)
    with pytest.raises(NotElderly):
        ticket_issue(center=center, priority_reason="elderly")
    with pytest.raises(InvalidTicketRequest):
        ticket_issue(center=center)  # nothing chosen at all
    q["V"].active = False  # a center without a priority queue: the normal queue, still marked priority
    q["V"].save()
    config_cache.clear()  # the queues are configuration, cached 30 s
    pregnant = ticket_issue(center=center, priority_reason="pregnant").ticket
    assert (pregnant.queue, pregnant.priority_reason) == (q["A"], "pregnant")


@freeze_time("2026-11-25 02:00:00")
def test_priority_reasons_are_configurable_per_center():
    center, _, _ = hall(enabled_reasons=["military"], elderly_age=60)
    with pytest.raises(PriorityNotAllowed):
        ticket_issue(center=center, queue="A", priority_reason="pregnant")
    assert (
        ticket_issue(center=center, queue="A", priority_reason="military").ticket.priority_reason
        == "military"
    )
    # elderly not enabled: an old person's ID card gives no priority
    assert ticket_issue(center=center, queue="A", id_number=ELDER).ticket.priority_reason == ""


@freeze_time("2026-11-25 02:00:00")
def test_waiting_before_follows_the_fair_order():
    center, _, _ = hall()
    ticket_issue(center=center, queue="A")
    ticket_issue(center=center, queue="A")
    p = ticket_issue(center=center, queue="A", priority_reason="pregnant")
    assert p.waiting_before == 0  # priority class: only earlier priority tickets are ahead
    n = ticket_issue(center=center, queue="A")
    assert n.waiting_before == 3


def test_close_day_abandons_yesterdays_unserved_tickets():
    center, _, _ = hall()
    with freeze_time("2026-11-25 02:00:00"):
        t = ticket_issue(center=center, queue="A").ticket
    with freeze_time("2026-11-26 00:30:00"):
        today = ticket_issue(center=center, queue="A").ticket
        assert tickets_close_day() == 1
        assert tickets_close_day() == 0
    t.refresh_from_db()
    today.refresh_from_db()
    assert (t.state, today.state) == (Ticket.State.ABANDONED, Ticket.State.WAITING)
    assert list(t.events.values_list("kind", flat=True)) == ["abandon"]


@freeze_time("2026-11-25 02:00:00")
def test_estimate_uses_recent_service_times_and_open_windows(clerk_at, monkeypatch):
    from tongban.queueing.services import ticket_call_next, ticket_finish, window_session_open
    from tongban.queueing.services import tickets as tickets_mod

    monkeypatch.setattr(tickets_mod, "ESTIMATE_MIN_SAMPLE", 1)  # one service is trusted alone here

    center, _, wins = hall()
    clerks = [clerk_at(w) for w in wins]
    for w, c in zip(wins, clerks, strict=True):
        window_session_open(window=w, clerk=c)
    first = ticket_issue(center=center, queue="A").ticket
    with freeze_time("2026-11-25 02:01:00"):
        ticket_call_next(window=wins[0], clerk=clerks[0])
    with freeze_time("2026-11-25 02:05:00"):
        ticket_finish(ticket_id=first.pk, actor=clerks[0])  # 4 minutes of service
    tickets_mod._estimate_cache.clear()
    for _ in range(4):
        issued = ticket_issue(center=center, queue="A")
    assert (issued.waiting_before, issued.estimated_wait_minutes) == (3, 6)  # ceil(3 × 4 / 2)


@freeze_time("2026-11-25 02:00:00")
def test_estimate_without_recent_services_uses_each_queues_own_default():
    """With no service in the last two hours, each queue's own default service time, whichever queue the
    center's cached figures were first read for (they were: the first queue's default, for 30 s)."""
    center, q, _ = hall()  # no window open: counted as one
    q["A"].default_service_minutes = 8
    q["A"].save()
    quick = QueueFactory(center=center, prefix="B", name="证明开具", order=4, default_service_minutes=3)
    for _ in range(2):
        ticket_issue(center=center, queue="A")
    a = ticket_issue(center=center, queue="A")
    b = ticket_issue(center=center, queue=quick.prefix)
    assert (a.waiting_before, a.estimated_wait_minutes) == (2, 16)  # 2 × 8 ÷ 1
    assert (b.waiting_before, b.estimated_wait_minutes) == (3, 9)  # 3 × 3 ÷ 1, not 3 × 8


@freeze_time("2026-11-25 02:00:00")
def test_estimate_averages_the_most_recent_services(clerk_at, monkeypatch):
    """A bounded read whatever the day's volume: the newest ESTIMATE_SAMPLE services of the last two hours."""
    from tongban.queueing.services import ticket_call_next, ticket_finish, window_session_open
    from tongban.queueing.services import tickets as tickets_mod

    monkeypatch.setattr(tickets_mod, "ESTIMATE_SAMPLE", 2)
    monkeypatch.setattr(tickets_mod, "ESTIMATE_MIN_SAMPLE", 1)
    center, _, wins = hall(windows=1)
    clerk = clerk_at(wins[0])
    window_session_open(window=wins[0], clerk=clerk)
    for start, minutes in (("02:01", 30), ("02:40", 4), ("02:50", 6)):  # finished in this order
        ticket = ticket_issue(center=center, queue="A").ticket
        with freeze_time(f"2026-11-25 {start}:00"):
            ticket_call_next(window=wins[0], clerk=clerk)
        with freeze_time(f"2026-11-25 {start}:00") as clock:
            clock.tick(minutes * 60)
            ticket_finish(ticket_id=ticket.pk, actor=clerk)
    tickets_mod._estimate_cache.clear()
    with freeze_time("2026-11-25 03:00:00"):
        for _ in range(3):
            issued = ticket_issue(center=center, queue="A")
    assert (issued.waiting_before, issued.estimated_wait_minutes) == (2, 10)  # 2 × (4 + 6) / 2 ÷ 1 window


@pytest.mark.parametrize(
    ("average", "services", "minutes"),
    [
        (None, 0, 8.0),  # nothing seen: the queue's default
        (30.0, 1, 10.2),  # one long service moves the estimate a tenth of the way, not all of it
        (2.0, 2, 6.8),  # two quick ones, a fifth
        (30.0, 5, 19.0),
        (30.0, 10, 30.0),  # ten or more: the average alone
        (30.0, 200, 30.0),
        (0.1, 50, 1.0),  # never under a minute
    ],
)
def test_few_services_are_blended_with_the_queues_default(average, services, minutes):
    from tongban.queueing.services.tickets import EstimateInputs, service_minutes

    inputs = EstimateInputs(average=average, services=services, windows=1)
    assert service_minutes(inputs, 8.0) == pytest.approx(minutes)


@freeze_time("2026-11-25 02:00:00")
def test_the_slips_estimate_does_not_swing_on_the_first_services_of_the_day(clerk_at):
    """The slips of one morning: the first service took 30 minutes, and the next slip said 4 ahead, 120
    minutes; then quick ones, and 9 ahead was 5 minutes. With the queue's 8 minutes blended in until ten
    services stand behind the average, the estimate moves with the services, not by leaps."""
    from tongban.queueing.services import (
        estimate_wait_minutes,
        ticket_call_next,
        ticket_finish,
        window_session_open,
    )
    from tongban.queueing.services import tickets as tickets_mod

    center, q, (w1,) = hall(windows=1)
    clerk = clerk_at(w1)
    window_session_open(window=w1, clerk=clerk)

    def serve(minutes: int, at: str) -> None:
        ticket = ticket_issue(center=center, queue="A").ticket
        with freeze_time(f"2026-11-25 {at}:00") as clock:
            ticket_call_next(window=w1, clerk=clerk)
            clock.tick(minutes * 60)
            ticket_finish(ticket_id=ticket.pk, actor=clerk)

    def estimate(ahead: int, at: str) -> int:
        tickets_mod._estimate_cache.clear()
        with freeze_time(f"2026-11-25 {at}:00"):
            return estimate_wait_minutes(center, ahead, queue=q["A"])

    assert estimate(4, "02:00") == 32  # nothing served yet: 4 × 8
    serve(30, "02:00")
    assert estimate(4, "02:31") == 41  # 4 × (30 + 9 × 8) / 10, not 4 × 30 = 120
    for i in range(9):
        serve(1, f"02:{32 + 2 * i}")
    # ten services: (30 + 9 × 1) / 10 = 3.9 minutes each, the average alone
    assert estimate(9, "02:55") == 36  # ceil(9 × 3.9 ÷ 1 window)


def test_estimate_just_after_midnight_still_counts_the_last_two_hours(clerk_at, monkeypatch):
    """The service-time average reads the last two hours by the finishes' times, not by the tickets' day: at
    00:30 that is yesterday's late service too."""
    from tongban.queueing.services import ticket_call_next, ticket_finish, window_session_open
    from tongban.queueing.services import tickets as tickets_mod

    monkeypatch.setattr(tickets_mod, "ESTIMATE_MIN_SAMPLE", 1)

    center, _, (w1, w2) = hall()
    c1, c2 = clerk_at(w1), clerk_at(w2)
    window_session_open(window=w1, clerk=c1)
    window_session_open(window=w2, clerk=c2)
    with freeze_time("2026-11-25 15:40:00"):  # 23:40 Shanghai
        late = ticket_issue(center=center, queue="A").ticket
        ticket_call_next(window=w1, clerk=c1)
    with freeze_time("2026-11-25 15:50:00"):
        ticket_finish(ticket_id=late.pk, actor=c1)  # 10 minutes of service, at 23:50
    tickets_mod._estimate_cache.clear()
    with freeze_time("2026-11-25 16:30:00"):  # 00:30 the next day
        for _ in range(3):
            issued = ticket_issue(center=center, queue="A")
    assert (issued.waiting_before, issued.estimated_wait_minutes) == (2, 10)  # ceil(2 × 10 / 2)


@freeze_time("2026-11-25 02:00:00")
def test_numbering_continues_after_tickets_imported_without_a_counter():
    center, q, _ = hall()
    Ticket.objects.create(
        center=center,
        queue=q["A"],
        day="2026-11-25",
        seq=7,
        number="A007",
        queued_at=at(2026, 11, 25, 9),
        issued_at=at(2026, 11, 25, 9),
    )
    assert ticket_issue(center=center, queue="A").ticket.number == "A008"
    assert ticket_issue(center=center, queue="A").ticket.number == "A009"


def test_position_count_is_the_fair_order_predicate_for_every_kind_of_ticket(clerk_at):
    """``tickets_ahead`` is hand-written SQL (it runs for every ticket); it must count exactly what the fair
    order's ORM predicate counts: priority class, wait boost, ties, future check-ins, other states."""
    from datetime import timedelta

    from django.db.models import Q

    from tongban.queueing.rules import settings_for
    from tongban.queueing.services import ticket_call_next, tickets_ahead

    center, _, (w1, _) = hall(max_wait_boost_minutes=30)
    for when, kw in [
        ("02:00:00", {}),
        ("02:05:00", {}),
        ("02:05:00", {}),  # same instant: ties go by id
        ("02:10:00", {"priority_reason": "military"}),
        ("02:30:00", {"priority_reason": "pregnant"}),
        ("02:40:00", {}),
        ("02:41:00", {}),
    ]:
        with freeze_time(f"2026-11-25 {when}"):
            ticket_issue(center=center, queue="A", **kw)
    with freeze_time("2026-11-25 02:42:00"):
        ticket_call_next(window=w1, clerk=clerk_at(w1))  # A001 (boosted, oldest) leaves the line
    # an appointment checked in early: priority, but queued at its slot's start (in the future)
    Ticket.objects.filter(number="A005").update(priority_reason="appointment", queued_at=at(2026, 11, 25, 11))
    now = at(2026, 11, 25, 10, 45)  # boost: queued at 10:15 or earlier
    rules = settings_for(center)
    boost = now - timedelta(minutes=rules.max_wait_boost_minutes)
    waiting = list(Ticket.objects.filter(center=center, state="waiting").order_by("id"))
    assert len(waiting) == 6
    got = {}
    for t in waiting:
        others = Ticket.objects.filter(center=center, day=t.day, state="waiting").exclude(pk=t.pk)
        priority_class = (Q(queued_at__lte=now) & ~Q(priority_reason="")) | Q(queued_at__lte=boost)
        earlier = Q(queued_at__lt=t.queued_at) | Q(queued_at=t.queued_at, pk__lt=t.pk)
        in_class = (t.priority_reason and t.queued_at <= now) or t.queued_at <= boost
        expected = others.filter(priority_class & earlier if in_class else priority_class | earlier).count()
        got[t.number] = tickets_ahead(t, rules=rules, now=now)
        assert got[t.number] == expected, t.number
    assert got == {"A002": 0, "A003": 1, "V001": 2, "V002": 3, "A004": 4, "A005": 5}


@pytest.mark.parametrize("boost", [30, 0])
def test_the_position_given_at_issue_is_the_position_counted_afterwards(boost):
    """On PostgreSQL the ticket machine counts the line in the statement that inserts the ticket, before the
    ticket exists (services/tickets.py, ``_COUNTED_INSERT_SQL``); elsewhere it counts after. Either way the
    slip must say what :func:`tickets_ahead` says of the ticket once it is in line: for normal and priority
    tickets, behind boosted ones, with tickets already called, and with a boost of 0 (everyone in class)."""
    from tongban.queueing.services import tickets_ahead

    center, _, _ = hall(max_wait_boost_minutes=boost)
    Ticket.objects.create(  # an appointment checked in early: priority from its slot, 11:00
        center=center,
        queue=QueueFactory(center=center, prefix="Z", order=9),
        day="2026-11-25",
        seq=1,
        number="Z001",
        priority_reason="appointment",
        queued_at=at(2026, 11, 25, 11),
        issued_at=at(2026, 11, 25, 10),
    )
    given = []
    for when, kw in [
        ("02:00:00", {}),
        ("02:05:00", {}),
        ("02:05:00", {}),  # the same instant as the one before
        ("02:10:00", {"priority_reason": "military"}),
        ("02:20:00", {"queue": "V", "priority_reason": "disabled"}),  # the priority queue, named
        ("02:40:00", {}),  # the first ticket has waited past the boost
        ("02:40:00", {"priority_reason": "pregnant"}),
        ("03:30:00", {}),  # the appointment's time has come
        ("03:31:00", {"priority_reason": "military"}),
    ]:
        with freeze_time(f"2026-11-25 {when}"):
            issued = ticket_issue(center=center, **{"queue": "A", **kw})
            counted = tickets_ahead(issued.ticket)
        given.append((issued.ticket.number, issued.waiting_before))
        assert issued.waiting_before == counted, issued.ticket.number
    assert given[0] == ("A001", 0)
    # the last (military, 03:31): the earlier priority tickets whose time has come (military, pregnant, the
    # appointment) and the five normal ones queued past the boost (by 03:01); with no boost, all nine earlier
    assert given[-1][1] == (8 if boost else 9)


@freeze_time("2026-11-25 02:00:00")
def test_position_is_counted_up_to_the_cap_and_the_slip_says_so(client):
    """A very long line costs the ticket machine no more than a line of WAITING_BEFORE_CAP: the count stops
    there, the API says the cap and the slip says "N or more"."""
    from tongban.queueing.services import WAITING_BEFORE_CAP, tickets_ahead

    center, queues, _ = hall()
    q = queues["A"]
    now = at(2026, 11, 25, 10)
    Ticket.objects.bulk_create(
        Ticket(
            center=center, queue=q, day=now.date(), seq=i, number=f"A{i:03d}", queued_at=now, issued_at=now
        )
        for i in range(1, WAITING_BEFORE_CAP + 2)
    )
    DailyCounter.objects.create(queue=q, day=now.date(), last_seq=WAITING_BEFORE_CAP + 1)
    issued = ticket_issue(center=center, queue="A")
    assert issued.waiting_before == WAITING_BEFORE_CAP
    # a priority ticket has nobody of its class ahead: counted exactly, not capped
    assert ticket_issue(center=center, queue="A", priority_reason="military").waiting_before == 0
    # an early ticket of the long line still counts exactly
    fifth = Ticket.objects.get(queue=q, seq=5)
    assert tickets_ahead(fifth) == 4 + 1  # A001–A004, and the priority ticket whose time has come

    response = client.post(f"/queue/ticket-machine/{center.code}/", {"queue": "A"}, follow=True)
    html = response.content.decode()
    assert f"前面有 {WAITING_BEFORE_CAP} 人以上" in html
    assert "分钟以上" in html  # the estimate is a lower bound too
    client.cookies["django_language"] = "en"
    html = client.get(response.redirect_chain[-1][0]).content.decode()
    assert f"{WAITING_BEFORE_CAP} or more people ahead of you" in html
    assert "minutes or more" in html


def test_a_burst_of_tickets_reaches_the_displays_as_two_messages(monkeypatch):
    """Ticket machines issuing several tickets a second: the displays hear "the line changed" at once, and
    once more after the burst (so the last ticket is shown), not once per ticket."""
    from tongban.queueing import live

    monkeypatch.setattr(live, "WAITING_EVERY", 0.2)
    center_id = 987654
    sub = live.get_broker().subscribe(live.channel_for(center_id))
    try:
        for _ in range(5):
            live.publish_waiting(center_id)
        assert sub.get(1.0) == {"type": "waiting"}  # the first, at once
        assert sub.get(2.0) == {"type": "waiting"}  # the other four, folded into one after the interval
        assert sub.get(0.5) is None
        live.publish_waiting(center_id)  # later, the next burst starts at once again
        assert sub.get(1.0) == {"type": "waiting"}
    finally:
        sub.close()


@freeze_time("2026-11-25 02:00:00")
def test_the_few_ahead_reminder_goes_once_when_its_time_comes():
    from tongban.notifications.models import Message
    from tongban.queueing.tasks import notify_ahead

    center, _, _ = hall(sms_ahead=2)
    line = [ticket_issue(center=center, queue="A").ticket for _ in range(4)]
    mine = ticket_issue(center=center, queue="A", notify_phone="13912345678").ticket
    assert notify_ahead(center.pk) == 0  # four ahead
    Ticket.objects.filter(pk__in=[t.pk for t in line[:2]]).update(state=Ticket.State.FINISHED)
    assert notify_ahead(center.pk) == 1  # two ahead
    sms = Message.objects.get(purpose="queueing.ticket.ahead")
    assert sms.to == "13912345678" and mine.number in sms.body and "前面还有 2 位" in sms.body
    # the slip's own page, reachable from the SMS: it names this ticket and no other
    link = sms.body.rsplit("：", 1)[1]
    assert link.startswith("http") and ticket_id_from_token(link.rstrip("/").rsplit("/", 1)[1]) == mine.pk
    Ticket.objects.filter(pk=line[2].pk).update(state=Ticket.State.FINISHED)
    assert notify_ahead(center.pk) == 0  # once per ticket
    assert Message.objects.count() == 1


@freeze_time("2026-11-25 02:00:00")
def test_a_phone_gets_at_most_three_reminders_a_day_however_many_tickets_name_it():
    """The reminder is asked for without signing in: without a limit, taking tickets would send a stranger
    one SMS each. A family with a few tickets on one phone is still reminded for each, up to three."""
    from tongban.notifications.models import Message
    from tongban.queueing.services.tickets import AHEAD_SMS_PER_PHONE_PER_DAY
    from tongban.queueing.tasks import notify_ahead

    center, _, _ = hall(sms_ahead=10)
    for _ in range(5):
        ticket_issue(center=center, queue="A", notify_phone="13912345678")
    neighbour = ticket_issue(center=center, queue="A", notify_phone="13800001111").ticket
    assert notify_ahead(center.pk) == AHEAD_SMS_PER_PHONE_PER_DAY + 1 == 4
    to_victim = Message.objects.filter(to_hash=blind_index("13912345678"))
    assert to_victim.count() == 3
    (to_neighbour,) = Message.objects.filter(to_hash=blind_index("13800001111"))
    assert neighbour.number in to_neighbour.body
    # the two over the limit are settled, not retried by every later run
    assert not Ticket.objects.filter(notify_sent_at=None).exclude(notify_phone="").exists()
    assert notify_ahead(center.pk) == 0


@freeze_time("2026-11-25 02:00:00")
@pytest.mark.parametrize("by", ["queue", "appointment check-in path's generic insert"])
def test_the_reminder_phone_is_encrypted_at_rest(by):
    """Given with the ticket (the ticket machine's API), the phone is personal data like any other: the
    column holds ciphertext, and reading the ticket gives the number back."""
    from django.db import connection

    from tongban.core.crypto import decrypt_str
    from tongban.queueing.services.tickets import _insert_numbered

    center, q, _ = hall()
    if by == "queue":
        ticket = ticket_issue(center=center, queue="A", notify_phone="13912345678").ticket
    else:
        ticket = Ticket(center=center, queue=q["A"], day=at(2026, 11, 25).date(), notify_phone="13912345678")
        ticket.queued_at = ticket.issued_at = at(2026, 11, 25, 10)
        _insert_numbered(ticket)
    with connection.cursor() as cursor:
        cursor.execute("SELECT notify_phone FROM queueing_ticket WHERE id = %s", [ticket.pk])
        (stored,) = cursor.fetchone()
    assert "13912345678" not in stored and decrypt_str(stored) == "13912345678"
    assert ticket.notify_phone == Ticket.objects.get(pk=ticket.pk).notify_phone == "13912345678"


@freeze_time("2026-11-25 02:00:00")
def test_the_migration_encrypts_reminder_phones_stored_in_the_clear():
    import importlib
    from types import SimpleNamespace

    from django.db import connection

    from tongban.core.crypto import decrypt_str

    migration = importlib.import_module("tongban.queueing.migrations.0012_encrypt_plaintext_notify_phones")
    center, _, _ = hall()
    plain = ticket_issue(center=center, queue="A").ticket
    kept = ticket_issue(center=center, queue="A", notify_phone="13800001111").ticket
    with connection.cursor() as cursor:  # as the unprepared insert left it
        cursor.execute("UPDATE queueing_ticket SET notify_phone = '13912345678' WHERE id = %s", [plain.pk])
        cursor.execute("SELECT notify_phone FROM queueing_ticket WHERE id = %s", [kept.pk])
        (kept_before,) = cursor.fetchone()
    migration.encrypt_plaintext(None, SimpleNamespace(connection=connection))
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, notify_phone FROM queueing_ticket ORDER BY id")
        stored = dict(cursor.fetchall())
    assert decrypt_str(stored[plain.pk]) == "13912345678"
    assert stored[kept.pk] == kept_before  # already encrypted: untouched

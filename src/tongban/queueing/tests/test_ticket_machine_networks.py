"""A center may keep ticket-taking to its hall: ``QueueSettings.kiosk_networks`` (the ticket API needs no login)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from freezegun import freeze_time
from rest_framework.test import APIClient

from tongban.core.crypto import blind_index
from tongban.queueing.models import DailyCounter, QueueSettings, Ticket
from tongban.queueing.rules import parse_networks, ticket_machine_allowed
from tongban.queueing.services import ticket_issue
from tongban.queueing.tests.factories import hall

pytestmark = pytest.mark.django_db
T0 = "2026-11-25 02:00:00"
HALL = "10.8.0.0/16\n# the self-service room\n192.168.40.7\n"


def take(center, remote, forwarded=None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return APIClient().post(f"/api/v1/centers/{center.code}/tickets", {"queue": "A"}, format="json", **extra)


@freeze_time(T0)
def test_the_ticket_api_answers_only_the_halls_networks():
    center, _, _ = hall(kiosk_networks=HALL)
    assert take(center, "10.8.3.4").status_code == 201
    assert take(center, "192.168.40.7").status_code == 201
    # from anywhere else: refused, in Chinese first, and nothing is numbered or written
    r = take(center, "203.0.113.9")
    assert r.status_code == 403
    body = r.json()["error"]
    assert body["code"] == "queue.not_a_ticket_machine"
    assert body["message"].startswith("请在服务中心大厅的取号机上取号")
    assert "ticket machines" in body["message_en"]
    assert take(center, "192.168.40.8").status_code == 403  # the next address is not the listed one
    assert list(Ticket.objects.order_by("number").values_list("number", flat=True)) == ["A001", "A002"]
    assert DailyCounter.objects.get(queue__prefix="A", queue__center=center).last_seq == 2


@freeze_time(T0)
def test_behind_the_proxy_the_address_nginx_saw_decides():
    """nginx (docs/deploy.md) appends the client's address to X-Forwarded-For; a client can put anything before it."""
    center, _, _ = hall(kiosk_networks=HALL)
    assert take(center, "127.0.0.1", "10.8.9.9").status_code == 201
    assert take(center, "127.0.0.1", "203.0.113.9").status_code == 403
    assert take(center, "127.0.0.1", "10.8.9.9, 203.0.113.9").status_code == 403  # forged first entry
    # a request straight from a public address is taken at its word, whatever it forwards
    assert take(center, "114.114.114.114", "10.8.9.9").status_code == 403
    assert Ticket.objects.count() == 1


@freeze_time(T0)
def test_check_in_by_id_number_is_refused_outside_before_anything_is_looked_up(django_assert_num_queries):
    """From outside the hall, the answer must not tell whether an ID number has an appointment today."""
    center, _, _ = hall(kiosk_networks=HALL)
    ticket_issue(center=center, queue="A")  # rules cached, as at any busy hour
    with django_assert_num_queries(1):  # the center, by code: no appointment, no ticket, no counter
        r = APIClient().post(
            f"/api/v1/centers/{center.code}/tickets",
            {"id_number": "110101195001011237"},
            format="json",
            REMOTE_ADDR="203.0.113.9",
        )
    assert (r.status_code, r.json()["error"]["code"]) == (403, "queue.not_a_ticket_machine")


@freeze_time(T0)
def test_no_networks_means_no_restriction_and_internal_callers_are_not_asked():
    center, _, _ = hall()
    assert take(center, "203.0.113.9").status_code == 201
    restricted, _, _ = hall(kiosk_networks=HALL)
    assert ticket_issue(center=restricted, queue="A").ticket.number == "A001"  # the demo loader: no request


@freeze_time(T0)
def test_the_machine_page_away_from_the_hall_says_where_to_go(client):
    center, _, _ = hall(kiosk_networks=HALL)
    page = client.get(f"/queue/ticket-machine/{center.code}/", REMOTE_ADDR="203.0.113.9")
    html = page.content.decode()
    assert page.status_code == 403
    assert "请在服务中心大厅的取号机上取号或签到" in html
    assert "网上预约" in html and 'name="queue"' not in html  # what works from anywhere, no choices to refuse
    assert f"中心地址：{center.address}" in html
    client.cookies["django_language"] = "en"  # the machine's language button
    english = client.get(f"/queue/ticket-machine/{center.code}/", REMOTE_ADDR="203.0.113.9").content.decode()
    del client.cookies["django_language"]
    assert "at the center&#x27;s own ticket machines" in english and f"Address: {center.address}" in english
    r = client.post(f"/queue/ticket-machine/{center.code}/", {"queue": "A"}, REMOTE_ADDR="203.0.113.9")
    assert r.status_code == 403 and Ticket.objects.count() == 0
    # at the hall's machine: the choices, and a ticket
    assert (
        'name="queue"'
        in client.get(f"/queue/ticket-machine/{center.code}/", REMOTE_ADDR="10.8.0.5").content.decode()
    )
    r = client.post(f"/queue/ticket-machine/{center.code}/", {"queue": "A"}, REMOTE_ADDR="10.8.0.5")
    assert r.status_code == 302 and Ticket.objects.get().number == "A001"


def test_the_admin_refuses_a_line_that_is_no_network():
    center, _, _ = hall()
    rules = QueueSettings.objects.get(center=center)
    rules.kiosk_networks = "10.8.0.0/16\n10.9.0.0/33\n"
    with pytest.raises(ValidationError) as refused:
        rules.full_clean()
    assert refused.value.message_dict["kiosk_networks"] == [
        "第 2 行“10.9.0.0/33”不是 IP 地址或网段（如 10.12.0.0/16）"
    ]
    with translation.override("en"), pytest.raises(ValueError, match="Line 1, “kiosk”, is not an IP address"):
        parse_networks("kiosk\n")
    rules.kiosk_networks = "10.8.0.0/16  # hall\n\n2001:db8::/32\n"
    rules.full_clean()
    assert ticket_machine_allowed(rules, "2001:db8::7") and not ticket_machine_allowed(rules, "")


def test_a_list_saved_around_the_check_refuses_rather_than_opens():
    center, _, _ = hall()
    QueueSettings.objects.filter(center=center).update(kiosk_networks="hall wifi")
    rules = QueueSettings.objects.get(center=center)
    assert not ticket_machine_allowed(rules, "10.8.0.5")


@freeze_time(T0)
def test_failed_check_ins_are_limited_per_address_and_plain_tickets_never(django_assert_num_queries):
    """A check-in by code or ID number tells whether an appointment exists, so an address that keeps failing
    waits (429, in Chinese first, with Retry-After); one kiosk's successful check-ins are never counted, and plain
    tickets are neither limited nor slowed (the hall's machines issue hundreds an hour)."""
    from datetime import date, time

    from django.db import connection

    from tongban.accounts.tests.factories import ClerkFactory
    from tongban.queueing.models import Appointment, AppointmentSlot
    from tongban.queueing.services import appointment_book
    from tongban.queueing.services.tickets import CHECKIN_FAILURES

    center, q, _ = hall()
    slot = AppointmentSlot.objects.create(
        center=center, queue=q["Y"], day=date(2026, 11, 25), start=time(10), end=time(10, 30), capacity=5
    )
    clerk = ClerkFactory(center=center)
    ids = ["310110195601010049", "310110199006150037", "310110200002290054"]
    for i, id_number in enumerate(ids):
        appointment_book(slot=slot, actor=clerk, id_number=id_number, phone=f"1390000000{i}")
    url = f"/api/v1/centers/{center.code}/tickets"

    def check_in(remote, **body):
        return APIClient().post(url, body, format="json", REMOTE_ADDR=remote)

    assert check_in("10.8.3.4", id_number=ids[0]).status_code == 201  # a success is not counted
    for i in range(CHECKIN_FAILURES.limit - 1):
        assert check_in("10.8.3.4", appointment_code=f"ZZZZ{i:02d}").status_code == 404
    assert check_in("10.8.3.4", id_number="310110195601010048").status_code == 400  # a typo counts too
    r = check_in("10.8.3.4", id_number=ids[1])  # right, but the address has to wait now
    assert (r.status_code, r["Retry-After"]) == (429, "900")
    error = r.json()["error"]
    assert error["code"] == "queue.checkin_locked"
    assert error["message"].startswith("这台取号机签到失败次数过多，请15分钟后再试")
    assert error["message_en"].startswith(
        "Too many failed check-ins at this machine: try again in 15 minutes"
    )
    assert Appointment.objects.get(id_number_hash=blind_index(ids[1])).state == "booked"
    assert check_in("10.8.3.5", id_number=ids[1]).status_code == 201  # another machine is not held up

    # plain tickets from the waiting address: issued, and the limit is not even read (statements as ever)
    assert take(center, "10.8.3.4").status_code == 201
    with django_assert_num_queries(1 if connection.vendor == "postgresql" else 3):
        assert take(center, "10.8.3.4").status_code == 201
    for _ in range(CHECKIN_FAILURES.limit):  # a plain request's failure is not a check-in's
        r = APIClient().post(url, {"matter": "NOPE"}, format="json", REMOTE_ADDR="10.8.3.6")
        assert r.status_code == 404
    assert check_in("10.8.3.6", id_number=ids[2]).status_code == 201

    with freeze_time("2026-11-25 02:15:00"):  # the window is over: a wrong code is just not found again
        assert check_in("10.8.3.4", appointment_code="ZZZZZZ").status_code == 404


@freeze_time(T0)
def test_a_center_listing_its_machines_does_not_lock_their_check_in():
    """Where the center lists its ticket machines' networks, only its own machines reach a check-in: a morning
    of early arrivals (each "too early" a failure) must not lock the hall's machine for the next resident."""
    from datetime import date, time

    from tongban.accounts.tests.factories import ClerkFactory
    from tongban.queueing.models import AppointmentSlot
    from tongban.queueing.services import appointment_book
    from tongban.queueing.services.tickets import CHECKIN_FAILURES

    center, q, _ = hall(kiosk_networks=HALL)
    slot = AppointmentSlot.objects.create(
        center=center, queue=q["Y"], day=date(2026, 11, 25), start=time(10), end=time(10, 30), capacity=5
    )
    appointment_book(
        slot=slot, actor=ClerkFactory(center=center), id_number="310110195601010049", phone="13900000000"
    )
    url = f"/api/v1/centers/{center.code}/tickets"
    for i in range(CHECKIN_FAILURES.limit + 5):
        r = APIClient().post(url, {"appointment_code": f"ZZZZ{i:02d}"}, format="json", REMOTE_ADDR="10.8.3.4")
        assert r.status_code == 404
    r = APIClient().post(url, {"id_number": "310110195601010049"}, format="json", REMOTE_ADDR="10.8.3.4")
    assert r.status_code == 201 and r.json()["number"] == "Y001"
    # from elsewhere it is still the hall's networks that answer: refused before anything is looked up
    r = APIClient().post(url, {"appointment_code": "ZZZZ00"}, format="json", REMOTE_ADDR="203.0.113.9")
    assert r.status_code == 403


@freeze_time(T0)
def test_residents_turned_away_as_early_do_not_lock_an_open_machine():
    """Only check-ins that find nothing look like guessing: a morning of residents too early for their slot (each
    answered "check in from …") must not lock the machine for the next one, whose slot has come."""
    from datetime import date, time

    from tongban.accounts.tests.factories import ClerkFactory
    from tongban.queueing.models import AppointmentSlot
    from tongban.queueing.services import appointment_book
    from tongban.queueing.services.tickets import CHECKIN_FAILURES

    center, q, _ = hall()  # no networks listed: the endpoint is open, and counted
    clerk = ClerkFactory(center=center)
    afternoon, now = (
        AppointmentSlot.objects.create(
            center=center, queue=q["Y"], day=date(2026, 11, 25), start=start, end=end, capacity=5
        )
        for start, end in ((time(14), time(14, 30)), (time(10), time(10, 30)))
    )
    early = appointment_book(slot=afternoon, actor=clerk, id_number="310110195601010049", phone="13900000000")
    on_time = appointment_book(slot=now, actor=clerk, id_number="310110199006150037", phone="13900000001")
    url = f"/api/v1/centers/{center.code}/tickets"
    for _ in range(CHECKIN_FAILURES.limit + 5):
        r = APIClient().post(url, {"appointment_code": early.code}, format="json", REMOTE_ADDR="10.8.3.4")
        assert (r.status_code, r.json()["error"]["details"]["when"]) == (409, "early")
    r = APIClient().post(url, {"appointment_code": on_time.code}, format="json", REMOTE_ADDR="10.8.3.4")
    assert r.status_code == 201 and r.json()["number"] == "Y001"

"""The hot endpoints answer with plain dicts and parse plain input without a serializer: what they give
must be exactly what the documented serializers give (the OpenAPI file is generated from those)."""

from __future__ import annotations

import json

import pytest
from freezegun import freeze_time
from rest_framework.test import APIClient

from tongban.accounts.tests.factories import ClerkFactory
from tongban.catalog.tests.factories import MatterFactory
from tongban.queueing.api import serializers as s
from tongban.queueing.links import follow_token
from tongban.queueing.models import Ticket
from tongban.queueing.services import ticket_call_next, ticket_finish, ticket_issue, ticket_no_show
from tongban.queueing.tests.factories import hall

T0 = "2026-11-25 02:00:00"

ISSUE_BODIES = [
    {},
    {"queue": "A"},
    {"queue": "a"},
    {"queue": "A", "priority_reason": "military"},
    {"queue": "A", "priority_reason": "elderly", "id_number": "310110195601010049"},
    {"queue": "A", "notify_phone": "13800000000"},
    {"matter": "M-0001"},
    {"bundle": "B-0001", "unknown": [1, 2]},
    {"appointment_code": "4EWZZB"},
    {"id_number": "310110195601010049"},
    # everything below is for the serializer to decide
    {"queue": " A"},
    {"queue": "A\n"},
    {"queue": ""},
    {"queue": "   "},
    {"queue": "ABC"},
    {"queue": None},
    {"queue": 1},
    {"queue": True},
    {"queue": ["A"]},
    {"queue": "\x00"},
    {"queue": "甲"},
    {"matter": "x" * 61},
    {"appointment_code": "123456789"},
    {"id_number": "3101101956010100491"},
    {"priority_reason": "appointment", "queue": "A"},
    {"priority_reason": "vip", "queue": "A"},
    {"priority_reason": "", "queue": "A"},
    {"priority_reason": ["military"], "queue": "A"},
    {"priority_reason": None, "queue": "A"},
    {"notify_phone": "1380000000", "queue": "A"},
    {"notify_phone": "138000000001", "queue": "A"},
    {"notify_phone": "23800000000", "queue": "A"},
    {"notify_phone": "13800000000\n", "queue": "A"},
    {"notify_phone": " 13800000000", "queue": "A"},
    {"notify_phone": "1３800000000", "queue": "A"},
    {"notify_phone": 13800000000, "queue": "A"},
]


@pytest.mark.parametrize("body", ISSUE_BODIES, ids=lambda b: json.dumps(b, ensure_ascii=True))
def test_ticket_input_fast_path_agrees_with_the_serializer(body):
    fast = s.ticket_issue_in(body)
    slow = s.TicketIssueIn(data=body)
    if fast is None:
        return  # the view falls back to the serializer
    assert slow.is_valid(), slow.errors
    assert fast == dict(slow.validated_data)


def test_ticket_input_fast_path_takes_the_machines_requests():
    assert s.ticket_issue_in({"queue": "A"}) == {"queue": "A"}
    assert s.ticket_issue_in({"queue": "A", "priority_reason": "military"}) is not None
    assert s.ticket_issue_in({"queue": "A", "priority_reason": ""}) == {"queue": "A", "priority_reason": ""}
    assert s.ticket_issue_in({"queue": " A"}) is None
    assert s.ticket_issue_in([("queue", "A")]) is None


FINISH_BODIES = [
    {},
    {"applications": []},
    {"applications": [1, 2, 3]},
    {"applications": [0]},
    {"applications": [999_999_999_999_999_999]},
    {"applications": [10**18]},  # beyond a database key
    {"applications": [-1]},
    {"applications": [True]},
    {"applications": ["1"]},
    {"applications": [1.0]},
    {"applications": "1"},
    {"applications": None},
    {"applications": {"a": 1}},
    {"applications": ["YP-20261125-0001"]},  # receipt numbers: the serializer's
    {"applications": [7, "YP-20261125-0001"]},
]


@pytest.mark.parametrize("body", FINISH_BODIES, ids=lambda b: json.dumps(b))
def test_finish_input_fast_path_agrees_with_the_serializer(body):
    fast = s.finish_in(body)
    slow = s.FinishIn(data=body)
    if fast is None:
        return
    assert slow.is_valid(), slow.errors
    assert fast == slow.validated_data["applications"]


def test_finish_input_fast_path_takes_the_workbench_requests():
    assert s.finish_in({}) == []
    assert s.finish_in({"applications": [7]}) == [7]


@pytest.mark.django_db
@freeze_time(T0)
def test_ticket_out_equals_the_serializer_in_every_state(clerk_at):
    center, _, (w1, _) = hall()
    clerk = clerk_at(w1)
    matter = MatterFactory()
    ticket_issue(center=center, queue="A")
    ticket_issue(center=center, matter=matter.code)
    ticket_issue(center=center, queue="A", priority_reason="military")
    ticket_issue(center=center, queue="A")
    called = ticket_call_next(window=w1, clerk=clerk)  # V001
    ticket_no_show(ticket_id=called.pk, actor=clerk)
    with freeze_time("2026-11-25 02:03:00.123456"):
        called = ticket_call_next(window=w1, clerk=clerk)  # A001
    with freeze_time("2026-11-25 02:09:00"):
        ticket_finish(ticket_id=called.pk, actor=clerk)
    ticket_call_next(window=w1, clerk=clerk)  # A002, with its matter
    tickets = list(Ticket.objects.select_related("queue", "called_window", "matter").order_by("id"))
    assert [(t.number, t.state, t.matter_id is not None) for t in tickets] == [
        ("A001", "finished", False),
        ("A002", "called", True),
        ("V001", "no_show", False),
        ("A003", "waiting", False),
    ]
    for t in tickets:
        assert s.ticket_out(t) == s.TicketOut(t).data


@pytest.mark.django_db
@freeze_time(T0)
def test_issue_and_call_responses_equal_the_serializers():
    center, _, (w1, _) = hall()
    client = APIClient()
    body = client.post(
        f"/api/v1/centers/{center.code}/tickets", {"queue": "A", "priority_reason": "military"}, format="json"
    ).json()
    t = Ticket.objects.select_related("queue").get(pk=body["id"])
    expected = s.TicketIssueOut(
        {
            "id": t.pk,
            "number": t.number,
            "queue": t.queue.prefix,
            "queue_name": t.queue.name,
            "priority_reason": t.priority_reason,
            "waiting_before": body["waiting_before"],
            "estimated_wait_minutes": body["estimated_wait_minutes"],
            "issued_at": t.issued_at,
            "follow_url": f"http://testserver/queue/t/{follow_token(t.pk)}/",
        }
    ).data
    assert body == json.loads(json.dumps(expected))
    staff = APIClient()
    staff.force_authenticate(ClerkFactory(center=center))
    called = staff.post(f"/api/v1/windows/{w1.pk}/call-next").json()
    t = Ticket.objects.select_related("queue", "called_window", "matter").get(pk=body["id"])
    assert called == json.loads(
        json.dumps(s.CallNextOut({"ticket": t, "announcement": called["announcement"]}).data)
    )
    finished = staff.post(f"/api/v1/tickets/{t.pk}/finish", {}, format="json").json()
    t = Ticket.objects.select_related("queue", "called_window", "matter").get(pk=body["id"])
    assert finished == json.loads(json.dumps(s.TicketFinishOut({"ticket": t, "applications": []}).data))

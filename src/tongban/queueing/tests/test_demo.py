"""The queue's demo data, on the demo catalog: every window of the demo hall calls someone."""

from __future__ import annotations

import io

import pytest

from tongban.accounts.tests.factories import ClerkFactory
from tongban.catalog.models import Window
from tongban.queueing import demo
from tongban.queueing.models import Queue, Ticket
from tongban.queueing.selectors import window_panel, windows_serving_no_queue
from tongban.queueing.services import ticket_call_next, ticket_finish

pytestmark = pytest.mark.django_db


def test_the_demo_residence_permit_window_calls_from_its_queue():
    """7号居住证/人口专窗 (matter group HJ) served no queue: its clerk pressed 叫下一位 all day and heard
    "nobody waiting" while C tickets waited. The demo links it to queue C, whose matter groups it serves."""
    from tongban.catalog import demo as catalog_demo

    catalog_demo.load(io.StringIO())
    demo.load(io.StringIO())
    demo.load(io.StringIO())  # idempotent
    center = Queue.objects.get(prefix="C").center
    seven = Window.objects.get(center=center, number=7)
    assert seven.kind == Window.Kind.SPECIALISED
    assert list(seven.queues.values_list("prefix", flat=True)) == ["C"]
    assert windows_serving_no_queue(center) == []
    assert not window_panel(seven).serves_no_queue
    clerk = ClerkFactory(center=center, default_window=seven)
    called = []
    while (ticket := ticket_call_next(window=seven, clerk=clerk)) is not None:
        called.append(ticket.number)
        ticket_finish(ticket_id=ticket.pk, actor=clerk)
    assert called == ["C001"]  # the demo's C ticket; A and V are the comprehensive windows'
    waiting = Ticket.objects.filter(state="waiting").order_by("number").values_list("number", flat=True)
    assert list(waiting) == ["A001", "A002", "V001"]

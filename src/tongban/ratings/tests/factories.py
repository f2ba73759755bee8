"""Ratings factories: a served ticket (in person) or a finished online case, ready to be rated."""

from __future__ import annotations

import factory
from django.utils import timezone

from tongban.accounts.models import Role
from tongban.accounts.tests.factories import ClerkFactory, StaffFactory
from tongban.catalog.tests.factories import CenterFactory, MatterFactory, WindowFactory
from tongban.ratings.models import EventKind, ServiceChannel, ServiceEvent


class TicketEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceEvent

    kind = EventKind.TICKET
    ref = factory.Sequence(lambda n: str(1000 + n))
    channel = ServiceChannel.IN_PERSON
    center = factory.SubFactory(CenterFactory)
    window = factory.SubFactory(WindowFactory, center=factory.SelfAttribute("..center"))
    clerk = factory.SubFactory(ClerkFactory, center=factory.SelfAttribute("..center"))
    matter = factory.SubFactory(MatterFactory)
    department = factory.SelfAttribute("matter.department")
    ticket_number = factory.Sequence(lambda n: f"A{n % 1000:03d}")
    served_at = factory.LazyFunction(timezone.now)
    rater_phone = "13800000001"


class OnlineEventFactory(TicketEventFactory):
    kind = EventKind.APPLICATION
    ref = factory.Sequence(lambda n: f"YP2026{n:06d}")
    channel = ServiceChannel.ONLINE
    window = None
    application_number = factory.SelfAttribute("ref")
    ticket_number = ""


class SupervisorFactory(StaffFactory):
    role = Role.SUPERVISOR

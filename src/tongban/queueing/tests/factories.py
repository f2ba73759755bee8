"""Queue factories."""

from __future__ import annotations

import factory

from tongban.catalog.tests.factories import CenterFactory, WindowFactory
from tongban.queueing.models import Queue, QueueSettings


class QueueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Queue
        django_get_or_create = ("center", "prefix")

    center = factory.SubFactory(CenterFactory)
    prefix = "A"
    name = "综合受理"
    kind = Queue.Kind.NORMAL
    order = 1


class QueueSettingsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = QueueSettings
        django_get_or_create = ("center",)

    center = factory.SubFactory(CenterFactory)


def hall(*, windows: int = 2, **rules):  # type: ignore[no-untyped-def]
    """A 24-hour center with queues A (normal), V (priority), Y (appointment) and ``windows`` comprehensive
    windows; ``rules`` override QueueSettings fields."""
    center = CenterFactory()
    QueueSettingsFactory(center=center, **rules)
    a = QueueFactory(center=center, prefix="A", name="综合受理", order=1)
    v = QueueFactory(center=center, prefix="V", name="优先通道", kind=Queue.Kind.PRIORITY, order=2)
    y = QueueFactory(center=center, prefix="Y", name="预约办理", kind=Queue.Kind.APPOINTMENT, order=3)
    wins = [WindowFactory(center=center, number=i + 1) for i in range(windows)]
    return center, {"A": a, "V": v, "Y": y}, wins

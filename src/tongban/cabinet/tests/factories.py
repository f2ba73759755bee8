"""Cabinet factories."""

from __future__ import annotations

import factory
from django.utils import timezone

from tongban.cabinet.models import Cabinet, Compartment
from tongban.catalog.tests.factories import CenterFactory


class CabinetFactory(factory.django.DjangoModelFactory):
    """A cabinet with ``layout`` compartments (default 3 S, 2 M, 1 L), online unless told otherwise."""

    class Meta:
        model = Cabinet
        django_get_or_create = ("code",)
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"CAB{n:03d}")
    center = factory.SubFactory(CenterFactory)
    name = factory.Sequence(lambda n: f"24小时自助服务区 {n}号柜")
    place = "24小时自助服务区"
    hours = "24小时"
    online = True
    last_heartbeat = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def layout(self, create, extracted, **kwargs):  # type: ignore[no-untyped-def]
        sizes = extracted if extracted is not None else ["S", "S", "S", "M", "M", "L"]
        if create:
            Compartment.objects.bulk_create(
                [Compartment(cabinet=self, number=i, size=s) for i, s in enumerate(sizes, start=1)]
            )

"""Factories and helpers for applications tests."""

from __future__ import annotations

from typing import Any

from tongban.accounts.tests.factories import ClerkFactory, ResidentFactory
from tongban.applications.models import Application, ApplicationMaterial, Channel
from tongban.applications.services import MaterialTick, application_create
from tongban.catalog.tests.factories import CenterFactory, MatterFactory, WindowFactory

_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def valid_id(body17: str = "31011019900101123") -> str:
    """A GB 11643 number with the right check digit."""
    total = sum(int(a) * w for a, w in zip(body17, _WEIGHTS, strict=True)) % 11
    return body17 + "10X98765432"[total]


def resident(**kwargs: Any) -> Any:
    kwargs.setdefault("id_number", valid_id())
    return ResidentFactory(**kwargs)


def clerk_at(center: Any, **kwargs: Any) -> Any:
    window = WindowFactory(center=center)
    return ClerkFactory(center=center, default_window=window, **kwargs)


def draft(
    *, clerk: Any = None, applicant: Any = None, matter: Any = None, received: bool = True, **kwargs: Any
) -> Application:
    """A window draft for one matter, every material ticked as received unless ``received`` is False."""
    center = clerk.center if clerk else CenterFactory()
    clerk = clerk or clerk_at(center)
    matter = matter or MatterFactory()
    applicant = applicant or resident()
    ticks = []
    if received:
        assert matter.current_version is not None
        ticks = [
            MaterialTick(material_type_id=m.material_type_id) for m in matter.current_version.materials.all()
        ]
    (app,) = application_create(
        actor=clerk,
        applicant=applicant,
        center=center,
        channel=Channel.WINDOW,
        matter=matter,
        materials=ticks,
        **kwargs,
    )
    return app


def received_all(app: Application) -> list[MaterialTick]:
    return [
        MaterialTick(material_type_id=row.material_type_id)
        for row in ApplicationMaterial.objects.filter(application=app)
    ]

"""Where the cabinet meets applications (办件): the delivery step and the supplement (补正) step."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tongban.applications.models import Application, Status
from tongban.cabinet.models import Item
from tongban.core.errors import InvalidTransition


@dataclass(frozen=True)
class ApplicationDetails:
    phone: str
    label: str


def _details(application: Application) -> ApplicationDetails:
    return ApplicationDetails(
        phone=application.applicant.phone or "",
        label=f"{application.matter.name}（办件号{application.number}）",
    )


def application_for_deposit(*, application: Application) -> ApplicationDetails:
    """A document can go into the cabinet once the case is decided and waiting for delivery."""
    if application.status != Status.READY_FOR_DELIVERY:
        raise InvalidTransition(
            "该办件尚未办结待领取，不能放入文件柜",
            "This application is not ready for delivery",
            code="cabinet.application_not_ready",
        )
    return _details(application)


def application_for_dropoff(*, application: Application) -> ApplicationDetails:
    if application.status != Status.SUPPLEMENT_REQUESTED:
        raise InvalidTransition(
            "该办件没有待补正的材料",
            "This application has no supplement request open",
            code="cabinet.application_no_supplement",
        )
    return _details(application)


def pickup_completed(*, item: Item) -> None:
    """The resident closed the door after taking the document: the delivery step is done."""
    if item.application_id is None:
        return
    from tongban.applications.services import application_mark_delivered

    application_mark_delivered(application=item.application, actor=None, via="cabinet", proxy=item.by_proxy)


def dropoff_deposited(*, item: Item) -> None:
    """The resident's part of a supplement is done (materials are in the cabinet)."""


def dropoff_collected(*, item: Item, actor: Any) -> None:
    """The clerk took the materials to the counter; the application's own screen marks them received."""


def application_find(*, number: str, center_id: int) -> Application:
    from tongban.core.errors import NotFound

    application = (
        Application.objects.select_related("applicant", "matter")
        .filter(number=number.strip(), center_id=center_id)
        .first()
    )
    if application is None:
        raise NotFound(
            "本中心没有该办件号",
            "No application with this number at this center",
            code="cabinet.application_not_found",
        )
    return application

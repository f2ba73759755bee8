"""Where the cabinet meets applications (办件): the delivery step and the supplement (补正) step.

The door events that finish an item call the applications services inside a savepoint: if the
case moved on meanwhile (e.g. it was handed over at the window), the cabinet still records what
physically happened and staff get an alert, instead of the device event failing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from tongban.applications.models import Application, Status
from tongban.applications.selectors import application_get_by_number
from tongban.applications.services import application_mark_delivered, application_supplement_received
from tongban.cabinet.models import Alert, Item, ItemEvent
from tongban.cabinet.services._common import raise_alert
from tongban.core.audit import audit_log
from tongban.core.errors import InvalidTransition, NotFound, TongbanError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ApplicationDetails:
    phone: str
    label: str


def application_find(*, number: str, center_id: int) -> Application:
    """A case of this center by its number (办件编号), however it was typed (yp-cbxc-…, spaces around)."""
    application = application_get_by_number("".join(number.split()).upper())
    if application is None or application.center_id != center_id:
        raise NotFound(
            "本中心没有该办件号",
            "No application with this number at this center",
            code="cabinet.application_not_found",
        )
    return application


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


def _alert(item: Item, message: str) -> None:
    """Ask staff to finish the case by hand. When the compartment's door fault from earlier is still open, the
    message joins it (a second open alert of the kind would break the constraint, roll back the door event that
    raised it, and the device would send that event again to fail again)."""
    raise_alert(
        cabinet=item.cabinet,
        compartment=item.compartment,
        kind=Alert.Kind.DOOR_FAULT,
        message=message,
        add_to_open=True,
    )


def pickup_completed(*, item: Item) -> None:
    """The resident closed the door after taking the document: the case's delivery step is done."""
    application = item.application
    if application is None:
        return
    via = f"cabinet:{item.cabinet.code}/{item.compartment.number:02d}"[:40]
    try:
        with transaction.atomic():
            application_mark_delivered(application=application, actor=None, via=via, proxy=item.by_proxy)
    except TongbanError as exc:
        logger.warning("cabinet: could not mark application %s delivered: %s", item.application_id, exc.code)
        audit_log(action="cabinet.item.delivery_not_recorded", obj=item, data={"error": exc.code})
        _alert(item, f"已取件，但办件未能标记为已送达（{exc.message}），请在办件中处理")


def dropoff_deposited(*, item: Item) -> None:
    """The resident's part of a supplement is done; the clerk signs for the materials on collection."""
    audit_log(action="cabinet.item.dropoff_deposited", obj=item, data={"application": item.application_id})


def dropoff_collected(*, item: Item) -> None:
    """The clerk took the materials out: mark the supplement received on the case, in the clerk's name."""
    application = item.application
    if application is None:
        return
    event = ItemEvent.objects.filter(item=item, to_state=Item.State.UNLOADING).select_related("actor").last()
    actor: Any = event.actor if event is not None else None
    if actor is None:
        _alert(item, "投递材料已取出，请在办件中登记补正材料已收")
        return
    try:
        with transaction.atomic():
            application_supplement_received(application=application, actor=actor)
    except TongbanError as exc:
        audit_log(action="cabinet.item.supplement_not_recorded", obj=item, data={"error": exc.code})
        _alert(item, f"投递材料已取出，但办件未能登记补正（{exc.message}），请在办件中处理")

"""Data generator for the cabinet latency benchmark: one cabinet with ``occupied`` stored items.

Items are deposited through the real services and their door events applied as the hardware
would send them, so each one has a real salted code (read back from the SMS outbox row).
"""

from __future__ import annotations

import re
import uuid

LAYOUT = ["S"] * 30 + ["M"] * 20 + ["L"] * 10  # 60 compartments


def make_cabinet(code: str):
    from tongban.accounts.models import Role, User
    from tongban.cabinet.services import cabinet_ensure
    from tongban.catalog.models import Center

    center, _ = Center.objects.get_or_create(
        code="BENCH", defaults={"name": "基准测试中心", "district": "杨浦区", "address": "—"}
    )
    clerk, _ = User.objects.get_or_create(
        username="bench-clerk", defaults={"role": Role.CLERK, "center": center, "is_staff": True}
    )
    cabinet = cabinet_ensure(
        code=code, center=center, name="基准柜", place="基准区", hours="24小时", layout=LAYOUT
    )
    cabinet.online = True
    cabinet.save(update_fields=["online"])
    return cabinet, clerk


def store_item(cabinet, clerk, n: int) -> str:
    """Deposit, open, close (as the device would report) → returns the code sent by SMS."""
    from tongban.cabinet import protocol
    from tongban.cabinet.models import DeviceCommand
    from tongban.cabinet.services import deposit_create, device_event_apply
    from tongban.notifications.models import Message

    item = deposit_create(cabinet=cabinet, actor=clerk, size="S", label=f"bench {n}", phone="13900000000")
    command = DeviceCommand.objects.filter(item=item).latest("id")
    for body in (
        protocol.event(
            "door", compartment=command.compartment.number, state="opened", request_id=str(command.request_id)
        ),
        protocol.event("door", compartment=command.compartment.number, state="closed"),
    ):
        device_event_apply(cabinet_code=cabinet.code, event=protocol.validate_event(body))
    body = Message.objects.filter(purpose="cabinet.pickup_code").latest("id").body
    return re.search(r"取件码(\d+)", body).group(1)


def close_door(cabinet, number: int, request_id: str) -> None:
    from tongban.cabinet import protocol
    from tongban.cabinet.services import device_event_apply

    for body in (
        protocol.event("door", compartment=number, state="opened", request_id=request_id),
        protocol.event("door", compartment=number, state="closed"),
    ):
        device_event_apply(cabinet_code=cabinet.code, event=protocol.validate_event(body))


def new_code() -> str:
    return f"BENCH-{uuid.uuid4().hex[:6]}"

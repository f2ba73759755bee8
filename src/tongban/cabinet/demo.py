"""Demo: one cabinet at the Changbai Xincun center, and (in ``rundemo``) its simulator and event consumer.

The seed story is walked by hand: the clerk (window1) deposits the residence-permit case on the staff
screen, the SMS outbox shows the code, the cabinet screen opens the door with it, the simulator closes
the door a few seconds later, and the case shows delivered.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.db import connection

from tongban.cabinet.models import Cabinet
from tongban.cabinet.services import cabinet_ensure
from tongban.catalog.models import Center

CENTER_CODE = "YP-CBXC"
CABINET_CODE = "YP-CBXC-1"
# 12 compartments: 6 small, 4 medium, 2 large
LAYOUT = ["S"] * 6 + ["M"] * 4 + ["L"] * 2
DOOR_CLOSES_AFTER = 6.0  # seconds: the simulated person shuts the door


def load(stdout: Any) -> None:
    center, _ = Center.objects.get_or_create(
        code=CENTER_CODE,
        defaults={
            "name": "杨浦区长白新村街道社区事务受理服务中心",
            "district": "杨浦区",
            "subdistrict": "长白新村街道",
            "address": "上海市杨浦区",
            "open_24h": True,
        },
    )
    cabinet = cabinet_ensure(
        code=CABINET_CODE,
        center=center,
        name="24小时自助服务区 1号柜",
        place="24小时自助服务区",
        hours="24小时",
        layout=LAYOUT,
    )
    stdout.write(f"  cabinet {cabinet.code}: {cabinet.compartments.count()} compartments (S/M/L)")


def _consumer(stop: threading.Event) -> None:
    from tongban.cabinet.consumer import EventConsumer

    # The embedded broker delivers on a shared thread: do not leave a connection open on it.
    EventConsumer(close_connections=True).run(stop)


def _simulator(stop: threading.Event) -> None:
    from tongban.cabinet.simulator import CabinetSimulator

    stop.wait(0.5)  # let the consumer subscribe first, so the "online" status is seen
    try:
        cabinets = list(Cabinet.objects.prefetch_related("compartments"))
    finally:
        connection.close()  # this thread needs the database once; do not hold a connection
    simulators = [
        CabinetSimulator(
            cabinet_code=c.code,
            compartments=[x.number for x in c.compartments.all()],
            close_after=DOOR_CLOSES_AFTER,
            heartbeat_every=10.0,
        )
        for c in cabinets
    ]
    for simulator in simulators:
        simulator.start()
    while not stop.wait(10.0):
        for simulator in simulators:
            simulator.heartbeat()
    for simulator in simulators:
        simulator.stop()


def services() -> list[Callable[[threading.Event], None]]:
    """Threads for ``manage.py rundemo``: the event consumer and a simulator for every cabinet."""
    return [_consumer, _simulator]

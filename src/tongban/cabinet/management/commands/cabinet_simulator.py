"""Run a simulated cabinet against the broker, on the same protocol as the hardware."""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from tongban.cabinet.models import Cabinet
from tongban.cabinet.simulator import CabinetSimulator


class Command(BaseCommand):
    help = (
        "Simulate a cabinet: doors open on command and close after --close-after seconds; faults on demand."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--cabinet", required=True, help="cabinet code")
        parser.add_argument("--close-after", type=float, default=5.0, help="seconds; 0 = doors stay open")
        parser.add_argument("--fault-rate", type=float, default=0.0, help="0..1 chance a door jams")
        parser.add_argument("--jam", default="", help="comma-separated compartments that always jam")
        parser.add_argument("--heartbeat", type=float, default=10.0)
        parser.add_argument("--offline-after", type=float, default=0, help="drop off the network after N s")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.MQTT_URL:
            raise CommandError("MQTT_URL is empty: run the demo (make demo) for the in-process simulator.")
        cabinet = Cabinet.objects.filter(code=options["cabinet"]).first()
        if cabinet is None:
            raise CommandError(f"no cabinet {options['cabinet']!r}")
        numbers = list(cabinet.compartments.order_by("number").values_list("number", flat=True))
        simulator = CabinetSimulator(
            cabinet_code=cabinet.code,
            compartments=numbers,
            close_after=options["close_after"] or None,
            fault_rate=options["fault_rate"],
            jammed={int(n) for n in options["jam"].split(",") if n.strip()},
            heartbeat_every=options["heartbeat"],
        )
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        if options["offline_after"]:
            threading.Timer(options["offline_after"], simulator.go_offline).start()
        self.stdout.write(
            f"simulating {cabinet.code} with {len(numbers)} compartments on {settings.MQTT_URL}"
        )
        try:
            simulator.run(stop)
        except KeyboardInterrupt:
            simulator.stop()

"""A cabinet simulator that speaks protocol v1 like the hardware: doors, sensors, faults, going offline.

It knows nothing about items or codes — only doors. ``manage.py cabinet_simulator`` runs it against
the broker; ``cabinet.demo.services()`` runs it on the embedded transport inside ``make demo``.
"""

from __future__ import annotations

import logging
import random
import threading
from collections import OrderedDict
from typing import Any

from django.utils import timezone

from tongban.cabinet import protocol
from tongban.cabinet.transport import Transport, Will, create_transport

logger = logging.getLogger(__name__)

FIRMWARE = "tongban-sim/1.0"


class CabinetSimulator:
    def __init__(
        self,
        *,
        cabinet_code: str,
        compartments: list[int],
        close_after: float | None = 3.0,
        fault_rate: float = 0.0,
        jammed: set[int] | None = None,
        heartbeat_every: float = 10.0,
        seed: int | None = None,
    ) -> None:
        self.cabinet_code = cabinet_code
        self.doors: dict[int, bool] = dict.fromkeys(compartments, False)  # True = open
        self.close_after = close_after
        self.fault_rate = fault_rate
        self.jammed = set(jammed or ())
        self.heartbeat_every = heartbeat_every
        self.rng = random.Random(seed)
        self.seen: OrderedDict[str, dict[str, Any]] = OrderedDict()  # request id → the event it produced
        self.sent: list[dict[str, Any]] = []
        self.commands: list[dict[str, Any]] = []
        self.transport: Transport | None = None
        self.online = False
        self._lock = threading.RLock()
        self._timers: list[threading.Timer] = []

    # --- connection -----------------------------------------------------------------------------
    def start(self) -> None:
        will = Will(protocol.status_topic(self.cabinet_code), {"v": protocol.VERSION, "online": False})
        self.transport = create_transport(
            client_id=f"tongban-cabinet-{protocol.prefix()}-{self.cabinet_code}".replace("/", "_"),
            will=will,
            persistent=True,
        )
        self.transport.subscribe(protocol.command_topic(self.cabinet_code), self._on_command)
        self.online = True
        self.transport.publish(
            protocol.status_topic(self.cabinet_code), {"v": protocol.VERSION, "online": True}, retain=True
        )
        self.heartbeat()

    def stop(self) -> None:
        """Clean shutdown: say offline (retained) and disconnect."""
        for timer in self._timers:
            timer.cancel()
        if self.transport is not None:
            self.transport.publish(
                protocol.status_topic(self.cabinet_code),
                {"v": protocol.VERSION, "online": False},
                retain=True,
            )
            self.transport.stop()
        self.online = False

    def go_offline(self) -> None:
        """Lose power / network: no clean disconnect, the broker publishes the will."""
        self.online = False
        if self.transport is not None:
            self.transport.drop()  # type: ignore[attr-defined]
            self.transport = None

    def come_online(self) -> None:
        self.start()

    def run(self, stop: threading.Event) -> None:
        """Run until ``stop`` is set, sending heartbeats (a thread target)."""
        self.start()
        while not stop.wait(self.heartbeat_every):
            if self.online:
                self.heartbeat()
        self.stop()

    # --- what the hardware sends ----------------------------------------------------------------
    def _send(self, body: dict[str, Any]) -> dict[str, Any]:
        self.sent.append(body)
        if self.online and self.transport is not None:
            self.transport.publish(protocol.event_topic(self.cabinet_code), body)
        return body

    def heartbeat(self) -> dict[str, Any]:
        with self._lock:
            open_doors = sorted(n for n, is_open in self.doors.items() if is_open)
        return self._send(protocol.event("heartbeat", firmware=FIRMWARE, open_doors=open_doors))

    def open_door(self, number: int, request_id: str | None = None) -> dict[str, Any]:
        with self._lock:
            self.doors[number] = True
        return self._send(protocol.event("door", compartment=number, state="opened", request_id=request_id))

    def close_door(self, number: int) -> dict[str, Any] | None:
        with self._lock:
            if not self.doors.get(number):
                return None
            self.doors[number] = False
        return self._send(protocol.event("door", compartment=number, state="closed"))

    def fault(
        self, number: int | None, fault: str = "door_jammed", request_id: str | None = None
    ) -> dict[str, Any]:
        return self._send(protocol.event("fault", compartment=number, fault=fault, request_id=request_id))

    def replay(self, body: dict[str, Any]) -> None:
        """Send an event again, byte for byte (devices do this after a reconnect)."""
        if self.transport is not None:
            self.transport.publish(protocol.event_topic(self.cabinet_code), body)

    # --- what the hardware receives -------------------------------------------------------------
    def _on_command(self, topic: str, payload: Any) -> None:
        if not self.online:
            return
        try:
            command = protocol.validate_command(payload)
        except protocol.ProtocolError as exc:
            logger.warning("simulator %s: bad command: %s", self.cabinet_code, exc)
            return
        self.commands.append(payload)
        request_id = command["request_id"]
        number = command["compartment"]
        with self._lock:
            if request_id in self.seen:  # idempotent: the same request never opens a door twice
                self._send(protocol.event("ack", request_id=request_id, result="duplicate"))
                return
            self.seen[request_id] = {}
            while len(self.seen) > 1000:
                self.seen.popitem(last=False)
        if command["expires_at"] <= timezone.now():
            self._send(protocol.event("ack", request_id=request_id, result="expired"))
            return
        if number not in self.doors:
            self._send(protocol.event("ack", request_id=request_id, result="unknown_compartment"))
            return
        self._send(protocol.event("ack", request_id=request_id, result="accepted"))
        if number in self.jammed or (self.fault_rate and self.rng.random() < self.fault_rate):
            self.fault(number, "door_jammed", request_id)
            return
        self.open_door(number, request_id)
        if self.close_after is not None:
            timer = threading.Timer(self.close_after, self.close_door, args=(number,))
            timer.daemon = True
            self._timers.append(timer)
            timer.start()

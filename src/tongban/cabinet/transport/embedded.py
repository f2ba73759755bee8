"""An in-process broker for the one-process demo (``MQTT_URL`` empty).

It behaves like a tiny MQTT broker: topic filters with + and #, retained messages,
last wills when a client stops uncleanly, and asynchronous delivery on a dispatcher
thread (so a handler never runs inside the publisher's database transaction).
"""

from __future__ import annotations

import json
import logging
import queue
import threading
from typing import Any

from tongban.cabinet.transport.base import Handler, Transport, Will, topic_matches

logger = logging.getLogger(__name__)


class EmbeddedBroker:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subs: list[tuple[EmbeddedTransport, str, Handler]] = []
        self._retained: dict[str, str] = {}
        self._queue: queue.Queue[tuple[Handler, str, str] | None] = queue.Queue()
        self._thread: threading.Thread | None = None

    def _ensure_thread(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._run, name="cabinet-embedded-broker", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            handler, topic, raw = job
            try:
                handler(topic, json.loads(raw))
            except Exception:
                logger.exception("embedded broker: handler failed for %s", topic)

    def publish(self, topic: str, raw: str, *, retain: bool) -> None:
        with self._lock:
            if retain:
                self._retained[topic] = raw
            targets = [h for (_, f, h) in self._subs if topic_matches(f, topic)]
            self._ensure_thread()
        for handler in targets:
            self._queue.put((handler, topic, raw))

    def subscribe(self, client: EmbeddedTransport, topic_filter: str, handler: Handler) -> None:
        with self._lock:
            self._subs.append((client, topic_filter, handler))
            retained = [(t, raw) for t, raw in self._retained.items() if topic_matches(topic_filter, t)]
            self._ensure_thread()
        for topic, raw in retained:
            self._queue.put((handler, topic, raw))

    def disconnect(self, client: EmbeddedTransport) -> None:
        with self._lock:
            self._subs = [s for s in self._subs if s[0] is not client]

    def drain(self, timeout: float = 5.0) -> None:
        """Wait until every queued delivery has been handed to its handler (tests)."""
        done = threading.Event()
        self._queue.put((lambda topic, payload: done.set(), "", "null"))
        done.wait(timeout)


BROKER = EmbeddedBroker()


class EmbeddedTransport(Transport):
    name = "embedded"

    def __init__(
        self, *, client_id: str, will: Will | None = None, broker: EmbeddedBroker | None = None
    ) -> None:
        self.client_id = client_id
        self.will = will
        self.broker = broker or BROKER
        self._connected = False

    def start(self, *, wait: float = 5.0) -> None:
        self._connected = True

    def stop(self) -> None:
        self._connected = False
        self.broker.disconnect(self)

    def drop(self) -> None:
        """Disconnect uncleanly: the broker publishes the will (a cabinet losing power)."""
        self.stop()
        if self.will is not None:
            self.broker.publish(self.will.topic, json.dumps(self.will.payload), retain=self.will.retain)

    def connected(self) -> bool:
        return self._connected

    def publish(self, topic: str, payload: dict[str, Any], *, retain: bool = False) -> bool:
        if not self._connected:
            return False
        self.broker.publish(topic, json.dumps(payload, ensure_ascii=False), retain=retain)
        return True

    def subscribe(self, topic_filter: str, handler: Handler) -> None:
        self.broker.subscribe(self, topic_filter, handler)

"""The server side of the device protocol: subscribe to every cabinet's events and apply them."""

from __future__ import annotations

import logging
import threading
from typing import Any

from django.db import close_old_connections

from tongban.cabinet import protocol
from tongban.cabinet.services import device_message_handle
from tongban.cabinet.transport import Transport, create_transport

logger = logging.getLogger(__name__)


class EventConsumer:
    def __init__(self) -> None:
        self.transport: Transport | None = None

    def start(self) -> None:
        self.transport = create_transport(
            client_id=f"tongban-consumer-{protocol.prefix()}".replace("/", "_"), persistent=True
        )
        for topic_filter in protocol.server_subscriptions():
            self.transport.subscribe(topic_filter, self.handle)

    def handle(self, topic: str, payload: Any) -> None:
        close_old_connections()
        try:
            device_message_handle(topic=topic, payload=payload)
        except Exception:
            logger.exception("cabinet consumer: failed to apply a message on %s", topic)
        finally:
            close_old_connections()

    def stop(self) -> None:
        if self.transport is not None:
            self.transport.stop()

    def run(self, stop: threading.Event) -> None:
        self.start()
        stop.wait()
        self.stop()

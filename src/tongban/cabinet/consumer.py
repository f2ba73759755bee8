"""The server side of the device protocol: subscribe to every cabinet's events and apply them."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from django.db import OperationalError, close_old_connections, connection

from tongban.cabinet import protocol
from tongban.cabinet.services import device_message_handle
from tongban.cabinet.transport import Transport, create_transport

logger = logging.getLogger(__name__)
RETRIES = 30


class EventConsumer:
    def __init__(self, *, close_connections: bool = False) -> None:
        self.transport: Transport | None = None
        # Close the database connection after every message (tests: the network thread's connection
        # must not outlive the test database). Production keeps it, bounded by CONN_MAX_AGE.
        self.close_connections = close_connections

    def start(self) -> None:
        self.transport = create_transport(
            client_id=f"tongban-consumer-{protocol.prefix()}".replace("/", "_"), persistent=True
        )
        for topic_filter in protocol.server_subscriptions():
            self.transport.subscribe(topic_filter, self.handle)

    def handle(self, topic: str, payload: Any) -> None:
        for attempt in range(1, RETRIES + 1):
            close_old_connections()
            try:
                device_message_handle(topic=topic, payload=payload)
                return
            except OperationalError as exc:  # SQLite busy, a dropped connection: apply the event again
                if attempt == RETRIES:
                    logger.exception("cabinet consumer: gave up on a message on %s", topic)
                    return
                logger.warning("cabinet consumer: retrying a message on %s (%s)", topic, exc)
                time.sleep(min(0.05 * attempt, 0.5))
            except Exception:
                logger.exception("cabinet consumer: failed to apply a message on %s", topic)
                return
            finally:
                if self.close_connections:
                    connection.close()
                else:
                    close_old_connections()

    def stop(self) -> None:
        if self.transport is not None:
            self.transport.stop()

    def run(self, stop: threading.Event) -> None:
        self.start()
        stop.wait()
        self.stop()

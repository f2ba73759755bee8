"""How the server and cabinets exchange protocol messages.

``mqtt`` (paho-mqtt 2.x against ``settings.MQTT_URL``) in production and tests; ``embedded``
(an in-process broker) when ``MQTT_URL`` is empty, so the one-process demo has a working cabinet.
"""

from __future__ import annotations

import threading
import uuid

from django.conf import settings

from tongban.cabinet.transport.base import Transport, Will

_publisher: Transport | None = None
_publisher_url: str | None = None
_lock = threading.Lock()


def create_transport(
    *, client_id: str, will: Will | None = None, persistent: bool = False, wait: float = 5.0
) -> Transport:
    """A new, started client. Each component (publisher, consumer, simulated device) has its own."""
    url = settings.MQTT_URL
    if url:
        from tongban.cabinet.transport.mqtt import MqttTransport

        transport: Transport = MqttTransport(url, client_id=client_id, will=will, persistent=persistent)
    else:
        from tongban.cabinet.transport.embedded import EmbeddedTransport

        transport = EmbeddedTransport(client_id=client_id, will=will)
    transport.start(wait=wait)
    return transport


def get_publisher() -> Transport:
    """The process-wide client that publishes server commands (lazily connected)."""
    global _publisher, _publisher_url
    with _lock:
        url = settings.MQTT_URL
        if _publisher is None or _publisher_url != url:
            if _publisher is not None:
                _publisher.stop()
            _publisher = create_transport(client_id=f"tongban-server-{uuid.uuid4().hex[:12]}", wait=2.0)
            _publisher_url = url
        return _publisher


def reset_publisher() -> None:
    global _publisher, _publisher_url
    with _lock:
        if _publisher is not None:
            _publisher.stop()
        _publisher = None
        _publisher_url = None


__all__ = ["Transport", "Will", "create_transport", "get_publisher", "reset_publisher"]

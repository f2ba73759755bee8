"""MQTT transport (paho-mqtt 2.x): QoS 1, automatic reconnect, re-subscribe on every connect.

``MQTT_URL`` is ``mqtt://[user:password@]host[:port]`` or ``mqtts://…`` for TLS.
"""

from __future__ import annotations

import json
import logging
import threading
from typing import Any
from urllib.parse import unquote, urlparse

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

from tongban.cabinet.transport.base import Handler, Transport, Will

logger = logging.getLogger(__name__)


class MqttTransport(Transport):
    name = "mqtt"

    def __init__(
        self, url: str, *, client_id: str, will: Will | None = None, persistent: bool = False
    ) -> None:
        parsed = urlparse(url)
        if parsed.scheme not in {"mqtt", "mqtts"}:
            raise ValueError("MQTT_URL must start with mqtt:// or mqtts://")
        self.host = parsed.hostname or "127.0.0.1"
        self.port = parsed.port or (8883 if parsed.scheme == "mqtts" else 1883)
        self._subs: list[tuple[str, Handler]] = []
        self._lock = threading.Lock()
        self._connected = threading.Event()
        self.client = paho.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=client_id,
            clean_session=not persistent,
        )
        if parsed.username:
            self.client.username_pw_set(unquote(parsed.username), unquote(parsed.password or ""))
        if parsed.scheme == "mqtts":
            self.client.tls_set()
        if will is not None:
            self.client.will_set(will.topic, json.dumps(will.payload), qos=1, retain=will.retain)
        self.client.reconnect_delay_set(min_delay=1, max_delay=10)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message

    # paho callbacks run on the network-loop thread
    def _on_connect(self, client: Any, userdata: Any, flags: Any, reason_code: Any, properties: Any) -> None:
        if reason_code.is_failure:
            logger.warning("MQTT connect to %s:%s refused: %s", self.host, self.port, reason_code)
            return
        with self._lock:
            filters = sorted({f for f, _ in self._subs})
        for topic_filter in filters:
            client.subscribe(topic_filter, qos=1)
        self._connected.set()

    def _on_disconnect(
        self, client: Any, userdata: Any, flags: Any, reason_code: Any, properties: Any
    ) -> None:
        self._connected.clear()

    def _on_message(self, client: Any, userdata: Any, message: Any) -> None:
        try:
            payload = json.loads(message.payload.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            logger.warning("MQTT: dropped a non-JSON message on %s", message.topic)
            return
        with self._lock:
            handlers = [h for f, h in self._subs if paho.topic_matches_sub(f, message.topic)]
        for handler in handlers:
            try:
                handler(message.topic, payload)
            except Exception:
                logger.exception("MQTT handler failed for %s", message.topic)

    def start(self, *, wait: float = 5.0) -> None:
        self.client.connect_async(self.host, self.port, keepalive=15)
        self.client.loop_start()
        self._connected.wait(wait)

    def stop(self) -> None:
        try:
            self.client.disconnect()
        finally:
            self.client.loop_stop()
            self._connected.clear()

    def drop(self) -> None:
        """Stop without a clean DISCONNECT so the broker publishes the will (tests: a cabinet losing power)."""
        self.client.loop_stop()
        sock = self.client.socket()
        if sock is not None:
            sock.close()
        self._connected.clear()

    def connected(self) -> bool:
        return self._connected.is_set() and self.client.is_connected()

    def publish(self, topic: str, payload: dict[str, Any], *, retain: bool = False) -> bool:
        if not self.connected():
            return False
        info = self.client.publish(topic, json.dumps(payload, ensure_ascii=False), qos=1, retain=retain)
        return bool(info.rc == paho.MQTT_ERR_SUCCESS)

    def subscribe(self, topic_filter: str, handler: Handler) -> None:
        with self._lock:
            self._subs.append((topic_filter, handler))
        if self.connected():
            self.client.subscribe(topic_filter, qos=1)

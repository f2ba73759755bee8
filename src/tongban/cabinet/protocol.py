"""Device protocol v1 (docs/device-protocol.md): topics, message builders, validation.

Server → cabinet: ``<prefix>/v1/cabinets/<cabinet>/commands`` — ``open`` with a request id.
Cabinet → server: ``<prefix>/v1/cabinets/<cabinet>/events`` — ``door``, ``heartbeat``, ``fault``, ``ack``;
``<prefix>/v1/cabinets/<cabinet>/status`` — retained ``{"v":1,"online":bool}`` (the device's MQTT will
publishes ``online: false`` when it drops off).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime

VERSION = 1


class ProtocolError(ValueError):
    pass


def prefix() -> str:
    return str(settings.MQTT_TOPIC_PREFIX).strip("/")


def command_topic(cabinet: str) -> str:
    return f"{prefix()}/v{VERSION}/cabinets/{cabinet}/commands"


def event_topic(cabinet: str) -> str:
    return f"{prefix()}/v{VERSION}/cabinets/{cabinet}/events"


def status_topic(cabinet: str) -> str:
    return f"{prefix()}/v{VERSION}/cabinets/{cabinet}/status"


def server_subscriptions() -> list[str]:
    return [f"{prefix()}/v{VERSION}/cabinets/+/events", f"{prefix()}/v{VERSION}/cabinets/+/status"]


def parse_topic(topic: str) -> tuple[str, str]:
    """``(cabinet, channel)`` for a topic under our prefix; channel is commands/events/status."""
    head = f"{prefix()}/v{VERSION}/cabinets/"
    if not topic.startswith(head):
        raise ProtocolError(f"topic outside the protocol: {topic}")
    rest = topic[len(head) :].split("/")
    if len(rest) != 2 or not rest[0] or rest[1] not in {"commands", "events", "status"}:
        raise ProtocolError(f"malformed topic: {topic}")
    return rest[0], rest[1]


def _iso(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat().replace("+00:00", "Z")


def open_command(*, request_id: str, compartment: int, expires_at: datetime) -> dict[str, Any]:
    return {
        "v": VERSION,
        "type": "open",
        "request_id": request_id,
        "compartment": compartment,
        "expires_at": _iso(expires_at),
        "sent_at": _iso(timezone.now()),
    }


def event(kind: str, **fields: Any) -> dict[str, Any]:
    """Build a device event (used by the simulator and by tests)."""
    body: dict[str, Any] = {"v": VERSION, "id": uuid.uuid4().hex, "type": kind, "at": _iso(timezone.now())}
    body.update({k: v for k, v in fields.items() if v is not None})
    return body


DOOR_STATES = {"opened", "closed"}
FAULTS = {"door_jammed", "lock_error", "sensor_error", "power"}
ACK_RESULTS = {"accepted", "duplicate", "expired", "unknown_compartment", "busy"}


def _require(payload: dict[str, Any], name: str, kind: type | tuple[type, ...]) -> Any:
    value = payload.get(name)
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        raise ProtocolError(f"field {name!r} missing or of the wrong type")
    return value


def validate_event(payload: Any) -> dict[str, Any]:
    """Check a device event against schema v1; returns it (with ``at`` parsed) or raises ProtocolError."""
    if not isinstance(payload, dict):
        raise ProtocolError("event is not a JSON object")
    if payload.get("v") != VERSION:
        raise ProtocolError(f"unsupported protocol version {payload.get('v')!r}")
    event_id = _require(payload, "id", str)
    if not 1 <= len(event_id) <= 64:
        raise ProtocolError("event id must be 1..64 characters")
    kind = _require(payload, "type", str)
    at = parse_datetime(_require(payload, "at", str))
    if at is None or at.tzinfo is None:
        raise ProtocolError("field 'at' must be an ISO 8601 time with a zone")
    if kind == "door":
        _require(payload, "compartment", int)
        if payload.get("state") not in DOOR_STATES:
            raise ProtocolError("door state must be opened or closed")
    elif kind == "fault":
        if payload.get("fault") not in FAULTS:
            raise ProtocolError(f"unknown fault {payload.get('fault')!r}")
        if "compartment" in payload:
            _require(payload, "compartment", int)
    elif kind == "ack":
        _require(payload, "request_id", str)
        if payload.get("result") not in ACK_RESULTS:
            raise ProtocolError(f"unknown ack result {payload.get('result')!r}")
    elif kind == "heartbeat":
        if "open_doors" in payload and not all(isinstance(n, int) for n in payload["open_doors"]):
            raise ProtocolError("open_doors must be a list of compartment numbers")
    else:
        raise ProtocolError(f"unknown event type {kind!r}")
    if "request_id" in payload:
        _require(payload, "request_id", str)
    return {**payload, "at": at}


def validate_status(payload: Any) -> bool:
    if (
        not isinstance(payload, dict)
        or payload.get("v") != VERSION
        or not isinstance(payload.get("online"), bool)
    ):
        raise ProtocolError('status must be {"v": 1, "online": true|false}')
    return bool(payload["online"])


def validate_command(payload: Any) -> dict[str, Any]:
    """Device side: check a command; returns it with ``expires_at`` parsed."""
    if not isinstance(payload, dict) or payload.get("v") != VERSION:
        raise ProtocolError("unsupported command")
    if payload.get("type") != "open":
        raise ProtocolError(f"unknown command {payload.get('type')!r}")
    _require(payload, "request_id", str)
    _require(payload, "compartment", int)
    expires = parse_datetime(_require(payload, "expires_at", str))
    if expires is None or expires.tzinfo is None:
        raise ProtocolError("expires_at must be an ISO 8601 time with a zone")
    return {**payload, "expires_at": expires}

"""The protocol page's JSON Schemas validate what the code really sends (docs cannot drift)."""

from __future__ import annotations

import json
import re
import uuid
from datetime import timedelta
from pathlib import Path

import jsonschema
import pytest
from django.conf import settings
from django.utils import timezone

from tongban.cabinet import protocol
from tongban.cabinet.simulator import CabinetSimulator
from tongban.cabinet.transport.base import topic_matches
from tongban.cabinet.transport.embedded import BROKER

DOC = Path(settings.BASE_DIR) / "docs" / "device-protocol.md"


def schema(name: str) -> dict:
    text = DOC.read_text(encoding="utf-8")
    block = re.search(rf"```json schema:{name}\n(.*?)\n```", text, re.S)
    assert block, f"schema {name} missing from {DOC}"
    return json.loads(block.group(1))


def validate(name: str, payload: dict) -> None:
    jsonschema.Draft202012Validator(schema(name), format_checker=jsonschema.FormatChecker()).validate(payload)


def test_server_command_matches_the_schema():
    validate(
        "command",
        protocol.open_command(
            request_id=str(uuid.uuid4()), compartment=3, expires_at=timezone.now() + timedelta(minutes=1)
        ),
    )


def test_simulator_messages_match_the_schemas():
    sim = CabinetSimulator(cabinet_code="SCHEMA-1", compartments=[1, 2], close_after=None)
    sim.start()
    sim.online = True
    sim._on_command(
        protocol.command_topic("SCHEMA-1"),
        protocol.open_command(
            request_id=str(uuid.uuid4()), compartment=1, expires_at=timezone.now() + timedelta(minutes=1)
        ),
    )
    sim.close_door(1)
    sim.fault(2, "lock_error")
    sim.stop()
    BROKER.drain()
    kinds = [m["type"] for m in sim.sent]
    assert kinds == ["heartbeat", "ack", "door", "door", "fault"]
    for message in sim.sent:
        validate("event", message)
        assert protocol.validate_event(message)["id"] == message["id"]
    validate("status", {"v": 1, "online": False})


@pytest.mark.parametrize(
    "bad",
    [
        {"v": 2, "id": "a", "type": "heartbeat", "at": "2026-01-01T00:00:00Z"},
        {"v": 1, "id": "", "type": "heartbeat", "at": "2026-01-01T00:00:00Z"},
        {"v": 1, "id": "a", "type": "door", "at": "2026-01-01T00:00:00Z", "compartment": 1, "state": "ajar"},
        {"v": 1, "id": "a", "type": "fault", "at": "2026-01-01T00:00:00Z", "fault": "gremlins"},
        {"v": 1, "id": "a", "type": "teleport", "at": "2026-01-01T00:00:00Z"},
        {"v": 1, "id": "a", "type": "heartbeat", "at": 5},
        "not an object",
    ],
)
def test_invalid_events_are_rejected_by_code_and_schema(bad):
    with pytest.raises(protocol.ProtocolError):
        protocol.validate_event(bad)
    with pytest.raises(jsonschema.ValidationError):
        validate("event", bad)


def test_topics():
    assert protocol.parse_topic(protocol.event_topic("YP-1")) == ("YP-1", "events")
    with pytest.raises(protocol.ProtocolError):
        protocol.parse_topic("elsewhere/v1/cabinets/YP-1/events")
    assert topic_matches("a/+/c/#", "a/b/c/d/e") and not topic_matches("a/+/c", "a/b/d")


@pytest.mark.django_db
def test_bad_messages_never_raise_into_the_consumer(cabinet):
    from tongban.cabinet.services import device_message_handle

    assert device_message_handle(topic=protocol.event_topic(cabinet.code), payload={"v": 9}) == "rejected"
    assert (
        device_message_handle(topic=protocol.event_topic("NOPE"), payload=protocol.event("heartbeat"))
        == "unknown_cabinet"
    )
    assert (
        device_message_handle(topic=protocol.status_topic(cabinet.code), payload={"v": 1, "online": False})
        == "offline"
    )
    door = protocol.event("door", compartment=99, state="opened")
    assert (
        device_message_handle(topic=protocol.event_topic(cabinet.code), payload=door) == "unknown_compartment"
    )

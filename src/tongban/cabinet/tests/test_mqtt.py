"""End to end through the real Mosquitto on 127.0.0.1:1883: server ⇄ broker ⇄ simulated cabinet."""

from __future__ import annotations

import pytest
from django.db import close_old_connections

from tongban.cabinet import protocol, services
from tongban.cabinet.consumer import EventConsumer
from tongban.cabinet.models import Cabinet, Compartment, DeviceCommand, DeviceEvent, Item
from tongban.cabinet.simulator import CabinetSimulator
from tongban.cabinet.tests.conftest import sms_code
from tongban.cabinet.tests.helpers import db, wait_for
from tongban.cabinet.transport import create_transport, reset_publisher
from tongban.notifications.models import Message

pytestmark = [pytest.mark.mqtt, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def broker(settings):
    settings.MQTT_URL = "mqtt://127.0.0.1:1883"
    reset_publisher()
    consumer = EventConsumer(close_connections=True)
    consumer.start()
    yield consumer
    consumer.stop()
    reset_publisher()
    close_old_connections()


@pytest.fixture
def sim(broker, cabinet):
    numbers = list(cabinet.compartments.values_list("number", flat=True))
    simulator = CabinetSimulator(
        cabinet_code=cabinet.code, compartments=numbers, close_after=0.3, heartbeat_every=60
    )
    simulator.start()
    # The consumer's SUBSCRIBE may reach the broker after the simulator's first heartbeat (which is
    # not retained): heartbeat until one has been applied.
    wait_for(
        lambda: (
            simulator.heartbeat()
            and Cabinet.objects.filter(pk=cabinet.pk, firmware="tongban-sim/1.0").exists()
        ),
        interval=0.3,
    )
    yield simulator
    simulator.stop()


def test_deposit_and_pickup_through_the_broker(cabinet, clerk, sim):
    item = db(
        lambda: services.deposit_create(
            cabinet=cabinet, actor=clerk, size="S", label="居住证", phone="13912345678"
        )
    )
    wait_for(lambda: Item.objects.get(pk=item.pk).state == Item.State.STORED)
    code = db(lambda: sms_code("13912345678"))
    command = db(lambda: DeviceCommand.objects.get(item=item, purpose="deposit"))
    assert command.state == "done" and command.sent_at is not None
    assert sim.commands[0]["request_id"] == str(command.request_id)

    result = db(lambda: services.code_enter(cabinet=cabinet, code=code, source="10.1.1.1"))
    wait_for(lambda: Item.objects.get(pk=item.pk).state == Item.State.DONE)
    assert db(lambda: Compartment.objects.get(cabinet=cabinet, number=result.compartment).state == "free")
    assert db(lambda: Message.objects.filter(purpose="cabinet.picked_up").count() == 1)


def test_offline_cabinet_gets_its_queued_command_when_back(cabinet, clerk, sim):
    sim.go_offline()  # no clean disconnect: the broker publishes the will
    wait_for(lambda: not Cabinet.objects.get(pk=cabinet.pk).online)
    item = db(
        lambda: services.deposit_create(
            cabinet=cabinet, actor=clerk, size="M", label="x", phone="13912345678"
        )
    )
    command = db(lambda: DeviceCommand.objects.get(item=item))
    assert command.state == "queued"
    assert db(lambda: not Message.objects.filter(purpose="cabinet.pickup_code").exists())
    sim.come_online()
    wait_for(lambda: Item.objects.get(pk=item.pk).state == Item.State.STORED)
    assert db(lambda: DeviceCommand.objects.get(pk=command.pk).state == "done")
    assert db(lambda: Message.objects.filter(purpose="cabinet.pickup_code").count() == 1)


def test_duplicate_command_and_replayed_event_change_nothing(cabinet, clerk, sim):
    item = db(
        lambda: services.deposit_create(
            cabinet=cabinet, actor=clerk, size="S", label="x", phone="13912345678"
        )
    )
    wait_for(lambda: Item.objects.get(pk=item.pk).state == Item.State.STORED)
    command = db(lambda: DeviceCommand.objects.get(item=item))
    # the server sends the same command again (e.g. a retry after a lost ack): the door does not reopen
    publisher = create_transport(client_id="test-dup")
    publisher.publish(
        protocol.command_topic(cabinet.code),
        protocol.open_command(
            request_id=str(command.request_id), compartment=1, expires_at=command.expires_at
        ),
    )
    wait_for(lambda: any(e.get("result") == "duplicate" for e in sim.sent))
    # the device replays its door events, then sends a heartbeat; once that heartbeat is applied,
    # the replays (sent before it, same connection, QoS 1 in order) have been seen and ignored
    door_events = [e for e in sim.sent if e["type"] == "door"]
    assert len(door_events) == 2
    for body in door_events:
        sim.replay(body)
    beat = sim.heartbeat()
    wait_for(lambda: DeviceEvent.objects.filter(cabinet=cabinet, event_id=beat["id"]).exists())
    assert db(lambda: DeviceEvent.objects.filter(cabinet=cabinet, type="door").count() == 2)
    publisher.stop()
    assert db(lambda: Message.objects.filter(purpose="cabinet.pickup_code").count() == 1)
    assert sum(1 for e in sim.sent if e["type"] == "door" and e["state"] == "opened") == 1
    assert db(lambda: Item.objects.get(pk=item.pk).state == Item.State.STORED)


def test_jammed_door_moves_the_deposit(cabinet, clerk, sim):
    sim.jammed = {1}
    item = db(
        lambda: services.deposit_create(
            cabinet=cabinet, actor=clerk, size="S", label="x", phone="13912345678"
        )
    )
    wait_for(lambda: Item.objects.get(pk=item.pk).state == Item.State.STORED)
    db(item.refresh_from_db)
    assert item.compartment.number == 2
    assert db(lambda: Compartment.objects.get(cabinet=cabinet, number=1).state == "faulty")


def test_broker_down_keeps_commands_queued(cabinet, clerk, settings):
    """The web process cannot reach any broker: the command waits in the outbox, nothing is lost."""
    settings.MQTT_URL = "mqtt://127.0.0.1:1"  # nothing listens there
    reset_publisher()
    item = db(
        lambda: services.deposit_create(
            cabinet=cabinet, actor=clerk, size="S", label="x", phone="13912345678"
        )
    )
    command = db(lambda: DeviceCommand.objects.get(item=item))
    assert command.state == "queued" and command.attempts == 1 and "broker" in command.error
    reset_publisher()

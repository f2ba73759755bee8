from __future__ import annotations

import re
import uuid

import pytest

from tongban.accounts.tests.factories import ClerkFactory, ManagerFactory
from tongban.cabinet import protocol
from tongban.cabinet.models import DeviceCommand, Item
from tongban.cabinet.services import device_event_apply
from tongban.cabinet.tests.factories import CabinetFactory
from tongban.cabinet.transport import reset_publisher
from tongban.notifications.models import Message


@pytest.fixture(autouse=True)
def _cabinet_settings(settings):
    # A topic prefix of our own: the broker on 127.0.0.1 is shared with every other test run.
    settings.MQTT_TOPIC_PREFIX = f"tbtest-{uuid.uuid4().hex[:10]}"
    settings.MQTT_URL = ""
    settings.CABINET_CODE_SCRYPT_N = 2**10  # keep the suite quick; production uses 2**12
    reset_publisher()
    yield
    reset_publisher()


@pytest.fixture
def cabinet(db):
    return CabinetFactory()


@pytest.fixture
def clerk(cabinet):
    return ClerkFactory(center=cabinet.center)


@pytest.fixture
def manager(cabinet):
    return ManagerFactory(center=cabinet.center)


class Device:
    """Drive a cabinet's events straight into the service (unit tests without a transport)."""

    def __init__(self, cabinet):
        self.cabinet = cabinet

    def send(self, kind, **fields):
        body = protocol.event(kind, **fields)
        return body, device_event_apply(cabinet_code=self.cabinet.code, event=protocol.validate_event(body))

    def replay(self, body):
        return device_event_apply(cabinet_code=self.cabinet.code, event=protocol.validate_event(body))

    def last_command(self, item=None):
        qs = DeviceCommand.objects.filter(cabinet=self.cabinet)
        if item is not None:
            qs = qs.filter(item=item)
        return qs.order_by("-id").first()

    def open(self, number, request_id=None):
        return self.send("door", compartment=number, state="opened", request_id=request_id)[1]

    def close(self, number):
        return self.send("door", compartment=number, state="closed")[1]

    def obey(self, item):
        """Open the door the last command for ``item`` asked for, then close it."""
        command = self.last_command(item)
        self.open(command.compartment.number, str(command.request_id))
        return self.close(command.compartment.number)


@pytest.fixture
def device(cabinet):
    return Device(cabinet)


def sms_code(phone=None, purpose="cabinet.pickup_code"):
    """The code in the newest SMS with ``purpose`` (the dev outbox is what a resident's phone gets)."""
    qs = Message.objects.filter(purpose=purpose)
    message = qs.order_by("-id").first()
    assert message is not None, f"no SMS with purpose {purpose}"
    if phone is not None:
        assert message.to == phone
    match = re.search(r"(?:取件码|投递码)(\d{6,12})", message.body)
    assert match, message.body
    return match.group(1)


def deposited(cabinet, clerk, device, *, phone="13912345678", size="S", label="居住证", **kw):
    """Deposit an item and let the door open and close: returns (item, code)."""
    from tongban.cabinet.services import deposit_create

    item = deposit_create(cabinet=cabinet, actor=clerk, size=size, label=label, phone=phone, **kw)
    device.obey(item)
    item.refresh_from_db()
    assert item.state == Item.State.STORED
    return item, sms_code(phone)

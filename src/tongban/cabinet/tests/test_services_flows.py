"""Deposit, pickup, drop-off, recall, faults — driven through the services and device events."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from freezegun import freeze_time

from tongban.cabinet import services
from tongban.cabinet.errors import CabinetFull, CabinetOffline, CompartmentFaulty, PhoneRequired, WrongCode
from tongban.cabinet.models import Alert, Compartment, DeviceCommand, DeviceEvent, Item, ItemEvent
from tongban.cabinet.tests.conftest import deposited, sms_code
from tongban.core.errors import Forbidden, InvalidTransition
from tongban.core.models import AuditEntry
from tongban.notifications.models import Message

pytestmark = pytest.mark.django_db


def test_deposit_reserves_smallest_fitting_compartment_and_queues_open(cabinet, clerk):
    item = services.deposit_create(
        cabinet=cabinet, actor=clerk, size="M", label="居住证", phone="13912345678"
    )
    assert item.state == Item.State.RESERVED
    assert item.compartment.number == 4  # first M
    assert Compartment.objects.get(cabinet=cabinet, number=4).state == Compartment.State.RESERVED
    command = DeviceCommand.objects.get(item=item)
    assert (command.purpose, command.state, command.compartment.number) == ("deposit", "queued", 4)
    # no code and no SMS before the item is actually in the cabinet
    assert item.code_hash == ""
    assert not Message.objects.exists()


def test_deposit_falls_back_to_a_bigger_size_then_says_full(cabinet, clerk):
    numbers = [
        services.deposit_create(
            cabinet=cabinet, actor=clerk, size="M", label="x", phone="13912345678"
        ).compartment.number
        for _ in range(3)
    ]
    assert numbers == [4, 5, 6]
    with pytest.raises(CabinetFull):
        services.deposit_create(cabinet=cabinet, actor=clerk, size="L", label="x", phone="13912345678")


def test_deposit_needs_staff_of_the_center_and_a_phone(cabinet, clerk):
    from tongban.accounts.tests.factories import ClerkFactory, ResidentFactory

    with pytest.raises(Forbidden):
        services.deposit_create(
            cabinet=cabinet, actor=ResidentFactory(), size="S", label="x", phone="13912345678"
        )
    with pytest.raises(Forbidden):
        services.deposit_create(
            cabinet=cabinet, actor=ClerkFactory(), size="S", label="x", phone="13912345678"
        )
    with pytest.raises(PhoneRequired):
        services.deposit_create(cabinet=cabinet, actor=clerk, size="S", label="x", phone="")
    assert not Item.objects.exists()


def test_full_pickup_flow_issues_code_on_close_and_completes_on_close(cabinet, clerk, device):
    item = services.deposit_create(
        cabinet=cabinet, actor=clerk, size="S", label="居住证", phone="13912345678"
    )
    command = device.last_command(item)
    assert device.open(1, str(command.request_id)) == "opened"
    item.refresh_from_db()
    assert item.state == Item.State.LOADING
    assert not Message.objects.exists()  # door open, still no code
    assert device.close(1) == "stored_code_sent"
    item.refresh_from_db()
    assert item.state == Item.State.STORED
    assert Compartment.objects.get(pk=item.compartment_id).state == Compartment.State.OCCUPIED
    code = sms_code("13912345678")
    body = Message.objects.get(purpose="cabinet.pickup_code").body
    assert cabinet.place in body and cabinet.hours in body and cabinet.center.name in body
    assert len(code) == 6
    # the code is stored only as a salted hash and is never in the audit trail
    assert code not in item.code_hash and item.code_hash.startswith("scrypt$")
    assert not any(code in str(e.data) for e in AuditEntry.objects.all())

    result = services.code_enter(cabinet=cabinet, code=code, source="10.0.0.9")
    assert result.compartment == 1 and result.kind == "pickup"
    item.refresh_from_db()
    assert (item.state, item.unload_reason, item.by_proxy) == ("unloading", "pickup", False)
    pickup = DeviceCommand.objects.get(request_id=result.request_id)
    assert pickup.purpose == "pickup"
    device.open(1, result.request_id)
    assert device.close(1) == "picked_up"
    item.refresh_from_db()
    assert item.state == Item.State.DONE and item.finished_at is not None
    assert Compartment.objects.get(pk=item.compartment_id).state == Compartment.State.FREE
    assert list(ItemEvent.objects.filter(item=item).values_list("to_state", flat=True)) == [
        "reserved",
        "loading",
        "stored",
        "unloading",
        "done",
    ]
    assert Message.objects.filter(purpose="cabinet.picked_up").count() == 1
    # single use
    with pytest.raises(WrongCode):
        services.code_enter(cabinet=cabinet, code=code, source="10.0.0.9")


def test_proxy_pickup_is_recorded(cabinet, clerk, device):
    item, code = deposited(cabinet, clerk, device)
    result = services.code_enter(cabinet=cabinet, code=code, source="10.0.0.9", proxy=True)
    device.open(result.compartment, result.request_id)
    device.close(result.compartment)
    item.refresh_from_db()
    assert item.by_proxy is True and item.state == Item.State.DONE
    assert ItemEvent.objects.filter(item=item, to_state="done", note="picked up by proxy").exists()
    assert "代取" in Message.objects.get(purpose="cabinet.picked_up").body


def test_expired_code_is_refused(cabinet, clerk, device):
    item, code = deposited(cabinet, clerk, device)
    with (
        freeze_time(timezone.now() + timedelta(days=cabinet.code_valid_days, seconds=1)),
        pytest.raises(WrongCode),
    ):
        services.code_enter(cabinet=cabinet, code=code, source="10.0.0.9")


def test_codes_are_per_cabinet(cabinet, clerk, device):
    from tongban.cabinet.tests.factories import CabinetFactory

    other = CabinetFactory(center=cabinet.center)
    _, code = deposited(cabinet, clerk, device)
    with pytest.raises(WrongCode):
        services.code_enter(cabinet=other, code=code, source="10.0.0.9")


def test_offline_cabinet_refuses_codes_without_counting_and_keeps_commands(cabinet, clerk, device):
    item, code = deposited(cabinet, clerk, device)
    services.cabinet_set_online(cabinet_code=cabinet.code, online=False)
    assert Alert.objects.filter(cabinet=cabinet, kind="offline", resolved_at=None).count() == 1
    with pytest.raises(CabinetOffline):
        services.code_enter(cabinet=cabinet, code=code, source="10.0.0.9")
    item.refresh_from_db()
    assert item.state == Item.State.STORED and item.code_used_at is None
    # a deposit while offline: reserved, command queued and not lost, no code sent
    queued = services.deposit_create(cabinet=cabinet, actor=clerk, size="S", label="x", phone="13700000000")
    assert services.outbox_dispatch() == 0
    assert DeviceCommand.objects.get(item=queued).state == "queued"
    assert (
        not Message.objects.filter(to_hash__isnull=False, purpose="cabinet.pickup_code", pk__gt=0)
        .exclude(body__isnull=True)
        .filter(id__gt=Message.objects.get(purpose="cabinet.pickup_code").id)
        .exists()
    )
    # back online (a heartbeat): the queued command goes out
    device.send("heartbeat")
    cabinet.refresh_from_db()
    assert cabinet.online is True
    assert Alert.objects.filter(cabinet=cabinet, kind="offline", resolved_at=None).count() == 0
    assert services.outbox_dispatch() == 1
    assert DeviceCommand.objects.get(item=queued).state == "sent"


def test_replayed_events_are_harmless(cabinet, clerk, device):
    item = services.deposit_create(cabinet=cabinet, actor=clerk, size="S", label="x", phone="13912345678")
    command = device.last_command(item)
    opened, _ = device.send("door", compartment=1, state="opened", request_id=str(command.request_id))
    closed, outcome = device.send("door", compartment=1, state="closed")
    assert outcome == "stored_code_sent"
    assert device.replay(closed) == "duplicate"
    assert device.replay(opened) == "duplicate"
    assert Message.objects.filter(purpose="cabinet.pickup_code").count() == 1
    assert DeviceEvent.objects.filter(cabinet=cabinet, type="door").count() == 2
    item.refresh_from_db()
    assert item.state == Item.State.STORED


def test_door_that_fails_to_open_marks_faulty_and_picks_another(cabinet, clerk, device):
    item = services.deposit_create(cabinet=cabinet, actor=clerk, size="S", label="x", phone="13912345678")
    first = device.last_command(item)
    device.send("fault", compartment=1, fault="door_jammed", request_id=str(first.request_id))
    first.refresh_from_db()
    item.refresh_from_db()
    assert first.state == "failed"
    assert Compartment.objects.get(cabinet=cabinet, number=1).state == Compartment.State.FAULTY
    assert item.compartment.number == 2 and item.state == Item.State.RESERVED
    second = device.last_command(item)
    assert second.compartment.number == 2 and second.state == "queued"
    assert Alert.objects.filter(cabinet=cabinet, kind="door_fault", compartment__number=1).count() == 1
    device.obey(item)
    item.refresh_from_db()
    assert item.state == Item.State.STORED
    # the faulty compartment is not offered again until a manager puts it back
    nxt = services.deposit_create(cabinet=cabinet, actor=clerk, size="S", label="y", phone="13912345678")
    assert nxt.compartment.number == 3


def test_open_timeout_counts_as_a_failed_door(cabinet, clerk, device, settings):
    item = services.deposit_create(cabinet=cabinet, actor=clerk, size="S", label="x", phone="13912345678")
    DeviceCommand.objects.filter(item=item).update(state="sent", sent_at=timezone.now())
    with freeze_time(timezone.now() + timedelta(seconds=31)):
        assert services.commands_check_timeouts() == {"expired": 0, "timed_out": 1}
    item.refresh_from_db()
    assert item.compartment.number == 2
    assert Alert.objects.filter(kind="open_timeout", compartment__number=1, resolved_at=None).exists()


def test_pickup_door_fault_keeps_the_item_and_rearms_the_code(cabinet, clerk, device):
    item, code = deposited(cabinet, clerk, device)
    result = services.code_enter(cabinet=cabinet, code=code, source="10.0.0.9")
    device.send("fault", compartment=result.compartment, fault="lock_error", request_id=result.request_id)
    item.refresh_from_db()
    assert item.state == Item.State.STORED and item.code_used_at is None
    with pytest.raises(CompartmentFaulty):
        services.code_enter(cabinet=cabinet, code=code, source="10.0.0.9")


def test_expired_resident_command_gives_the_code_back(cabinet, clerk, device):
    item, code = deposited(cabinet, clerk, device)
    services.code_enter(cabinet=cabinet, code=code, source="10.0.0.9")
    with freeze_time(timezone.now() + timedelta(seconds=61)):
        assert services.commands_check_timeouts()["expired"] == 1
    item.refresh_from_db()
    assert item.state == Item.State.STORED and item.code_used_at is None
    assert services.code_enter(cabinet=cabinet, code=code, source="10.0.0.9").compartment == 1


def test_door_left_open_raises_one_alert_until_closed(cabinet, clerk, device):
    item = services.deposit_create(cabinet=cabinet, actor=clerk, size="S", label="x", phone="13912345678")
    device.open(1, str(device.last_command(item).request_id))
    assert services.doors_check_left_open() == 0
    with freeze_time(timezone.now() + timedelta(minutes=4)):
        assert services.doors_check_left_open() == 1
        assert services.doors_check_left_open() == 0
    assert Alert.objects.get(kind="door_left_open").resolved_at is None
    device.close(1)
    assert Alert.objects.get(kind="door_left_open").resolved_at is not None


def test_unexpected_door_open_alerts(cabinet, clerk, device):
    deposited(cabinet, clerk, device)
    device.open(1)
    assert Alert.objects.filter(kind="door_fault", compartment__number=1, resolved_at=None).exists()


def test_silent_cabinet_goes_offline(cabinet):
    with freeze_time(timezone.now() + timedelta(seconds=46)):
        assert services.cabinets_mark_stale_offline() == 1
    cabinet.refresh_from_db()
    assert cabinet.online is False


def test_dropoff_flow(cabinet, clerk, device):
    item = services.dropoff_create(
        cabinet=cabinet, actor=clerk, size="M", phone="13611112222", label="补正：户口簿复印件"
    )
    assert item.state == Item.State.RESERVED and item.compartment.number == 4
    code = sms_code("13611112222", purpose="cabinet.dropoff_code")
    assert not DeviceCommand.objects.exists()
    result = services.code_enter(cabinet=cabinet, code=code, source="10.0.0.9")
    assert result.kind == "dropoff" and result.compartment == 4
    device.open(4, result.request_id)
    assert device.close(4) == "dropoff_stored"
    item.refresh_from_db()
    assert item.state == Item.State.STORED
    assert Message.objects.filter(purpose="cabinet.dropoff_received").count() == 1
    services.dropoff_collect(item=item, actor=clerk)
    device.obey(item)
    item.refresh_from_db()
    assert item.state == Item.State.DONE
    assert Compartment.objects.get(pk=item.compartment_id).state == Compartment.State.FREE


def test_unused_dropoff_reservation_expires(cabinet, clerk):
    item = services.dropoff_create(cabinet=cabinet, actor=clerk, size="S", phone="13611112222")
    with freeze_time(timezone.now() + timedelta(days=3, seconds=1)):
        assert services.items_process_overdue() == {"reminded": 0, "dropoffs_expired": 1}
    item.refresh_from_db()
    assert item.state == Item.State.CANCELLED
    assert Compartment.objects.get(pk=item.compartment_id).state == Compartment.State.FREE


def test_overdue_reminder_then_recall_kills_the_code(cabinet, clerk, device):
    item, code = deposited(cabinet, clerk, device)
    assert services.items_process_overdue()["reminded"] == 0
    with freeze_time(timezone.now() + timedelta(days=3, hours=1)):
        assert services.items_process_overdue()["reminded"] == 1
        assert services.items_process_overdue()["reminded"] == 0  # once a day
    with freeze_time(timezone.now() + timedelta(days=4, hours=2)):
        assert services.items_process_overdue()["reminded"] == 1
    reminder = Message.objects.filter(purpose="cabinet.overdue_reminder").first()
    assert "回收" in reminder.body and code not in reminder.body
    services.item_recall(item=item, actor=clerk)
    with pytest.raises(WrongCode):
        services.code_enter(cabinet=cabinet, code=code, source="10.0.0.9")
    device.obey(item)
    item.refresh_from_db()
    assert item.state == Item.State.RECALLED
    assert "已回收" in Message.objects.get(purpose="cabinet.recalled").body


def test_an_overlapping_overdue_run_does_not_remind_twice(cabinet, clerk, device, monkeypatch):
    """Two runs of the hourly job can overlap (a backlogged worker). One read the list of items to remind; the
    other reminded an item and committed before the first locked it. The first must read the item again under
    the lock and leave it, not send the resident the same SMS a second time."""
    from tongban.cabinet.services import items as items_module

    item, _ = deposited(cabinet, clerk, device)
    take_lock = items_module.lock_cabinet
    later = timezone.now() + timedelta(days=3, hours=1)

    def the_other_run_reminds_first(cabinet_id):
        Item.objects.filter(pk=item.pk).update(last_reminder_at=later, reminders_sent=1)
        return take_lock(cabinet_id)

    monkeypatch.setattr(items_module, "lock_cabinet", the_other_run_reminds_first)
    with freeze_time(later):
        assert services.items_process_overdue()["reminded"] == 0
    assert not Message.objects.filter(purpose="cabinet.overdue_reminder").exists()
    item.refresh_from_db()
    assert item.reminders_sent == 1


def test_pickup_then_recall_exactly_one_wins(cabinet, clerk, device):
    item, code = deposited(cabinet, clerk, device)
    services.code_enter(cabinet=cabinet, code=code, source="10.0.0.9")
    with pytest.raises(InvalidTransition):
        services.item_recall(item=item, actor=clerk)


def test_recall_then_pickup_exactly_one_wins(cabinet, clerk, device):
    item, code = deposited(cabinet, clerk, device)
    services.item_recall(item=item, actor=clerk)
    with pytest.raises(WrongCode):
        services.code_enter(cabinet=cabinet, code=code, source="10.0.0.9")


def test_reissue_code_kills_the_old_one(cabinet, clerk, device):
    item, old = deposited(cabinet, clerk, device)
    services.item_reissue_code(item=item, actor=clerk)
    new = sms_code()
    with pytest.raises(WrongCode):
        if old != new:
            services.code_enter(cabinet=cabinet, code=old, source="10.0.0.9")
        else:  # pragma: no cover - 1 in 10^6
            raise WrongCode()
    assert services.code_enter(cabinet=cabinet, code=new, source="10.0.0.9").compartment == 1


def test_cancel_frees_a_reserved_compartment(cabinet, clerk):
    item = services.deposit_create(cabinet=cabinet, actor=clerk, size="S", label="x", phone="13912345678")
    services.item_cancel(item=item, actor=clerk)
    assert DeviceCommand.objects.get(item=item).state == "expired"
    assert Compartment.objects.get(pk=item.compartment_id).state == Compartment.State.FREE


def test_remote_open_needs_reason_and_a_second_person(cabinet, clerk, manager, device):
    from tongban.accounts.tests.factories import ManagerFactory
    from tongban.core.errors import ValidationError

    compartment = Compartment.objects.get(cabinet=cabinet, number=2)
    with pytest.raises(Forbidden):
        services.remote_open_request(compartment=compartment, reason="卡住了需要打开", actor=clerk)
    with pytest.raises(ValidationError):
        services.remote_open_request(compartment=compartment, reason="  ", actor=manager)
    request = services.remote_open_request(
        compartment=compartment, reason="材料卡在门缝，需打开取出", actor=manager
    )
    with pytest.raises(Forbidden):
        services.remote_open_decide(request=request, actor=manager, approve=True)
    assert not DeviceCommand.objects.exists()
    other = ManagerFactory(center=cabinet.center)
    services.remote_open_decide(request=request, actor=other, approve=True)
    command = DeviceCommand.objects.get()
    assert (command.purpose, command.compartment.number) == ("remote", 2)
    with pytest.raises(InvalidTransition):
        services.remote_open_decide(request=request, actor=clerk, approve=True)
    actions = list(
        AuditEntry.objects.filter(action__startswith="cabinet.remote_open")
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions == ["cabinet.remote_open.request", "cabinet.remote_open.approve"]


def test_manager_puts_a_faulty_compartment_back(cabinet, clerk, manager, device):
    item = services.deposit_create(cabinet=cabinet, actor=clerk, size="L", label="x", phone="13912345678")
    device.send(
        "fault", compartment=6, fault="door_jammed", request_id=str(device.last_command(item).request_id)
    )
    item.refresh_from_db()
    assert item.state == Item.State.RESERVED and item.compartment.number == 6  # no other L: stays, alert
    compartment = Compartment.objects.get(cabinet=cabinet, number=6)
    with pytest.raises(Forbidden):
        services.compartment_set_state(compartment=compartment, state="free", actor=clerk)
    services.compartment_set_state(compartment=compartment, state="free", actor=manager)
    compartment.refresh_from_db()
    assert compartment.state == Compartment.State.RESERVED and compartment.fault == ""
    services.item_reopen(item=item, actor=clerk)
    assert device.last_command(item).state == "queued"

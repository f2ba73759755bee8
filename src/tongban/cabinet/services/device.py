"""What cabinets tell us (door, heartbeat, fault, ack, status) and the watchdog jobs.

Events are applied under the cabinet's row lock, de-duplicated by (cabinet, event id): a device
that replays an event changes nothing. Door sensors are the truth for "the item is in / out".
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from tongban.cabinet import protocol
from tongban.cabinet.conf import conf
from tongban.cabinet.errors import CabinetFull
from tongban.cabinet.models import Alert, Cabinet, Compartment, DeviceCommand, DeviceEvent, Item
from tongban.cabinet.services import hooks
from tongban.cabinet.services._common import (
    live_item,
    lock_cabinet,
    raise_alert,
    reserve_compartment,
    resolve_alerts,
    settle_compartment,
    transition,
)
from tongban.cabinet.services.items import _send_pickup_code, code_issue
from tongban.cabinet.services.outbox import command_queue, outbox_dispatch
from tongban.core.audit import audit_log
from tongban.notifications.services import sms_send

logger = logging.getLogger(__name__)


def device_message_handle(*, topic: str, payload: Any) -> str:
    """Entry point of the event consumer: one MQTT/embedded message. Never raises on bad input."""
    try:
        cabinet_code, channel = protocol.parse_topic(topic)
        if channel == "status":
            return cabinet_set_online(cabinet_code=cabinet_code, online=protocol.validate_status(payload))
        if channel == "events":
            return device_event_apply(cabinet_code=cabinet_code, event=protocol.validate_event(payload))
        return "ignored"
    except protocol.ProtocolError as exc:
        logger.warning("cabinet protocol: rejected a message on %s: %s", topic, exc)
        return "rejected"
    except Cabinet.DoesNotExist:
        logger.warning("cabinet protocol: message for an unknown cabinet on %s", topic)
        return "unknown_cabinet"


def cabinet_set_online(*, cabinet_code: str, online: bool) -> str:
    cabinet_id = Cabinet.objects.values_list("pk", flat=True).get(code=cabinet_code)
    with transaction.atomic():
        cabinet = lock_cabinet(cabinet_id)
        if cabinet.online == online:
            return "unchanged"
        _set_online(cabinet, online)
    return "online" if online else "offline"


def _set_online(cabinet: Cabinet, online: bool) -> None:
    cabinet.online = online
    cabinet.save(update_fields=["online", "last_heartbeat", "firmware"])
    if online:
        resolve_alerts(cabinet=cabinet, kinds=[Alert.Kind.OFFLINE])
        cabinet_id = cabinet.pk
        transaction.on_commit(lambda: outbox_dispatch(cabinet_id=cabinet_id), robust=True)
    else:
        raise_alert(
            cabinet=cabinet, kind=Alert.Kind.OFFLINE, message="文件柜离线：开门指令将排队，暂停居民取件"
        )
    audit_log(action="cabinet.cabinet.online" if online else "cabinet.cabinet.offline", obj=cabinet)


def device_event_apply(*, cabinet_code: str, event: dict[str, Any]) -> str:
    """Apply one validated event. Returns what happened (for logs and tests)."""
    cabinet_id = Cabinet.objects.values_list("pk", flat=True).get(code=cabinet_code)
    with transaction.atomic():
        cabinet = lock_cabinet(cabinet_id)
        stored = {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in event.items()}
        try:
            with transaction.atomic():
                DeviceEvent.objects.create(
                    cabinet=cabinet, event_id=event["id"], type=event["type"], payload=stored
                )
        except IntegrityError:
            return "duplicate"
        now = timezone.now()
        # Any event proves the cabinet is talking to us.
        cabinet.last_heartbeat = now
        if event["type"] == "heartbeat" and event.get("firmware"):
            cabinet.firmware = str(event["firmware"])[:40]
        if not cabinet.online:
            _set_online(cabinet, True)
        else:
            cabinet.save(update_fields=["last_heartbeat", "firmware"])
        kind = event["type"]
        if kind == "heartbeat":
            return "heartbeat"
        if kind == "ack":
            return _ack(cabinet, event)
        compartment = None
        if "compartment" in event:
            compartment = (
                Compartment.objects.select_for_update()
                .filter(cabinet=cabinet, number=event["compartment"])
                .first()
            )
            if compartment is None:
                logger.warning(
                    "cabinet %s: event for unknown compartment %s", cabinet.code, event["compartment"]
                )
                return "unknown_compartment"
        if kind == "door":
            assert compartment is not None
            if event["state"] == "opened":
                return _door_opened(cabinet, compartment, event.get("request_id"))
            return _door_closed(cabinet, compartment)
        return _fault(cabinet, compartment, event.get("request_id"), event["fault"])


def _command(cabinet: Cabinet, request_id: str | None) -> DeviceCommand | None:
    if not request_id:
        return None
    return DeviceCommand.objects.select_for_update().filter(cabinet=cabinet, request_id=request_id).first()


def _ack(cabinet: Cabinet, event: dict[str, Any]) -> str:
    command = _command(cabinet, event["request_id"])
    if command is None:
        return "ack_unknown"
    if event["result"] == "expired" and command.state in (
        DeviceCommand.State.QUEUED,
        DeviceCommand.State.SENT,
    ):
        _command_expired(cabinet, command, "device: expired")
    elif event["result"] in ("unknown_compartment", "busy") and command.state in (
        DeviceCommand.State.QUEUED,
        DeviceCommand.State.SENT,
    ):
        _command_failed(cabinet, command, f"device: {event['result']}")
    return f"ack_{event['result']}"


def _door_opened(cabinet: Cabinet, compartment: Compartment, request_id: str | None) -> str:
    if compartment.door_open:
        return "already_open"
    now = timezone.now()
    command = _command(cabinet, request_id)
    if command is not None and command.state in (DeviceCommand.State.QUEUED, DeviceCommand.State.SENT):
        command.state = DeviceCommand.State.DONE
        command.finished_at = now
        command.save(update_fields=["state", "finished_at"])
    compartment.door_open = True
    compartment.door_opened_at = now
    item = live_item(compartment)
    if (
        item is not None
        and item.kind == Item.Kind.PICKUP
        and item.state == Item.State.RESERVED
        and command is not None
        and command.purpose == DeviceCommand.Purpose.DEPOSIT
    ):
        transition(item, Item.State.LOADING, note="door opened for deposit")
        item.save(update_fields=["state"])
    if command is None:
        # Nobody asked for this door: a key, a forced door, or a device bug. Staff must look.
        raise_alert(
            cabinet=cabinet,
            compartment=compartment,
            kind=Alert.Kind.DOOR_FAULT,
            message="柜门在没有开门指令时被打开",
        )
        audit_log(action="cabinet.door.unexpected_open", obj=compartment)
    settle_compartment(compartment)
    return "opened"


def _door_closed(cabinet: Cabinet, compartment: Compartment) -> str:
    if not compartment.door_open:
        return "already_closed"
    now = timezone.now()
    compartment.door_open = False
    compartment.door_opened_at = None
    resolve_alerts(cabinet=cabinet, compartment=compartment, kinds=[Alert.Kind.DOOR_LEFT_OPEN])
    item = live_item(compartment)
    outcome = "closed"
    if item is not None and item.state == Item.State.LOADING:
        transition(item, Item.State.STORED, note="door closed")
        item.stored_at = now
        if item.kind == Item.Kind.PICKUP:
            code = code_issue(item=item, cabinet=cabinet, valid_days=cabinet.code_valid_days)
            item.save()
            _send_pickup_code(item, cabinet, code)
            outcome = "stored_code_sent"
        else:
            item.save()
            sms_send(
                to_phone=item.phone,
                body=f"【通办】您的{item.label}已投递至{cabinet.where}，工作人员将于下一个工作日内签收。",
                purpose="cabinet.dropoff_received",
            )
            hooks.dropoff_deposited(item=item)
            outcome = "dropoff_stored"
        audit_log(action="cabinet.item.stored", obj=item, data={"compartment": compartment.number})
    elif item is not None and item.state == Item.State.UNLOADING:
        reason = item.unload_reason
        item.finished_at = now
        if reason == Item.Unload.RECALL:
            transition(item, Item.State.RECALLED, note="recalled to the counter")
            item.save()
            sms_send(
                to_phone=item.phone,
                body=(
                    f"【通办】您在{cabinet.where}的{item.label or '材料'}逾期未取，已回收至{cabinet.center.name}"
                    f"服务窗口，原取件码已失效，请携带身份证件到窗口领取。"
                ),
                purpose="cabinet.recalled",
            )
            outcome = "recalled"
        elif reason == Item.Unload.COLLECT:
            transition(item, Item.State.DONE, note="collected by staff")
            item.save()
            hooks.dropoff_collected(item=item)
            outcome = "collected"
        else:
            transition(item, Item.State.DONE, note="picked up by proxy" if item.by_proxy else "picked up")
            item.save()
            hooks.pickup_completed(item=item)
            sms_send(
                to_phone=item.phone,
                body=(
                    f"【通办】您的{item.label or '材料'}已于{timezone.localtime(now):%m月%d日%H:%M}从{cabinet.where}取出"
                    f"{'（代取）' if item.by_proxy else ''}。欢迎对本次服务进行“好差评”。如非本人操作请致电"
                    f"{cabinet.center.phone or '中心'}。"
                ),
                purpose="cabinet.picked_up",
            )
            outcome = "picked_up"
        audit_log(action=f"cabinet.item.{outcome}", obj=item, data={"compartment": compartment.number})
    settle_compartment(compartment)
    return outcome


def _fault(cabinet: Cabinet, compartment: Compartment | None, request_id: str | None, fault: str) -> str:
    command = _command(cabinet, request_id)
    if command is not None and compartment is None:
        compartment = Compartment.objects.select_for_update().get(pk=command.compartment_id)
    if compartment is None:
        raise_alert(cabinet=cabinet, kind=Alert.Kind.DOOR_FAULT, message=f"文件柜报告故障：{fault}")
        audit_log(action="cabinet.cabinet.fault", obj=cabinet, data={"fault": fault})
        return "fault"
    compartment.state = Compartment.State.FAULTY
    compartment.fault = fault
    compartment.save(update_fields=["state", "fault"])
    raise_alert(
        cabinet=cabinet,
        compartment=compartment,
        kind=Alert.Kind.DOOR_FAULT,
        message=f"{compartment.number}号格口故障：{fault}",
    )
    audit_log(action="cabinet.compartment.fault", obj=compartment, data={"fault": fault})
    if command is not None and command.state in (DeviceCommand.State.QUEUED, DeviceCommand.State.SENT):
        _command_failed(cabinet, command, fault)
    return "fault"


def _command_failed(cabinet: Cabinet, command: DeviceCommand, why: str) -> None:
    """The door did not open: mark the compartment faulty; move a deposit/drop-off elsewhere."""
    now = timezone.now()
    command.state = DeviceCommand.State.FAILED
    command.finished_at = now
    command.error = why[:200]
    command.save(update_fields=["state", "finished_at", "error"])
    compartment = Compartment.objects.select_for_update().get(pk=command.compartment_id)
    if compartment.state != Compartment.State.FAULTY:
        compartment.state = Compartment.State.FAULTY
        compartment.fault = why[:100]
        compartment.save(update_fields=["state", "fault"])
        raise_alert(
            cabinet=cabinet,
            compartment=compartment,
            kind=Alert.Kind.DOOR_FAULT,
            message=f"{compartment.number}号格口开门失败：{why}"[:200],
        )
    if command.item_id is None:
        return
    item = Item.objects.select_for_update().get(pk=command.item_id)
    if item.compartment_id != compartment.pk or item.state not in Item.ACTIVE_STATES:
        return
    if command.purpose in (DeviceCommand.Purpose.DEPOSIT, DeviceCommand.Purpose.DROPOFF):
        _relocate(cabinet, item, command.purpose)
    elif item.state == Item.State.UNLOADING:
        transition(item, Item.State.STORED, note=f"door failed to open: {why}"[:200])
        if item.unload_reason == Item.Unload.PICKUP:
            item.code_used_at = None  # the door never opened: the code still belongs to the resident
        item.unload_reason = ""
        item.by_proxy = False
        item.save(update_fields=["state", "code_used_at", "unload_reason", "by_proxy"])
    audit_log(action="cabinet.command.failed", obj=command.item, data={"why": why[:200]})


def _relocate(cabinet: Cabinet, item: Item, purpose: str) -> None:
    """A deposit/drop-off whose door failed: pick another compartment (and for a deposit, open it)."""
    old = item.compartment
    try:
        new = reserve_compartment(cabinet, item.size, exclude=old.pk)
    except CabinetFull:
        if item.state == Item.State.LOADING:
            transition(item, Item.State.RESERVED, note="door failed; no other compartment")
            item.code_used_at = None
            item.save(update_fields=["state", "code_used_at"])
        raise_alert(cabinet=cabinet, kind=Alert.Kind.DOOR_FAULT, message="格口故障且没有其他合适的空闲格口")
        return
    item.compartment = new
    if item.state == Item.State.LOADING:  # drop-off: the resident types the code again
        transition(item, Item.State.RESERVED, note=f"moved to compartment {new.number}")
        item.code_used_at = None
    else:
        transition(item, item.state, note=f"moved to compartment {new.number}")
    item.save(update_fields=["compartment", "state", "code_used_at"])
    settle_compartment(old)
    if purpose == DeviceCommand.Purpose.DEPOSIT:
        command_queue(compartment=new, purpose=purpose, ttl_seconds=conf().command_ttl, item=item)
    audit_log(action="cabinet.item.relocate", obj=item, data={"from": old.number, "to": new.number})


def _command_expired(cabinet: Cabinet, command: DeviceCommand, why: str) -> None:
    """Nobody could take the command in time (offline cabinet or broker). Undo what it promised."""
    command.state = DeviceCommand.State.EXPIRED
    command.finished_at = timezone.now()
    command.error = why[:200]
    command.save(update_fields=["state", "finished_at", "error"])
    if command.item_id is None:
        return
    item = Item.objects.select_for_update().get(pk=command.item_id)
    if item.compartment_id != command.compartment_id:
        return
    if item.state == Item.State.UNLOADING:
        transition(item, Item.State.STORED, note="open command expired")
        if item.unload_reason == Item.Unload.PICKUP:
            item.code_used_at = None
        item.unload_reason = ""
        item.by_proxy = False
        item.save(update_fields=["state", "code_used_at", "unload_reason", "by_proxy"])
    elif item.state == Item.State.LOADING and item.kind == Item.Kind.DROPOFF:
        transition(item, Item.State.RESERVED, note="open command expired")
        item.code_used_at = None
        item.save(update_fields=["state", "code_used_at"])
    audit_log(action="cabinet.command.expired", obj=item, data={"why": why[:200]})


# --- watchdog jobs -------------------------------------------------------------------------------


def commands_check_timeouts() -> dict[str, int]:
    """Expire commands past their deadline; a sent command whose door never reported open counts as
    a door that failed to open (compartment faulty, a deposit moves to another compartment)."""
    now = timezone.now()
    timeout = timedelta(seconds=conf().open_timeout)
    expired = timed_out = 0
    live = [DeviceCommand.State.QUEUED, DeviceCommand.State.SENT]
    for command_id, cabinet_id in DeviceCommand.objects.filter(
        state__in=live, expires_at__lte=now
    ).values_list("pk", "cabinet_id"):
        with transaction.atomic():
            cabinet = lock_cabinet(cabinet_id)
            command = DeviceCommand.objects.select_for_update().get(pk=command_id)
            if command.state in live:
                _command_expired(cabinet, command, "expired before the door opened")
                expired += 1
    stuck = DeviceCommand.objects.filter(
        state=DeviceCommand.State.SENT, sent_at__lte=now - timeout, cabinet__online=True
    ).values_list("pk", "cabinet_id")
    for command_id, cabinet_id in stuck:
        with transaction.atomic():
            cabinet = lock_cabinet(cabinet_id)
            command = DeviceCommand.objects.select_for_update().get(pk=command_id)
            if command.state != DeviceCommand.State.SENT:
                continue
            raise_alert(
                cabinet=cabinet,
                compartment=command.compartment,
                kind=Alert.Kind.OPEN_TIMEOUT,
                message=f"{command.compartment.number}号格口开门无响应",
            )
            _command_failed(cabinet, command, "open_timeout")
            timed_out += 1
    return {"expired": expired, "timed_out": timed_out}


def doors_check_left_open() -> int:
    """Raise an alert for every door open longer than ``door_open_alert`` seconds."""
    limit = timezone.now() - timedelta(seconds=conf().door_open_alert)
    raised = 0
    for compartment in Compartment.objects.filter(door_open=True, door_opened_at__lte=limit).select_related(
        "cabinet"
    ):
        with transaction.atomic():
            cabinet = lock_cabinet(compartment.cabinet_id)
            if Alert.objects.filter(
                cabinet=cabinet, compartment=compartment, kind=Alert.Kind.DOOR_LEFT_OPEN, resolved_at=None
            ).exists():
                continue
            raise_alert(
                cabinet=cabinet,
                compartment=compartment,
                kind=Alert.Kind.DOOR_LEFT_OPEN,
                message=f"{compartment.number}号格口柜门未关",
            )
            audit_log(action="cabinet.door.left_open", obj=compartment)
            raised += 1
    return raised


def cabinets_mark_stale_offline() -> int:
    """A cabinet silent for longer than ``offline_after`` seconds is offline (its will may be lost)."""
    limit = timezone.now() - timedelta(seconds=conf().offline_after)
    marked = 0
    for cabinet_id in Cabinet.objects.filter(online=True, last_heartbeat__lt=limit).values_list(
        "pk", flat=True
    ):
        with transaction.atomic():
            cabinet = lock_cabinet(cabinet_id)
            if cabinet.online and cabinet.last_heartbeat is not None and cabinet.last_heartbeat < limit:
                _set_online(cabinet, False)
                marked += 1
    return marked

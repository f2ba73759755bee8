"""Item flows: deposit (clerk), pickup / drop-off by code (resident), recall, collect, overdue."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from tongban.accounts.models import Role
from tongban.cabinet import codes
from tongban.cabinet.conf import conf
from tongban.cabinet.errors import (
    CabinetOffline,
    CodeIncomplete,
    CompartmentFaulty,
    KeypadLocked,
    PhoneRequired,
    ResendLimit,
    WrongCode,
)
from tongban.cabinet.models import Cabinet, CodeAttempt, Compartment, DeviceCommand, Item, KeypadLock
from tongban.cabinet.services import hooks
from tongban.cabinet.services._common import (
    SUPERVISING_ROLES,
    lock_cabinet,
    require_staff,
    reserve_compartment,
    settle_compartment,
    transition,
)
from tongban.cabinet.services.outbox import command_queue
from tongban.core.audit import audit_log
from tongban.core.crypto import mask_phone
from tongban.core.errors import Conflict, InvalidTransition, NotFound, ValidationError
from tongban.notifications.services import sms_send

PHONE_RE = re.compile(r"^1\d{10}$")


def _clean_phone(phone: str, *, for_application: bool = False) -> str:
    phone = "".join(phone.split())
    if not phone:
        if for_application:
            raise PhoneRequired(
                "该办件没有可接收短信的手机号，请填写接收取件码的手机号",
                "This application has no mobile number for SMS: enter the one to receive the code",
            )
        raise PhoneRequired()
    if not PHONE_RE.match(phone):
        raise ValidationError("手机号格式不正确", "Invalid mobile number", code="cabinet.phone_invalid")
    return phone


def code_issue(*, item: Item, cabinet: Cabinet, valid_days: int) -> str:
    """Give ``item`` a fresh code, unique among the cabinet's live codes; returns the plaintext once.

    Caller holds the cabinet lock, saves the item and sends the code; the plaintext goes nowhere else.
    """
    settings_ = conf()
    for _ in range(20):
        code = codes.generate_code(cabinet.code_length)
        tag = codes.code_tag(cabinet.code, code)
        clashes = (
            Item.objects.filter(
                cabinet=cabinet, state__in=Item.ACTIVE_STATES, code_tag=tag, code_used_at=None
            )
            .exclude(pk=item.pk)
            .exclude(code_hash="")
            .values_list("code_hash", flat=True)
        )
        if not any(codes.check_code(code, encoded) for encoded in clashes):
            break
    else:  # pragma: no cover - 20 collisions in a row cannot happen with ≥ 10^6 codes
        raise Conflict(
            "无法生成取件码，请重试", "Could not issue a code; try again", code="cabinet.code_clash"
        )
    item.code_hash = codes.hash_code(code, n=settings_.scrypt_n)
    item.code_tag = tag
    item.code_used_at = None
    item.code_expires_at = timezone.now() + timedelta(days=valid_days)
    return code


def _send_pickup_code(item: Item, cabinet: Cabinet, code: str, *, reissued: bool = False) -> None:
    expiry = timezone.localtime(item.code_expires_at).strftime("%m月%d日") if item.code_expires_at else ""
    # a new code must not read like the old one: the old SMS is still on the phone and no longer opens the door
    new = "新的取件码" if reissued else "取件码"
    void = "（之前短信中的取件码已失效）" if reissued else ""
    sms_send(
        to_phone=item.phone,
        body=(
            f"【通办】您的{item.label or '材料'}已放入{cabinet.where}，{new}{code}{void}，"
            f"取件时间{cabinet.hours}，请于{expiry}前凭码取件。取件码仅限本人使用，请勿转告他人。"
        ),
        purpose="cabinet.pickup_code",
        secret=code,
    )


# --- deposit (clerk) -------------------------------------------------------------------------------


def deposit_create(
    *,
    cabinet: Cabinet,
    actor: Any,
    size: str,
    application: Any = None,
    label: str = "",
    phone: str = "",
) -> Item:
    """Reserve a compartment of a fitting size and open its door for the clerk.

    No code exists yet: it is issued (and sent) only when the door sensor reports the door closed
    with the item inside — an item that never reached the cabinet never gets a code.
    """
    require_staff(actor, cabinet)
    with transaction.atomic():
        cabinet = lock_cabinet(cabinet.pk)
        if application is not None:
            details = hooks.application_for_deposit(application=application)
            phone = phone or details.phone
            label = label or details.label
            if Item.objects.filter(
                application=application, kind=Item.Kind.PICKUP, state__in=Item.ACTIVE_STATES
            ).exists():
                raise Conflict(
                    "该办件的材料已在文件柜中",
                    "This application's document is already in a cabinet",
                    code="cabinet.already_deposited",
                )
        phone = _clean_phone(phone, for_application=application is not None)
        label = label.strip()[:200]
        if not label:
            raise ValidationError(
                "请填写物品说明或办件号",
                "Give a label or an application number",
                code="cabinet.label_required",
            )
        compartment = reserve_compartment(cabinet, size)
        item = Item.objects.create(
            kind=Item.Kind.PICKUP,
            state=Item.State.RESERVED,
            cabinet=cabinet,
            compartment=compartment,
            size=size,
            label=label,
            phone=phone,
            application=application,
            created_by=actor,
        )
        transition(item, Item.State.RESERVED, actor=actor, note="deposit")
        command_queue(
            compartment=compartment,
            purpose=DeviceCommand.Purpose.DEPOSIT,
            ttl_seconds=conf().command_ttl,
            item=item,
            cabinet=cabinet,
        )
        audit_log(
            actor=actor,
            action="cabinet.item.deposit",
            obj=item,
            data={
                "cabinet": cabinet.code,
                "compartment": compartment.number,
                "size": size,
                "application": getattr(application, "pk", None),
                "online": cabinet.online,
            },
        )
    return item


def item_reopen(*, item: Item, actor: Any) -> DeviceCommand:
    """Open the door again for a deposit whose door never opened (command expired, cabinet was offline)."""
    require_staff(actor, item.cabinet)
    with transaction.atomic():
        cabinet = lock_cabinet(item.cabinet_id)
        item = Item.objects.select_for_update().select_related("compartment").get(pk=item.pk)
        if item.kind != Item.Kind.PICKUP or item.state != Item.State.RESERVED:
            raise InvalidTransition()
        compartment = item.compartment
        if compartment.state in (Compartment.State.FAULTY, Compartment.State.DISABLED):
            new = reserve_compartment(cabinet, item.size)
            item.compartment = new
            item.save(update_fields=["compartment"])
            settle_compartment(compartment)
            compartment = new
        DeviceCommand.objects.filter(
            item=item, state__in=[DeviceCommand.State.QUEUED, DeviceCommand.State.SENT]
        ).update(state=DeviceCommand.State.EXPIRED, finished_at=timezone.now(), error="superseded")
        command = command_queue(
            compartment=compartment,
            purpose=DeviceCommand.Purpose.DEPOSIT,
            ttl_seconds=conf().command_ttl,
            item=item,
        )
        audit_log(
            actor=actor, action="cabinet.item.reopen", obj=item, data={"compartment": compartment.number}
        )
    return command


def item_cancel(*, item: Item, actor: Any, reason: str = "") -> Item:
    """Give up an item not yet loaded (deposit abandoned, drop-off no longer needed); frees the compartment."""
    require_staff(actor, item.cabinet)
    with transaction.atomic():
        lock_cabinet(item.cabinet_id)
        item = Item.objects.select_for_update().select_related("compartment").get(pk=item.pk)
        if item.state != Item.State.RESERVED:
            raise InvalidTransition("只能取消尚未放入的物品", "Only items not yet loaded can be cancelled")
        transition(item, Item.State.CANCELLED, actor=actor, note=reason or "cancelled")
        item.code_hash, item.code_tag, item.finished_at = "", None, timezone.now()
        item.save(update_fields=["state", "code_hash", "code_tag", "finished_at"])
        DeviceCommand.objects.filter(
            item=item, state__in=[DeviceCommand.State.QUEUED, DeviceCommand.State.SENT]
        ).update(state=DeviceCommand.State.EXPIRED, finished_at=timezone.now(), error="cancelled")
        settle_compartment(item.compartment)
        audit_log(actor=actor, action="cabinet.item.cancel", obj=item, data={"reason": reason[:200]})
    return item


# --- drop-off ------------------------------------------------------------------------------------


def dropoff_create(
    *,
    cabinet: Cabinet,
    actor: Any,
    size: str,
    phone: str = "",
    label: str = "",
    application: Any = None,
) -> Item:
    """Reserve a compartment for materials a resident will hand in, and text them a drop-off code."""
    require_staff(actor, cabinet)
    with transaction.atomic():
        cabinet = lock_cabinet(cabinet.pk)
        if application is not None:
            details = hooks.application_for_dropoff(application=application)
            phone = phone or details.phone
            label = label or details.label
        phone = _clean_phone(phone, for_application=application is not None)
        label = label.strip()[:200] or "补正材料"
        compartment = reserve_compartment(cabinet, size)
        item = Item(
            kind=Item.Kind.DROPOFF,
            state=Item.State.RESERVED,
            cabinet=cabinet,
            compartment=compartment,
            size=size,
            label=label,
            phone=phone,
            application=application,
            created_by=actor,
        )
        code = code_issue(item=item, cabinet=cabinet, valid_days=conf().dropoff_code_days)
        item.save()
        transition(item, Item.State.RESERVED, actor=actor, note="dropoff")
        expiry = timezone.localtime(item.code_expires_at).strftime("%m月%d日") if item.code_expires_at else ""
        sms_send(
            to_phone=phone,
            body=(
                f"【通办】请于{expiry}前到{cabinet.where}，在柜屏输入投递码{code}，"
                f"将{label}放入打开的柜门并关好。开放时间{cabinet.hours}。"
            ),
            purpose="cabinet.dropoff_code",
            secret=code,
        )
        audit_log(
            actor=actor,
            action="cabinet.item.dropoff_create",
            obj=item,
            data={
                "cabinet": cabinet.code,
                "compartment": compartment.number,
                "size": size,
                "application": getattr(application, "pk", None),
                "to": mask_phone(phone),
            },
        )
    return item


def dropoff_collect(*, item: Item, actor: Any) -> DeviceCommand:
    """The clerk opens a drop-off compartment to take the materials to the counter."""
    return _unload(item=item, actor=actor, kind=Item.Kind.DROPOFF, reason=Item.Unload.COLLECT)


def item_recall(*, item: Item, actor: Any, reason: str = "") -> DeviceCommand:
    """Bring an uncollected document back to the counter (回收). The code dies now."""
    return _unload(item=item, actor=actor, kind=Item.Kind.PICKUP, reason=Item.Unload.RECALL, note=reason)


def _unload(*, item: Item, actor: Any, kind: str, reason: str, note: str = "") -> DeviceCommand:
    require_staff(actor, item.cabinet)
    with transaction.atomic():
        lock_cabinet(item.cabinet_id)
        item = Item.objects.select_for_update().select_related("compartment").get(pk=item.pk)
        if item.kind != kind or item.state != Item.State.STORED:
            raise InvalidTransition(
                "物品当前不在柜中（可能已被取走或正在取出）",
                "The item is not in the cabinet any more (taken or being taken out)",
            )
        transition(item, Item.State.UNLOADING, actor=actor, note=note or reason)
        item.unload_reason = reason
        item.code_hash, item.code_tag = "", None  # the code dies at once
        item.save(update_fields=["state", "unload_reason", "code_hash", "code_tag"])
        purpose = (
            DeviceCommand.Purpose.RECALL if reason == Item.Unload.RECALL else DeviceCommand.Purpose.COLLECT
        )
        command = command_queue(
            compartment=item.compartment, purpose=purpose, ttl_seconds=conf().command_ttl, item=item
        )
        audit_log(
            actor=actor,
            action=f"cabinet.item.{reason}",
            obj=item,
            data={"compartment": item.compartment.number, "note": note[:200]},
        )
    return command


def item_reissue_code(*, item: Item, actor: Any) -> Item:
    """A resident lost the SMS: a new code replaces the old one (which dies) and is sent again."""
    require_staff(actor, item.cabinet)
    with transaction.atomic():
        cabinet = lock_cabinet(item.cabinet_id)
        item = Item.objects.select_for_update().get(pk=item.pk)
        _reissue(item, cabinet, actor=actor)
    return item


# How often the owner may have a code sent again from the portal, per item and 24 hours: enough for an SMS
# that went astray, not an SMS pump on someone's phone.
OWNER_RESENDS_PER_DAY = 3
OWNER_RESEND_GAP_SECONDS = 60


def item_resend_code(*, item: Item, actor: Any) -> Item:
    """The owner of the case an item belongs to lost its SMS (at 2 a.m., with nobody at the window): a new code
    replaces the old one and goes to the phone the item was registered with, as when staff reissue it."""
    from tongban.core.models import AuditEntry

    application = item.application
    if (
        application is None
        or getattr(actor, "role", None) != Role.RESIDENT
        or application.applicant_id != actor.pk
    ):
        raise NotFound("物品不存在", "No such item")
    with transaction.atomic():
        cabinet = lock_cabinet(item.cabinet_id)
        item = Item.objects.select_for_update().get(pk=item.pk)
        now = timezone.now()
        sent = list(
            AuditEntry.objects.filter(
                action="cabinet.item.reissue_code",
                object_type="cabinet.item",
                object_id=str(item.pk),
                actor_id=actor.pk,
                at__gte=now - timedelta(days=1),
            )
            .order_by("-at")
            .values_list("at", flat=True)
        )
        phone = cabinet.center.phone
        if len(sent) >= OWNER_RESENDS_PER_DAY:
            raise ResendLimit(
                f"今天已重新发送过多次取件码，请查看最新一条短信；仍有问题请拨打中心电话 {phone}"
                if phone
                else ResendLimit.message,
                f"The code was sent again several times today; use the newest SMS, or call the center on {phone}"
                if phone
                else ResendLimit.message_en,
            )
        if sent and sent[0] > now - timedelta(seconds=OWNER_RESEND_GAP_SECONDS):
            # a second tap a moment later would void the code the first one just sent
            raise ResendLimit(
                "新的取件码刚刚已发送，请查看最新一条短信（1分钟后才能再次发送）",
                "A new code was sent just now: check the newest SMS (another can be sent in a minute)",
                retry_after=OWNER_RESEND_GAP_SECONDS,
            )
        _reissue(item, cabinet, actor=actor)
    return item


def _reissue(item: Item, cabinet: Cabinet, *, actor: Any) -> None:
    """A new code for a live item (the old one dies), sent to the item's phone; caller holds both locks."""
    if not (
        (item.kind == Item.Kind.PICKUP and item.state == Item.State.STORED)
        or (item.kind == Item.Kind.DROPOFF and item.state == Item.State.RESERVED)
    ):
        raise InvalidTransition()
    days = cabinet.code_valid_days if item.kind == Item.Kind.PICKUP else conf().dropoff_code_days
    code = code_issue(item=item, cabinet=cabinet, valid_days=days)
    item.save(update_fields=["code_hash", "code_tag", "code_used_at", "code_expires_at"])
    if item.kind == Item.Kind.PICKUP:
        _send_pickup_code(item, cabinet, code, reissued=True)
    else:
        sms_send(
            to_phone=item.phone,
            body=f"【通办】您的新投递码为{code}（原投递码已失效），请到{cabinet.where}投递材料。",
            purpose="cabinet.dropoff_code",
            secret=code,
        )
    audit_log(actor=actor, action="cabinet.item.reissue_code", obj=item, data={"to": mask_phone(item.phone)})


# --- code entry (resident at the cabinet) ----------------------------------------------------------


@dataclass(frozen=True)
class CodeResult:
    compartment: int
    request_id: str
    kind: str


def _guards(cabinet: Cabinet, source: str) -> list[KeypadLock]:
    """Lock the cabinet's and the source's rows (created on first use), in one order."""
    scopes = sorted({f"cabinet:{cabinet.code}", f"source:{source}"})
    rows = list(KeypadLock.objects.select_for_update().filter(scope__in=scopes).order_by("scope"))
    if len(rows) < len(scopes):
        KeypadLock.objects.bulk_create([KeypadLock(scope=s) for s in scopes], ignore_conflicts=True)
        rows = list(KeypadLock.objects.select_for_update().filter(scope__in=scopes).order_by("scope"))
    return rows


def keypad_locked_for(*, cabinet: Cabinet, source: str) -> int:
    """Seconds the keypad stays locked for this cabinet/source (0 = open). Read-only."""
    now = timezone.now()
    until = (
        KeypadLock.objects.filter(
            scope__in=[f"cabinet:{cabinet.code}", f"source:{source}"], locked_until__gt=now
        )
        .order_by("-locked_until")
        .values_list("locked_until", flat=True)
        .first()
    )
    return 0 if until is None else max(1, int((until - now).total_seconds() + 0.999))


def _match(cabinet: Cabinet, code: str) -> Item | None:
    if not code.isdigit() or not 6 <= len(code) <= 12:
        return None
    now = timezone.now()
    tag = codes.code_tag(cabinet.code, code)
    candidates = (
        Item.objects.select_for_update()
        .select_related("compartment")
        .filter(cabinet=cabinet, code_tag=tag, code_used_at=None, code_expires_at__gt=now)
        .filter(
            Q(kind=Item.Kind.PICKUP, state=Item.State.STORED)
            | Q(kind=Item.Kind.DROPOFF, state=Item.State.RESERVED)
        )
        .exclude(code_hash="")
    )
    for item in candidates:
        if codes.check_code(code, item.code_hash):
            return item
    return None


def code_enter(*, cabinet: Cabinet, code: str, source: str, proxy: bool = False) -> CodeResult:
    """A code typed (or scanned) at the cabinet: opens the matching door, once.

    Wrong codes are counted per cabinet and per source in database rows (so every process
    shares the count); ``max_failures`` within ``failure_window`` locks the keypad for
    ``lock_seconds`` → :class:`KeypadLocked` (HTTP 429 with Retry-After). Every attempt is audited
    — never the code. The failure is committed before the error is raised.
    """
    settings_ = conf()
    code = codes.normalise_code(code)
    if not 6 <= len(code) <= 12:  # no code is shorter or longer: not a guess, and not counted as one
        raise CodeIncomplete(
            f"请输入短信中的{cabinet.code_length}位取件码",
            f"Enter the {cabinet.code_length}-digit pickup code from the SMS",
            details={"digits": cabinet.code_length},
        )
    source = (source or "unknown")[:64]
    error: Exception | None = None
    result: CodeResult | None = None
    with transaction.atomic():
        cabinet = lock_cabinet(cabinet.pk)
        guards = _guards(cabinet, source)
        now = timezone.now()
        locked_until = max(
            (g.locked_until for g in guards if g.locked_until and g.locked_until > now), default=None
        )
        if locked_until is not None:
            retry = max(1, int((locked_until - now).total_seconds() + 0.999))
            audit_log(action="cabinet.code.locked", obj=cabinet, data={"source": source}, ip=_ip(source))
            error = KeypadLocked(retry_after=retry, details={"retry_after": retry})
        elif not cabinet.online:
            audit_log(action="cabinet.code.offline", obj=cabinet, data={"source": source}, ip=_ip(source))
            error = CabinetOffline()
        else:
            item = _match(cabinet, code)
            if item is None:
                CodeAttempt.objects.create(cabinet=cabinet, source=source, at=now, success=False)
                since = now - timedelta(seconds=settings_.failure_window)
                by_cabinet = CodeAttempt.objects.filter(cabinet=cabinet, success=False, at__gt=since).count()
                by_source = CodeAttempt.objects.filter(source=source, success=False, at__gt=since).count()
                lock = None
                if by_cabinet >= settings_.max_failures or by_source >= settings_.max_failures:
                    lock = now + timedelta(seconds=settings_.lock_seconds)
                    KeypadLock.objects.filter(pk__in=[g.pk for g in guards]).update(locked_until=lock)
                audit_log(
                    action="cabinet.code.attempt",
                    obj=cabinet,
                    data={
                        "success": False,
                        "source": source,
                        "failures_cabinet": by_cabinet,
                        "failures_source": by_source,
                        "locked": lock is not None,
                    },
                    ip=_ip(source),
                )
                if lock is not None:
                    retry = settings_.lock_seconds
                    error = KeypadLocked(retry_after=retry, details={"retry_after": retry})
                else:
                    error = WrongCode(
                        details={"attempts_left": settings_.max_failures - max(by_cabinet, by_source)}
                    )
            elif item.compartment.state in (Compartment.State.FAULTY, Compartment.State.DISABLED):
                audit_log(action="cabinet.code.faulty", obj=item, data={"source": source}, ip=_ip(source))
                error = CompartmentFaulty()
            else:
                if item.kind == Item.Kind.PICKUP:
                    transition(item, Item.State.UNLOADING, note="pickup by proxy" if proxy else "pickup")
                    item.unload_reason = Item.Unload.PICKUP
                    item.by_proxy = proxy
                    purpose = DeviceCommand.Purpose.PICKUP
                else:
                    transition(item, Item.State.LOADING, note="dropoff")
                    purpose = DeviceCommand.Purpose.DROPOFF
                item.code_used_at = now
                item.save(update_fields=["state", "unload_reason", "by_proxy", "code_used_at"])
                command = command_queue(
                    compartment=item.compartment,
                    purpose=purpose,
                    ttl_seconds=settings_.resident_command_ttl,
                    item=item,
                    cabinet=cabinet,
                )
                audit_log(
                    action="cabinet.code.attempt",
                    obj=item,
                    data={
                        "success": True,
                        "source": source,
                        "kind": item.kind,
                        "proxy": proxy,
                        "compartment": item.compartment.number,
                    },
                    ip=_ip(source),
                )
                result = CodeResult(item.compartment.number, str(command.request_id), item.kind)
    if error is not None:
        raise error
    assert result is not None
    return result


def _ip(source: str) -> str | None:
    return source if re.match(r"^[0-9a-fA-F:.]+$", source) else None


# --- overdue ------------------------------------------------------------------------------------


def items_process_overdue() -> dict[str, int]:
    """Daily-ish job: remind residents of uncollected documents; expire unused drop-off reservations.

    Recalling an overdue document is the clerk's act (the item must physically come out); the staff
    screen lists the items past ``recall_after_days``.
    """
    now = timezone.now()
    reminded = expired = 0
    stored = Item.objects.filter(kind=Item.Kind.PICKUP, state=Item.State.STORED).select_related("cabinet")

    def reminded_today(i: Item) -> bool:
        return i.last_reminder_at is not None and i.last_reminder_at > now - timedelta(days=1)

    for item in stored:
        cabinet = item.cabinet
        if item.stored_at is None or item.stored_at > now - timedelta(days=cabinet.reminder_after_days):
            continue
        if reminded_today(item):
            continue
        with transaction.atomic():
            lock_cabinet(cabinet.pk)
            fresh = Item.objects.select_for_update().get(pk=item.pk)
            # read again under the lock: a run that overlaps this one (a backlogged worker) may have reminded
            # since the list was read, and the resident would get the same SMS twice
            if fresh.state != Item.State.STORED or reminded_today(fresh):
                continue
            assert fresh.stored_at is not None
            deadline = timezone.localtime(fresh.stored_at + timedelta(days=cabinet.recall_after_days))
            sms_send(
                to_phone=fresh.phone,
                body=(
                    f"【通办】您的{fresh.label or '材料'}仍在{cabinet.where}，请于{deadline:%m月%d日}前"
                    f"凭取件码取件，逾期将回收至服务窗口。"
                ),
                purpose="cabinet.overdue_reminder",
            )
            fresh.reminders_sent += 1
            fresh.last_reminder_at = now
            fresh.save(update_fields=["reminders_sent", "last_reminder_at"])
            audit_log(action="cabinet.item.remind", obj=fresh, data={"reminders_sent": fresh.reminders_sent})
            reminded += 1
    stale = Item.objects.filter(kind=Item.Kind.DROPOFF, state=Item.State.RESERVED, code_expires_at__lte=now)
    for item in stale:
        with transaction.atomic():
            lock_cabinet(item.cabinet_id)
            fresh = Item.objects.select_for_update().select_related("compartment").get(pk=item.pk)
            if fresh.state != Item.State.RESERVED:
                continue
            transition(fresh, Item.State.CANCELLED, note="dropoff code expired")
            fresh.code_hash, fresh.code_tag, fresh.finished_at = "", None, now
            fresh.save(update_fields=["state", "code_hash", "code_tag", "finished_at"])
            settle_compartment(fresh.compartment)
            audit_log(action="cabinet.item.dropoff_expire", obj=fresh)
            expired += 1
    return {"reminded": reminded, "dropoffs_expired": expired}


def item_get(*, reference: str) -> Item:
    item = Item.objects.select_related("cabinet", "compartment").filter(reference=reference).first()
    if item is None:
        raise NotFound("物品不存在", "No such item", code="cabinet.item_not_found")
    return item


__all__ = ["SUPERVISING_ROLES"]

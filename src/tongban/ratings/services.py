"""Writes for 好差评: record service events, take ratings, run the rectification loop, decide appeals.

Rules enforced here (and by database constraints underneath):

* one rating per service event (``Rating.event`` is one-to-one; a second → ``409``);
* a ticket is rateable for ``RATINGS_PAD_MINUTES`` after it was served, from the
  window's pad or the API; online cases and pickups through a signed link that
  expires after ``RATINGS_LINK_MAX_AGE_DAYS``;
* a 差评 (level ≤ 2) opens a work order: contact due in ``RATINGS_CONTACT_WORKDAYS``
  working days, closure in ``RATINGS_CLOSE_WORKDAYS``;
* ratings never change, except annulment by a reviewer after an appeal; no
  clerk-facing service exists that touches a rating.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from tongban.accounts.models import Role, User
from tongban.catalog.models import Center, Department, Matter, Window
from tongban.core.audit import audit_log
from tongban.core.calendar import add_workdays
from tongban.core.crypto import blind_index
from tongban.core.errors import Conflict, Forbidden, InvalidTransition, NotFound, RateLimited, ValidationError
from tongban.notifications.services import sms_send
from tongban.ratings.models import (
    BAD_LEVEL_MAX,
    INDICATORS,
    Appeal,
    EventKind,
    Level,
    Rating,
    ServiceChannel,
    ServiceEvent,
    WorkOrder,
    WorkOrderStep,
)

LINK_SALT = "tongban.ratings.link"
FOLLOW_UP_SALT = "tongban.ratings.follow-up"

WORK_ORDER_MANAGERS = frozenset({Role.MANAGER, Role.ADMIN})
APPEAL_DECIDERS = frozenset({Role.REVIEWER, Role.SUPERVISOR, Role.ADMIN})


# --- errors -----------------------------------------------------------------


class AlreadyRated(Conflict):
    code = "rating.already_rated"
    message = "该服务已评价过，每次服务只能评价一次"
    message_en = "This service has already been rated; each service can be rated once"


class RatingWindowClosed(ValidationError):
    status_code = 409
    code = "rating.window_closed"
    message = "该号已超过可评价时间"
    message_en = "The time to rate this ticket has passed"


class LinkInvalid(Forbidden):
    code = "rating.link_invalid"
    message = "评价链接无效或已过期"
    message_en = "The rating link is invalid or has expired"


# --- helpers ----------------------------------------------------------------


def _number(prefix: str) -> str:
    return f"{prefix}{timezone.localdate():%Y%m%d}{secrets.token_hex(4).upper()}"


def _check_rate(*, client_key: str | None) -> None:
    """Fixed-window counter per client (IP or token) in the shared cache; raises RateLimited."""
    if not client_key:
        return
    window = settings.RATINGS_RATE_WINDOW_SECONDS
    key = f"ratings:rl:{blind_index(client_key)[:32]}"
    cache.add(key, 0, timeout=window)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window)
        count = 1
    if count > settings.RATINGS_RATE_LIMIT:
        raise RateLimited(retry_after=window)


def _manages_center(actor: User, center_id: int) -> bool:
    if actor.role == Role.ADMIN:
        return True
    return actor.role == Role.MANAGER and actor.center_id == center_id


def _require_work_order_actor(actor: User, work_order: WorkOrder) -> None:
    if actor.role in WORK_ORDER_MANAGERS and _manages_center(actor, work_order.center_id):
        return
    raise Forbidden("只有中心负责人可以处理整改工单", "Only the center manager handles rectification orders")


def _clean_indicators(channel: str, level: int, indicators: dict[str, Any] | None) -> dict[str, int]:
    allowed = {code for code, _label in INDICATORS[channel]}
    result: dict[str, int] = {}
    for code, value in (indicators or {}).items():
        if code not in allowed:
            raise ValidationError(
                f"未知的分项指标：{code}",
                f"Unknown indicator for this channel: {code}",
                code="rating.indicator_unknown",
                details={"allowed": sorted(allowed)},
            )
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 5:
            raise ValidationError(
                "分项评价须为1至5", "Indicator values must be 1 to 5", code="rating.indicator_invalid"
            )
        result[code] = value
    return result


# --- service events (called by queueing, applications, cabinet) -----------


def service_event_record(
    *,
    kind: str,
    ref: str | int,
    channel: str,
    center: Center,
    served_at: datetime | None = None,
    window: Window | None = None,
    clerk: User | None = None,
    matter: Matter | None = None,
    department: Department | None = None,
    application_number: str = "",
    ticket_number: str = "",
    rater: User | None = None,
    rater_phone: str = "",
    send_link: bool = False,
) -> ServiceEvent:
    """Record a finished service that can be rated once. Idempotent on ``(kind, ref)``.

    ``send_link`` texts the rater a signed 一事一评 link (online cases, pickups, or a
    ticket whose holder left a phone number).
    """
    if kind not in EventKind.values or channel not in ServiceChannel.values:
        raise ValidationError("服务事件类型无效", "Invalid service event kind or channel")
    if department is None and matter is not None:
        department = matter.department
    phone = rater_phone or (rater.phone if rater is not None else "")
    with transaction.atomic():
        event, created = ServiceEvent.objects.get_or_create(
            kind=kind,
            ref=str(ref),
            defaults={
                "channel": channel,
                "center": center,
                "window": window,
                "clerk": clerk,
                "matter": matter,
                "department": department,
                "application_number": application_number,
                "ticket_number": ticket_number,
                "served_at": served_at or timezone.now(),
                "rater": rater,
                "rater_phone": phone,
                "rater_phone_hash": blind_index(phone) if phone else "",
            },
        )
        if created:
            audit_log(actor=clerk, action="ratings.event.record", obj=event, data={"kind": kind})
            if send_link and phone:
                url = rating_link_url(event=event)
                what = application_number or ticket_number or (matter.name if matter else "")
                sms_send(
                    to_phone=phone,
                    body=f"【通办】您办理的{what}已完成，请对本次服务评价（一事一评）：{url}",
                    purpose="ratings.invite",
                )
    return event


def service_event_from_ticket(*, ticket_id: int | str) -> ServiceEvent | None:
    """The rateable event of a ticket finished at a window (queueing), recorded on first use.

    Returns None when the ticket does not exist or is not finished at a window.
    """
    ticket_model = _source("queueing", "Ticket")
    if ticket_model is None:
        return None
    ticket = (
        ticket_model.objects.filter(pk=ticket_id, state="finished", called_window__isnull=False)  # type: ignore[attr-defined]
        .select_related("center", "called_window", "called_by", "matter__department")
        .first()
    )
    if ticket is None or ticket.finished_at is None:
        return None
    # The case the window handled for this ticket (linked at finish): a rating then names its matter and
    # number, and a bad one can be followed up by phone (the case's contact phone, else the applicant's).
    link = (
        ticket.application_links.select_related("application__matter__department", "application__applicant")
        .order_by("application_id")
        .first()
    )
    case = link.application if link is not None else None
    return service_event_record(
        kind=EventKind.TICKET,
        ref=ticket.pk,
        channel=ServiceChannel.IN_PERSON,
        center=ticket.center,
        window=ticket.called_window,
        clerk=ticket.called_by,
        matter=ticket.matter or (case.matter if case else None),
        application_number=case.number if case else "",
        ticket_number=ticket.number,
        served_at=ticket.finished_at,
        rater_phone=ticket.notify_phone or (case.contact_phone or case.applicant.phone if case else ""),
    )


def pad_sync_window(*, window: Window, now: datetime | None = None) -> int:
    """Record events for tickets finished at ``window`` within the pad's minutes (idempotent)."""
    ticket_model = _source("queueing", "Ticket")
    if ticket_model is None:
        return 0
    now = now or timezone.now()
    since = now - timedelta(minutes=settings.RATINGS_PAD_MINUTES)
    ids = list(
        ticket_model.objects.filter(  # type: ignore[attr-defined]
            called_window=window, state="finished", finished_at__gte=since, finished_at__lte=now
        ).values_list("pk", flat=True)
    )
    known = set(
        ServiceEvent.objects.filter(kind=EventKind.TICKET, ref__in=[str(i) for i in ids]).values_list(
            "ref", flat=True
        )
    )
    created = 0
    for pk in ids:
        if str(pk) not in known and service_event_from_ticket(ticket_id=pk) is not None:
            created += 1
    return created


def service_event_for_application(*, application: Any, send_link: bool = True) -> ServiceEvent:
    """一事一评 for a finished case (applications calls this on delivery); texts the signed link."""
    if application.channel in {"online", "kiosk"}:
        channel = ServiceChannel.ONLINE
    elif application.delivery == "cabinet":
        channel = ServiceChannel.CABINET
    else:
        channel = ServiceChannel.IN_PERSON
    return service_event_record(
        kind=EventKind.APPLICATION,
        ref=application.number,
        channel=channel,
        center=application.center,
        window=application.window,
        clerk=application.handler,
        matter=application.matter,
        department=application.department,
        application_number=application.number,
        served_at=application.delivered_at or application.decided_at or timezone.now(),
        rater=application.applicant,
        send_link=send_link,
    )


def rating_invitations_sweep(*, now: datetime | None = None, hours: int = 48, limit: int = 500) -> int:
    """Invite 一事一评 for cases delivered recently that have no event yet (the periodic job).

    Online and kiosk cases, and any case delivered through the cabinet; window cases
    were rated at the window (一次一评). Idempotent through the event's unique key.
    """
    application_model = _source("applications", "Application")
    if application_model is None:
        return 0
    now = now or timezone.now()
    rated = ServiceEvent.objects.filter(kind=EventKind.APPLICATION, ref=OuterRef("number"))
    due = (
        application_model.objects.filter(
            delivered_at__gte=now - timedelta(hours=hours), delivered_at__lte=now
        )
        .filter(Q(channel__in=["online", "kiosk"]) | Q(delivery="cabinet"))
        .exclude(Exists(rated))
        .select_related("center", "window", "handler", "matter", "department", "applicant")
        .order_by("delivered_at")[:limit]
    )
    invited = 0
    for application in due:
        service_event_for_application(application=application, send_link=True)
        invited += 1
    return invited


def _source(app_label: str, model_name: str) -> Any:
    try:
        return apps.get_model(app_label, model_name)
    except LookupError:
        return None


def rating_link_token(*, event: ServiceEvent) -> str:
    return signing.dumps({"e": event.pk}, salt=LINK_SALT, compress=True)


def rating_link_url(*, event: ServiceEvent) -> str:
    return f"{settings.RATINGS_LINK_BASE_URL.rstrip('/')}/ratings/r/{rating_link_token(event=event)}/"


def rating_link_resolve(*, token: str) -> ServiceEvent:
    max_age = timedelta(days=settings.RATINGS_LINK_MAX_AGE_DAYS)
    try:
        payload = signing.loads(token, salt=LINK_SALT, max_age=max_age)
        return ServiceEvent.objects.select_related("center", "matter").get(pk=payload["e"])
    except (signing.BadSignature, KeyError, TypeError, ServiceEvent.DoesNotExist) as exc:
        raise LinkInvalid() from exc


# --- ratings ----------------------------------------------------------------


@dataclass(frozen=True)
class RatingInput:
    level: int
    indicators: dict[str, Any] | None = None
    comment: str = ""


def rating_submit(
    *,
    event: ServiceEvent,
    data: RatingInput,
    source: str,
    rater: User | None = None,
    client_key: str | None = None,
) -> Rating:
    """Take the one rating of ``event``; a 差评 opens a work order in the same transaction."""
    _check_rate(client_key=client_key)
    if data.level not in Level.values:
        raise ValidationError("评价等级须为1至5", "Level must be 1 to 5", code="rating.level_invalid")
    if rater is not None and rater.role in {Role.CLERK} and event.clerk_id == rater.pk:
        raise Forbidden("工作人员不能评价自己的服务", "Staff cannot rate their own service")
    indicators = _clean_indicators(event.channel, data.level, data.indicators)
    now = timezone.now()
    pad_window = timedelta(minutes=settings.RATINGS_PAD_MINUTES)
    if (
        source in {Rating.Source.PAD, Rating.Source.API}
        and event.kind == EventKind.TICKET
        and now - event.served_at > pad_window
    ):
        raise RatingWindowClosed(details={"minutes": settings.RATINGS_PAD_MINUTES})
    try:
        with transaction.atomic():
            locked = ServiceEvent.objects.select_for_update().get(pk=event.pk)
            if Rating.objects.filter(event=locked).exists():
                raise AlreadyRated()
            rating = Rating.objects.create(
                number=_number("PJ"),
                event=locked,
                level=data.level,
                indicators=indicators,
                comment=(data.comment or "").strip()[:500],
                source=source,
                created_at=now,
                center_id=locked.center_id,
                is_bad=data.level <= BAD_LEVEL_MAX,
            )
            # The rater's identity is deliberately not in the audit data (evaluator protection).
            audit_log(
                actor=rater,
                action="ratings.rating.submit",
                obj=rating,
                data={"level": data.level, "source": source, "event": locked.pk},
            )
            if rating.is_bad:
                _work_order_open(rating=rating, event=locked, now=now)
    except IntegrityError as exc:  # a concurrent rating of the same event won the race
        raise AlreadyRated() from exc
    return rating


def rating_submit_for_ticket(
    *,
    ticket_id: int | str,
    data: RatingInput,
    source: str,
    client_key: str | None = None,
    client_ip: str = "",
) -> Rating:
    """A rating of a window's service from a hall device (the pad, or a device using the API): only from the
    center's hall networks where it lists them, and only for the service the window finished last, before it
    calls anyone else. A ticket id is a small number anyone can count through; without these rules anyone
    could rate any recent service from anywhere and open a work order against its clerk."""
    from tongban.ratings.selectors import pad_allowed, pad_superseded

    _check_rate(client_key=client_key)  # before the look-up: guessing ticket ids costs attempts too
    event = ServiceEvent.objects.filter(kind=EventKind.TICKET, ref=str(ticket_id)).first()
    if event is None:
        event = service_event_from_ticket(ticket_id=ticket_id)
    if event is None:
        raise NotFound("没有找到可评价的服务", "No rateable service for this ticket", code="rating.no_event")
    if event.window is not None:
        if not pad_allowed(window=event.window, ip=client_ip):
            raise Forbidden(
                "只能在服务中心大厅的评价器上评价窗口服务",
                "A window's service is rated on the hall's rating pads only",
                code="rating.not_in_hall",
            )
        # past the minutes, rating_submit says so (rating.window_closed)
        within = event.served_at >= timezone.now() - timedelta(minutes=settings.RATINGS_PAD_MINUTES)
        if within and pad_superseded(event):
            raise Conflict(
                "这次服务已不能评价：窗口已在接待下一位，或已超过30分钟",
                "This service can no longer be rated: the window has called the next person, or 30 minutes passed",
                code="rating.not_current",
            )
    return rating_submit(event=event, data=data, source=source)


def rating_submit_with_token(
    *,
    token: str,
    data: RatingInput,
    application_number: str | None = None,
    rater: User | None = None,
    client_key: str | None = None,
) -> Rating:
    _check_rate(client_key=client_key or f"token:{token[-16:]}")
    event = rating_link_resolve(token=token)
    if application_number is not None and event.application_number != application_number:
        raise LinkInvalid()
    return rating_submit(event=event, data=data, source=Rating.Source.SMS_LINK, rater=rater)


# --- work orders (差评整改) ---------------------------------------------------


def _work_order_open(*, rating: Rating, event: ServiceEvent, now: datetime) -> WorkOrder:
    today = timezone.localdate(now)
    order = WorkOrder.objects.create(
        number=_number("ZG"),
        rating=rating,
        center_id=event.center_id,
        department_id=event.department_id,
        created_at=now,
        contact_due=add_workdays(today, settings.RATINGS_CONTACT_WORKDAYS),
        close_due=add_workdays(today, settings.RATINGS_CLOSE_WORKDAYS),
    )
    WorkOrderStep.objects.create(work_order=order, kind=WorkOrderStep.Kind.CREATED, at=now)
    audit_log(action="ratings.work_order.open", obj=order, data={"rating": rating.number})
    return order


_TRANSITIONS: dict[str, tuple[set[str], str, str]] = {
    # step kind: (allowed from, new state, note label)
    WorkOrderStep.Kind.CONTACTED: ({WorkOrder.State.OPEN}, WorkOrder.State.CONTACTED, "回访记录"),
    WorkOrderStep.Kind.VERIFIED: ({WorkOrder.State.CONTACTED}, WorkOrder.State.VERIFIED, "核实情况"),
    WorkOrderStep.Kind.RECTIFIED: ({WorkOrder.State.VERIFIED}, WorkOrder.State.RESOLVED, "整改措施"),
    WorkOrderStep.Kind.EXPLAINED: ({WorkOrder.State.VERIFIED}, WorkOrder.State.RESOLVED, "解释说明"),
    WorkOrderStep.Kind.REPORTED: ({WorkOrder.State.RESOLVED}, WorkOrder.State.CLOSED, "反馈内容"),
}


def work_order_advance(
    *, actor: User, work_order: WorkOrder, step: str, note: str, version: int | None = None
) -> WorkOrder:
    """Record the next step: contacted → verified → rectified|explained → reported (closes the order).

    ``version`` (optional) guards against two people acting on a stale page.
    Reporting back texts the rater a follow-up link ("the rater is asked again").
    """
    if step not in _TRANSITIONS:
        raise ValidationError("未知的处理步骤", "Unknown step", code="work_order.step_unknown")
    allowed_from, new_state, label = _TRANSITIONS[step]
    note = (note or "").strip()
    if not note:
        raise ValidationError(
            f"请填写{label}", f"Please describe the step ({step})", code="work_order.note_missing"
        )
    _require_work_order_actor(actor, work_order)
    now = timezone.now()
    with transaction.atomic():
        order = WorkOrder.objects.select_for_update().select_related("rating__event").get(pk=work_order.pk)
        if version is not None and order.version != version:
            raise Conflict()
        if order.state not in allowed_from:
            raise InvalidTransition(details={"state": order.state, "step": step})
        order.state = new_state
        order.version += 1
        fields = ["state", "version"]
        if step == WorkOrderStep.Kind.CONTACTED:
            order.contacted_at = now
            fields.append("contacted_at")
        elif step in {WorkOrderStep.Kind.RECTIFIED, WorkOrderStep.Kind.EXPLAINED}:
            order.outcome = (
                WorkOrder.Outcome.RECTIFIED
                if step == WorkOrderStep.Kind.RECTIFIED
                else WorkOrder.Outcome.EXPLAINED
            )
            fields.append("outcome")
        elif step == WorkOrderStep.Kind.REPORTED:
            order.closed_at = now
            fields.append("closed_at")
        order.save(update_fields=fields)
        WorkOrderStep.objects.create(work_order=order, kind=step, note=note[:2000], actor=actor, at=now)
        audit_log(actor=actor, action=f"ratings.work_order.{step}", obj=order, data={"state": new_state})
        if step == WorkOrderStep.Kind.REPORTED:
            phone = order.rating.event.rater_phone
            if phone:
                sms_send(
                    to_phone=phone,
                    body=(
                        f"【通办】您对本中心服务的评价已处理：{note[:60]}。"
                        f"请对处理结果再次评价：{follow_up_link_url(work_order=order)}"
                    ),
                    purpose="ratings.follow_up",
                )
    return order


def follow_up_link_url(*, work_order: WorkOrder) -> str:
    token = signing.dumps({"w": work_order.pk}, salt=FOLLOW_UP_SALT, compress=True)
    return f"{settings.RATINGS_LINK_BASE_URL.rstrip('/')}/ratings/f/{token}/"


def follow_up_resolve(*, token: str) -> WorkOrder:
    max_age = timedelta(days=settings.RATINGS_LINK_MAX_AGE_DAYS)
    try:
        payload = signing.loads(token, salt=FOLLOW_UP_SALT, max_age=max_age)
        return WorkOrder.objects.select_related("rating__event__center").get(pk=payload["w"])
    except (signing.BadSignature, KeyError, TypeError, WorkOrder.DoesNotExist) as exc:
        raise LinkInvalid() from exc


def work_order_follow_up(
    *, token: str, level: int, comment: str = "", client_key: str | None = None
) -> WorkOrder:
    """The rater's rating of how the 差评 was handled (once; the original rating is unchanged)."""
    _check_rate(client_key=client_key or f"follow:{token[-16:]}")
    order = follow_up_resolve(token=token)
    if level not in Level.values:
        raise ValidationError("评价等级须为1至5", "Level must be 1 to 5", code="rating.level_invalid")
    now = timezone.now()
    with transaction.atomic():
        order = WorkOrder.objects.select_for_update().get(pk=order.pk)
        if order.state != WorkOrder.State.CLOSED:
            raise InvalidTransition()
        if order.follow_up_level is not None:
            raise AlreadyRated()
        order.follow_up_level = level
        order.follow_up_comment = (comment or "").strip()[:500]
        order.follow_up_at = now
        order.save(update_fields=["follow_up_level", "follow_up_comment", "follow_up_at"])
        WorkOrderStep.objects.create(
            work_order=order, kind=WorkOrderStep.Kind.FOLLOW_UP, note=f"{Level(level).label}", at=now
        )
        audit_log(action="ratings.work_order.follow_up", obj=order, data={"level": level})
    return order


def work_orders_escalate(*, now: datetime | None = None) -> int:
    """Escalate late work orders to the center's managers (idempotent: once per deadline).

    Contact is late when the order is still ``open`` after ``contact_due``;
    closure is late when it is not closed after ``close_due``.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    escalated = 0
    late_contact = WorkOrder.objects.filter(
        state=WorkOrder.State.OPEN, contact_due__lt=today, contact_escalated_at__isnull=True
    )
    late_close = WorkOrder.objects.filter(
        state__in=[
            WorkOrder.State.OPEN,
            WorkOrder.State.CONTACTED,
            WorkOrder.State.VERIFIED,
            WorkOrder.State.RESOLVED,
        ],
        close_due__lt=today,
        close_escalated_at__isnull=True,
    )
    for which, queryset in (("contact", late_contact), ("close", late_close)):
        for pk in list(queryset.values_list("pk", flat=True)):
            with transaction.atomic():
                order = WorkOrder.objects.select_for_update().get(pk=pk)
                field = f"{which}_escalated_at"
                if getattr(order, field) is not None or order.state in {
                    WorkOrder.State.CLOSED,
                    WorkOrder.State.CANCELLED,
                }:
                    continue
                setattr(order, field, now)
                order.save(update_fields=[field])
                due = order.contact_due if which == "contact" else order.close_due
                label = "回访" if which == "contact" else "办结"
                note = f"{label}超期（期限 {due:%Y-%m-%d}），已督办至中心负责人"
                WorkOrderStep.objects.create(
                    work_order=order, kind=WorkOrderStep.Kind.ESCALATED, note=note, at=now
                )
                audit_log(action="ratings.work_order.escalate", obj=order, data={"which": which})
                managers = User.objects.filter(role=Role.MANAGER, center_id=order.center_id, is_active=True)
                for manager in managers:
                    if manager.phone:
                        sms_send(
                            to_phone=manager.phone,
                            body=f"【通办】差评整改工单{order.number}{note}，请尽快处理。",
                            purpose="ratings.escalation",
                        )
                escalated += 1
    return escalated


# --- appeals (申诉) and annulment -------------------------------------------


def appeal_file(*, actor: User, rating: Rating, reason: str) -> Appeal:
    """The center (manager) appeals a rating as mistaken or malicious. Clerks ask their manager."""
    if not (actor.role in WORK_ORDER_MANAGERS and _manages_center(actor, rating.center_id)):
        raise Forbidden("只有中心负责人可以提出申诉", "Only the center manager can appeal a rating")
    reason = (reason or "").strip()
    if len(reason) < 4:
        raise ValidationError(
            "请写明申诉理由", "Please give the reason for the appeal", code="appeal.reason_missing"
        )
    with transaction.atomic():
        locked = Rating.objects.select_for_update().get(pk=rating.pk)
        if locked.state == Rating.State.ANNULLED:
            raise InvalidTransition("该评价已作废", "The rating is already annulled")
        try:
            with transaction.atomic():
                appeal = Appeal.objects.create(
                    rating=locked, filed_by=actor, filed_at=timezone.now(), reason=reason
                )
        except IntegrityError as exc:
            raise Conflict(
                "该评价已有待复核的申诉", "An appeal is already pending", code="appeal.pending"
            ) from exc
        audit_log(actor=actor, action="ratings.appeal.file", obj=appeal, data={"rating": locked.number})
    return appeal


def appeal_decide(*, actor: User, appeal: Appeal, uphold: bool, reason: str) -> Appeal:
    """A reviewer decides; upholding annuls the rating (kept for auditors) and cancels its work order."""
    if actor.role not in APPEAL_DECIDERS:
        raise Forbidden("只有复核人员可以处理申诉", "Only a reviewer can decide an appeal")
    if appeal.filed_by_id == actor.pk:
        raise Forbidden("不能复核自己提出的申诉", "You cannot decide your own appeal")
    reason = (reason or "").strip()
    if len(reason) < 4:
        raise ValidationError(
            "请写明复核意见", "Please give the reasons for the decision", code="appeal.reason_missing"
        )
    now = timezone.now()
    with transaction.atomic():
        appeal = Appeal.objects.select_for_update().get(pk=appeal.pk)
        if appeal.state != Appeal.State.PENDING:
            raise InvalidTransition("该申诉已处理", "The appeal has already been decided")
        appeal.state = Appeal.State.UPHELD if uphold else Appeal.State.REJECTED
        appeal.decided_by = actor
        appeal.decided_at = now
        appeal.decision_reason = reason
        appeal.save(update_fields=["state", "decided_by", "decided_at", "decision_reason"])
        audit_log(actor=actor, action="ratings.appeal.decide", obj=appeal, data={"uphold": uphold})
        if uphold:
            rating = Rating.objects.select_for_update().get(pk=appeal.rating_id)
            rating.state = Rating.State.ANNULLED
            rating.annulled_at = now
            rating.annulled_by = actor
            rating.annul_reason = reason
            rating.save(update_fields=["state", "annulled_at", "annulled_by", "annul_reason"])
            audit_log(actor=actor, action="ratings.rating.annul", obj=rating, data={"appeal": appeal.pk})
            order = WorkOrder.objects.select_for_update().filter(rating=rating).first()
            if order is not None and order.state != WorkOrder.State.CLOSED:
                order.state = WorkOrder.State.CANCELLED
                order.version += 1
                order.save(update_fields=["state", "version"])
                WorkOrderStep.objects.create(
                    work_order=order, kind=WorkOrderStep.Kind.CANCELLED, note=reason, actor=actor, at=now
                )
                audit_log(actor=actor, action="ratings.work_order.cancel", obj=order)
    return appeal


def rater_phone_reveal(*, actor: User, work_order: WorkOrder) -> str:
    """The full phone number for the call back (回访); audited as a read of personal data."""
    _require_work_order_actor(actor, work_order)
    phone = work_order.rating.event.rater_phone
    with transaction.atomic():
        audit_log(actor=actor, action="ratings.rater_phone.reveal", obj=work_order)
    return phone

"""Reads for 好差评. Evaluator protection lives here: what a clerk may see is aggregated and anonymous."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db.models import BooleanField, Case, Count, ExpressionWrapper, F, Q, QuerySet, When
from django.utils import timezone

from tongban.accounts.models import Role, User
from tongban.catalog.models import Window
from tongban.core.crypto import mask_phone
from tongban.core.errors import Forbidden, NotFound
from tongban.ratings.models import (
    BAD_LEVEL_MAX,
    INDICATORS,
    Appeal,
    EventKind,
    Level,
    Rating,
    ServiceEvent,
    WorkOrder,
)

# 行政区划代码 of Shanghai's districts (GB/T 2260), for the national export's region field.
SHANGHAI_DISTRICT_CODES = {
    "黄浦区": "310101",
    "徐汇区": "310104",
    "长宁区": "310105",
    "静安区": "310106",
    "普陀区": "310107",
    "虹口区": "310109",
    "杨浦区": "310110",
    "闵行区": "310112",
    "宝山区": "310113",
    "嘉定区": "310114",
    "浦东新区": "310115",
    "金山区": "310116",
    "松江区": "310117",
    "青浦区": "310118",
    "奉贤区": "310120",
    "崇明区": "310151",
}

OVERSIGHT_ROLES = frozenset({Role.ADMIN, Role.SUPERVISOR})


def _day_bounds(date_from: date, date_to: date) -> tuple[datetime, datetime]:
    tz = timezone.get_current_timezone()
    return (
        datetime.combine(date_from, time.min, tzinfo=tz),
        datetime.combine(date_to + timedelta(days=1), time.min, tzinfo=tz),
    )


def visible_center_ids(actor: User) -> list[int] | None:
    """None = all centers (admin, supervisor: the district view); else the actor's own center."""
    if actor.role in OVERSIGHT_ROLES:
        return None
    if actor.role == Role.MANAGER and actor.center_id:
        return [actor.center_id]
    raise Forbidden("无权查看评价明细", "You are not allowed to see rating details")


# --- the window pad ------------------------------------------------------------


def pad_current_event(*, window: Window, now: datetime | None = None) -> ServiceEvent | None:
    """The ticket the window finished last, if in the last RATINGS_PAD_MINUTES, nobody rated it yet and the
    window has not called anyone since: the person who was just served. Never an older ticket once that one
    is rated, and never after the next call: the person at the pad then is someone else, who must not rate
    (or be asked to rate) a service they did not have."""
    now = now or timezone.now()
    since = now - timedelta(minutes=settings.RATINGS_PAD_MINUTES)
    event = (
        ServiceEvent.objects.filter(
            kind=EventKind.TICKET, window=window, served_at__gte=since, served_at__lte=now
        )
        .select_related("matter", "rating")
        .order_by("-served_at", "-id")
        .first()
    )
    if event is None or _rated(event):
        return None
    if apps.is_installed("tongban.queueing"):
        # the window's call history, not its tickets: a ticket called and then transferred away no longer
        # names the window, but the person it called stood at the pad all the same
        call_event = apps.get_model("queueing", "CallEvent")
        if call_event.objects.filter(window=window, kind="call", at__gt=event.served_at).exists():
            return None
    return event


def pad_superseded(event: ServiceEvent) -> bool:
    """Whether a ticket's event, not rated yet, is no longer its window's current one (the window finished or
    called someone since, or its minutes are up): the person at the pad now did not have that service."""
    return event.window is not None and not _rated(event) and pad_current_event(window=event.window) != event


def pad_allowed(*, window: Window, ip: str) -> bool:
    """A pad is a hall device like the ticket machine: where the center lists its hall networks
    (``QueueSettings.kiosk_networks``), a window's ratings are taken only from them, so that nobody rates a
    window from home. Open where the center lists none (the demo), or where the queue app is not installed."""
    if not apps.is_installed("tongban.queueing"):
        return True
    from tongban.queueing.rules import settings_for, ticket_machine_allowed

    return ticket_machine_allowed(settings_for(window.center), ip)


def _rated(event: ServiceEvent) -> bool:
    try:
        return event.rating is not None
    except Rating.DoesNotExist:
        return False


def indicator_choices(channel: str) -> list[tuple[str, str]]:
    return INDICATORS[channel]


# --- work orders -----------------------------------------------------------------


def work_orders_list(
    *, actor: User, state: str | None = None, late_only: bool = False
) -> QuerySet[WorkOrder]:
    centers = visible_center_ids(actor)
    qs = WorkOrder.objects.select_related("center", "department", "rating", "rating__event__matter")
    if centers is not None:
        qs = qs.filter(center_id__in=centers)
    if state:
        qs = qs.filter(state=state)
    if late_only:
        today = timezone.localdate()
        qs = qs.filter(
            Q(state=WorkOrder.State.OPEN, contact_due__lt=today)
            | Q(
                state__in=[WorkOrder.State.CONTACTED, WorkOrder.State.VERIFIED, WorkOrder.State.RESOLVED],
                close_due__lt=today,
            )
            | Q(state=WorkOrder.State.OPEN, close_due__lt=today)
        )
    # the open ones first (most overdue on top), then the finished ones, latest first: a list cut at a few
    # hundred rows must not hide the work still to do behind months of closed orders
    finished = Q(state__in=[WorkOrder.State.CLOSED, WorkOrder.State.CANCELLED])
    return qs.annotate(done=ExpressionWrapper(finished, output_field=BooleanField())).order_by(
        "done",
        Case(When(done=False, then=F("close_due"))).asc(nulls_last=True),  # open: most overdue first
        F("close_due").desc(),  # finished: the latest first
        "-id",
    )


def work_order_get(*, actor: User, pk: int) -> WorkOrder:
    centers = visible_center_ids(actor)
    qs = WorkOrder.objects.select_related(
        "center", "department", "rating__event__matter", "rating__event__window", "rating__event__clerk"
    ).prefetch_related("steps__actor")
    if centers is not None:
        qs = qs.filter(center_id__in=centers)
    order = qs.filter(pk=pk).first()
    if order is None:
        raise NotFound()
    return order


def work_order_is_late(order: WorkOrder, today: date | None = None) -> bool:
    today = today or timezone.localdate()
    if order.state in {WorkOrder.State.CLOSED, WorkOrder.State.CANCELLED}:
        return bool(order.closed_at and timezone.localdate(order.closed_at) > order.close_due)
    if order.state == WorkOrder.State.OPEN and today > order.contact_due:
        return True
    return today > order.close_due


def work_order_counts(*, center_ids: list[int] | None, date_from: date, date_to: date) -> dict[str, int]:
    start, end = _day_bounds(date_from, date_to)
    qs = WorkOrder.objects.filter(created_at__gte=start, created_at__lt=end)
    if center_ids is not None:
        qs = qs.filter(center_id__in=center_ids)
    rows = dict(qs.values_list("state").annotate(n=Count("id")).order_by())
    return {state: rows.get(state, 0) for state in WorkOrder.State.values}


# --- ratings for managers, reviewers and clerks -------------------------------------


def ratings_list(
    *,
    actor: User,
    date_from: date,
    date_to: date,
    level: int | None = None,
    include_annulled: bool = True,
) -> QuerySet[Rating]:
    centers = visible_center_ids(actor)
    start, end = _day_bounds(date_from, date_to)
    qs = Rating.objects.filter(created_at__gte=start, created_at__lt=end).select_related(
        "center", "event__matter", "event__department", "event__window", "event__clerk", "work_order"
    )
    if centers is not None:
        qs = qs.filter(center_id__in=centers)
    if level:
        qs = qs.filter(level=level)
    if not include_annulled:
        qs = qs.filter(state=Rating.State.VALID)
    return qs.order_by("-created_at", "-id")


def appeals_pending(*, actor: User) -> QuerySet[Appeal]:
    if actor.role not in {Role.REVIEWER, Role.SUPERVISOR, Role.ADMIN, Role.MANAGER}:
        raise Forbidden()
    qs = Appeal.objects.filter(state=Appeal.State.PENDING).select_related(
        "rating__center", "rating__event__matter", "filed_by"
    )
    if actor.role == Role.MANAGER:
        qs = qs.filter(rating__center_id=actor.center_id or 0)
    return qs.order_by("filed_at")


@dataclass(frozen=True)
class ClerkSummary:
    total: int
    by_level: dict[int, int]
    satisfaction_rate: float | None
    comments: list[tuple[str, str]]  # (level label, comment) — no time, no ticket, no person


def clerk_rating_summary(*, clerk: User, date_from: date, date_to: date) -> ClerkSummary:
    """What a clerk sees about their own ratings: counts and anonymous comments only.

    No timestamps, ticket numbers or order: a clerk could otherwise match a
    rating to the resident they just served (evaluator protection). Comments are
    shown only once at least 5 ratings exist in the period, in a stable shuffle.
    """
    start, end = _day_bounds(date_from, date_to)
    qs = Rating.objects.filter(
        event__clerk=clerk, state=Rating.State.VALID, created_at__gte=start, created_at__lt=end
    )
    counted = dict(qs.values_list("level").annotate(n=Count("id")).order_by())
    by_level = {level: counted.get(level, 0) for level in Level.values}
    total = sum(by_level.values())
    good = sum(n for level, n in by_level.items() if level > BAD_LEVEL_MAX)
    comments: list[tuple[str, str]] = []
    if total >= 5:
        rows = [
            (r.level, r.comment, r.number) for r in qs.exclude(comment="").only("level", "comment", "number")
        ]
        rows.sort(key=lambda r: hashlib.sha256(r[2].encode()).hexdigest())
        comments = [(str(Level(level).label), comment) for level, comment, _n in rows]
    return ClerkSummary(
        total=total,
        by_level=by_level,
        satisfaction_rate=round(good / total, 4) if total else None,
        comments=comments,
    )


def rating_stats(*, center_ids: list[int] | None, date_from: date, date_to: date) -> dict[str, Any]:
    """Valid ratings only (annulled ones drop out of statistics)."""
    start, end = _day_bounds(date_from, date_to)
    qs = Rating.objects.filter(state=Rating.State.VALID, created_at__gte=start, created_at__lt=end)
    if center_ids is not None:
        qs = qs.filter(center_id__in=center_ids)
    counted = dict(qs.values_list("level").annotate(n=Count("id")).order_by())
    by_level = {level: counted.get(level, 0) for level in Level.values}
    total = sum(by_level.values())
    bad = by_level[1] + by_level[2]
    return {
        "total": total,
        "by_level": by_level,
        "bad": bad,
        "satisfaction_rate": round((total - bad) / total, 4) if total else None,
    }


# --- national reporting shape -------------------------------------------------------

EXPORT_FIELDS: list[tuple[str, str]] = [
    ("evaluation_id", "评价编号"),
    ("case_number", "办件编号"),
    ("matter_code", "事项编码"),
    ("matter_name", "事项名称"),
    ("department_code", "实施部门编码"),
    ("department_name", "实施部门"),
    ("region_code", "行政区划代码"),
    ("region_name", "行政区划"),
    ("service_center", "服务中心"),
    ("service_channel", "服务渠道"),
    ("evaluation_channel", "评价渠道"),
    ("evaluation_type", "评价方式"),
    ("level", "评价等级"),
    ("level_name", "评价等级名称"),
    ("indicators", "分项评价"),
    ("comment", "评价内容"),
    ("evaluated_at", "评价时间"),
    ("served_at", "服务时间"),
    ("window", "窗口"),
    ("staff_id", "被评价人员工号"),
    ("staff_name", "被评价人员"),
    ("rectification_status", "整改状态"),
    ("follow_up_level", "整改后评价"),
    ("valid", "是否有效"),
    ("annul_reason", "作废理由"),
]


def national_export_rows(*, actor: User, date_from: date, date_to: date) -> list[dict[str, Any]]:
    """One dict per rating in the national 好差评 reporting shape (keys = EXPORT_FIELDS).

    For oversight (managers, supervisors, admins) — the evaluated staff are in it,
    the evaluator is not (no phone, no account).
    """
    rows: list[dict[str, Any]] = []
    for r in ratings_list(actor=actor, date_from=date_from, date_to=date_to):
        event = r.event
        labels = {code: str(label) for code, label in INDICATORS[event.channel]}
        order = getattr(r, "work_order", None)
        rows.append(
            {
                "evaluation_id": r.number,
                "case_number": event.application_number,
                "matter_code": event.matter.code if event.matter else "",
                "matter_name": event.matter.name if event.matter else "",
                "department_code": event.department.code if event.department else "",
                "department_name": event.department.name if event.department else "",
                "region_code": SHANGHAI_DISTRICT_CODES.get(r.center.district, ""),
                "region_name": r.center.district,
                "service_center": r.center.name,
                "service_channel": event.get_channel_display(),
                "evaluation_channel": r.get_source_display(),
                "evaluation_type": "一次一评" if event.kind == EventKind.TICKET else "一事一评",
                "level": r.level,
                "level_name": str(Level(r.level).label),
                "indicators": {labels.get(k, k): v for k, v in sorted(r.indicators.items())},
                "comment": r.comment,
                "evaluated_at": timezone.localtime(r.created_at).isoformat(timespec="seconds"),
                "served_at": timezone.localtime(event.served_at).isoformat(timespec="seconds"),
                "window": f"{event.window.number}号窗口" if event.window else "",
                "staff_id": event.clerk.username if event.clerk else "",
                "staff_name": str(event.clerk) if event.clerk else "",
                "rectification_status": order.get_state_display() if order else "",
                "follow_up_level": order.follow_up_level if order and order.follow_up_level else "",
                "valid": r.state == Rating.State.VALID,
                "annul_reason": r.annul_reason,
            }
        )
    return rows


def masked_rater_phone(order: WorkOrder) -> str:
    return mask_phone(order.rating.event.rater_phone)

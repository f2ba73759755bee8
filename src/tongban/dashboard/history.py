"""Synthetic history for the demo and the benchmark: months of applications, tickets, ratings and pickups.

Written with bulk inserts straight into the source tables (not through the
services: this is generated past, not live business) and then rolled up. Used
by ``dashboard/demo.py`` (a few months for the demo center) and
``bench/dashboard`` (≥ 1 million applications over a district year).

Numbers are marked as history (``<center>-H<yyyymmdd><seq>``) so they never collide
with the live numbering, and so a second run can tell it already happened.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any

from django.apps import apps
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from tongban.accounts.models import Role, User
from tongban.catalog.models import Center, Matter
from tongban.core.calendar import add_workdays, is_workday
from tongban.core.crypto import blind_index
from tongban.ratings.models import (
    BAD_LEVEL_MAX,
    EventKind,
    Rating,
    ServiceChannel,
    ServiceEvent,
    WorkOrder,
    WorkOrderStep,
)

Progress = Callable[[int, int], None]

COMMENTS_GOOD = ["办事很快", "工作人员很耐心", "一次就办好了", "指引清楚", "服务热情", "", "", ""]
COMMENTS_BAD = ["等候时间太长", "材料要求前后说法不一", "窗口人员态度不好", "系统太慢", "跑了两次"]
LEVEL_WEIGHTS = [(5, 62), (4, 24), (3, 9), (2, 3), (1, 2)]


_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
_GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英建华玉兰萍红新民国庆志强海燕文华建国淑珍春梅晓东俊杰雪梅"


def _history_name(i: int) -> str:
    """A plausible, deterministic Chinese name for generated history residents (no real person)."""
    surname = _SURNAMES[(i * 7) % len(_SURNAMES)]
    given = _GIVEN[(i * 13) % len(_GIVEN)] + ("" if i % 3 == 0 else _GIVEN[(i * 5 + 1) % len(_GIVEN)])
    return surname + given


def history_marker(center: Center) -> str:
    return f"{center.code}-H"


def history_exists(center: Center) -> bool:
    application = apps.get_model("applications", "Application")
    return bool(application.objects.filter(number__startswith=history_marker(center)).exists())


def _residents(n: int) -> list[User]:
    existing = list(User.objects.filter(username__startswith="hist-resident-").order_by("id")[:n])
    if len(existing) >= n:
        return existing
    unusable = make_password(None)
    new = []
    for i in range(len(existing), n):
        phone = f"1770000{i:04d}"
        new.append(
            User(
                username=f"hist-resident-{i:04d}",
                display_name=_history_name(i),
                role=Role.RESIDENT,
                password=unusable,
                phone=phone,
                phone_hash=blind_index(phone),
            )
        )
    User.objects.bulk_create(new, batch_size=1000)
    return list(User.objects.filter(username__startswith="hist-resident-").order_by("id")[:n])


def _at(day: date, rng: random.Random, start_hour: int = 9, end_hour: int = 17) -> datetime:
    tz = timezone.get_current_timezone()
    seconds = rng.randrange(start_hour * 3600, end_hour * 3600)
    return datetime.combine(day, time.min, tzinfo=tz) + timedelta(seconds=seconds)


def generate_history(
    *,
    center: Center,
    date_from: date,
    date_to: date,
    per_day: int = 130,
    seed: int = 7,
    progress: Progress | None = None,
    with_ratings: bool = True,
) -> dict[str, int]:
    """Generate ``per_day`` applications (± 30 %) per working day in ``[date_from, date_to]``.

    Returns counts per kind. Caller checks :func:`history_exists` for idempotence.
    """
    application_model: Any = apps.get_model("applications", "Application")
    notice_model: Any = apps.get_model("applications", "SupplementNotice")
    ticket_model: Any = _model("queueing", "Ticket")
    event_model: Any = _model("queueing", "CallEvent")
    queue_model: Any = _model("queueing", "Queue")
    item_model: Any = _model("cabinet", "Item")
    cabinet_model: Any = _model("cabinet", "Cabinet")
    rng = random.Random(f"{seed}:{center.code}")
    matters = list(
        Matter.objects.filter(active=True, current_version__isnull=False).select_related("current_version")
    )
    if not matters:
        return {}
    weights = [rng.randint(1, 20) for _ in matters]
    windows = list(center.windows.filter(active=True).order_by("number"))
    clerks = list(User.objects.filter(role=Role.CLERK, center=center)) or list(
        User.objects.filter(role__in=[Role.CLERK, Role.MANAGER, Role.ADMIN])[:1]
    )
    residents = _residents(60)
    queue = queue_model.objects.filter(center=center, kind="normal").first() if queue_model else None
    cabinet = cabinet_model.objects.filter(center=center).first() if cabinet_model else None
    compartments = list(cabinet.compartments.all()) if cabinet is not None else []
    today = timezone.localdate()
    counts = {"applications": 0, "tickets": 0, "ratings": 0, "work_orders": 0, "supplements": 0, "pickups": 0}
    days = [date_from + timedelta(days=i) for i in range((date_to - date_from).days + 1)]
    marker = history_marker(center)
    for index, day in enumerate(days):
        if not is_workday(day) and not center.open_24h:
            continue
        n = per_day if is_workday(day) else per_day // 8
        n = max(int(n * rng.uniform(0.7, 1.3)), 1)
        apps_rows: list[Any] = []
        tickets_rows: list[Any] = []
        ticket_apps: list[int] = []  # per ticket row, the index of its application row
        for seq in range(1, n + 1):
            matter = rng.choices(matters, weights)[0]
            guide: Any = matter.current_version
            channel = rng.choices(["window", "online", "kiosk"], [55, 38, 7])[0]
            submitted = _at(day, rng) if channel == "window" else _at(day, rng, 0, 24)
            accepted = submitted + timedelta(minutes=rng.randint(5, 90))
            promised = guide.promised_days or 5
            due = add_workdays(timezone.localdate(accepted), promised)
            late = rng.random() < 0.06
            take = promised + rng.randint(1, 4) if late else rng.randint(0, promised)
            decided_day = add_workdays(timezone.localdate(accepted), take)
            decided = _at(decided_day, rng) if decided_day < today else None
            status = "delivered" if decided else ("accepted" if rng.random() < 0.5 else "under_review")
            clerk = rng.choice(clerks) if clerks else None
            window = rng.choice(windows) if windows and channel == "window" else None
            resident = rng.choice(residents)
            apps_rows.append(
                application_model(
                    number=f"{marker}{day:%Y%m%d}{seq:04d}",
                    applicant=resident,
                    applicant_name=resident.display_name,
                    center=center,
                    matter=matter,
                    guide=guide,
                    department_id=matter.department_id,
                    channel=channel,
                    status=status,
                    outcome="approved" if decided else "",
                    delivery=rng.choice(["window", "cabinet", "post"]),
                    delivered_via="",
                    handler=clerk,
                    window=window,
                    promised_days=promised,
                    due_date=due,
                    submitted_at=submitted,
                    accepted_at=accepted,
                    decided_at=decided,
                    delivered_at=decided + timedelta(hours=rng.randint(1, 72)) if decided else None,
                    version=1,
                )
            )
            if queue is not None and channel == "window":
                ticket_apps.append(len(apps_rows) - 1)  # the application this ticket was served for
                wait = int(rng.gammavariate(2.0, 6.0))
                issued = submitted - timedelta(minutes=wait + rng.randint(3, 12))
                tickets_rows.append(
                    ticket_model(
                        center=center,
                        queue=queue,
                        day=day,
                        seq=len(tickets_rows) + 1,
                        number=f"{queue.prefix}{len(tickets_rows) + 1:03d}",
                        state="finished",
                        matter=matter,
                        queued_at=issued,
                        issued_at=issued,
                        called_at=issued + timedelta(minutes=wait),
                        served_at=issued + timedelta(minutes=wait + 1),
                        finished_at=submitted + timedelta(minutes=rng.randint(3, 15)),
                        called_window=window,
                        called_by=clerk,
                        call_count=1,
                    )
                )
        with transaction.atomic():
            created_apps = application_model.objects.bulk_create(apps_rows, batch_size=2000)
            counts["applications"] += len(created_apps)
            if tickets_rows and not ticket_model.objects.filter(queue=queue, day=day).exists():
                created_tickets = ticket_model.objects.bulk_create(tickets_rows, batch_size=2000)
                counts["tickets"] += len(created_tickets)
                # each served ticket's call and finish, as the window's calls write them (the wait estimate
                # reads the finishes)
                events = []
                for t, app_index in zip(created_tickets, ticket_apps, strict=True):
                    common = {
                        "ticket_id": t.pk,
                        "center": center,
                        "window": t.called_window,
                        "actor": t.called_by,
                    }
                    events.append(event_model(kind="call", at=t.called_at, data={}, **common))
                    linked = [created_apps[app_index].pk]
                    events.append(
                        event_model(kind="finish", at=t.finished_at, data={"applications": linked}, **common)
                    )
                event_model.objects.bulk_create(events, batch_size=2000)
            else:
                created_tickets = []
            supplements = [a for a in created_apps if rng.random() < 0.12]
            notice_model.objects.bulk_create(
                [
                    notice_model(
                        application=a,
                        items=[{"material_id": None, "name": "身份证复印件", "problem": "不清晰"}],
                        issued_by=a.handler or clerks[0],
                        issued_at=a.submitted_at + timedelta(minutes=10),
                        received_at=a.accepted_at,
                    )
                    for a in supplements
                    if (a.handler or clerks)
                ],
                batch_size=2000,
            )
            counts["supplements"] += len(supplements)
            if compartments:
                counts["pickups"] += _pickups_for(item_model, cabinet, compartments, created_apps, rng)
            if with_ratings:
                r, w = _ratings_for(center, created_apps, created_tickets, rng, today)
                counts["ratings"] += r
                counts["work_orders"] += w
        if progress is not None:
            progress(index + 1, len(days))
    return counts


def _model(app_label: str, name: str) -> Any:
    try:
        return apps.get_model(app_label, name)
    except LookupError:
        return None


def _pickups_for(
    item_model: Any, cabinet: Any, compartments: list[Any], applications: list[Any], rng: random.Random
) -> int:
    """Cabinet pickups of the cases delivered to the cabinet, a third of them at night (the seed's story)."""
    now = timezone.now()
    tz = timezone.get_current_timezone()
    items = []
    for a in applications:
        if a.delivery != "cabinet" or a.decided_at is None:
            continue
        stored = a.decided_at + timedelta(hours=rng.randint(1, 5))
        hour = rng.choice([20, 21, 22, 23, 0, 6, 7]) if rng.random() < 0.35 else rng.randint(8, 19)
        day = timezone.localdate(stored) + timedelta(days=rng.randint(0, 2))
        picked = datetime.combine(day, time(hour, rng.randint(0, 59)), tzinfo=tz)
        if picked <= stored or picked > now:
            continue
        compartment = rng.choice(compartments)
        items.append(
            item_model(
                kind="pickup",
                state="done",
                cabinet=cabinet,
                compartment=compartment,
                size=compartment.size,
                label=a.matter.name,
                application=a,
                unload_reason="pickup",
                stored_at=stored,
                code_used_at=picked,
                finished_at=picked,
            )
        )
    return len(item_model.objects.bulk_create(items, batch_size=2000))


def _ratings_for(
    center: Center, applications: list[Any], tickets: list[Any], rng: random.Random, today: date
) -> tuple[int, int]:
    rated_tickets = [t for t in tickets if t.called_window_id and rng.random() < 0.45]
    # every delivered online / cabinet case was invited (一事一评), so the live invitation sweep
    # leaves history alone; about 30 % of those invited rated
    invited_cases = [
        a for a in applications if a.delivered_at and (a.channel != "window" or a.delivery == "cabinet")
    ]
    events = [
        ServiceEvent(
            kind=EventKind.TICKET,
            ref=str(t.pk),
            channel=ServiceChannel.IN_PERSON,
            center=center,
            window_id=t.called_window_id,
            clerk_id=t.called_by_id,
            matter_id=t.matter_id,
            department_id=t.matter.department_id if t.matter_id else None,
            ticket_number=t.number,
            served_at=t.finished_at,
        )
        for t in rated_tickets
    ] + [
        ServiceEvent(
            kind=EventKind.APPLICATION,
            ref=a.number,
            channel=ServiceChannel.ONLINE if a.channel != "window" else ServiceChannel.CABINET,
            center=center,
            clerk_id=a.handler_id,
            matter_id=a.matter_id,
            department_id=a.department_id,
            application_number=a.number,
            served_at=a.delivered_at or a.decided_at,
            rater_id=a.applicant_id,
        )
        for a in invited_cases
    ]
    events = ServiceEvent.objects.bulk_create(events, batch_size=2000)
    now = timezone.now()
    ratings = []
    for e in events:
        if e.kind == EventKind.APPLICATION and rng.random() >= 0.3:
            continue
        level = rng.choices([lv for lv, _w in LEVEL_WEIGHTS], [w for _lv, w in LEVEL_WEIGHTS])[0]
        bad = level <= BAD_LEVEL_MAX
        rated_at = e.served_at + timedelta(
            minutes=rng.randint(1, 20) if e.kind == EventKind.TICKET else rng.randint(60, 3000)
        )
        if rated_at > now:
            continue  # not rated yet: history ends now
        ratings.append(
            Rating(
                number=f"PJH{e.pk:010d}",
                event=e,
                level=level,
                indicators={},
                comment=rng.choice(COMMENTS_BAD if bad else COMMENTS_GOOD),
                source=Rating.Source.PAD if e.kind == EventKind.TICKET else Rating.Source.SMS_LINK,
                created_at=rated_at,
                center=center,
                is_bad=bad,
            )
        )
    ratings = Rating.objects.bulk_create(ratings, batch_size=2000)
    orders, steps = [], []
    for r in ratings:
        if not r.is_bad:
            continue
        day = timezone.localdate(r.created_at)
        close_due = add_workdays(day, 5)
        finished = close_due < today - timedelta(days=2) or rng.random() < 0.5
        closed_at = r.created_at + timedelta(days=rng.randint(1, 6)) if finished else None
        orders.append(
            WorkOrder(
                number=f"ZGH{r.event_id:010d}",
                rating=r,
                center=center,
                department_id=r.event.department_id,
                state=WorkOrder.State.CLOSED if finished else WorkOrder.State.CONTACTED,
                outcome=rng.choice(["rectified", "explained"]) if finished else "",
                created_at=r.created_at,
                contact_due=add_workdays(day, 1),
                close_due=close_due,
                contacted_at=r.created_at + timedelta(hours=rng.randint(1, 20)),
                closed_at=closed_at,
                follow_up_level=rng.choice([5, 4, 4, 3, 2]) if finished and rng.random() < 0.6 else None,
            )
        )
    orders = WorkOrder.objects.bulk_create(orders, batch_size=2000)
    for o in orders:
        steps.append(WorkOrderStep(work_order=o, kind="created", at=o.created_at))
        steps.append(
            WorkOrderStep(
                work_order=o, kind="contacted", note="已电话回访", at=o.contacted_at or o.created_at
            )
        )
        if o.closed_at:
            steps.append(WorkOrderStep(work_order=o, kind=o.outcome, note="已处理", at=o.closed_at))
            steps.append(WorkOrderStep(work_order=o, kind="reported", note="已反馈评价人", at=o.closed_at))
    WorkOrderStep.objects.bulk_create(steps, batch_size=2000)
    return len(ratings), len(orders)

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import signing
from django.utils import timezone
from freezegun import freeze_time

from tongban.accounts.tests.factories import ClerkFactory, ManagerFactory, ReviewerFactory
from tongban.core.errors import Conflict, Forbidden, InvalidTransition, RateLimited, ValidationError
from tongban.core.models import AuditEntry
from tongban.notifications.models import Message
from tongban.ratings import selectors, services
from tongban.ratings.models import (
    Appeal,
    EventKind,
    Rating,
    ServiceChannel,
    ServiceEvent,
    WorkOrder,
    WorkOrderStep,
)
from tongban.ratings.services import AlreadyRated, LinkInvalid, RatingInput, RatingWindowClosed
from tongban.ratings.tests.factories import OnlineEventFactory, TicketEventFactory

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def rate(event, level, **kw):
    return services.rating_submit(event=event, data=RatingInput(level=level, **kw), source=Rating.Source.PAD)


def test_good_rating_is_stored_and_opens_no_work_order():
    event = TicketEventFactory()
    rating = rate(event, 5, indicators={"attitude": 5, "efficiency": 4}, comment=" 很好 ")
    rating.refresh_from_db()
    assert (rating.level, rating.indicators, rating.comment, rating.is_bad) == (
        5,
        {"attitude": 5, "efficiency": 4},
        "很好",
        False,
    )
    assert rating.center_id == event.center_id
    assert rating.number.startswith("PJ")
    assert WorkOrder.objects.count() == 0
    entry = AuditEntry.objects.get(action="ratings.rating.submit")
    assert entry.data == {"level": 5, "source": "pad", "event": event.pk}


def test_second_rating_of_the_same_event_conflicts():
    event = TicketEventFactory()
    rate(event, 4)
    with pytest.raises(AlreadyRated) as exc:
        rate(event, 1)
    assert exc.value.status_code == 409
    assert exc.value.code == "rating.already_rated"
    assert Rating.objects.get().level == 4
    assert WorkOrder.objects.count() == 0


@pytest.mark.parametrize("level", [1, 2])
def test_bad_rating_opens_a_work_order_with_working_day_deadlines(level):
    # Friday 2026-10-09 is before Saturday 10/10, a make-up working day (调休上班).
    with freeze_time(datetime(2026, 11, 27, 10, 0, tzinfo=SH)):  # a Friday
        event = TicketEventFactory()
        rating = rate(event, level, comment="等太久")
    order = WorkOrder.objects.get()
    assert order.rating == rating
    assert order.state == WorkOrder.State.OPEN
    assert order.department_id == event.department_id
    assert order.center_id == event.center_id
    assert order.contact_due == date(2026, 11, 30)  # Monday: 1 working day
    assert order.close_due == date(2026, 12, 4)  # 5 working days
    assert list(order.steps.values_list("kind", flat=True)) == ["created"]


def test_deadlines_follow_settings(settings):
    settings.RATINGS_CONTACT_WORKDAYS = 2
    settings.RATINGS_CLOSE_WORKDAYS = 10
    with freeze_time(datetime(2026, 11, 23, 9, 0, tzinfo=SH)):  # Monday
        rate(TicketEventFactory(), 1)
    order = WorkOrder.objects.get()
    assert (order.contact_due, order.close_due) == (date(2026, 11, 25), date(2026, 12, 7))


def test_level_3_is_not_a_bad_rating():
    rate(TicketEventFactory(), 3)
    assert WorkOrder.objects.count() == 0
    assert Rating.objects.get().is_bad is False


def test_pad_window_is_30_minutes():
    served = datetime(2026, 11, 26, 10, 0, tzinfo=SH)
    event = TicketEventFactory(served_at=served)
    with freeze_time(served + timedelta(minutes=30, seconds=1)), pytest.raises(RatingWindowClosed) as exc:
        rate(event, 5)
    assert exc.value.status_code == 409
    with freeze_time(served + timedelta(minutes=30)):
        rate(event, 5)
    assert Rating.objects.count() == 1


def test_invalid_level_and_unknown_indicator_are_rejected():
    event = TicketEventFactory()
    with pytest.raises(ValidationError) as exc:
        rate(event, 6)
    assert exc.value.code == "rating.level_invalid"
    with pytest.raises(ValidationError) as exc:
        rate(event, 5, indicators={"guide_accuracy": 5})  # an online indicator on an in-person rating
    assert exc.value.code == "rating.indicator_unknown"
    with pytest.raises(ValidationError) as exc:
        rate(event, 5, indicators={"attitude": 0})
    assert exc.value.code == "rating.indicator_invalid"
    assert Rating.objects.count() == 0


def test_clerk_cannot_rate_own_service():
    event = TicketEventFactory()
    with pytest.raises(Forbidden):
        services.rating_submit(
            event=event, data=RatingInput(level=5), source=Rating.Source.PORTAL, rater=event.clerk
        )


def test_rate_limit_per_client(settings):
    settings.RATINGS_RATE_LIMIT = 3
    events = [TicketEventFactory() for _ in range(4)]
    for event in events[:3]:
        services.rating_submit(
            event=event, data=RatingInput(level=5), source=Rating.Source.API, client_key="10.0.0.9"
        )
    with pytest.raises(RateLimited) as exc:
        services.rating_submit(
            event=events[3], data=RatingInput(level=5), source=Rating.Source.API, client_key="10.0.0.9"
        )
    assert exc.value.retry_after == settings.RATINGS_RATE_WINDOW_SECONDS
    # another client is not affected
    services.rating_submit(
        event=events[3], data=RatingInput(level=5), source=Rating.Source.API, client_key="10.0.0.10"
    )


def test_signed_link_rates_an_online_case_once_and_expires(settings):
    event = OnlineEventFactory()
    token = services.rating_link_token(event=event)
    rating = services.rating_submit_with_token(
        token=token,
        application_number=event.application_number,
        data=RatingInput(level=4, indicators={"guide_accuracy": 5}),
    )
    assert rating.source == Rating.Source.SMS_LINK
    with pytest.raises(AlreadyRated):
        services.rating_submit_with_token(token=token, data=RatingInput(level=4))

    other = OnlineEventFactory()
    with freeze_time(timezone.now() - timedelta(days=settings.RATINGS_LINK_MAX_AGE_DAYS, minutes=1)):
        old_token = services.rating_link_token(event=other)
    with pytest.raises(LinkInvalid):
        services.rating_submit_with_token(token=old_token, data=RatingInput(level=4))
    with pytest.raises(LinkInvalid):
        services.rating_submit_with_token(token=token + "x", data=RatingInput(level=4))
    # a valid token does not rate another case
    with pytest.raises(LinkInvalid):
        services.rating_submit_with_token(
            token=services.rating_link_token(event=other),
            application_number=event.application_number,
            data=RatingInput(level=4),
        )
    forged = signing.dumps({"e": other.pk}, salt="some-other-salt")
    with pytest.raises(LinkInvalid):
        services.rating_link_resolve(token=forged)


def test_service_event_record_is_idempotent_and_texts_the_link(django_capture_on_commit_callbacks):
    event_kwargs = {
        "kind": EventKind.APPLICATION,
        "ref": "YP2026000777",
        "channel": ServiceChannel.ONLINE,
        "application_number": "YP2026000777",
        "rater_phone": "13800000001",
        "send_link": True,
    }
    first = TicketEventFactory.build()  # borrow a center
    first.center.save()
    with django_capture_on_commit_callbacks(execute=True):
        a = services.service_event_record(center=first.center, **event_kwargs)
        b = services.service_event_record(center=first.center, **event_kwargs)
    assert a.pk == b.pk
    assert ServiceEvent.objects.count() == 1
    message = Message.objects.get(purpose="ratings.invite")
    assert "/ratings/r/" in message.body
    assert "YP2026000777" in message.body
    assert a.rater_phone_hash != ""


# --- work orders -------------------------------------------------------------------


def _bad_order(**event_kw):
    event = TicketEventFactory(**event_kw)
    rate(event, 1, comment="态度差")
    return WorkOrder.objects.get(rating__event=event)


def test_work_order_full_loop_and_follow_up(django_capture_on_commit_callbacks):
    order = _bad_order()
    manager = ManagerFactory(center=order.center)
    for step, state in [
        ("contacted", "contacted"),
        ("verified", "verified"),
        ("rectified", "resolved"),
    ]:
        order = services.work_order_advance(actor=manager, work_order=order, step=step, note=f"{step} 记录")
        assert order.state == state
    assert order.outcome == WorkOrder.Outcome.RECTIFIED
    with django_capture_on_commit_callbacks(execute=True):
        order = services.work_order_advance(
            actor=manager, work_order=order, step="reported", note="已电话告知整改结果"
        )
    assert order.state == WorkOrder.State.CLOSED
    assert order.closed_at is not None
    sms = Message.objects.get(purpose="ratings.follow_up")
    assert sms.to == "13800000001"
    token = sms.body.rsplit("/ratings/f/", 1)[1].rstrip("/")
    services.work_order_follow_up(token=token, level=4, comment="改进了")
    order.refresh_from_db()
    assert (order.follow_up_level, order.follow_up_comment) == (4, "改进了")
    with pytest.raises(AlreadyRated):
        services.work_order_follow_up(token=token, level=5)
    # the original rating is untouched by the loop
    assert Rating.objects.get().level == 1
    assert list(order.steps.values_list("kind", flat=True)) == [
        "created",
        "contacted",
        "verified",
        "rectified",
        "reported",
        "follow_up",
    ]


def test_work_order_steps_must_follow_in_order_and_need_a_note():
    order = _bad_order()
    manager = ManagerFactory(center=order.center)
    with pytest.raises(InvalidTransition):
        services.work_order_advance(actor=manager, work_order=order, step="reported", note="x")
    with pytest.raises(ValidationError) as exc:
        services.work_order_advance(actor=manager, work_order=order, step="contacted", note="  ")
    assert exc.value.code == "work_order.note_missing"
    services.work_order_advance(actor=manager, work_order=order, step="contacted", note="已回访")
    with pytest.raises(Conflict):
        services.work_order_advance(actor=manager, work_order=order, step="verified", note="x", version=1)


def test_follow_up_before_closure_is_refused():
    order = _bad_order()
    token = services.follow_up_link_url(work_order=order).rsplit("/ratings/f/", 1)[1].rstrip("/")
    with pytest.raises(InvalidTransition):
        services.work_order_follow_up(token=token, level=5)


def test_only_the_centers_manager_handles_work_orders():
    order = _bad_order()
    for outsider in (ClerkFactory(center=order.center), ManagerFactory(), ReviewerFactory()):
        with pytest.raises(Forbidden):
            services.work_order_advance(actor=outsider, work_order=order, step="contacted", note="x")
    order.refresh_from_db()
    assert order.state == WorkOrder.State.OPEN


def test_escalation_after_deadlines_once_each(django_capture_on_commit_callbacks):
    with freeze_time(datetime(2026, 11, 23, 9, 0, tzinfo=SH)):  # Monday
        order = _bad_order()
    manager = ManagerFactory(center=order.center, phone="13900000099")
    assert (order.contact_due, order.close_due) == (date(2026, 11, 24), date(2026, 11, 30))
    with freeze_time(datetime(2026, 11, 24, 23, 0, tzinfo=SH)):
        assert services.work_orders_escalate() == 0  # still the due day
    with (
        freeze_time(datetime(2026, 11, 25, 8, 0, tzinfo=SH)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert services.work_orders_escalate() == 1
        assert services.work_orders_escalate() == 0  # idempotent
    order.refresh_from_db()
    assert order.contact_escalated_at is not None and order.close_escalated_at is None
    assert Message.objects.filter(purpose="ratings.escalation", to_hash=manager.phone_hash).count() == 1
    services.work_order_advance(actor=manager, work_order=order, step="contacted", note="已回访")
    with freeze_time(datetime(2026, 12, 1, 8, 0, tzinfo=SH)):
        assert services.work_orders_escalate() == 1
        assert services.work_orders_escalate() == 0
    order.refresh_from_db()
    assert order.close_escalated_at is not None
    assert order.steps.filter(kind=WorkOrderStep.Kind.ESCALATED).count() == 2
    with freeze_time(datetime(2026, 12, 1, 9, 0, tzinfo=SH)):
        assert [o.pk for o in selectors.work_orders_list(actor=manager, late_only=True)] == [order.pk]
        assert selectors.work_order_is_late(order) is True


def test_closed_orders_are_not_escalated():
    with freeze_time(datetime(2026, 11, 23, 9, 0, tzinfo=SH)):
        order = _bad_order()
        manager = ManagerFactory(center=order.center)
        for step in ("contacted", "verified", "explained", "reported"):
            order = services.work_order_advance(actor=manager, work_order=order, step=step, note="处理")
    with freeze_time(datetime(2026, 12, 10, 8, 0, tzinfo=SH)):
        assert services.work_orders_escalate() == 0
    assert order.outcome == WorkOrder.Outcome.EXPLAINED


# --- appeals ------------------------------------------------------------------------------


def test_appeal_upheld_annuls_rating_cancels_order_and_keeps_it_for_auditors():
    order = _bad_order()
    manager = ManagerFactory(center=order.center)
    reviewer = ReviewerFactory()
    appeal = services.appeal_file(actor=manager, rating=order.rating, reason="评价人误操作，现场录像为证")
    with pytest.raises(Conflict):
        services.appeal_file(actor=manager, rating=order.rating, reason="再次申诉内容")
    services.appeal_decide(actor=reviewer, appeal=appeal, uphold=True, reason="核实录像，属误评")
    rating = Rating.objects.get()
    assert rating.state == Rating.State.ANNULLED
    assert rating.annulled_by == reviewer
    assert rating.annul_reason == "核实录像，属误评"
    order.refresh_from_db()
    assert order.state == WorkOrder.State.CANCELLED
    stats = selectors.rating_stats(
        center_ids=[order.center_id], date_from=timezone.localdate(), date_to=timezone.localdate()
    )
    assert stats["total"] == 0
    rows = selectors.national_export_rows(
        actor=manager, date_from=timezone.localdate(), date_to=timezone.localdate()
    )
    assert [(r["evaluation_id"], r["valid"], r["annul_reason"]) for r in rows] == [
        (rating.number, False, "核实录像，属误评")
    ]
    with pytest.raises(InvalidTransition):
        services.appeal_decide(actor=reviewer, appeal=appeal, uphold=False, reason="重复处理")


def test_appeal_rejected_keeps_rating_and_order():
    order = _bad_order()
    manager = ManagerFactory(center=order.center)
    appeal = services.appeal_file(actor=manager, rating=order.rating, reason="认为评价不实")
    services.appeal_decide(actor=ReviewerFactory(), appeal=appeal, uphold=False, reason="评价属实，继续整改")
    assert Rating.objects.get().state == Rating.State.VALID
    order.refresh_from_db()
    assert order.state == WorkOrder.State.OPEN
    assert Appeal.objects.get().state == Appeal.State.REJECTED


def test_appeal_permissions():
    order = _bad_order()
    clerk = order.rating.event.clerk
    with pytest.raises(Forbidden):
        services.appeal_file(actor=clerk, rating=order.rating, reason="我觉得不公平")
    with pytest.raises(Forbidden):
        services.appeal_file(actor=ManagerFactory(), rating=order.rating, reason="别的中心的评价")
    manager = ManagerFactory(center=order.center)
    appeal = services.appeal_file(actor=manager, rating=order.rating, reason="评价人误操作")
    with pytest.raises(Forbidden):
        services.appeal_decide(actor=manager, appeal=appeal, uphold=True, reason="自己复核自己")
    with pytest.raises(Forbidden):
        services.appeal_decide(actor=clerk, appeal=appeal, uphold=True, reason="窗口人员复核")
    assert Rating.objects.get().state == Rating.State.VALID


# --- evaluator protection -------------------------------------------------------------


def test_clerk_summary_is_anonymous():
    clerk = ClerkFactory()
    events = [TicketEventFactory(clerk=clerk, center=clerk.center) for _ in range(6)]
    for i, event in enumerate(events):
        rate(event, [5, 5, 4, 3, 2, 1][i], comment=f"意见{i}")
    summary = selectors.clerk_rating_summary(
        clerk=clerk, date_from=timezone.localdate(), date_to=timezone.localdate()
    )
    assert summary.total == 6
    assert summary.by_level == {5: 2, 4: 1, 3: 1, 2: 1, 1: 1}
    assert summary.satisfaction_rate == round(4 / 6, 4)
    assert sorted(c for _l, c in summary.comments) == [f"意见{i}" for i in range(6)]
    # nothing in it points to an event, a time or a person
    assert all(len(item) == 2 for item in summary.comments)


def test_clerk_summary_hides_comments_below_five_ratings():
    clerk = ClerkFactory()
    rate(TicketEventFactory(clerk=clerk, center=clerk.center), 1, comment="只有一条")
    summary = selectors.clerk_rating_summary(
        clerk=clerk, date_from=timezone.localdate(), date_to=timezone.localdate()
    )
    assert (summary.total, summary.comments) == (1, [])


def test_clerks_cannot_list_ratings_or_work_orders():
    clerk = ClerkFactory()
    with pytest.raises(Forbidden):
        selectors.ratings_list(actor=clerk, date_from=timezone.localdate(), date_to=timezone.localdate())
    with pytest.raises(Forbidden):
        selectors.work_orders_list(actor=clerk)


def test_rater_phone_reveal_is_audited_and_manager_only():
    order = _bad_order()
    manager = ManagerFactory(center=order.center)
    assert services.rater_phone_reveal(actor=manager, work_order=order) == "13800000001"
    assert AuditEntry.objects.filter(action="ratings.rater_phone.reveal", actor_id=manager.pk).count() == 1
    with pytest.raises(Forbidden):
        services.rater_phone_reveal(actor=order.rating.event.clerk, work_order=order)
    assert selectors.masked_rater_phone(order) == "138****0001"


def test_pad_current_event_is_the_last_service_only_until_it_is_rated():
    """Once the person just served has rated, the pad goes idle: it does not offer the ticket before, whose
    holder left minutes ago, to whoever stands at the window next."""
    now = datetime(2026, 11, 26, 10, 0, tzinfo=SH)
    old = TicketEventFactory(served_at=now - timedelta(minutes=31))
    window = old.window
    TicketEventFactory(served_at=now - timedelta(minutes=5), window=window, center=window.center)
    latest = TicketEventFactory(served_at=now - timedelta(minutes=1), window=window, center=window.center)
    with freeze_time(now):
        assert selectors.pad_current_event(window=window) == latest
        rate(latest, 5)
        assert selectors.pad_current_event(window=window) is None
    with freeze_time(now + timedelta(minutes=31)):
        assert selectors.pad_current_event(window=window) is None  # and nothing after the pad's minutes


def test_invitation_sweep_texts_online_and_cabinet_cases_once(django_capture_on_commit_callbacks):
    from tongban.accounts.tests.factories import ResidentFactory
    from tongban.applications.models import Application
    from tongban.catalog.tests.factories import CenterFactory, MatterFactory

    center = CenterFactory()
    matter = MatterFactory()
    now = timezone.now()

    def case(number, channel, delivery="window", delivered=now - timedelta(hours=1)):
        return Application.objects.create(
            number=number,
            applicant=ResidentFactory(),
            applicant_name="居民",
            center=center,
            matter=matter,
            guide=matter.current_version,
            department=matter.department,
            channel=channel,
            status="delivered",
            delivery=delivery,
            delivered_at=delivered,
        )

    case("ON-1", "online")
    case("WC-2", "window", delivery="cabinet")
    case("WW-3", "window")  # rated at the window: no SMS
    case("ON-4", "online", delivered=now - timedelta(days=5))  # too old
    with django_capture_on_commit_callbacks(execute=True):
        assert services.rating_invitations_sweep() == 2
        assert services.rating_invitations_sweep() == 0
    events = {e.ref: e.channel for e in ServiceEvent.objects.all()}
    assert events == {"ON-1": ServiceChannel.ONLINE, "WC-2": ServiceChannel.CABINET}
    assert Message.objects.filter(purpose="ratings.invite").count() == 2

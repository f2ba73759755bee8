"""The case lifecycle through the service layer: states, history, clock, notices, denial paths."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from freezegun import freeze_time

from tongban.accounts.tests.factories import ManagerFactory, ReviewerFactory
from tongban.applications import services as s
from tongban.applications.errors import (
    ApplicationForbidden,
    ApplicationInvalidTransition,
    ApplicationStale,
    InvalidInput,
    MaterialMissing,
    ReviewsPending,
    SupplementAlreadyIssued,
)
from tongban.applications.models import (
    Application,
    ApplicationMaterial,
    Channel,
    Extension,
    Review,
    Status,
    StatusChange,
)
from tongban.applications.selectors import application_deadline, application_progress
from tongban.applications.tests.factories import clerk_at, draft, received_all, resident
from tongban.catalog.tests.factories import BundleFactory, CenterFactory, DepartmentFactory, MatterFactory
from tongban.core.errors import TongbanError
from tongban.core.models import AuditEntry
from tongban.notifications.models import Message

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def center():
    return CenterFactory(code="YP-T1")


@pytest.fixture
def clerk(center):
    return clerk_at(center, phone="13900000077")


def history(app: Application) -> list[tuple[str, str, str]]:
    return list(
        StatusChange.objects.filter(application=app)
        .order_by("id")
        .values_list("from_status", "to_status", "action")
    )


@freeze_time(datetime(2026, 11, 26, 10, 0, tzinfo=SH))
def test_window_intake_accept_starts_the_clock_and_notifies(clerk):
    applicant = resident(phone="13800000002", display_name="李梅")
    matter = MatterFactory(guide__promised_days=5)
    app = draft(clerk=clerk, applicant=applicant, matter=matter)
    assert app.number == "YP-T1-20261126-0001"
    assert app.status == Status.DRAFT
    assert app.applicant_id_last4 == applicant.id_number[-4:]

    s.application_accept(application=app, actor=clerk)

    app.refresh_from_db()
    assert app.status == Status.ACCEPTED
    # Thursday 2026-11-26 + 5 working days = Thursday 2026-12-03
    assert app.due_date == date(2026, 12, 3)
    assert app.promised_days == 5
    assert app.handler == clerk
    assert history(app) == [("", "draft", "create"), ("draft", "accepted", "accept")]
    sms = Message.objects.get(purpose="application.accepted")
    assert "YP-T1-20261126-0001" in sms.body
    assert "2026年12月03日" in sms.body
    assert (
        AuditEntry.objects.filter(action="applications.application.accept", object_id=str(app.pk)).count()
        == 1
    )


def test_numbers_are_sequential_per_center_and_day(clerk):
    first = draft(clerk=clerk)
    second = draft(clerk=clerk)
    assert int(second.number[-4:]) == int(first.number[-4:]) + 1


def test_accept_with_missing_material_is_refused_and_changes_nothing(clerk):
    app = draft(clerk=clerk, received=False)
    with pytest.raises(MaterialMissing) as exc:
        s.application_accept(application=app, actor=clerk)
    assert exc.value.code == "application.material_missing"
    assert len(exc.value.details["materials"]) == 2
    app.refresh_from_db()
    assert app.status == Status.DRAFT
    assert app.version == 1
    assert history(app) == [("", "draft", "create")]


def test_rongque_material_may_follow_later(clerk):
    matter = MatterFactory(guide__materials=2)
    row = matter.current_version.materials.first()
    row.rongque = True
    row.save()
    app = draft(clerk=clerk, matter=matter, received=False)
    ticks = received_all(app)
    ticks[0] = s.MaterialTick(material_type_id=row.material_type_id, state="deferred")
    s.application_tick_materials(application=app, actor=clerk, ticks=ticks)
    s.application_accept(application=app, actor=clerk)
    app.refresh_from_db()
    assert app.status == Status.ACCEPTED


def test_deferring_a_non_rongque_material_is_rejected(clerk):
    app = draft(clerk=clerk, received=False)
    row = app.materials.first()
    with pytest.raises(InvalidInput):
        s.application_tick_materials(
            application=app,
            actor=clerk,
            ticks=[s.MaterialTick(material_type_id=row.material_type_id, state="deferred")],
        )


def test_one_time_notice_lists_everything_once_then_supplement_then_accept(clerk):
    applicant = resident(phone="13800000002")
    app = draft(clerk=clerk, applicant=applicant, received=False)
    rows = list(app.materials.order_by("order"))
    # the clerk ticks the first material received, flags nothing explicitly for the second
    s.application_tick_materials(
        application=app, actor=clerk, ticks=[s.MaterialTick(material_type_id=rows[0].material_type_id)]
    )
    notice = s.application_request_supplement(
        application=app,
        actor=clerk,
        items=[s.SupplementItem(problem="复印件不清晰", material_id=rows[0].pk)],
        note="请一次性补齐",
    )
    # the defective one and the missing one are both on the notice
    assert [(i["name"], i["problem"]) for i in notice.items] == [
        (rows[0].name, "复印件不清晰"),
        (rows[1].name, "未提交"),
    ]
    assert dict(app.materials.values_list("pk", "state")) == {rows[0].pk: "defective", rows[1].pk: "missing"}
    app.refresh_from_db()
    assert app.status == Status.SUPPLEMENT_REQUESTED
    assert app.due_date is None  # the clock does not start
    assert Message.objects.filter(purpose="application.supplement").count() == 1

    # the notice is one-time
    with pytest.raises(SupplementAlreadyIssued):
        s.application_request_supplement(
            application=app, actor=clerk, items=[s.SupplementItem(problem="x", name="y")]
        )

    s.application_supplement_received(application=app, actor=clerk)
    app.refresh_from_db()
    assert app.status == Status.SUBMITTED
    assert set(app.materials.values_list("state", flat=True)) == {"received"}
    s.application_accept(application=app, actor=clerk)
    app.refresh_from_db()
    assert [h[2] for h in history(app)] == ["create", "request_supplement", "supplement_received", "accept"]


def test_refuse_needs_reason_and_basis(clerk):
    app = draft(clerk=clerk)
    with pytest.raises(InvalidInput):
        s.application_refuse(application=app, actor=clerk, reason="不属于本中心受理范围", legal_basis=" ")
    s.application_refuse(
        application=app, actor=clerk, reason="不属于受理范围", legal_basis="《行政许可法》第三十二条"
    )
    app.refresh_from_db()
    assert app.status == Status.REFUSED
    assert app.refusal_basis == "《行政许可法》第三十二条"
    with pytest.raises(ApplicationInvalidTransition) as exc:
        s.application_accept(application=app, actor=clerk)
    assert exc.value.status_code == 409


def test_parallel_review_decide_deliver(clerk, center):
    d1, d2 = DepartmentFactory(review_days=3), DepartmentFactory(review_days=5)
    matter = MatterFactory()
    matter.review_departments.set([d1, d2])
    app = draft(clerk=clerk, matter=matter)
    with freeze_time(datetime(2026, 11, 26, 10, tzinfo=SH)):
        s.application_accept(application=app, actor=clerk)
    app.refresh_from_db()
    assert app.status == Status.UNDER_REVIEW
    reviews = {r.department_id: r for r in Review.objects.filter(application=app)}
    assert reviews[d1.pk].due_date == date(2026, 12, 1)
    assert reviews[d2.pk].due_date == date(2026, 12, 3)

    with pytest.raises(ReviewsPending):
        s.application_decide(application=app, actor=clerk, outcome="approved")

    r1 = ReviewerFactory(department=d1, center=center)
    r2 = ReviewerFactory(department=d2, center=center)
    with pytest.raises(ApplicationForbidden):
        s.review_give_opinion(review=reviews[d1.pk], actor=r2, opinion="agree", text="")
    with freeze_time(datetime(2026, 11, 27, 10, tzinfo=SH)):
        s.review_give_opinion(review=reviews[d1.pk], actor=r1, opinion="agree", text="")
    with freeze_time(datetime(2026, 12, 4, 10, tzinfo=SH)):
        s.review_give_opinion(review=reviews[d2.pk], actor=r2, opinion="conditions", text="需补充消防意见")
    assert Review.objects.get(pk=reviews[d1.pk].pk).late is False
    assert Review.objects.get(pk=reviews[d2.pk].pk).late is True
    with pytest.raises(ApplicationInvalidTransition):
        s.review_give_opinion(review=reviews[d2.pk], actor=r2, opinion="agree", text="")

    s.application_decide(application=app, actor=clerk, outcome="approved")
    s.application_mark_ready_for_delivery(application=app, actor=clerk, method="cabinet")
    app.refresh_from_db()
    assert app.status == Status.READY_FOR_DELIVERY
    assert app.delivery == "cabinet"
    s.application_mark_delivered(application=app, actor=None, via="cabinet:YP-T1-01/03")
    app.refresh_from_db()
    assert app.status == Status.DELIVERED
    assert app.delivered_via == "cabinet:YP-T1-01/03"
    assert [h[2] for h in history(app)] == [
        "create",
        "accept",
        "start_review",
        "reviews_complete",
        "decide",
        "ready",
        "deliver",
    ]
    assert StatusChange.objects.filter(application=app, action="deliver").get().actor_repr == "system"


def test_denial_needs_reasons(clerk):
    app = draft(clerk=clerk)
    s.application_accept(application=app, actor=clerk)
    with pytest.raises(InvalidInput):
        s.application_decide(application=app, actor=clerk, outcome="denied")
    with pytest.raises(InvalidInput):
        s.application_decide(application=app, actor=clerk, outcome="maybe")


def test_bundle_creates_linked_parts_with_shared_material_received_once(clerk):
    m1, m2 = MatterFactory(guide__materials=1), MatterFactory(guide__materials=1)
    shared = m1.current_version.materials.get().material_type
    extra = m2.current_version.materials.get()
    extra.material_type = shared  # both need the same ID card
    extra.save()
    bundle = BundleFactory(matters=[m1, m2])
    parts = s.application_create(
        actor=clerk, applicant=resident(), center=clerk.center, channel=Channel.WINDOW, bundle=bundle
    )
    assert [p.number[-2:] for p in parts] == ["-1", "-2"]
    assert parts[0].bundle_case_id == parts[1].bundle_case_id
    s.application_tick_materials(
        application=parts[0], actor=clerk, ticks=[s.MaterialTick(material_type_id=shared.pk)]
    )
    assert list(
        ApplicationMaterial.objects.filter(application__in=parts).values_list("state", flat=True)
    ) == [
        "received",
        "received",
    ]


def test_suspension_and_extension_move_the_deadline(clerk, center):
    manager = ManagerFactory(center=center)
    app = draft(clerk=clerk, matter=MatterFactory(guide__promised_days=10))
    with freeze_time(datetime(2026, 11, 2, 9, tzinfo=SH)):  # Monday
        s.application_accept(application=app, actor=clerk)
    app.refresh_from_db()
    assert app.due_date == date(2026, 11, 16)
    with freeze_time(datetime(2026, 11, 4, 9, tzinfo=SH)):
        s.application_suspend(application=app, actor=clerk, kind="expert", reason="专家评审")
    with freeze_time(datetime(2026, 11, 9, 9, tzinfo=SH)):
        assert application_deadline(application=Application.objects.get(pk=app.pk))[0] == date(2026, 11, 19)
        s.application_resume(application=app, actor=clerk)
    app.refresh_from_db()
    assert app.status == Status.ACCEPTED
    assert app.suspended_days == 3  # Thu, Fri, Mon do not count
    assert app.due_date == date(2026, 11, 19)

    ext = s.application_request_extension(application=app, actor=clerk, days=10, reason="需现场核查")
    with pytest.raises(ApplicationForbidden):
        s.application_extension_decide(extension=ext, actor=clerk, approve=True)
    s.application_extension_decide(extension=ext, actor=manager, approve=True)
    app.refresh_from_db()
    ext.refresh_from_db()
    assert ext.state == Extension.State.APPROVED
    assert (ext.previous_due_date, ext.new_due_date) == (date(2026, 11, 19), date(2026, 12, 3))
    assert app.due_date == date(2026, 12, 3)
    with pytest.raises(InvalidInput):
        s.application_request_extension(application=app, actor=clerk, days=0, reason="x")


def test_deadline_colours_and_warning_job_notifies_once(clerk, center):
    ManagerFactory(center=center, phone="13900000088")
    app = draft(clerk=clerk, matter=MatterFactory(guide__promised_days=10))
    with freeze_time(datetime(2026, 11, 2, 9, tzinfo=SH)):
        s.application_accept(application=app, actor=clerk)
    app.refresh_from_db()
    # accepted Mon 2 Nov, 10 working days: due Mon 16 Nov; 80 % = 8 working days elapsed on Thu 12 Nov
    assert application_deadline(application=app, today=date(2026, 11, 11)) == (
        date(2026, 11, 16),
        "green",
        True,
    )  # no official 2026 in tests
    assert application_deadline(application=app, today=date(2026, 11, 12))[1] == "yellow"
    assert application_deadline(application=app, today=date(2026, 11, 16))[1] == "yellow"
    Message.objects.all().delete()
    run = s.applications_check_deadlines(today=date(2026, 11, 13))  # 9 of 10
    assert run.yellow == [app.number]
    assert Message.objects.filter(purpose="application.deadline_yellow").count() == 2  # clerk + manager
    assert s.applications_check_deadlines(today=date(2026, 11, 13)).yellow == []
    run = s.applications_check_deadlines(today=date(2026, 11, 17))
    assert run.red == [app.number]
    assert Message.objects.filter(purpose="application.deadline_red").count() == 2
    assert (
        application_deadline(application=Application.objects.get(pk=app.pk), today=date(2026, 11, 17))[1]
        == "red"
    )


def test_a_list_row_deadline_follows_a_calendar_change_at_once(clerk):
    """Lists remember each clock's due date while the calendar's index stays the same; a holiday added
    inside the clock (what the calendar services do: write, then drop the index) moves it at once."""
    from tongban.applications.selectors import deadline_of
    from tongban.core.calendar import invalidate_index
    from tongban.core.models import CalendarDay

    def due() -> date | None:
        accepted = datetime(2026, 11, 2, 9, tzinfo=SH)
        clock = {"status": "accepted", "accepted_at": accepted, "extension_days": 0, "suspended_days": 0}
        return deadline_of(**clock, promised_days=10, today=date(2026, 11, 5)).due_date

    assert due() == date(2026, 11, 16)
    assert due() == date(2026, 11, 16)  # remembered
    CalendarDay.objects.create(date=date(2026, 11, 10), kind=CalendarDay.Kind.HOLIDAY, name="测试")
    invalidate_index()
    assert due() == date(2026, 11, 17)


def test_other_center_clerk_cannot_touch_the_case(clerk):
    app = draft(clerk=clerk)
    other = clerk_at(CenterFactory())
    for call in (
        lambda: s.application_accept(application=app, actor=other),
        lambda: s.application_refuse(application=app, actor=other, reason="x", legal_basis="y"),
        lambda: s.application_request_supplement(application=app, actor=other, items=[]),
        lambda: s.application_tick_materials(application=app, actor=other, ticks=[]),
        lambda: s.application_withdraw(application=app, actor=other),
    ):
        with pytest.raises(ApplicationForbidden):
            call()
    app.refresh_from_db()
    assert app.status == Status.DRAFT and app.version == 1


def test_residents_and_reviewers_cannot_accept(clerk):
    app = draft(clerk=clerk)
    with pytest.raises(ApplicationForbidden):
        s.application_accept(application=app, actor=app.applicant)
    with pytest.raises(ApplicationForbidden):
        s.application_accept(application=app, actor=ReviewerFactory(center=clerk.center))


def test_stale_version_is_a_conflict(clerk):
    app = draft(clerk=clerk)
    with pytest.raises(ApplicationStale) as exc:
        s.application_accept(application=app, actor=clerk, expected_version=7)
    assert exc.value.status_code == 409


def test_online_submit_and_withdraw_by_applicant(center):
    applicant = resident()
    (app,) = s.application_create(
        actor=applicant, applicant=applicant, center=center, channel=Channel.ONLINE, matter=MatterFactory()
    )
    s.application_submit(application=app, actor=applicant)
    stranger = resident()
    with pytest.raises(ApplicationForbidden):
        s.application_withdraw(application=app, actor=stranger)
    s.application_withdraw(application=app, actor=applicant, reason="不需要了")
    app.refresh_from_db()
    assert app.status == Status.WITHDRAWN


def test_progress_lookup_needs_the_right_last_four(clerk):
    applicant = resident(display_name="李梅")
    app = draft(clerk=clerk, applicant=applicant)
    s.application_accept(application=app, actor=clerk)
    p = application_progress(number=app.number, id_last4=applicant.id_number[-4:])
    assert p.status == "accepted"
    assert p.applicant == "李*"
    assert [label for _, label in p.steps] == ["草稿", "已受理"]
    from tongban.applications.errors import ApplicationNotFound

    with pytest.raises(ApplicationNotFound):
        application_progress(number=app.number, id_last4="0000")


def test_register_applicant_validates_the_id_number(clerk):
    with pytest.raises(TongbanError) as exc:
        s.applicant_find_or_register(actor=clerk, id_number="310110195103070019", name="张三")
    assert getattr(exc.value, "status_code", None) == 400
    from tongban.applications.tests.factories import valid_id

    user = s.applicant_find_or_register(actor=clerk, id_number=valid_id(), name="张三", phone="13911112222")
    again = s.applicant_find_or_register(actor=clerk, id_number=valid_id().lower(), name="")
    assert user.pk == again.pk
    assert user.role == "resident"


def test_registering_a_new_applicant_with_a_phone_another_resident_signs_in_with_is_refused_clearly(clerk):
    """A resident's phone is their sign-in, one account each. A parent registered at the window with the phone
    of a child who already has an account (or a phone re-issued by the carrier) must get a clear 409 the clerk
    can act on (another number, or none), not a 500, and no half-registered person."""
    from tongban.accounts.models import User
    from tongban.applications.errors import ApplicantPhoneTaken
    from tongban.applications.tests.factories import valid_id

    resident(id_number="", phone="13911112222")  # signed up by SMS, no ID number
    before = User.objects.count()
    with pytest.raises(ApplicantPhoneTaken) as exc:
        s.applicant_find_or_register(actor=clerk, id_number=valid_id(), name="张三", phone="139 1111 2222")
    assert (exc.value.status_code, exc.value.code) == (409, "applicant.phone_taken")
    assert "139****2222" in exc.value.message and "139****2222" in exc.value.message_en
    assert User.objects.count() == before
    # without the phone the person is registered, and the next intake finds them by the ID number
    user = s.applicant_find_or_register(actor=clerk, id_number=valid_id(), name="张三")
    assert (user.phone, user.display_name) == ("", "张三")
    assert (
        s.applicant_find_or_register(actor=clerk, id_number=valid_id(), name="", phone="13911112222").pk
        == user.pk
    )


def test_a_family_phone_becomes_the_cases_contact_phone(clerk):
    """A parent comes to the window and gives the family's phone, which their child already signs in with.
    The intake goes on: the parent is registered without a sign-in phone, and the number becomes this
    case's contact phone, where its SMS notices go (and only this case's: the child's own cases and the
    child's account are untouched)."""
    from tongban.accounts.models import User
    from tongban.applications.tests.factories import valid_id

    child = resident(phone="13911112222", id_number=valid_id("31011019950101001"))
    parent, contact = s.applicant_for_intake(
        actor=clerk, id_number=valid_id("31011019510307001"), name="张建国", phone="139 1111 2222"
    )
    assert parent.pk != child.pk and (parent.phone, contact) == ("", "13911112222")
    assert User.objects.filter(pk=parent.pk, display_name="张建国").exists()
    (app,) = s.application_create(
        actor=clerk,
        applicant=parent,
        center=clerk.center,
        channel=Channel.WINDOW,
        matter=MatterFactory(),
        contact_phone=contact,
    )
    app.refresh_from_db()
    assert app.contact_phone == "13911112222"
    s.application_tick_materials(application=app, actor=clerk, ticks=received_all(app))
    s.application_accept(application=app, actor=clerk)
    sms = Message.objects.get(purpose="application.accepted")
    assert sms.to == "13911112222" and app.number in sms.body

    # A known applicant: their own phone is no contact phone; another number today is.
    assert s.applicant_for_intake(actor=clerk, id_number=child.id_number, name="", phone="13911112222") == (
        child,
        "",
    )
    assert s.applicant_for_intake(actor=clerk, id_number=child.id_number, name="", phone="13700001111") == (
        child,
        "13700001111",
    )
    with pytest.raises(TongbanError) as exc:  # still a mobile number, or nothing
        s.applicant_for_intake(actor=clerk, id_number=child.id_number, name="", phone="021-6555")
    assert exc.value.status_code == 400


def test_without_a_contact_phone_notices_go_to_the_applicants_phone(clerk):
    app = draft(clerk=clerk, applicant=resident(phone="13800000002"))
    assert app.contact_phone == ""
    s.application_tick_materials(application=app, actor=clerk, ticks=received_all(app))
    s.application_accept(application=app, actor=clerk)
    assert Message.objects.get(purpose="application.accepted").to == "13800000002"


def test_bundle_accept_is_all_or_nothing(clerk):
    m1, m2 = MatterFactory(guide__materials=1), MatterFactory(guide__materials=1)
    bundle = BundleFactory(matters=[m1, m2])
    parts = s.application_create(
        actor=clerk, applicant=resident(), center=clerk.center, channel=Channel.WINDOW, bundle=bundle
    )
    first_type = parts[0].materials.get().material_type_id
    s.application_tick_materials(
        application=parts[0], actor=clerk, ticks=[s.MaterialTick(material_type_id=first_type)]
    )
    with pytest.raises(MaterialMissing):
        s.bundle_case_accept(bundle_case=parts[0].bundle_case, actor=clerk)
    assert set(
        Application.objects.filter(bundle_case=parts[0].bundle_case).values_list("status", flat=True)
    ) == {"draft"}
    notices = s.bundle_case_request_supplement(bundle_case=parts[0].bundle_case, actor=clerk)
    assert [n.application_id for n in notices] == [parts[1].pk]


def test_a_clerk_corrects_the_contact_phone_and_the_next_notice_goes_there(clerk):
    """A number mistyped at intake sends the applicant's notices to a stranger: the clerk corrects it on the
    open case (history and audit keep the numbers masked), or clears it to use the applicant's own phone."""
    app = draft(clerk=clerk, applicant=resident(phone="13800000002"))
    with pytest.raises(TongbanError) as exc:
        s.application_set_contact_phone(application=app, actor=clerk, phone="1370000111")
    assert exc.value.status_code == 400
    with pytest.raises(ApplicationStale):
        s.application_set_contact_phone(application=app, actor=clerk, phone="13700001111", expected_version=0)
    app = s.application_set_contact_phone(
        application=app, actor=clerk, phone="137 0000 1111", expected_version=app.version
    )
    assert app.contact_phone == "13700001111" and app.status == Status.DRAFT
    change = app.history.get(action="contact_phone")
    assert (change.from_status, change.to_status) == ("draft", "draft")
    entry = AuditEntry.objects.get(action="applications.application.contact_phone", object_id=str(app.pk))
    assert (entry.data["phone_was"], entry.data["phone"]) == ("", "137****1111")
    assert "13700001111" not in str(entry.data)
    s.application_tick_materials(application=app, actor=clerk, ticks=received_all(app))
    s.application_accept(application=app, actor=clerk)
    assert Message.objects.get(purpose="application.accepted").to == "13700001111"
    # the applicant's own number, or nothing: back to the applicant's phone
    assert (
        s.application_set_contact_phone(application=app, actor=clerk, phone="13800000002").contact_phone == ""
    )
    # not by the applicant, not by another center, not once the case is over
    with pytest.raises(TongbanError) as exc:
        s.application_set_contact_phone(application=app, actor=app.applicant, phone="13700001111")
    assert exc.value.status_code == 403
    with pytest.raises(ApplicationForbidden):
        s.application_set_contact_phone(application=app, actor=clerk_at(CenterFactory()), phone="13700001111")
    s.application_withdraw(application=app, actor=clerk)
    with pytest.raises(ApplicationInvalidTransition):
        s.application_set_contact_phone(application=app, actor=clerk, phone="13700001111")

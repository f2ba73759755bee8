"""An appointment's own page, from the link in its SMS: seeing it and cancelling it without signing in (staff
book for residents who have no account, and the SMS is all they have)."""

from __future__ import annotations

import re
from datetime import date, time

import pytest
from freezegun import freeze_time

from tongban.accounts.tests.factories import ClerkFactory, ResidentFactory
from tongban.core.models import AuditEntry
from tongban.notifications.models import Message
from tongban.queueing.errors import AppointmentOver
from tongban.queueing.links import (
    appointment_id_from_token,
    appointment_token,
    appointment_url,
    follow_token,
    ticket_id_from_token,
)
from tongban.queueing.models import Appointment, AppointmentSlot
from tongban.queueing.services import (
    appointment_book,
    appointment_cancel,
    appointment_change,
    appointments_send_reminders,
)
from tongban.queueing.tests.factories import hall

pytestmark = pytest.mark.django_db
T0 = "2026-11-25 02:00:00"  # Wednesday 10:00 Shanghai; the slot is Thursday 09:00-09:30


def _slot(queue, start=time(9), end=time(9, 30), capacity=2):
    return AppointmentSlot.objects.create(
        center=queue.center, queue=queue, day=date(2026, 11, 26), start=start, end=end, capacity=capacity
    )


def booked_by_clerk():
    """A 75-year-old booked by phone: no account, only the SMS."""
    center, q, _ = hall()
    slot = _slot(q["Y"])
    with freeze_time(T0):
        appointment = appointment_book(
            slot=slot, actor=ClerkFactory(center=center), id_number="310110195601010049", phone="13900000001"
        )
    return appointment


def link_in(message: Message) -> str:
    (url,) = re.findall(r"https?://\S+", message.body)
    return url


def path_of(url: str) -> str:
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def test_the_token_names_one_appointment_and_no_ticket():
    token = appointment_token(42)
    assert appointment_id_from_token(token) == 42
    number, signature = token.split(":")
    assert appointment_id_from_token(f"43:{signature}") is None
    assert appointment_id_from_token("42") is None
    # the two links are signed apart: a slip's token does not open the appointment with the same id
    assert appointment_id_from_token(follow_token(42)) is None
    assert ticket_id_from_token(token) is None


def test_every_sms_of_the_appointment_carries_its_link(settings):
    settings.PUBLIC_BASE_URL = "https://tongban.example.gov.cn"
    appointment = booked_by_clerk()
    booked = Message.objects.get(purpose="queueing.appointment.booked")
    assert link_in(booked) == appointment_url(appointment.pk)
    assert link_in(booked).startswith("https://tongban.example.gov.cn/queue/a/")
    later = AppointmentSlot.objects.create(
        center=appointment.slot.center,
        queue=appointment.slot.queue,
        day=date(2026, 11, 26),
        start=time(10),
        end=time(10, 30),
        capacity=1,
    )
    with freeze_time(T0):
        appointment_change(
            appointment_id=appointment.pk, new_slot=later, actor=ClerkFactory(center=later.center)
        )
        assert appointments_send_reminders() == 1
    for purpose in ("queueing.appointment.changed", "queueing.appointment.reminder"):
        assert link_in(Message.objects.get(purpose=purpose)) == appointment_url(appointment.pk), purpose


@freeze_time(T0)
def test_the_page_shows_when_where_and_the_code_and_nothing_personal(client):
    appointment = booked_by_clerk()
    response = client.get(f"/queue/a/{appointment_token(appointment.pk)}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert appointment.code in html and "2026年11月26日" in html and "09:00–09:30" in html
    assert appointment.slot.center.address in html
    assert "请按时到大厅取号机签到" in html and 'id="appointment-cancel-ask"' in html
    assert 'id="appointment-change">改到其他时间</a>' in html
    assert "13900000001" not in html and "310110195601010049" not in html
    assert response["Cache-Control"].startswith("max-age=0")


@freeze_time(T0)
def test_cancelling_from_the_link_asks_first_then_frees_the_place(client):
    appointment = booked_by_clerk()
    token = appointment_token(appointment.pk)
    ask = client.get(f"/queue/a/{token}/?confirm=cancel").content.decode()
    assert "确定取消这个预约吗" in ask and 'id="appointment-cancel-confirm"' in ask
    assert Appointment.objects.get(pk=appointment.pk).state == "booked"  # asking changes nothing

    response = client.post(f"/queue/a/{token}/cancel/", REMOTE_ADDR="10.1.2.3")
    assert response.status_code == 302 and response["Location"] == f"/queue/a/{token}/"
    appointment.refresh_from_db()
    appointment.slot.refresh_from_db()
    assert (appointment.state, appointment.slot.booked) == ("cancelled", 0)
    entry = AuditEntry.objects.get(action="queueing.appointment.cancel")
    assert (entry.actor_id, entry.data, entry.ip) == (None, {"by": "link"}, "10.1.2.3")
    after = client.get(f"/queue/a/{token}/").content.decode()
    assert "这个预约已取消" in after and "appointment-cancel-ask" not in after
    # not a dead end for someone with no account: booking again signs in with the phone
    assert 'href="/portal/appointments/" id="appointment-book-again"' in after
    cancelled = Message.objects.get(purpose="queueing.appointment.cancelled")
    assert cancelled.to == "13900000001" and f"预约码 {appointment.code}）已取消" in cancelled.body

    again = client.post(f"/queue/a/{token}/cancel/")  # a second tap, or the page left open
    assert again.status_code == 409
    assert "预约当前状态不允许此操作" in again.content.decode()
    assert AuditEntry.objects.filter(action="queueing.appointment.cancel").count() == 1


@freeze_time(T0)
def test_changing_from_the_link_moves_the_place_and_sends_the_new_time(client):
    """The 75-year-old booked by phone cannot come on Thursday morning: from the SMS they move it to the
    afternoon, without an account, and the SMS of the change carries the same link."""
    appointment = booked_by_clerk()
    old_slot = appointment.slot
    afternoon = _slot(old_slot.queue, start=time(14), end=time(14, 30), capacity=1)
    full = _slot(old_slot.queue, start=time(15), end=time(15, 30), capacity=0)
    other_queue = AppointmentSlot.objects.create(
        center=old_slot.center,
        queue=old_slot.center.queues.get(prefix="A"),
        day=date(2026, 11, 26),
        start=time(16),
        end=time(16, 30),
        capacity=5,
    )
    token = appointment_token(appointment.pk)
    page = client.get(f"/queue/a/{token}/?step=change").content.decode()
    assert f'id="change-slot-{afternoon.pk}"' in page and "14:00–14:30" in page and "余 1" in page
    assert f'id="change-slot-{full.pk}" value="{full.pk}" disabled' in page and "已约满" in page
    assert f"change-slot-{old_slot.pk}" not in page  # where it is now
    assert f"change-slot-{other_queue.pk}" not in page  # another queue's slot is not this appointment's

    nothing = client.post(f"/queue/a/{token}/change/")
    assert nothing.status_code == 400 and "请选择新的预约时段" in nothing.content.decode()
    huge = client.post(f"/queue/a/{token}/change/", {"slot": "9" * 30})  # not a 500
    assert huge.status_code == 400
    assert 'id="appointment-change-form"' in nothing.content.decode()  # still choosing
    elsewhere = client.post(f"/queue/a/{token}/change/", {"slot": other_queue.pk})
    assert elsewhere.status_code == 400
    taken = client.post(f"/queue/a/{token}/change/", {"slot": full.pk})
    assert taken.status_code == 409 and "该时段已约满" in taken.content.decode()
    assert Appointment.objects.get(pk=appointment.pk).slot_id == old_slot.pk

    moved = client.post(f"/queue/a/{token}/change/", {"slot": afternoon.pk}, REMOTE_ADDR="10.1.2.3")
    assert (moved.status_code, moved["Location"]) == (302, f"/queue/a/{token}/")
    appointment.refresh_from_db()
    old_slot.refresh_from_db()
    afternoon.refresh_from_db()
    assert (appointment.slot_id, old_slot.booked, afternoon.booked) == (afternoon.pk, 0, 1)
    entry = AuditEntry.objects.get(action="queueing.appointment.change")
    assert (entry.actor_id, entry.ip) == (None, "10.1.2.3")
    assert entry.data == {"from_slot": old_slot.pk, "to_slot": afternoon.pk, "by": "link"}
    sms = Message.objects.get(purpose="queueing.appointment.changed")
    assert "11月26日 14:00-14:30" in sms.body and link_in(sms) == appointment_url(appointment.pk)
    after = client.get(moved["Location"]).content.decode()
    assert "已改约" in after and "14:00–14:30" in after


def test_a_resident_cannot_change_once_the_slot_is_over():
    appointment = booked_by_clerk()
    later = _slot(appointment.slot.queue, start=time(14), end=time(14, 30))
    # 09:31: the 09:00 slot was missed
    with freeze_time("2026-11-26 01:31:00"), pytest.raises(AppointmentOver):
        appointment_change(appointment_id=appointment.pk, new_slot=later, actor=None)
    assert Appointment.objects.get(pk=appointment.pk).slot_id == appointment.slot_id


def test_a_resident_cannot_cancel_once_the_slot_is_over_but_staff_can():
    """Cancelling a missed appointment afterwards would wipe the no-show the policy counts."""
    appointment = booked_by_clerk()
    with freeze_time("2026-11-26 01:31:00"):  # 09:31, the slot ended at 09:30
        with pytest.raises(AppointmentOver):
            appointment_cancel(appointment_id=appointment.pk, actor=None)
        own = ResidentFactory(id_number="310110199006150037", phone="13800000009")
        mine = appointment_book(
            slot=_slot(appointment.slot.queue, start=time(10), end=time(10, 30)), actor=own, resident=own
        )
    with freeze_time("2026-11-26 02:31:00"), pytest.raises(AppointmentOver):
        appointment_cancel(appointment_id=mine.pk, actor=own)
    assert Appointment.objects.filter(state="booked").count() == 2
    with freeze_time("2026-11-26 01:31:00"):
        appointment_cancel(appointment_id=appointment.pk, actor=ClerkFactory(center=appointment.slot.center))
    assert Appointment.objects.get(pk=appointment.pk).state == "cancelled"


def test_the_page_after_the_slot_offers_no_cancel(client):
    appointment = booked_by_clerk()
    token = appointment_token(appointment.pk)
    with freeze_time("2026-11-26 01:31:00"):
        html = client.get(f"/queue/a/{token}/").content.decode()
        assert "预约时段已结束" in html and "appointment-cancel-ask" not in html
        refused = client.post(f"/queue/a/{token}/cancel/")
    assert refused.status_code == 409 and "预约时段已结束，不能再改约或取消" in refused.content.decode()
    assert Appointment.objects.get(pk=appointment.pk).state == "booked"


@pytest.mark.parametrize("token", ["42", "1:abc", "", "x" * 300])
def test_a_made_up_link_is_a_plain_404_without_a_query(client, django_assert_num_queries, token):
    with django_assert_num_queries(0):
        get = client.get(f"/queue/a/{token}/") if token else client.get("/queue/a/%20/")
        post = client.post(f"/queue/a/{token or '%20'}/cancel/")
    assert get.status_code == post.status_code == 404
    assert "没有找到这个预约" in get.content.decode()


def test_the_link_of_an_appointment_that_is_gone_is_a_404(client):
    assert client.get(f"/queue/a/{appointment_token(987654)}/").status_code == 404
    assert client.post(f"/queue/a/{appointment_token(987654)}/cancel/").status_code == 404


def test_the_resident_signed_in_with_the_booking_phone_sees_and_changes_it():
    """Booked by a clerk for a caller, the appointment is theirs once they sign in with the phone it was booked
    with (which received its SMS and link anyway); a resident with another phone neither sees nor touches it."""
    from tongban.core.errors import Forbidden
    from tongban.queueing.selectors import appointments_of

    appointment = booked_by_clerk()
    later = _slot(appointment.slot.queue, start=time(10), end=time(10, 30))
    caller = ResidentFactory(id_number="310110199006150037", phone="13900000001")
    stranger = ResidentFactory(id_number="310110200002290054", phone="13900000002")
    assert list(appointments_of(caller)) == [appointment]
    assert list(appointments_of(stranger)) == []
    with freeze_time(T0):
        for act in (
            lambda: appointment_change(appointment_id=appointment.pk, new_slot=later, actor=stranger),
            lambda: appointment_cancel(appointment_id=appointment.pk, actor=stranger),
        ):
            with pytest.raises(Forbidden):
                act()
        appointment_change(appointment_id=appointment.pk, new_slot=later, actor=caller)
        appointment_cancel(appointment_id=appointment.pk, actor=caller)
    appointment.refresh_from_db()
    assert (appointment.slot_id, appointment.state) == (later.pk, "cancelled")


@freeze_time(T0)
def test_a_resident_booking_stays_the_residents_own_whoever_has_the_phone_now():
    """An appointment a resident booked in their own name is not matched by phone: only they change it."""
    from tongban.core.errors import Forbidden
    from tongban.queueing.selectors import appointments_of

    _, q, _ = hall()
    owner = ResidentFactory(id_number="310110199006150037", phone="13900000001")
    appointment = appointment_book(slot=_slot(q["Y"]), actor=owner, resident=owner)
    owner.phone, owner.phone_hash = "", ""  # the owner has since changed numbers
    owner.save()
    new_holder = ResidentFactory(id_number="310110200002290054", phone="13900000001")
    assert list(appointments_of(new_holder)) == []
    with pytest.raises(Forbidden):
        appointment_cancel(appointment_id=appointment.pk, actor=new_holder)


def test_an_appointment_booked_with_the_residents_id_number_and_another_phone_is_theirs(client):
    """A clerk booked the resident by ID number with a family member's phone: the portal refused the resident
    another booking that day ("您当天在本中心已有预约") while 我的预约 showed nothing. Now it lists it (the
    family member's phone masked in the API), and the resident can change or cancel it."""
    from tongban.queueing.errors import AlreadyBooked
    from tongban.queueing.selectors import appointments_of

    appointment = booked_by_clerk()  # ID 310110195601010049, phone 13900000001
    owner = ResidentFactory(id_number="310110195601010049", phone="13900000002")
    stranger = ResidentFactory(id_number="310110200002290054", phone="13900000003")
    assert list(appointments_of(owner)) == [appointment]
    assert list(appointments_of(stranger)) == []
    later = _slot(appointment.slot.queue, start=time(10), end=time(10, 30))
    with freeze_time(T0):
        with pytest.raises(AlreadyBooked):
            appointment_book(slot=later, actor=owner, resident=owner)
        client.force_login(owner)
        html = client.get("/queue/appointments/").content.decode()
        assert appointment.code in html and "13900000001" not in html
        appointment_change(appointment_id=appointment.pk, new_slot=later, actor=owner)
        appointment_cancel(appointment_id=appointment.pk, actor=owner)
    appointment.refresh_from_db()
    assert (appointment.slot_id, appointment.state) == (later.pk, "cancelled")


def test_the_api_lists_it_with_the_phone_masked():
    from tongban.queueing.api.serializers import AppointmentOut
    from tongban.queueing.selectors import appointments_of

    appointment = booked_by_clerk()
    owner = ResidentFactory(id_number="310110195601010049", phone="13900000002")
    (listed,) = AppointmentOut(appointments_of(owner), many=True).data
    assert (listed["code"], listed["phone"]) == (appointment.code, "139****0001")

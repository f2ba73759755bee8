"""The admin's list of booking suspensions: who (masked), where, until when, why, lifted or not; found by a
full phone or ID number."""

from __future__ import annotations

from datetime import date, time

import pytest
from freezegun import freeze_time

from tongban.accounts.tests.factories import AdminFactory, ClerkFactory, ResidentFactory
from tongban.core.models import AuditEntry
from tongban.queueing.models import AppointmentSlot, BookingSuspension
from tongban.queueing.services import appointment_book, appointments_mark_no_shows
from tongban.queueing.tests.factories import hall

pytestmark = pytest.mark.django_db
URL = "/admin/queueing/bookingsuspension/"


@pytest.fixture
def admin_client(client, settings):
    settings.STAFF_2FA_REQUIRED = False
    client.force_login(AdminFactory(username="root"))
    return client


def _suspend(center, q, *, actor, resident=None, phone="", hour=9):
    """One booking missed with noshow_limit=1: a suspension, marked 2026-11-23 10:00 (Shanghai 18:00)."""
    slot = AppointmentSlot.objects.create(
        center=center, queue=q["Y"], day=date(2026, 11, 23), start=time(hour), end=time(hour, 30), capacity=5
    )
    with freeze_time("2026-11-20 02:00:00"):
        appointment_book(slot=slot, actor=actor, resident=resident, phone=phone)
    with freeze_time("2026-11-23 10:00:00"):
        appointments_mark_no_shows()


def test_the_list_shows_center_masked_phone_dates_reason_and_lifted(admin_client):
    center, q, _ = hall(noshow_limit=1)
    _suspend(center, q, actor=ClerkFactory(center=center), phone="13800000001")
    html = admin_client.get(URL).content.decode()
    for shown in (center.name, "138****0001", "2026年11月23日", "2026年12月23日", "30天内爽约1次"):
        assert shown in html, shown
    for header in ("中心", "预约手机号", "暂停开始", "暂停至", "原因", "已解除", "解除时间", "解除人"):
        assert f">{header}</a>" in html or f">{header}</span>" in html, header
    assert "13800000001" not in html and 'alt="False"' in html
    detail = admin_client.get(f"{URL}{BookingSuspension.objects.get().pk}/change/").content.decode()
    assert "138****0001" in detail and "30天内爽约1次" in detail and "13800000001" not in detail
    assert not AuditEntry.objects.filter(action="pii.read").exists()


def test_a_full_phone_or_id_number_finds_the_persons_suspensions(admin_client):
    center, q, _ = hall(noshow_limit=1)
    person = ResidentFactory(id_number="310110195601010049", phone="13800000002")
    _suspend(center, q, actor=person, resident=person)  # filed under the ID number
    _suspend(center, q, actor=ClerkFactory(center=center), phone="13800000003", hour=10)  # under the phone
    assert BookingSuspension.objects.count() == 2
    for term in ("13800000002", "310110195601010049", "138 0000 0002"):
        html = admin_client.get(URL, {"q": term}).content.decode()
        assert "138****0002" in html and "138****0003" not in html, term
    assert "138****0003" in admin_client.get(URL, {"q": "13800000003"}).content.decode()


def test_the_lift_action_lifts_and_is_audited_with_the_address(admin_client):
    center, q, _ = hall(noshow_limit=1)
    _suspend(center, q, actor=ClerkFactory(center=center), phone="13800000001")
    suspension = BookingSuspension.objects.get()
    r = admin_client.post(
        URL, {"action": "lift", "_selected_action": [suspension.pk]}, REMOTE_ADDR="10.9.8.7", follow=True
    )
    assert r.status_code == 200 and 'alt="True"' in r.content.decode()
    suspension.refresh_from_db()
    assert suspension.lifted_at is not None and suspension.lifted_by.username == "root"
    entry = AuditEntry.objects.get(action="queueing.booking.lift")
    assert (entry.object_id, entry.ip) == (str(suspension.pk), "10.9.8.7")

"""The cabinet delivers cases (办件) and takes supplements in, through the applications services."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.utils import timezone
from freezegun import freeze_time
from rest_framework.test import APIClient

from tongban.applications import services as app_services
from tongban.applications.models import Application, Status
from tongban.applications.tests.factories import clerk_at, draft, resident
from tongban.cabinet import services
from tongban.cabinet.models import Alert, Item
from tongban.cabinet.tests.conftest import sms_code
from tongban.core.errors import Conflict, InvalidTransition
from tongban.notifications.models import Message

pytestmark = pytest.mark.django_db


@pytest.fixture
def app_clerk(cabinet):
    return clerk_at(cabinet.center)


def ready_case(clerk, phone="13800000009") -> Application:
    app = draft(clerk=clerk, applicant=resident(phone=phone))
    app_services.application_accept(application=app, actor=clerk)
    app_services.application_decide(application=app, actor=clerk, outcome="approved")
    app_services.application_mark_ready_for_delivery(application=app, actor=clerk, method="cabinet")
    app.refresh_from_db()
    assert app.status == Status.READY_FOR_DELIVERY
    return app


def test_deposit_by_case_number_then_proxy_pickup_delivers_the_case(cabinet, app_clerk, device):
    app = ready_case(app_clerk)
    api = APIClient()
    api.force_authenticate(app_clerk)
    response = api.post(f"/api/v1/cabinets/{cabinet.code}/deposits", {"application": app.number, "size": "S"})
    assert response.status_code == 201, response.json()
    item = Item.objects.get(application=app)
    assert item.phone == "13800000009" and app.number in item.label
    device.obey(item)
    code = sms_code("13800000009")
    assert app.number in Message.objects.get(purpose="cabinet.pickup_code").body
    app.refresh_from_db()
    assert app.status == Status.READY_FOR_DELIVERY  # in the cabinet, not yet delivered

    pickup = APIClient().post(f"/api/v1/cabinets/{cabinet.code}/pickup", {"code": code, "proxy": True})
    assert pickup.json() == {"compartment": 1}
    device.obey(item)
    app.refresh_from_db()
    assert app.status == Status.DELIVERED
    assert (app.delivered_via, app.delivered_by_proxy) == (f"cabinet:{cabinet.code}/01", True)
    item.refresh_from_db()
    assert item.state == Item.State.DONE


def test_only_ready_cases_and_only_once(cabinet, app_clerk):
    not_ready = draft(clerk=app_clerk)
    with pytest.raises(InvalidTransition) as exc:
        services.deposit_create(cabinet=cabinet, actor=app_clerk, size="S", application=not_ready)
    assert exc.value.code == "cabinet.application_not_ready"
    app = ready_case(app_clerk)
    services.deposit_create(cabinet=cabinet, actor=app_clerk, size="S", application=app)
    with pytest.raises(Conflict) as exc:
        services.deposit_create(cabinet=cabinet, actor=app_clerk, size="S", application=app)
    assert exc.value.code == "cabinet.already_deposited"


@pytest.mark.parametrize("door_fault_open", [False, True], ids=["no-alert-open", "door-fault-open"])
def test_case_handed_over_elsewhere_meanwhile_still_completes_the_item(
    cabinet, app_clerk, device, door_fault_open
):
    """The case was handed over at the window while its document waited in the cabinet: the pickup still
    completes, and an alert asks staff to finish the case by hand. A compartment has one open alert of a kind;
    when its door fault from earlier was still open, that alert hit the constraint and rolled the whole door
    event back, and each time the device sent the event again it failed again. The message joins the open
    alert, newest first."""
    app = ready_case(app_clerk)
    item = services.deposit_create(cabinet=cabinet, actor=app_clerk, size="S", application=app)
    device.obey(item)
    code = sms_code()
    item.refresh_from_db()
    if door_fault_open:
        Alert.objects.create(
            cabinet=cabinet, compartment=item.compartment, kind=Alert.Kind.DOOR_FAULT, message="柜门曾卡住"
        )
    app_services.application_mark_delivered(application=app, actor=app_clerk, via="window")
    result = services.code_enter(cabinet=cabinet, code=code, source="10.0.0.1")
    device.open(result.compartment, result.request_id)
    assert device.close(result.compartment) == "picked_up"
    item.refresh_from_db()
    assert item.state == Item.State.DONE
    alert = Alert.objects.get(cabinet=cabinet, compartment=item.compartment, resolved_at=None)
    assert alert.message.startswith("已取件，但办件未能标记为已送达")
    assert alert.message.endswith("柜门曾卡住") == door_fault_open


def test_dropoff_for_a_supplement_marks_it_received_when_the_clerk_collects(cabinet, app_clerk, device):
    app = draft(clerk=app_clerk, applicant=resident(phone="13800000008"), received=False)
    app_services.application_request_supplement(application=app, actor=app_clerk, items=[])
    app.refresh_from_db()
    assert app.status == Status.SUPPLEMENT_REQUESTED
    item = services.dropoff_create(cabinet=cabinet, actor=app_clerk, size="M", application=app)
    code = sms_code("13800000008", purpose="cabinet.dropoff_code")
    result = services.code_enter(cabinet=cabinet, code=code, source="10.0.0.1")
    device.open(result.compartment, result.request_id)
    device.close(result.compartment)
    app.refresh_from_db()
    assert app.status == Status.SUPPLEMENT_REQUESTED  # the resident's part is done; the clerk signs for it
    services.dropoff_collect(item=item, actor=app_clerk)
    device.obey(item)
    app.refresh_from_db()
    assert app.status == Status.SUBMITTED
    assert set(app.materials.values_list("state", flat=True)) == {"received"}


def test_the_seed_story_in_the_demo(client):
    """make demo: the clerk deposits the residence permit, the SMS outbox has the code, the cabinet
    page opens the right door, the door closes, the case shows delivered."""
    from tongban.accounts.tests.factories import PASSWORD
    from tongban.applications import demo as applications_demo
    from tongban.applications.tests.factories import demo_world
    from tongban.cabinet import demo as cabinet_demo
    from tongban.cabinet.models import Cabinet
    from tongban.cabinet.tests.conftest import Device

    world = demo_world()
    applications_demo.load(io.StringIO())
    cabinet_demo.load(io.StringIO())
    cabinet_demo.load(io.StringIO())  # idempotent
    cabinet = Cabinet.objects.get(code=cabinet_demo.CABINET_CODE)
    assert cabinet.compartments.count() == 12
    Cabinet.objects.filter(pk=cabinet.pk).update(online=True)  # the simulator's status message
    device = Device(cabinet)
    permit = Application.objects.get(matter=world["permit"])
    clerk = world["clerk"]
    clerk.set_password(PASSWORD)
    clerk.save()
    client.login(username=clerk.username, password=PASSWORD)
    typed = f" {permit.number.lower()} "  # as a clerk may type it: the number is found all the same
    page = client.post(
        f"/cabinet/{cabinet.code}/staff/deposit", {"application": typed, "size": "S"}, follow=True
    ).content.decode()
    assert "已预留 1 号格口" in page
    item = Item.objects.get(application=permit)
    device.obey(item)
    code = sms_code(permit.applicant.phone)
    client.logout()
    html = client.post(f"/cabinet/{cabinet.code}/code", {"code": code}).content.decode()
    assert 'class="door-number text-primary">1<' in html
    device.obey(item)
    permit.refresh_from_db()
    assert permit.status == Status.DELIVERED


def test_the_owner_finds_the_cabinet_on_the_portal_and_has_the_code_sent_again(
    client, cabinet, app_clerk, device
):
    """2 a.m., the SMS deleted: the case page says which cabinet and until when, and sends a new code to the
    phone the item was registered with; the old code dies. Three times a day at most, and only for the owner."""
    from tongban.cabinet.errors import ResendLimit
    from tongban.core.models import AuditEntry

    app = ready_case(app_clerk)
    item = services.deposit_create(cabinet=cabinet, actor=app_clerk, size="S", application=app)
    device.obey(item)
    first = sms_code("13800000009")
    client.force_login(app.applicant)
    page = client.get(f"/portal/cases/{app.pk}/").content.decode()
    assert "材料已放入智能文件柜，可以取件了" in page and cabinet.where in page and cabinet.place in page
    assert f"地址：{cabinet.center.address}" in page  # the street, for someone who has never been there
    assert first not in page  # the code goes by SMS only

    r = client.post(f"/portal/cases/{app.pk}/", {"action": "cabinet_resend", "item": str(item.reference)})
    assert r.status_code == 302
    second = sms_code("13800000009")
    assert second != first
    resent = Message.objects.filter(purpose="cabinet.pickup_code").order_by("-id").first()
    assert (
        f"新的取件码{second}（之前短信中的取件码已失效）" in resent.body
    )  # not to be mistaken for the old SMS
    assert "新的取件码已短信发送到 138****0009" in client.get(r["Location"]).content.decode()
    entry = AuditEntry.objects.get(action="cabinet.item.reissue_code")
    assert (entry.actor_id, entry.data) == (app.applicant.pk, {"to": "138****0009"})
    with pytest.raises(services.items.WrongCode):
        services.code_enter(cabinet=cabinet, code=first, source="test")
    resend = {"action": "cabinet_resend", "item": str(item.reference)}
    # a second tap a moment later would void the code just sent: refused, nothing sent
    before = Message.objects.filter(purpose="cabinet.pickup_code").count()
    r = client.post(f"/portal/cases/{app.pk}/", resend)
    assert "新的取件码刚刚已发送，请查看最新一条短信" in client.get(r["Location"]).content.decode()
    assert Message.objects.filter(purpose="cabinet.pickup_code").count() == before
    later = timezone.now()
    for minutes in (2, 4):
        with freeze_time(later + timedelta(minutes=minutes)):
            client.post(f"/portal/cases/{app.pk}/", resend)
    before = Message.objects.filter(purpose="cabinet.pickup_code").count()
    assert before == 4  # the first and three resends
    with freeze_time(later + timedelta(minutes=6)):
        r = client.post(f"/portal/cases/{app.pk}/", resend)
        page = client.get(r["Location"]).content.decode()
        assert "今天已重新发送过多次取件码" in page and cabinet.center.phone in page  # and whom to call
        assert Message.objects.filter(purpose="cabinet.pickup_code").count() == before
        with pytest.raises(ResendLimit):
            services.item_resend_code(item=item, actor=app.applicant)

    stranger = resident()
    with pytest.raises(services.items.NotFound):
        services.item_resend_code(item=item, actor=stranger)
    with pytest.raises(services.items.NotFound):  # staff reissue at the cabinet's page, not through this
        services.item_resend_code(item=item, actor=app_clerk)
    client.force_login(stranger)
    assert (
        client.post(
            f"/portal/cases/{app.pk}/", {"action": "cabinet_resend", "item": str(item.reference)}
        ).status_code
        == 404
    )


def test_the_portal_says_nothing_of_a_cabinet_item_taken_out(client, cabinet, app_clerk, device):
    app = ready_case(app_clerk)
    item = services.deposit_create(cabinet=cabinet, actor=app_clerk, size="S", application=app)
    device.obey(item)
    services.code_enter(cabinet=cabinet, code=sms_code("13800000009"), source="test")
    device.obey(item)
    client.force_login(app.applicant)
    page = client.get(f"/portal/cases/{app.pk}/").content.decode()
    assert "cabinet-item-1" not in page
    r = client.post(f"/portal/cases/{app.pk}/", {"action": "cabinet_resend", "item": str(item.reference)})
    assert "没有找到这件材料" in client.get(r["Location"]).content.decode()


def test_the_case_page_names_its_materials_in_english_when_english_is_chosen(client, app_clerk, settings):
    app = ready_case(app_clerk)
    first = app.materials.select_related("material_type").first()
    type(first.material_type).objects.filter(pk=first.material_type_id).update(
        name_en="Resident identity card"
    )
    client.force_login(app.applicant)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get(f"/portal/cases/{app.pk}/").content.decode()
    assert "Resident identity card" in html and first.name not in html


def test_the_kiosk_says_the_result_waits_in_the_cabinet(client, cabinet, app_clerk, device):
    """The kiosk stands in the 24-hour area beside the cabinet: a resident who looks the case up there is
    told it is in the cabinet, which one, and until when."""
    app = ready_case(app_clerk)
    item = services.deposit_create(cabinet=cabinet, actor=app_clerk, size="S", application=app)
    device.obey(item)
    last4 = app.applicant.id_number[-4:]
    html = client.post("/kiosk/progress/", {"number": app.number, "last4": last4}).content.decode()
    assert (
        'id="kiosk-cabinet-1"' in html
        and "材料已放入智能文件柜，可以取件了" in html
        and cabinet.where in html
    )
    assert sms_code("13800000009") not in html  # never the code

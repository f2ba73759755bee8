"""The dev SMS outbox page: who may see it, what it shows; the read-only Message admin."""

import pytest
from django.urls import reverse

from tongban.accounts.tests.factories import AdminFactory, ClerkFactory, ResidentFactory
from tongban.notifications.models import Message
from tongban.notifications.services import sms_send

pytestmark = pytest.mark.django_db(transaction=True)
URL = "/notifications/outbox/"


@pytest.fixture
def production(settings):
    settings.DEMO = False
    settings.DEBUG = False
    settings.STAFF_2FA_REQUIRED = False
    return settings


def test_url_name():
    assert reverse("notifications:outbox") == URL


def test_newest_first_with_masked_phone_and_full_body(client, settings):
    settings.DEMO = True
    sms_send(
        to_phone="13800000001", body="【通办】您的登录验证码是 123456", purpose="accounts.sms_code.login"
    )
    sms_send(to_phone="13800000002", body="【通办】您的材料已放入智能文件柜", purpose="cabinet.deposit")
    html = client.get(URL).content.decode()
    assert html.index("138****0002") < html.index("138****0001")
    assert "123456" in html
    assert "13800000001" not in html and "13800000002" not in html
    partial = client.get(URL, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in partial and "138****0002" in partial


def test_only_outbox_backend_messages_are_listed(client, settings):
    settings.DEMO = True
    Message.objects.create(
        to="13800000003", to_hash="x", body="真实网关 654321", purpose="p", backend="aliyun"
    )
    assert "654321" not in client.get(URL).content.decode()


def test_anyone_in_demo_or_debug(client, settings):
    settings.DEMO, settings.DEBUG = False, True
    assert client.get(URL).status_code == 200
    settings.DEMO, settings.DEBUG = True, False
    assert client.get(URL).status_code == 200


def test_hidden_from_the_public_and_residents_in_production(client, production):
    assert client.get(URL).status_code == 404
    client.force_login(ResidentFactory())
    assert client.get(URL).status_code == 404


def test_staff_always_see_it(client, production):
    client.force_login(ClerkFactory())
    assert client.get(URL).status_code == 200


def test_staff_without_the_second_factor_do_not(client, production):
    production.STAFF_2FA_REQUIRED = True
    client.force_login(ClerkFactory())
    assert client.get(URL).status_code == 404


def test_message_admin_masks_phone_and_codes(client, settings):
    settings.STAFF_2FA_REQUIRED = False
    sms_send(
        to_phone="13800000001", body="【通办】您的登录验证码是 123456", purpose="accounts.sms_code.login"
    )
    client.force_login(AdminFactory())
    html = client.get("/admin/notifications/message/").content.decode()
    assert "138****0001" in html and "******" in html
    assert "123456" not in html and "13800000001" not in html
    assert client.get("/admin/notifications/message/add/").status_code == 403

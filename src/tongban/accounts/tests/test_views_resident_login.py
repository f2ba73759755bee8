"""The resident sign-in page: phone → code → signed in, back to ?next=."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time

from tongban.accounts.models import Role, User
from tongban.notifications.models import Message

pytestmark = pytest.mark.django_db(transaction=True)
URL = "/accounts/resident/login/"


def code_in_outbox():
    return re.search(r"验证码是 (\d{6})", Message.objects.order_by("-id").first().body).group(1)


def test_url_name():
    assert reverse("accounts:resident-login") == URL


def test_phone_then_code_signs_in_and_honours_next(client):
    page = client.get(URL + "?next=/catalog/")
    assert page.status_code == 200
    assert "获取验证码" in page.content.decode()
    sent = client.post(URL, {"action": "send", "phone": "13800000001", "next": "/catalog/"})
    assert sent.status_code == 302
    assert sent["Location"] == URL + "?next=%2Fcatalog%2F"
    step2 = client.get(sent["Location"])
    html = step2.content.decode()
    assert "138****0001" in html and "13800000001" not in html.replace("演示用户：13800000001", "")
    assert 'name="code"' in html
    done = client.post(URL, {"action": "verify", "code": code_in_outbox(), "next": "/catalog/"})
    assert done.status_code == 302
    assert done["Location"] == "/catalog/"
    user = User.objects.get(role=Role.RESIDENT)
    assert int(client.session["_auth_user_id"]) == user.pk
    assert "tb_sms_login" not in client.session


def test_unsafe_next_is_ignored(client):
    client.post(URL, {"action": "send", "phone": "13800000001"})
    done = client.post(URL, {"action": "verify", "code": code_in_outbox(), "next": "https://evil.example/"})
    assert done["Location"] == reverse("selfservice:portal-home") == "/portal/"  # the resident's home


def test_wrong_code_shows_the_reason_and_does_not_sign_in(client):
    client.post(URL, {"action": "send", "phone": "13800000001"})
    code = code_in_outbox()
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    response = client.post(URL, {"action": "verify", "code": wrong})
    assert response.status_code == 200
    html = response.content.decode()
    assert "验证码不正确，还可以再试4次" in html
    assert 'data-code="sms_code.wrong"' in html
    assert "_auth_user_id" not in client.session


def test_malformed_code_and_phone_are_explained(client):
    response = client.post(URL, {"action": "send", "phone": "12345"})
    assert "手机号码应为11位，您填写了5位" in response.content.decode()
    client.post(URL, {"action": "send", "phone": "13800000001"})
    response = client.post(URL, {"action": "verify", "code": "12"})
    assert "请输入短信里的6位数字" in response.content.decode()


def test_expired_code_asks_for_a_new_one(client):
    start = timezone.now()
    with freeze_time(start):
        client.post(URL, {"action": "send", "phone": "13800000001"})
    with freeze_time(start + timedelta(minutes=6)):
        response = client.post(URL, {"action": "verify", "code": code_in_outbox()})
    assert "验证码已过期，请重新获取" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_resend_too_soon_is_429_with_retry_after(client):
    start = timezone.now().replace(microsecond=0)
    with freeze_time(start):
        client.post(URL, {"action": "send", "phone": "13800000001"})
    with freeze_time(start + timedelta(seconds=15)):
        response = client.post(URL, {"action": "resend"})
    assert response.status_code == 429
    assert response["Retry-After"] == "46"
    assert "请46秒后再试" in response.content.decode()
    assert Message.objects.count() == 1


def test_a_code_sent_a_moment_ago_is_asked_for_in_a_new_session(client):
    """The code went out, then the tab was closed: asking again within the minute must lead to the box for
    that code (still good), not to an error with no box to type it in."""
    from django.test import Client

    start = timezone.now().replace(microsecond=0)
    with freeze_time(start):
        client.post(URL, {"action": "send", "phone": "13800000001"})
    code = code_in_outbox()
    fresh = Client()
    with freeze_time(start + timedelta(seconds=20)):
        again = fresh.post(URL, {"action": "send", "phone": "138 0000 0001"})
        assert again.status_code == 302
        html = fresh.get(again["Location"]).content.decode()
    assert 'name="code"' in html and "验证码刚刚已发送到这个手机号" in html and "138****0001" in html
    assert Message.objects.count() == 1  # no second SMS
    with freeze_time(start + timedelta(seconds=30)):
        done = fresh.post(URL, {"action": "verify", "code": code})
    assert done.status_code == 302 and "_auth_user_id" in fresh.session


def test_restart_forgets_the_phone(client):
    client.post(URL, {"action": "send", "phone": "13800000001"})
    response = client.get(URL + "?restart=1")
    assert response.status_code == 302
    assert "tb_sms_login" not in client.session
    assert 'name="phone"' in client.get(URL).content.decode()


def test_enterprise_sign_in_needs_a_registered_enterprise(client):
    response = client.post(URL, {"action": "send", "phone": "13700000001", "as": "enterprise"})
    assert "该手机号没有登记的企业账号" in response.content.decode()
    assert Message.objects.count() == 0


def test_demo_hint_links_the_outbox_only_in_demo(client, settings):
    settings.DEMO, settings.DEBUG = True, False
    assert "/notifications/outbox/" in client.get(URL).content.decode()
    settings.DEMO = False
    assert "/notifications/outbox/" not in client.get(URL).content.decode()


def test_the_phone_waiting_in_the_session_is_encrypted(client):
    from django.contrib.sessions.models import Session

    client.post(URL, {"action": "send", "phone": "13800000001"})
    stored = Session.objects.get(session_key=client.session.session_key).session_data
    assert "13800000001" not in repr(client.session.load()) and "13800000001" not in stored
    assert "138****0001" in client.get(URL).content.decode()


def test_resident_sessions_last_an_hour(client):
    client.post(URL, {"action": "send", "phone": "13800000001"})
    client.post(URL, {"action": "verify", "code": code_in_outbox()})
    assert client.session.get_expiry_age() == 3600

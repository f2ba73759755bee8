"""Enterprise self-registration: details → SMS code → account opened and signed in."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from freezegun import freeze_time

from tongban.accounts.models import Role, SmsCode, User
from tongban.accounts.tests.factories import EnterpriseFactory
from tongban.core.models import AuditEntry
from tongban.notifications.models import Message

pytestmark = pytest.mark.django_db(transaction=True)
URL = "/accounts/enterprise/register/"
DETAILS = {
    "action": "send",
    "name": "上海长白科技有限公司",
    "credit_code": "91310110ma1g8x0l7w",
    "contact_name": "陈志强",
    "phone": "13800000010",
    "next": "/catalog/",
}


def code_in_outbox():
    body = Message.objects.order_by("-id").first().body
    assert "企业注册验证码" in body
    return re.search(r"验证码是 (\d{6})", body).group(1)


def test_register_then_signed_in(client):
    assert client.post(URL, DETAILS).status_code == 302
    page = client.get(URL).content.decode()
    assert "91310110MA1G8X0L7W" in page and "138****0010" in page
    assert SmsCode.objects.get().purpose == SmsCode.Purpose.REGISTER
    done = client.post(URL, {"action": "verify", "code": code_in_outbox(), "next": "/catalog/"})
    assert done["Location"] == "/catalog/"
    user = User.objects.get(role=Role.ENTERPRISE)
    assert (user.display_name, user.credit_code, user.phone, user.first_name) == (
        "上海长白科技有限公司",
        "91310110MA1G8X0L7W",
        "13800000010",
        "陈志强",
    )
    assert int(client.session["_auth_user_id"]) == user.pk
    assert AuditEntry.objects.filter(action="accounts.enterprise.register").count() == 1


def test_invalid_credit_code_sends_nothing(client):
    response = client.post(URL, {**DETAILS, "credit_code": "91310110MA1G8X0L7A"})
    assert "统一社会信用代码校验位不正确" in response.content.decode()
    assert not Message.objects.exists()


def test_taken_credit_code_sends_nothing(client):
    EnterpriseFactory(credit_code="91310110MA1G8X0L7W")
    response = client.post(URL, DETAILS)
    assert "该统一社会信用代码已注册企业账号" in response.content.decode()
    assert not Message.objects.exists()


def test_a_login_code_cannot_register(client):
    start = timezone.now()
    with freeze_time(start):
        client.post("/accounts/resident/login/", {"action": "send", "phone": "13800000010"})
    login_code = re.search(r"验证码是 (\d{6})", Message.objects.order_by("-id").first().body).group(1)
    with freeze_time(start + timedelta(seconds=61)):
        client.post(URL, DETAILS)
        register_code = code_in_outbox()
        response = client.post(URL, {"action": "verify", "code": login_code})
    assert login_code != register_code or pytest.skip("the two random codes happened to be equal")
    assert "验证码不正确" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert not User.objects.filter(role=Role.ENTERPRISE).exists()
    assert SmsCode.objects.filter(live=True).count() == 2  # one per purpose

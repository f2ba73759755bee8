"""Staff sign-in: password, then TOTP when required or enrolled; the admin follows the same rules."""

from datetime import timedelta

import pytest
from django.http import HttpResponse
from django.test import RequestFactory
from django.utils import timezone
from freezegun import freeze_time

from tongban.accounts.models import SmsCode  # noqa: F401  (models loaded)
from tongban.accounts.tests.factories import (
    PASSWORD,
    AdminFactory,
    ClerkFactory,
    ResidentFactory,
    totp_device,
    totp_token,
)
from tongban.core.models import AuditEntry

pytestmark = pytest.mark.django_db
LOGIN = "/accounts/login/"


def signed_in(client):
    return "_auth_user_id" in client.session


def test_without_2fa_password_alone_signs_in(client, two_factor_off):
    clerk = ClerkFactory(username="window9")
    response = client.post(LOGIN, {"username": "window9", "password": PASSWORD, "next": "/admin/"})
    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert int(client.session["_auth_user_id"]) == clerk.pk
    assert AuditEntry.objects.filter(action="accounts.login", actor_id=clerk.pk).get().data == {
        "method": "password"
    }


def test_wrong_password_is_refused_and_audited(client, two_factor_off):
    ClerkFactory(username="window9")
    response = client.post(LOGIN, {"username": "window9", "password": "nope"})
    assert response.status_code == 200
    assert "用户名或密码不正确" in response.content.decode()
    assert not signed_in(client)
    assert AuditEntry.objects.get(action="accounts.login.fail").data == {
        "username": "window9",
        "method": "password",
    }


def test_residents_cannot_use_the_staff_page(client, two_factor_off):
    resident = ResidentFactory(username="r1")
    resident.set_password(PASSWORD)
    resident.save()
    response = client.post(LOGIN, {"username": "r1", "password": PASSWORD})
    assert "该账号不是工作人员账号" in response.content.decode()
    assert not signed_in(client)


def test_password_guessing_locks_the_username(client, two_factor_off):
    ClerkFactory(username="window9")
    for _ in range(10):
        client.post(LOGIN, {"username": "window9", "password": "wrong"})
    response = client.post(LOGIN, {"username": "window9", "password": PASSWORD})
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert not signed_in(client)


def test_2fa_required_first_sign_in_enrols_an_authenticator(client, two_factor_on):
    clerk = ClerkFactory(username="window9")
    response = client.post(LOGIN, {"username": "window9", "password": PASSWORD, "next": "/admin/"})
    assert response["Location"] == "/accounts/otp/setup/?next=%2Fadmin%2F"
    assert not signed_in(client)  # only pending until the second factor
    page = client.get(response["Location"])
    html = page.content.decode()
    assert "<svg" in html and "otp-secret" in html
    device = clerk.totpdevice_set.get(confirmed=False)
    wrong_token = "000000" if totp_token(device) != "000000" else "111111"
    wrong = client.post(response["Location"], {"device": device.pk, "token": wrong_token})
    assert "动态码不正确" in wrong.content.decode()
    assert not signed_in(client)
    with freeze_time(timezone.now() + timedelta(seconds=3)):  # django-otp throttles 1 s after a failure
        done = client.post(
            response["Location"], {"device": device.pk, "token": totp_token(device), "next": "/admin/"}
        )
    assert done["Location"] == "/admin/"
    assert int(client.session["_auth_user_id"]) == clerk.pk
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/admin/").status_code == 200
    assert AuditEntry.objects.filter(action="accounts.totp.enroll").count() == 1


def test_2fa_required_enrolled_staff_give_the_code(client, two_factor_on):
    clerk = ClerkFactory(username="window9")
    device = totp_device(clerk)
    response = client.post(LOGIN, {"username": "window9", "password": PASSWORD})
    assert response["Location"] == "/accounts/login/otp/?next=%2F"
    assert not signed_in(client)
    # the enrolment page cannot be used to swap in a new device with the password alone
    assert client.get("/accounts/otp/setup/")["Location"].startswith("/accounts/login/otp/")
    bad = client.post("/accounts/login/otp/", {"token": "12345"})
    assert "请输入6位数字动态码" in bad.content.decode()
    ok = client.post("/accounts/login/otp/", {"token": totp_token(device)})
    assert ok["Location"] == "/"
    assert signed_in(client)
    assert AuditEntry.objects.filter(action="accounts.login").get().data == {"method": "password+totp"}


def test_pending_sign_in_expires(client, two_factor_on):
    clerk = ClerkFactory(username="window9")
    device = totp_device(clerk)
    start = timezone.now()
    with freeze_time(start):
        client.post(LOGIN, {"username": "window9", "password": PASSWORD})
    with freeze_time(start + timedelta(minutes=6)):
        response = client.post("/accounts/login/otp/", {"token": totp_token(device)})
    assert response["Location"].startswith(LOGIN)
    assert not signed_in(client)


def test_enrolled_staff_give_the_code_even_when_2fa_is_optional(client, two_factor_off):
    clerk = ClerkFactory(username="window9")
    totp_device(clerk)
    response = client.post(LOGIN, {"username": "window9", "password": PASSWORD})
    assert response["Location"].startswith("/accounts/login/otp/")
    assert not signed_in(client)


def test_admin_refuses_a_session_without_the_second_factor(client, two_factor_on):
    admin_user = AdminFactory(username="root")
    client.force_login(admin_user)  # a password-only session (e.g. from before 2FA was switched on)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    login_page = client.get(response["Location"])  # the staff sign-in page, served at /admin/login/
    assert login_page["Location"] == "/accounts/otp/setup/?next=%2Fadmin%2F"


def test_admin_login_is_the_staff_sign_in(client, two_factor_on):
    clerk = ClerkFactory(username="window9", is_staff=True)
    device = totp_device(clerk)
    page = client.get("/admin/login/?next=/admin/")
    assert page.status_code == 200
    assert "工作人员登录" in page.content.decode()
    step = client.post(
        "/admin/login/?next=/admin/", {"username": "window9", "password": PASSWORD, "next": "/admin/"}
    )
    assert step["Location"] == "/accounts/login/otp/?next=%2Fadmin%2F"
    assert client.get("/admin/").status_code == 302  # still only pending
    done = client.post("/accounts/login/otp/", {"token": totp_token(device), "next": "/admin/"})
    assert done["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_admin_open_without_2fa_when_setting_off(client, two_factor_off):
    client.force_login(AdminFactory(username="root"))
    assert client.get("/admin/").status_code == 200


def test_staff_required_sends_unverified_staff_to_the_otp_step(two_factor_on, rf: RequestFactory):
    from django.contrib.auth.models import AnonymousUser
    from django.core.exceptions import PermissionDenied

    from tongban.accounts.models import Role
    from tongban.accounts.permissions import staff_required

    @staff_required
    def page(request):
        return HttpResponse("ok")

    @staff_required(roles=(Role.MANAGER,))
    def managers_only(request):
        return HttpResponse("ok")

    clerk = ClerkFactory()
    request = rf.get("/queue/work/?x=1")
    request.user = AnonymousUser()
    assert page(request)["Location"] == "/accounts/login/?next=%2Fqueue%2Fwork%2F%3Fx%3D1"
    request.user = clerk
    clerk.is_verified = lambda: False
    assert page(request)["Location"] == "/accounts/otp/setup/?next=%2Fqueue%2Fwork%2F%3Fx%3D1"
    totp_device(clerk)
    assert page(request)["Location"].startswith("/accounts/login/otp/")
    clerk.is_verified = lambda: True
    assert page(request).content == b"ok"
    with pytest.raises(PermissionDenied):
        managers_only(request)
    request.user = ResidentFactory()
    with pytest.raises(PermissionDenied):
        page(request)


def test_logout_ends_the_session(client, two_factor_off):
    client.force_login(ClerkFactory())
    client.post("/accounts/logout/")
    assert not signed_in(client)


def test_residents_sent_to_the_staff_page_land_on_the_sms_sign_in(client):
    response = client.get(LOGIN + "?next=/portal/cases/")
    assert response["Location"] == "/accounts/resident/login/?next=%2Fportal%2Fcases%2F"
    assert client.get(LOGIN + "?next=/queue/").status_code == 200

"""POST /api/v1/auth/token and Bearer authentication; DRF permission classes."""

from datetime import timedelta

import pytest
from django.utils import timezone
from freezegun import freeze_time
from rest_framework.response import Response
from rest_framework.test import APIClient, APIRequestFactory
from rest_framework.views import APIView

from tongban.accounts.authentication import hash_token
from tongban.accounts.models import ApiToken, Role
from tongban.accounts.permissions import HasRole, IsEndUser, IsResident, IsStaffRole
from tongban.accounts.tests.factories import (
    PASSWORD,
    ClerkFactory,
    EnterpriseFactory,
    ManagerFactory,
    ResidentFactory,
    totp_device,
    totp_token,
)
from tongban.core.models import AuditEntry

pytestmark = pytest.mark.django_db
URL = "/api/v1/auth/token"


class StaffOnly(APIView):
    permission_classes = [IsStaffRole]

    def get(self, request):
        return Response({"user": request.user.username})


class ManagersOnly(StaffOnly):
    permission_classes = [HasRole.of(Role.MANAGER)]


class ResidentsOnly(StaffOnly):
    permission_classes = [IsResident]


class EndUsersOnly(StaffOnly):
    permission_classes = [IsEndUser]


def call(view, *, token=None, user=None, verified=None):
    request = APIRequestFactory().get("/x", HTTP_AUTHORIZATION=f"Bearer {token}" if token else "")
    if user is not None:
        if verified is not None:
            user.is_verified = lambda: verified
        from rest_framework.test import force_authenticate

        force_authenticate(request, user=user)
    return view.as_view()(request)


@pytest.fixture
def api():
    return APIClient()


def issue(api, **body):
    return api.post(URL, body, format="json")


def test_issue_and_use_a_token(api, two_factor_off):
    clerk = ClerkFactory(username="window9")
    response = issue(api, username="window9", password=PASSWORD)
    assert response.status_code == 201
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert set(body) == {"token", "expires_at", "username", "role"}
    assert (body["username"], body["role"]) == ("window9", "clerk")
    row = ApiToken.objects.get()
    assert row.key_hash == hash_token(body["token"])
    assert body["token"] not in row.key_hash  # only the hash is stored
    assert row.expires_at - row.created_at == pytest.approx(timedelta(hours=12), abs=timedelta(seconds=2))
    ok = call(StaffOnly, token=body["token"])
    assert (ok.status_code, ok.data) == (200, {"user": "window9"})
    row.refresh_from_db()
    assert row.last_used_at is not None
    assert AuditEntry.objects.filter(action="accounts.api_token.issue", actor_id=clerk.pk).count() == 1


def test_a_token_request_is_the_user_the_orm_would_load_in_one_statement(
    api, two_factor_off, django_assert_num_queries
):
    """The look-up is hand-written SQL: the user it attaches must be the user, field for field (timestamps as
    the ORM gives them), and cost one statement. It leaves the encrypted phone and ID number unread (they are
    not decrypted for every call a window makes) and loads them, decrypted, when something reads them."""
    from tongban.accounts.authentication import BearerTokenAuthentication
    from tongban.accounts.models import User

    clerk = ClerkFactory(username="window9", phone="13800138000", id_number="310110199006150037")
    token = issue(api, username="window9", password=PASSWORD).json()["token"]
    ApiToken.objects.update(last_used_at=timezone.now())  # used a moment ago: no bookkeeping write
    expected = User.objects.get(pk=clerk.pk)
    request = APIRequestFactory().get("/x", HTTP_AUTHORIZATION=f"Bearer {token}")
    with django_assert_num_queries(1):
        user, row = BearerTokenAuthentication().authenticate(request)
    assert user.get_deferred_fields() == {"phone", "id_number"}
    fields = [f.attname for f in User._meta.concrete_fields if f.attname not in ("phone", "id_number")]
    assert [getattr(user, f) for f in fields] == [getattr(expected, f) for f in fields]
    assert row == ApiToken.objects.get() and row.user is user
    assert row.expires_at == ApiToken.objects.get().expires_at
    with django_assert_num_queries(2):  # on first access, one field at a time, as after defer()
        assert (user.phone, user.id_number) == ("13800138000", "310110199006150037")


def test_wrong_password_401(api, two_factor_off):
    ClerkFactory(username="window9")
    response = issue(api, username="window9", password="nope")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "auth.invalid_credentials"
    assert not ApiToken.objects.exists()


def test_missing_fields_400(api):
    response = issue(api, username="window9")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert "password" in response.json()["error"]["details"]


def test_residents_get_no_token(api, two_factor_off):
    resident = ResidentFactory(username="r1")
    resident.set_password(PASSWORD)
    resident.save()
    response = issue(api, username="r1", password=PASSWORD)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "auth.not_staff"


def test_2fa_required_needs_enrolment_then_the_code(api, two_factor_on):
    clerk = ClerkFactory(username="window9")
    not_enrolled = issue(api, username="window9", password=PASSWORD)
    assert (not_enrolled.status_code, not_enrolled.json()["error"]["code"]) == (403, "auth.otp_not_enrolled")
    device = totp_device(clerk)
    missing = issue(api, username="window9", password=PASSWORD)
    assert (missing.status_code, missing.json()["error"]["code"]) == (401, "auth.otp_required")
    wrong = issue(
        api, username="window9", password=PASSWORD, otp="000000" if totp_token(device) != "000000" else "1"
    )
    assert (wrong.status_code, wrong.json()["error"]["code"]) == (401, "auth.otp_invalid")
    assert not ApiToken.objects.exists()
    with freeze_time(timezone.now() + timedelta(seconds=3)):
        ok = issue(api, username="window9", password=PASSWORD, otp=totp_token(device))
    assert ok.status_code == 201
    # the token counts as two-factor verified
    assert call(StaffOnly, token=ok.json()["token"]).status_code == 200


def test_wrong_unknown_and_malformed_tokens_are_401(two_factor_off):
    assert call(StaffOnly, token="not-a-token").status_code == 401
    request = APIRequestFactory().get("/x", HTTP_AUTHORIZATION="Bearer a b")
    assert StaffOnly.as_view()(request).status_code == 401
    anonymous = call(StaffOnly)
    assert anonymous.status_code == 401
    assert anonymous["WWW-Authenticate"] == "Bearer"


def test_expired_and_revoked_tokens_are_401(api, two_factor_off):
    ClerkFactory(username="window9")
    start = timezone.now()
    with freeze_time(start):
        token = issue(api, username="window9", password=PASSWORD).json()["token"]
    with freeze_time(start + timedelta(hours=11, minutes=59)):
        assert call(StaffOnly, token=token).status_code == 200
    with freeze_time(start + timedelta(hours=12, seconds=1)):
        expired = call(StaffOnly, token=token)
    assert expired.status_code == 401
    assert expired.data["error"]["code"] == "authentication_failed"
    token2 = issue(api, username="window9", password=PASSWORD).json()["token"]
    revoke = api.delete(URL, HTTP_AUTHORIZATION=f"Bearer {token2}")
    assert revoke.status_code == 204
    assert call(StaffOnly, token=token2).status_code == 401
    assert AuditEntry.objects.filter(action="accounts.api_token.revoke").count() == 1


def test_token_dies_with_the_account(api, two_factor_off):
    clerk = ClerkFactory(username="window9")
    token = issue(api, username="window9", password=PASSWORD).json()["token"]
    clerk.is_active = False
    clerk.save()
    assert call(StaffOnly, token=token).status_code == 401


def test_session_staff_need_otp_verification_under_2fa(two_factor_on):
    clerk = ClerkFactory()
    refused = call(StaffOnly, user=clerk, verified=False)
    assert refused.status_code == 403
    assert refused.data["error"]["code"] == "auth.two_factor_required"
    assert call(StaffOnly, user=clerk, verified=True).status_code == 200


def test_role_permission_classes(two_factor_off):
    clerk, manager, resident, enterprise = (
        ClerkFactory(),
        ManagerFactory(),
        ResidentFactory(),
        EnterpriseFactory(),
    )
    assert call(StaffOnly, user=resident).status_code == 403
    assert call(ManagersOnly, user=clerk).status_code == 403
    assert call(ManagersOnly, user=manager).status_code == 200
    assert call(ResidentsOnly, user=resident).status_code == 200
    assert call(ResidentsOnly, user=clerk).status_code == 403
    assert call(ResidentsOnly, user=enterprise).status_code == 403
    assert call(EndUsersOnly, user=enterprise).status_code == 200
    assert HasRole.of(Role.MANAGER, Role.ADMIN).roles == frozenset({"manager", "admin"})

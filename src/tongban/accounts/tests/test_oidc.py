"""OIDC residents: claims are matched through the blind indexes; the provider edge is stubbed."""

import pytest
from django.core.exceptions import SuspiciousOperation
from django.urls import reverse

from tongban.accounts.models import Role, User
from tongban.accounts.oidc import ResidentOIDCBackend
from tongban.accounts.tests.factories import ClerkFactory, ResidentFactory
from tongban.core.crypto import blind_index

pytestmark = pytest.mark.django_db
ID_1951 = "310110195103070014"


@pytest.fixture
def backend(settings):
    settings.OIDC_RP_CLIENT_ID = "tongban"
    settings.OIDC_RP_CLIENT_SECRET = "secret"
    settings.OIDC_OP_TOKEN_ENDPOINT = "https://idp.invalid/token"
    settings.OIDC_OP_USER_ENDPOINT = "https://idp.invalid/userinfo"
    settings.OIDC_OP_JWKS_ENDPOINT = "https://idp.invalid/jwks"
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = "https://idp.invalid/auth"
    return ResidentOIDCBackend()


def sign_in(backend, claims):
    backend.get_userinfo = lambda access_token, id_token, payload: claims  # the identity provider's edge
    return backend.get_or_create_user("access", "id", {})


def test_existing_resident_found_by_id_number(backend):
    resident = ResidentFactory(phone="13800000001", id_number=ID_1951)
    assert sign_in(backend, {"id_number": ID_1951.lower(), "phone_number": "13900000000"}).pk == resident.pk
    resident.refresh_from_db()
    assert resident.phone == "13800000001"  # an existing phone is not overwritten


def test_existing_resident_found_by_phone_gets_the_id_number(backend):
    resident = ResidentFactory(phone="13800000001", id_number="")
    assert sign_in(backend, {"phone_number": "+8613800000001", "id_number": ID_1951}).pk == resident.pk
    resident.refresh_from_db()
    assert resident.id_number_hash == blind_index(ID_1951)


def test_new_resident_is_created(backend):
    user = sign_in(backend, {"phone_number": "13800000005", "name": "赵丽"})
    assert (user.role, user.display_name, user.phone) == (Role.RESIDENT, "赵丽", "13800000005")


def test_claims_without_identifiers_are_refused(backend):
    with pytest.raises(SuspiciousOperation):
        sign_in(backend, {"email": "a@b.c"})
    with pytest.raises(SuspiciousOperation):
        sign_in(backend, {"id_number": ID_1951})  # cannot open an account without a phone
    assert not User.objects.filter(role=Role.RESIDENT).exists()


def test_staff_are_never_matched(backend):
    ClerkFactory(phone="13800000001")
    user = sign_in(backend, {"phone_number": "13800000001"})
    assert user.role == Role.RESIDENT


def test_oidc_urls_are_404_while_disabled(client, settings):
    settings.OIDC_ENABLED = False
    assert client.get(reverse("accounts:oidc-authenticate")).status_code == 404
    assert client.get(reverse("accounts:oidc-callback")).status_code == 404
    assert "统一身份认证" not in client.get(reverse("accounts:resident-login")).content.decode()


def test_oidc_button_and_redirect_when_enabled(client, backend, settings):
    settings.OIDC_ENABLED = True
    assert "统一身份认证" in client.get(reverse("accounts:resident-login")).content.decode()
    response = client.get(reverse("accounts:oidc-authenticate"))
    assert response.status_code == 302
    assert response["Location"].startswith("https://idp.invalid/auth?")
    assert "redirect_uri=http%3A%2F%2Ftestserver%2Faccounts%2Foidc%2Fcallback%2F" in response["Location"]

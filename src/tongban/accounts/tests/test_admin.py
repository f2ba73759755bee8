"""The accounts admin shows personal data masked; revealing it is audited."""

import pytest

from tongban.accounts.models import ApiToken, Role, User
from tongban.accounts.tests.factories import AdminFactory, ClerkFactory, ResidentFactory, totp_device
from tongban.core.models import AuditEntry

pytestmark = pytest.mark.django_db
ID_1951 = "310110195103070014"


@pytest.fixture
def admin_client(client, two_factor_off):
    admin = AdminFactory(username="root")
    client.force_login(admin)
    client.admin = admin
    return client


def test_user_list_masks_phone_and_id(admin_client):
    ResidentFactory(display_name="张建国", phone="13800000001", id_number=ID_1951)
    html = admin_client.get("/admin/accounts/user/").content.decode()
    assert "138****0001" in html and "310110********0014" in html
    assert "13800000001" not in html and ID_1951 not in html
    assert not AuditEntry.objects.filter(action="pii.read").exists()


def test_user_list_query_count_is_flat(admin_client, django_assert_max_num_queries):
    for i in range(15):
        ClerkFactory(phone=f"1390000{i:04d}")
    admin_client.get("/admin/accounts/user/")
    with django_assert_max_num_queries(12):
        assert admin_client.get("/admin/accounts/user/").status_code == 200


def test_change_form_is_masked_and_reveal_is_audited(admin_client):
    resident = ResidentFactory(phone="13800000001", id_number=ID_1951)
    html = admin_client.get(f"/admin/accounts/user/{resident.pk}/change/").content.decode()
    assert "138****0001" in html and "13800000001" not in html and ID_1951 not in html
    revealed = admin_client.get(f"/admin/accounts/user/{resident.pk}/reveal/id_number/")
    assert revealed.status_code == 200
    assert ID_1951 in revealed.content.decode()
    entry = AuditEntry.objects.get(action="pii.read")
    assert (entry.actor_id, entry.object_id, entry.data["field"]) == (
        admin_client.admin.pk,
        str(resident.pk),
        "id_number",
    )


def test_search_by_full_phone_uses_the_blind_index(admin_client):
    resident = ResidentFactory(display_name="李梅", phone="13800000002")
    ResidentFactory(display_name="别人", phone="13800000003")
    html = admin_client.get("/admin/accounts/user/", {"q": "13800000002"}).content.decode()
    assert f"/admin/accounts/user/{resident.pk}/change/" in html
    assert "别人" not in html


def test_new_phone_goes_through_the_service(admin_client):
    resident = ResidentFactory(phone="13800000001", username="r-1", display_name="张建国")
    data = {
        "username": "r-1",
        "display_name": "张建国",
        "role": Role.RESIDENT,
        "is_active": "on",
        "new_phone": "13800000088",
        "new_id_number": "",
        "credit_code": "",
        "last_login_0": "",
        "last_login_1": "",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
    }
    response = admin_client.post(f"/admin/accounts/user/{resident.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    resident.refresh_from_db()
    assert resident.phone == "13800000088"
    assert AuditEntry.objects.get(action="accounts.user.pii_change").data == {"fields": ["phone"]}


def test_add_staff_through_the_service(admin_client):
    response = admin_client.post(
        "/admin/accounts/user/add/",
        {
            "username": "super2",
            "display_name": "督查二",
            "role": Role.SUPERVISOR,
            "password1": "a-long-enough-password",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    user = User.objects.get(username="super2")
    assert (user.role, user.is_staff) == (Role.SUPERVISOR, False)  # supervisors do not use the admin
    assert user.check_password("a-long-enough-password")
    assert AuditEntry.objects.get(action="accounts.user.create_staff").actor_id == admin_client.admin.pk


def test_reset_totp_action(admin_client):
    clerk = ClerkFactory()
    totp_device(clerk)
    admin_client.post(
        "/admin/accounts/user/", {"action": "reset_totp", "_selected_action": [clerk.pk]}, follow=True
    )
    assert not clerk.totpdevice_set.exists()
    assert AuditEntry.objects.get(action="accounts.totp.reset").data == {"devices": 1}


def test_totp_secrets_are_not_in_the_admin(admin_client):
    assert admin_client.get("/admin/otp_totp/totpdevice/").status_code == 404


def test_tokens_cannot_be_added_in_the_admin(admin_client):
    assert admin_client.get("/admin/accounts/apitoken/add/").status_code == 403
    assert not ApiToken.objects.exists()

"""Creating staff, residents and enterprises; role helpers; revealing personal data (audited)."""

import pytest

from tongban.accounts import services
from tongban.accounts.errors import EnterpriseExists, UsernameTaken
from tongban.accounts.models import Role, User
from tongban.accounts.permissions import has_role, is_staff_role, require_role, resident_required
from tongban.accounts.tests.factories import (
    AdminFactory,
    ClerkFactory,
    ManagerFactory,
    ResidentFactory,
    ReviewerFactory,
    SupervisorFactory,
)
from tongban.catalog.tests.factories import CenterFactory, WindowFactory
from tongban.core.crypto import blind_index
from tongban.core.errors import Forbidden, ValidationError
from tongban.core.models import AuditEntry

pytestmark = pytest.mark.django_db

ID_1951 = "310110195103070014"


def test_admin_creates_a_clerk_at_a_window():
    admin = AdminFactory()
    center = CenterFactory()
    window = WindowFactory(center=center, number=3)
    clerk = services.user_create_staff(
        actor=admin,
        username="window3",
        role=Role.CLERK,
        display_name="王芳",
        password="a-long-enough-password",
        center=center,
        default_window=window,
        phone="13900000003",
    )
    clerk.refresh_from_db()
    assert (clerk.role, clerk.center, clerk.default_window, clerk.is_staff) == (
        Role.CLERK,
        center,
        window,
        False,  # clerks work at the workbench, not in the Django admin
    )
    assert clerk.check_password("a-long-enough-password")
    assert clerk.phone_hash == blind_index("13900000003")
    entry = AuditEntry.objects.get(action="accounts.user.create_staff")
    assert (entry.actor_id, entry.object_id) == (admin.pk, str(clerk.pk))
    with pytest.raises(UsernameTaken):
        services.user_create_staff(
            actor=admin, username="window3", role=Role.CLERK, display_name="x", center=center
        )


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"role": Role.RESIDENT}, "accounts.not_staff_role"),
        ({"role": Role.CLERK}, "accounts.center_required"),
        ({"role": Role.REVIEWER}, "accounts.department_required"),
        ({"role": Role.ADMIN, "password": "short"}, "accounts.weak_password"),
    ],
)
def test_create_staff_rules(kwargs, code):
    with pytest.raises(ValidationError) as exc:
        services.user_create_staff(actor=None, username="x1", display_name="x", **kwargs)
    assert exc.value.code == code
    assert not User.objects.filter(username="x1").exists()


def test_window_must_belong_to_the_center():
    with pytest.raises(ValidationError) as exc:
        services.user_create_staff(
            actor=None,
            username="x1",
            role=Role.CLERK,
            display_name="x",
            center=CenterFactory(),
            default_window=WindowFactory(),
        )
    assert exc.value.code == "accounts.window_center_mismatch"


def test_only_admins_create_staff():
    with pytest.raises(Forbidden):
        services.user_create_staff(
            actor=ManagerFactory(), username="x1", role=Role.SUPERVISOR, display_name="x"
        )


def test_resident_get_or_create_is_keyed_by_the_phone_blind_index():
    first = services.resident_get_or_create_by_phone(
        phone="13800000001", display_name="张建国", id_number=ID_1951
    )
    again = services.resident_get_or_create_by_phone(phone="+86 138-0000-0001")
    assert first.pk == again.pk
    assert first.id_number_hash == blind_index(ID_1951)
    assert AuditEntry.objects.filter(action="accounts.resident.create").count() == 1
    with pytest.raises(ValidationError) as exc:
        services.resident_get_or_create_by_phone(phone="13800000002", id_number="310110195103070019")
    assert exc.value.code == "identity.id_checksum"


def test_enterprise_register_validates_and_is_unique():
    user = services.enterprise_register(
        name="上海长白科技有限公司", credit_code="91310110ma1g8x0l7w", phone="13800000010"
    )
    assert (user.role, user.credit_code, user.username) == (
        Role.ENTERPRISE,
        "91310110MA1G8X0L7W",
        "e-91310110MA1G8X0L7W",
    )
    with pytest.raises(EnterpriseExists):
        services.enterprise_register(name="别的公司", credit_code="91310110MA1G8X0L7W", phone="13800000011")
    with pytest.raises(ValidationError) as exc:
        services.enterprise_register(name="x", credit_code="91310110MA1G8X0L7A", phone="13800000011")
    assert exc.value.code == "identity.uscc_checksum"


def test_role_helpers():
    clerk, resident = ClerkFactory(), ResidentFactory()
    assert is_staff_role(clerk) and not is_staff_role(resident)
    assert has_role(clerk, Role.CLERK, Role.MANAGER) and not has_role(clerk, Role.MANAGER)
    require_role(clerk, Role.CLERK)
    with pytest.raises(Forbidden) as exc:
        require_role(resident, Role.CLERK, Role.MANAGER)
    assert exc.value.code == "forbidden"
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(Forbidden) as exc:
        require_role(AnonymousUser(), Role.CLERK)
    assert exc.value.code == "auth.login_required"
    assert not is_staff_role(AnonymousUser())


def test_resident_required_decorator(rf):
    from django.contrib.auth.models import AnonymousUser
    from django.core.exceptions import PermissionDenied
    from django.http import HttpResponse

    @resident_required
    def page(request):
        return HttpResponse("ok")

    request = rf.get("/portal/me/")
    request.user = AnonymousUser()
    assert page(request)["Location"] == "/accounts/resident/login/?next=%2Fportal%2Fme%2F"
    request.user = ResidentFactory()
    assert page(request).content == b"ok"
    request.user = ClerkFactory()
    with pytest.raises(PermissionDenied):
        page(request)


@pytest.mark.parametrize("factory", [ClerkFactory, ManagerFactory, ReviewerFactory, AdminFactory])
def test_pii_reveal_is_audited(factory):
    actor = factory()
    resident = ResidentFactory(phone="13800000001", id_number=ID_1951)
    assert services.pii_reveal(actor=actor, user=resident, field="id_number", reason="受理核验") == ID_1951
    assert services.pii_reveal(actor=actor, user=resident, field="phone") == "13800000001"
    entries = list(AuditEntry.objects.filter(action="pii.read").order_by("seq"))
    assert [(e.actor_id, e.object_id, e.data["field"]) for e in entries] == [
        (actor.pk, str(resident.pk), "id_number"),
        (actor.pk, str(resident.pk), "phone"),
    ]
    assert entries[0].data == {"field": "id_number", "reason": "受理核验", "own": False}
    assert ID_1951 not in repr([e.data for e in entries])


def test_pii_reveal_refused_for_other_roles():
    resident = ResidentFactory()
    for actor in (SupervisorFactory(), ResidentFactory()):
        with pytest.raises(Forbidden):
            services.pii_reveal(actor=actor, user=resident, field="phone")
    with pytest.raises(Forbidden):  # staff data: admins only
        services.pii_reveal(actor=ClerkFactory(), user=ManagerFactory(), field="phone")
    with pytest.raises(ValidationError):
        services.pii_reveal(actor=AdminFactory(), user=resident, field="password")
    assert not AuditEntry.objects.filter(action="pii.read").exists()
    # one's own data is always readable (and still audited)
    assert services.pii_reveal(actor=resident, user=resident, field="phone") == resident.phone
    assert AuditEntry.objects.get(action="pii.read").data["own"] is True


def test_update_pii_keeps_the_blind_index_and_audits_without_values():
    resident = ResidentFactory(phone="13800000001")
    services.user_update_pii(actor=AdminFactory(), user=resident, phone="13800000099", id_number=ID_1951)
    resident.refresh_from_db()
    assert resident.phone_hash == blind_index("13800000099")
    assert resident.id_number_hash == blind_index(ID_1951)
    entry = AuditEntry.objects.get(action="accounts.user.pii_change")
    assert entry.data == {"fields": ["phone", "id_number"]}
    ResidentFactory(phone="13800000077")
    with pytest.raises(ValidationError) as exc:
        services.user_update_pii(actor=None, user=resident, phone="13800000077")
    assert exc.value.code == "accounts.phone_taken"

import io

import pytest

from tongban.accounts import demo
from tongban.accounts.models import Role, User

pytestmark = pytest.mark.django_db


def test_demo_people_load_twice_without_duplicates(settings):
    demo.load(io.StringIO())
    demo.load(io.StringIO())
    staff = {u.username: u for u in User.objects.exclude(role__in=[Role.RESIDENT, Role.ENTERPRISE])}
    assert set(staff) == {"admin", "manager", "window1", "window2", "reviewer", "supervisor"}
    assert staff["admin"].is_superuser and staff["admin"].role == Role.ADMIN
    assert staff["window1"].default_window.number == 1
    assert staff["window2"].default_window.number == 2
    assert staff["window1"].default_window.center.code == "YP-CBXC"
    assert staff["manager"].center.code == "YP-CBXC"
    assert "医疗保障" in staff["reviewer"].department.name
    assert all(u.check_password(settings.DEMO_PASSWORD) for u in staff.values())
    assert {u for u, s in staff.items() if s.is_staff} == {"admin", "manager"}  # who may open the admin
    assert staff["manager"].has_perm("catalog.change_matter")
    assert not staff["manager"].has_perm("catalog.delete_matter")
    residents = User.objects.filter(role=Role.RESIDENT).order_by("display_name")
    assert residents.count() == 3
    zhang = User.objects.get(role=Role.RESIDENT, display_name="张建国")
    assert (zhang.phone, zhang.id_number) == ("13800000001", "310110195103070014")
    assert User.objects.get(role=Role.ENTERPRISE).credit_code == "91310110MA1G8X0L7W"


def test_demo_module_offers_no_background_services():
    # rundemo calls demo.services() when the module has that name: it must not be the services module.
    assert getattr(demo, "services", None) is None

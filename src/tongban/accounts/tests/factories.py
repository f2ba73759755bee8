"""Account factories shared by every app's tests."""

from __future__ import annotations

import factory

from tongban.accounts.models import Role, User
from tongban.core.crypto import blind_index

PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.Sequence(lambda n: f"用户{n}")
    role = Role.RESIDENT
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def pii(self, create, extracted, **kwargs):  # type: ignore[no-untyped-def]
        # keep the blind indexes in step with phone / id_number given to the factory
        self.phone_hash = blind_index(self.phone) if self.phone else ""
        self.id_number_hash = blind_index(self.id_number) if self.id_number else ""
        if create:
            self.save()


class ResidentFactory(UserFactory):
    role = Role.RESIDENT
    phone = factory.Sequence(lambda n: f"139{n:08d}")
    # A valid GB 11643 number (check digit computed), born 1951-03-07 in Yangpu.
    id_number = "310110195103070014"


class StaffFactory(UserFactory):
    role = Role.CLERK
    is_staff = True
    center = factory.SubFactory("tongban.catalog.tests.factories.CenterFactory")


class ClerkFactory(StaffFactory):
    role = Role.CLERK


class ManagerFactory(StaffFactory):
    role = Role.MANAGER


class ReviewerFactory(StaffFactory):
    role = Role.REVIEWER
    department = factory.SubFactory("tongban.catalog.tests.factories.DepartmentFactory")


class AdminFactory(StaffFactory):
    role = Role.ADMIN
    is_superuser = True


class SupervisorFactory(StaffFactory):
    role = Role.SUPERVISOR


class EnterpriseFactory(UserFactory):
    role = Role.ENTERPRISE
    phone = factory.Sequence(lambda n: f"137{n:08d}")
    credit_code = "91310110MA1G8X0L7W"
    display_name = "上海长白科技有限公司"


def totp_device(user, *, confirmed=True):  # type: ignore[no-untyped-def]
    """A TOTP authenticator for ``user`` (what scanning the QR code gives)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice.objects.create(user=user, name="test", confirmed=confirmed)


def totp_token(device, *, offset_steps=0):  # type: ignore[no-untyped-def]
    """The 6-digit code the authenticator app shows now (``offset_steps`` 30-second steps later)."""

    from django_otp.oath import totp

    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift + offset_steps):06d}"

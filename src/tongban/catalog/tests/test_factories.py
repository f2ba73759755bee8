import pytest

from tongban.accounts.tests.factories import ClerkFactory, ResidentFactory
from tongban.catalog.tests.factories import BundleFactory, MatterFactory
from tongban.core.crypto import blind_index


@pytest.mark.django_db
def test_factories_build_a_published_matter_and_people_with_encrypted_pii():
    matter = MatterFactory(guide__materials=3, guide__promised_days=7)
    assert matter.current_version.version == 1
    assert matter.current_version.promised_days == 7
    assert matter.current_version.materials.count() == 3
    bundle = BundleFactory(matters=[matter, MatterFactory()])
    assert bundle.items.count() == 2
    resident = ResidentFactory(phone="13912345678")
    assert resident.phone_hash == blind_index("13912345678")
    assert resident.masked_phone == "139****5678"
    clerk = ClerkFactory()
    assert clerk.center is not None and clerk.is_staff_role

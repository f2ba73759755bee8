"""Codes open doors to people's documents: attempt limits, brute force, nothing leaks."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from django.utils import timezone
from freezegun import freeze_time

from tongban.cabinet import codes, services
from tongban.cabinet.errors import KeypadLocked, WrongCode
from tongban.cabinet.models import CodeAttempt, DeviceCommand, Item
from tongban.cabinet.tests.conftest import deposited
from tongban.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_codes_come_from_the_csprng_with_the_configured_length():
    seen = {codes.generate_code(6) for _ in range(200)}
    assert all(len(c) == 6 and c.isdigit() for c in seen)
    assert len(seen) > 190
    assert len(codes.generate_code(8)) == 8
    with pytest.raises(ValueError):
        codes.generate_code(5)


def test_hash_is_salted_and_checks():
    a, b = codes.hash_code("123456", n=2**10), codes.hash_code("123456", n=2**10)
    assert a != b
    assert codes.check_code("123456", a) and codes.check_code("123456", b)
    assert not codes.check_code("123457", a)
    assert not codes.check_code("123456", "plain$garbage")


def test_five_failures_lock_the_keypad_for_ten_minutes(cabinet, clerk, device):
    item, code = deposited(cabinet, clerk, device)
    wrong = "000000" if code != "000000" else "111111"
    for left in (4, 3, 2, 1):
        with pytest.raises(WrongCode) as exc:
            services.code_enter(cabinet=cabinet, code=wrong, source="10.0.0.9")
        assert exc.value.details == {"attempts_left": left}
    with pytest.raises(KeypadLocked) as exc:
        services.code_enter(cabinet=cabinet, code=wrong, source="10.0.0.9")
    assert exc.value.retry_after == 600
    # locked: even the right code opens nothing, from any source at this cabinet
    with pytest.raises(KeypadLocked):
        services.code_enter(cabinet=cabinet, code=code, source="10.0.0.50")
    item.refresh_from_db()
    assert item.state == Item.State.STORED
    with freeze_time(timezone.now() + timedelta(minutes=9, seconds=50)), pytest.raises(KeypadLocked) as exc:
        services.code_enter(cabinet=cabinet, code=code, source="10.0.0.9")
    assert 1 <= exc.value.retry_after <= 10
    with freeze_time(timezone.now() + timedelta(minutes=10, seconds=1)):
        assert services.code_enter(cabinet=cabinet, code=code, source="10.0.0.9").compartment == 1
    assert CodeAttempt.objects.filter(success=False).count() == 5
    assert AuditEntry.objects.filter(action="cabinet.code.attempt", data__success=True).count() == 1


def test_one_source_is_limited_across_cabinets(cabinet, clerk, device):
    from tongban.cabinet.tests.factories import CabinetFactory

    others = [CabinetFactory(center=cabinet.center) for _ in range(5)]
    for other in others[:4]:
        with pytest.raises(WrongCode):
            services.code_enter(cabinet=other, code="123456", source="203.0.113.7")
    with pytest.raises(KeypadLocked):
        services.code_enter(cabinet=others[4], code="123456", source="203.0.113.7")
    with pytest.raises(KeypadLocked):
        services.code_enter(cabinet=cabinet, code="123456", source="203.0.113.7")
    # another source at an untouched cabinet is not affected
    with pytest.raises(WrongCode):
        services.code_enter(cabinet=cabinet, code="123456", source="203.0.113.8")


def test_brute_force_gets_nothing(cabinet, clerk, device, caplog):
    """Try 600 codes from 300 addresses: the keypad locks after five, no door ever opens."""
    items = [deposited(cabinet, clerk, device, phone=f"1391234567{i}")[0] for i in range(3)]
    real = set()
    caplog.set_level(logging.DEBUG)
    opened = locked = wrong = 0
    for n in range(600):
        guess = f"{(n * 7919) % 10**6:06d}"
        try:
            services.code_enter(cabinet=cabinet, code=guess, source=f"198.51.{n % 300 // 150}.{n % 150}")
            opened += 1
            real.add(guess)
        except KeypadLocked:
            locked += 1
        except WrongCode:
            wrong += 1
    assert opened == 0
    assert wrong <= 5 and locked >= 595
    assert not DeviceCommand.objects.filter(purpose="pickup").exists()
    assert all(Item.objects.get(pk=i.pk).state == Item.State.STORED for i in items)
    # every attempt audited, and no code (tried or real) in the logs
    assert (
        AuditEntry.objects.filter(action__in=["cabinet.code.attempt", "cabinet.code.locked"]).count() == 600
    )
    for record in caplog.records:
        assert "pickup_code" not in record.getMessage()


def test_the_code_never_reaches_logs_or_audit(cabinet, clerk, device, caplog):
    caplog.set_level(logging.DEBUG)
    item, code = deposited(cabinet, clerk, device)
    services.code_enter(cabinet=cabinet, code=code, source="10.0.0.9")
    assert code not in caplog.text
    for entry in AuditEntry.objects.all():
        assert code not in str(entry.data)
    item.refresh_from_db()
    assert code not in (item.code_hash + str(item.code_tag))

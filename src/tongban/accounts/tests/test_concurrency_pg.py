"""Races on PostgreSQL: concurrent code requests and first sign-ins never double up."""

import threading

import pytest
from django.db import connection

from tongban.accounts import services
from tongban.accounts.models import Role, SmsCode, User
from tongban.core.errors import RateLimited

only_postgresql = pytest.mark.skipif(
    "connection.vendor != 'postgresql'", reason="row locks and partial unique indexes under real concurrency"
)


def run_at_once(n, fn):
    barrier = threading.Barrier(n)
    results, errors = [], []

    def worker():
        try:
            barrier.wait()
            results.append(fn())
        except Exception as exc:  # noqa: BLE001 - collected and asserted
            errors.append(exc)
        finally:
            connection.close()  # each thread has its own connection; do not leave it open

    threads = [threading.Thread(target=worker) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, errors


@pytest.mark.postgres
@only_postgresql
@pytest.mark.django_db(transaction=True)
def test_concurrent_code_requests_send_one_code():
    assert connection.vendor == "postgresql"
    results, errors = run_at_once(6, lambda: services.sms_code_request(phone="13800000001"))
    assert len(results) == 1
    assert len(errors) == 5 and all(isinstance(e, RateLimited) for e in errors)
    assert SmsCode.objects.filter(live=True).count() == 1


@pytest.mark.postgres
@only_postgresql
@pytest.mark.django_db(transaction=True)
def test_concurrent_code_requests_from_one_address_keep_its_hourly_limit(settings):
    """The per-address limit counts the codes an address asked for in the hour. Requests for different phones
    took different phone locks, so a burst from one address all read the count before any was written and all
    passed: a script could send as many SMS as it had threads."""
    settings.SMS_PER_IP_HOUR = 2
    phones = iter(f"1380000001{i}" for i in range(6))
    lock = threading.Lock()

    def request():
        with lock:
            phone = next(phones)
        return services.sms_code_request(phone=phone, ip="203.0.113.9")

    results, errors = run_at_once(6, request)
    assert len(results) == 2
    assert len(errors) == 4 and all(isinstance(e, RateLimited) for e in errors)
    assert SmsCode.objects.filter(ip="203.0.113.9").count() == 2


@pytest.mark.postgres
@only_postgresql
@pytest.mark.django_db(transaction=True)
def test_concurrent_first_sign_ins_create_one_resident():
    results, errors = run_at_once(6, lambda: services.resident_get_or_create_by_phone(phone="13800000002"))
    assert errors == []
    assert len({u.pk for u in results}) == 1
    assert User.objects.filter(role=Role.RESIDENT).count() == 1


@pytest.mark.postgres
@only_postgresql
@pytest.mark.django_db(transaction=True)
def test_an_admin_creating_the_same_user_twice_at_once_is_told_the_name_is_taken():
    """A double submit of "add user": both requests found the name free and both saved; the unique username let
    the first through and the second failed with a database error (a 500). It must get the 409 a later request
    gets, and there must be one user, created once."""
    from tongban.accounts.errors import UsernameTaken
    from tongban.accounts.tests.factories import AdminFactory
    from tongban.catalog.tests.factories import CenterFactory
    from tongban.core.models import AuditEntry
    from tongban.core.tests.races import first_holds_second_waits

    admin, center = AdminFactory(), CenterFactory()

    def create():
        return services.user_create_staff(
            actor=admin, username="window9", role=Role.CLERK, display_name="王芳", center=center
        )

    first, second = first_holds_second_waits(create, create)
    assert isinstance(second, UsernameTaken), second
    assert list(User.objects.filter(username="window9").values_list("pk", flat=True)) == [first.pk]
    assert AuditEntry.objects.filter(action="accounts.user.create_staff").count() == 1

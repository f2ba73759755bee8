from datetime import timedelta

import pytest
from django.utils import timezone
from freezegun import freeze_time

from tongban.accounts import services
from tongban.accounts.models import ApiToken, SmsCode
from tongban.accounts.tasks import PERIODIC, sign_in_records_purge_task
from tongban.accounts.tests.factories import ClerkFactory
from tongban.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_purge_keeps_recent_records_and_drops_old_ones():
    start = timezone.now()
    clerk = ClerkFactory()
    with freeze_time(start - timedelta(days=40)):
        services.sms_code_request(phone="13800000001")
        ApiToken.objects.create(
            user=clerk, key_hash="a" * 64, expires_at=timezone.now() + timedelta(hours=12)
        )
    with freeze_time(start - timedelta(days=2)):
        services.sms_code_request(phone="13800000002")
        ApiToken.objects.create(
            user=clerk, key_hash="b" * 64, expires_at=timezone.now() + timedelta(hours=12)
        )
    ApiToken.objects.create(user=clerk, key_hash="c" * 64, expires_at=start + timedelta(hours=12))
    with freeze_time(start):
        assert sign_in_records_purge_task() == "sms_codes=1 api_tokens=1"
        assert sign_in_records_purge_task() == "sms_codes=0 api_tokens=0"  # idempotent
    assert SmsCode.objects.count() == 1
    assert sorted(ApiToken.objects.values_list("key_hash", flat=True)) == ["b" * 64, "c" * 64]
    assert AuditEntry.objects.filter(action="accounts.sign_in_records.purge").count() == 1
    assert [job.name for job in PERIODIC] == ["accounts.sign_in_records_purge"]

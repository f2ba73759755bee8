"""Accounts periodic jobs."""

from __future__ import annotations

from celery import shared_task

from tongban.accounts.services import sign_in_records_purge
from tongban.core.periodic import Periodic


@shared_task(name="accounts.sign_in_records_purge")
def sign_in_records_purge_task() -> str:
    purged = sign_in_records_purge()
    return f"sms_codes={purged.sms_codes} api_tokens={purged.api_tokens}"


PERIODIC = [Periodic("accounts.sign_in_records_purge", 3600, sign_in_records_purge_task)]

"""Accounts benchmark: what a sign-in costs on the server.

    .venv/bin/python bench/accounts/run.py [--signins 300] [--auths 3000]
    DATABASE_URL=postgres://... .venv/bin/python bench/accounts/run.py   # on PostgreSQL

A throw-away SQLite database (or the given PostgreSQL one, migrated), production password
hasher (PBKDF2). Times: a full resident SMS sign-in (request a code → read it from the outbox
→ verify → resident created on first sign-in), a Bearer-token authentication (what every
staff API call pays), a staff password check, and an audited PII reveal.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))


def timed(fn, inputs) -> tuple[float, float]:
    """(median ms, calls per second over the whole run)."""
    samples = []
    t0 = time.perf_counter()
    for args in inputs:
        s = time.perf_counter()
        fn(*args)
        samples.append((time.perf_counter() - s) * 1000)
    total = time.perf_counter() - t0
    return statistics.median(samples), len(inputs) / total


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--signins", type=int, default=300)
    parser.add_argument("--auths", type=int, default=3000)
    args = parser.parse_args()

    tmp = tempfile.mkdtemp(prefix="tb-bench-acc-")
    os.environ.update(TONGBAN_DEMO="1", TONGBAN_VAR_DIR=tmp, DJANGO_SETTINGS_MODULE="tongban.conf.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from rest_framework.test import APIRequestFactory

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    from data import phones

    from tongban.accounts import services
    from tongban.accounts.authentication import BearerTokenAuthentication
    from tongban.accounts.models import Role, User
    from tongban.core.crypto import blind_index
    from tongban.notifications.models import Message

    def sms_sign_in(phone: str) -> None:
        services.sms_code_request(phone=phone)
        body = Message.objects.filter(to_hash=blind_index(phone)).order_by("-id").first().body
        services.sms_sign_in(phone=phone, code=re.search(r"验证码是 (\d{6})", body).group(1))

    numbers = phones(args.signins)
    sign_in_ms, sign_in_rate = timed(sms_sign_in, [(p,) for p in numbers])

    password = "bench-password-long-enough"
    clerk = services.user_create_staff(
        actor=None,
        username=f"bench{os.getpid()}",
        role=Role.SUPERVISOR,
        display_name="bench",
        password=password,
    )
    issued = services.api_token_issue(username=clerk.username, password=password)
    factory = APIRequestFactory()
    request = factory.get("/api/v1/x", HTTP_AUTHORIZATION=f"Bearer {issued.token}")
    auth = BearerTokenAuthentication()
    auth_ms, auth_rate = timed(lambda: auth.authenticate(request), [()] * args.auths)

    pw_ms, pw_rate = timed(
        lambda: services.staff_password_check(username=clerk.username, password=password), [()] * 5
    )
    admin = services.user_create_staff(
        actor=None, username=f"benchadmin{os.getpid()}", role=Role.ADMIN, display_name="a", is_superuser=True
    )
    residents = list(User.objects.filter(role=Role.RESIDENT)[:300])
    reveal_ms, reveal_rate = timed(
        lambda u: services.pii_reveal(actor=admin, user=u, field="phone"), [(u,) for u in residents]
    )

    print(
        f"# {platform.node()} · {os.cpu_count()} cores · Python {platform.python_version()} · "
        f"{connection.vendor} · {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
    )
    print(f"{'operation':62} {'median ms':>10} {'per second':>11}")
    for label, ms, rate in [
        (f"resident SMS sign-in, request+verify+create ({args.signins})", sign_in_ms, sign_in_rate),
        (f"Bearer token authentication ({args.auths})", auth_ms, auth_rate),
        ("staff password check (PBKDF2, production hasher) (5)", pw_ms, pw_rate),
        (f"pii_reveal with audit entry ({len(residents)})", reveal_ms, reveal_rate),
    ]:
        print(f"{label:62} {ms:10.2f} {rate:11,.0f}")


if __name__ == "__main__":
    main()

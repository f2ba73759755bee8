"""tongban.core.sql: the written-out statements of the hot paths give what the ORM gives."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tongban.accounts.models import User
from tongban.accounts.tests.factories import ClerkFactory
from tongban.core import sql
from tongban.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def _row(model, pk):
    return list(model.objects.filter(pk=pk).values_list(*[f.attname for f in model._meta.concrete_fields]))[0]


def test_insert_writes_the_row_the_orm_writes():
    at = datetime(2026, 11, 25, 10, 30, 1, 123456, tzinfo=ZoneInfo("Asia/Shanghai"))
    values = {
        "at": at,
        "actor_id": 7,
        "actor_repr": "王小明",
        "action": "x.y.z",
        "object_type": "a.b",
        "object_id": "42",
        "data": {"名": "值", "n": [1, 2.5, None]},
        "ip": "2001:db8::1",
    }
    by_orm = AuditEntry(**values)
    by_orm.save(force_insert=True)
    written = AuditEntry(**values)
    sql.insert([written])
    assert written.pk is not None and written.pk != by_orm.pk
    assert not written._state.adding
    assert _row(AuditEntry, written.pk)[1:] == _row(AuditEntry, by_orm.pk)[1:]


def test_from_row_builds_the_instance_the_orm_loads():
    """Encrypted fields are decrypted and timestamps converted exactly as a queryset does."""
    clerk = ClerkFactory(phone="13800138000", id_number="310110199006150037")
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {sql.columns(User)} FROM accounts_user WHERE id = %s", [clerk.pk])
        user = sql.from_row(User, cursor.fetchone())
    expected = User.objects.get(pk=clerk.pk)
    names = [f.attname for f in User._meta.concrete_fields]
    assert [getattr(user, n) for n in names] == [getattr(expected, n) for n in names]
    assert user.phone == "13800138000"


def test_hot_statements_are_prepared_on_postgresql_and_queries_are_not():
    """The written-out statements are prepared once per connection; the ORM's queries never are (a
    prepared statement may get a generic plan, and a prefix search would lose its index)."""
    from django.db import connection

    from tongban.core.audit import audit_log

    if not sql.can_prepare():
        pytest.skip("prepared statements: PostgreSQL with server-side binding (DB_PREPARE, the default)")

    def prepared() -> list[str]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT statement FROM pg_prepared_statements")
            return [row[0] for row in cursor.fetchall()]

    for _ in range(3):
        audit_log(action="x.y.z", object_type="a.b", object_id="1")
        AuditEntry.objects.filter(action__startswith="x.y").count()
    statements = prepared()
    assert sum("INSERT INTO" in s and "core_auditentry" in s for s in statements) == 1
    assert not [s for s in statements if "LIKE" in s]

"""tongban.core.sql: the written-out statements of the hot paths give what the ORM gives."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.db.models import Field

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


def _hot_models():
    from django.apps import apps

    return [
        m for m in apps.get_models() if m._meta.app_label in {"accounts", "applications", "core", "queueing"}
    ]


SAMPLES = [
    "",
    "文本",
    "12",
    0,
    42,
    True,
    False,
    None,
    date(2026, 11, 26),
    datetime(2026, 11, 26, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai")),
    datetime(2026, 11, 26, 9, 30),  # naive: prepared (made aware, with a warning) — never passed as is
    2.5,
    [1],
    {"a": 1},
]


@pytest.mark.filterwarnings("ignore:DateTimeField .* received a naive datetime")
def test_insert_passes_a_value_unprepared_only_where_preparing_would_not_change_it():
    """For every field of the hot paths' models and values of every kind: where :func:`sql.insert`
    skips ``get_db_prep_save``, that method gives the very value back; elsewhere it is called."""
    from django.db import connection

    skipped = 0
    for model in _hot_models():
        _, _, cols = sql._insert_statement(model)
        for f, attname, _plain_read, _plain in cols:
            for value in SAMPLES:
                obj = model.__new__(model)
                obj.__dict__[attname] = value
                try:
                    got = sql._params(obj, [(f, attname, True, _plain)], connection)[0]
                except Exception:  # noqa: BLE001 - prepared, and refused as the ORM refuses it
                    continue
                if got is value:
                    try:
                        prepared = f.get_db_prep_save(value, connection)
                    except Exception as exc:  # noqa: BLE001 - the slow path must have refused it too
                        pytest.fail(
                            f"{model.__name__}.{f.name}: {value!r} passed, but preparing raises {exc!r}"
                        )
                    assert prepared == value and type(prepared) is type(value), (
                        model.__name__,
                        f.name,
                        value,
                    )
                    skipped += 1
    assert skipped > 300  # the shortcut is taken (strings, integers, keys, flags, timestamps on PostgreSQL)


def test_insert_reads_pre_save_fields_through_pre_save():
    """``auto_now``/``auto_now_add`` fields are filled by ``pre_save``, not read as they are."""
    for model in _hot_models():
        _, _, cols = sql._insert_statement(model)
        for f, _attname, plain_read, _plain in cols:
            assert plain_read == (type(f).pre_save is Field.pre_save)
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                assert not plain_read, (model.__name__, f.name)

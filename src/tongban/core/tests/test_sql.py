"""tongban.core.sql: the written-out statements of the hot paths give what the ORM gives."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.db.models import Field, Model

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


def test_from_row_without_some_columns_defers_them_as_the_orm_does(django_assert_num_queries):
    """``omit`` leaves fields out of the column list and the instance: converted as before for the rest (the
    converters follow the columns that are there), deferred and loaded on access for those left out."""
    clerk = ClerkFactory(phone="13800138000", id_number="310110199006150037")
    omit = ("phone", "id_number")
    listed = sql.columns(User, "u", omit=omit)
    assert '"phone"' not in listed and '"id_number"' not in listed and '"last_login"' in listed
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {listed} FROM accounts_user u WHERE u.id = %s", [clerk.pk])
        user = sql.from_row(User, cursor.fetchone(), omit=omit)
    expected = User.objects.defer(*omit).get(pk=clerk.pk)
    assert user.get_deferred_fields() == expected.get_deferred_fields() == set(omit)
    names = [f.attname for f in User._meta.concrete_fields if f.attname not in omit]
    assert [getattr(user, n) for n in names] == [getattr(expected, n) for n in names]
    with django_assert_num_queries(1):
        assert user.phone == "13800138000"
    # the full row still comes back whole after a row without those columns
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {sql.columns(User)} FROM accounts_user WHERE id = %s", [clerk.pk])
        assert sql.from_row(User, cursor.fetchone()).get_deferred_fields() == set()


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


def _entry(n: int) -> AuditEntry:
    return AuditEntry(
        at=datetime(2026, 11, 25, 10, 0, n, tzinfo=ZoneInfo("Asia/Shanghai")), action=f"t.e.{n}"
    )


def test_insert_all_writes_every_group_and_gives_each_row_its_own_key():
    """Several models in one statement (PostgreSQL), each instance given the key of its own row."""
    entries = [_entry(n) for n in range(5)]
    users = [User(username=f"insert-all-{n}", phone=f"1380013800{n}") for n in (3, 1, 2)]
    more = [_entry(9)]
    sql.insert_all([entries, [], users, more])
    for obj in [*entries, *more]:
        assert AuditEntry.objects.get(pk=obj.pk).action == obj.action
        assert not obj._state.adding
    for user in users:
        assert User.objects.get(pk=user.pk).phone == user.phone  # encrypted on the way in, as insert() does
    assert len({e.pk for e in entries}) == 5


@pytest.mark.parametrize("start", [1, 9998])  # the template case took 0001
def test_insert_numbered_pads_the_counter_as_python_does(start):
    """The number is built in SQL on PostgreSQL: it must be what ``f"{prefix}{n:04d}"`` gives, past 9999 too."""
    from django.utils import timezone

    from tongban.applications.models import Application, CaseNumberSequence
    from tongban.applications.services._core import _insert_numbered
    from tongban.applications.tests.factories import draft

    template = draft()
    today = timezone.localdate()
    CaseNumberSequence.objects.filter(center=template.center, day=today).update(last=start)
    copied = [f.attname for f in Application._meta.concrete_fields if not f.primary_key]
    numbers = []
    for _ in range(3):
        app = Application(**{name: getattr(template, name) for name in copied})
        _insert_numbered(app)
        assert app.pk is not None and not app._state.adding
        assert Application.objects.get(pk=app.pk).number == app.number
        numbers.append(app.number)
    prefix = f"{template.center.code}-{today:%Y%m%d}-"
    assert numbers == [f"{prefix}{n:04d}" for n in range(start + 1, start + 4)]


def test_insert_numbered_writes_the_rows_built_for_it_with_the_number_in_their_data():
    """The rows ``rows`` builds see the case's key and creation time; each audit entry's data gets the
    number, in the database and in memory; every row gets its own key."""
    from django.utils import timezone

    from tongban.applications.models import Application, StatusChange
    from tongban.applications.services._core import _insert_numbered
    from tongban.applications.tests.factories import draft

    template = draft()
    copied = [f.attname for f in Application._meta.concrete_fields if not f.primary_key]
    app = Application(**{name: getattr(template, name) for name in copied})
    app.created_at = None
    seen = {}

    def rows() -> list[list[Model]]:
        seen.update(pk=app.pk, created_at=app.created_at)
        changes = [StatusChange(application=app, to_status="draft", action="create", at=timezone.now())]
        entries = [
            AuditEntry(at=timezone.now(), action=f"t.case.{n}", object_id=str(app.pk), data={"n": n})
            for n in range(3)
        ]
        return [[AuditEntry(at=timezone.now(), action="t.other", data={})], changes, [], entries]

    other, changes, entries = _insert_numbered(app, rows, number_in={3: "data"})
    assert AuditEntry.objects.get(pk=other[0].pk).data == {} == other[0].data  # not named: no number
    assert seen["created_at"] is not None
    saved = Application.objects.get(number=app.number)
    assert (saved.pk, saved.created_at) == (app.pk, app.created_at) and not app._state.adding
    if connection.vendor == "postgresql":
        assert seen["pk"] == app.pk  # taken from the sequence before the statement
    assert StatusChange.objects.get(pk=changes[0].pk).application_id == app.pk
    for n, entry in enumerate(entries):
        assert entry.data == {"n": n, "number": app.number}
        stored = AuditEntry.objects.get(pk=entry.pk)
        assert (stored.data, stored.object_id) == ({"n": n, "number": app.number}, str(app.pk))


def test_insert_numbered_leaves_nothing_and_takes_no_number_when_a_row_fails():
    """One statement on PostgreSQL (one transaction elsewhere): a row that breaks a constraint undoes
    the case and the counter; the next case gets the number the failed one would have had."""
    from django.db import IntegrityError, transaction
    from django.utils import timezone

    from tongban.applications.models import Application, CaseNumberSequence, Review
    from tongban.applications.services._core import _insert_numbered
    from tongban.applications.tests.factories import draft

    template = draft()
    copied = [f.attname for f in Application._meta.concrete_fields if not f.primary_key]
    counter = CaseNumberSequence.objects.get(center=template.center, day=timezone.localdate())
    cases = Application.objects.count()
    app = Application(**{name: getattr(template, name) for name in copied})
    department = template.matter.department

    def twice_the_same_department() -> list[list[Model]]:  # review_unique_app_dept
        now = timezone.now()
        return [
            [
                Review(application=app, department=department, requested_at=now, due_date=now.date())
                for _ in "ab"
            ]
        ]

    with pytest.raises(IntegrityError), transaction.atomic():
        _insert_numbered(app, twice_the_same_department)
    if connection.vendor == "postgresql":  # the key reserved for it was not used (elsewhere: as save() does)
        assert app.pk is None and app._state.adding
    assert Application.objects.count() == cases
    assert CaseNumberSequence.objects.get(pk=counter.pk).last == counter.last
    again = Application(**{name: getattr(template, name) for name in copied})
    _insert_numbered(again)
    assert again.number.endswith(f"{counter.last + 1:04d}")


def test_a_long_hot_statement_is_parsed_once_not_on_every_request():
    """psycopg caches its placeholder rewrite of statements up to 50 parameters only; the intake's
    combined INSERT has ~110 (core/apps.py raises the bound)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("psycopg is PostgreSQL's driver")
    from psycopg import _queries

    assert _queries.MAX_CACHED_STATEMENT_PARAMS >= 500
    sql.insert_all([[_entry(n) for n in range(8)], [_entry(9)]])  # 9 × 11 parameters
    before = _queries._query2pg.cache_info()
    sql.insert_all([[_entry(n) for n in range(8)], [_entry(9)]])
    after = _queries._query2pg.cache_info()
    assert (after.hits, after.misses) == (before.hits + 1, before.misses)


def test_timestamps_load_in_c_as_django_loads_them():
    """core/apps.py gives each PostgreSQL connection psycopg's C loader of ``timestamptz`` in place of
    Django's Python one: the same aware UTC datetimes, and the same error for what Python cannot hold."""
    from django import db
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("a psycopg loader")
    import psycopg
    from django.db.backends.postgresql.psycopg_any import register_tzloader

    values = [
        "2026-01-01 00:00:00.5+08",
        "1999-12-31 23:59:59.999999+00",
        "2026-03-29 01:30:00-05:30",
        "2026-06-01 12:00:00+05:45:30",
        "0001-01-01 00:00:00+00",
        "9999-12-31 23:59:59+00",
    ]
    statement = "SELECT " + ", ".join("%s::timestamptz" for _ in values)
    with connection.cursor() as cursor:
        assert (
            cursor.cursor.adapters.get_loader(1184, psycopg.pq.Format.TEXT).__name__ == "UtcTimestamptzLoader"
        )
        cursor.execute(statement, values)
        ours = cursor.fetchone()
    djangos_cursor = connection.connection.cursor()
    register_tzloader(connection.timezone, djangos_cursor)
    djangos_cursor.execute(statement, values)
    djangos = djangos_cursor.fetchone()
    assert ours == djangos
    assert [v.tzinfo for v in ours] == [UTC] * len(values)
    assert ours[0] == datetime(2025, 12, 31, 16, 0, 0, 500000, tzinfo=UTC)
    for cursor, error in ((connection.cursor(), db.DataError), (djangos_cursor, psycopg.DataError)):
        with pytest.raises(error, match="infinity"):
            cursor.execute("SELECT 'infinity'::timestamptz")
            cursor.fetchone()

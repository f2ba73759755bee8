"""Helpers for the hand-written SQL of the hot paths (ticket machine, call next, finish; intake).

Those statements run for every ticket, call and case; building them with the ORM cost more CPU than
PostgreSQL spent executing them (and the ORM cannot say ``UPDATE … RETURNING`` or put an UPDATE and
an INSERT in one statement). The SQL is written out in the services; these helpers keep it tied to
the models' metadata: column lists come from the fields, values are prepared by the fields, and rows
are turned into instances with the same converters the ORM applies (``from_db_value``, SQLite's
text timestamps), so what the services return is what a queryset would have returned.
:func:`insert` is ``bulk_create`` for the common case (new rows of one model, database-assigned
keys) without the ORM's statement compiler.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.backends.utils import CursorDebugWrapper, CursorWrapper
from django.db.models import Field, Model, fields
from django.db.models.fields import related

M = TypeVar("M", bound=Model)
_Converter = Callable[[Any, Any, Any], Any]
_converters: dict[tuple[type[Model], str, tuple[str, ...]], list[tuple[int, list[_Converter], Any]]] = {}
_columns: dict[tuple[type[Model], str, str, tuple[str, ...]], str] = {}
_Column = tuple["Field[Any, Any]", str, bool, tuple[type, ...]]  # field, attname, plain read, plain types
_attnames: dict[tuple[type[Model], tuple[str, ...]], list[str]] = {}
_inserts: dict[tuple[type[Model], str], tuple[str, str, list[_Column]]] = {}
_reserve: dict[type[Model], str] = {}

# Fields whose preparation (``get_db_prep_save``) gives back a value of these exact types unchanged;
# exact classes only (a subclass may prepare differently: encrypted and JSON fields do). Not the
# integer fields: on PostgreSQL they are wrapped in psycopg's Int2/Int4/Int8, which fix the
# parameter's type (keys to auto fields are plain integers, below).
_PLAIN: dict[type[Field[Any, Any]], tuple[type, ...]] = {
    fields.CharField: (str,),
    fields.TextField: (str,),
    fields.BooleanField: (bool,),
}
# PostgreSQL takes dates and aware datetimes as they are (its adapt_date*field_value return them);
# SQLite turns them into text.
_PLAIN_POSTGRESQL: dict[type[Field[Any, Any]], tuple[type, ...]] = {
    fields.DateField: (date,),
    fields.DateTimeField: (datetime,),
}


def _fields(model: type[Model], omit: tuple[str, ...]) -> list[Field[Any, Any]]:
    return [f for f in model._meta.concrete_fields if f.attname not in omit]


def columns(model: type[Model], alias: str = "", *, omit: tuple[str, ...] = ()) -> str:
    """Every concrete column of ``model`` in field order (what :func:`from_row` expects), quoted; without
    the fields named in ``omit`` (attnames), which :func:`from_row` then leaves deferred."""
    key = (model, alias, connection.vendor, omit)
    found = _columns.get(key)
    if found is None:
        qn = connection.ops.quote_name
        prefix = f"{qn(alias)}." if alias else ""
        found = ", ".join(prefix + qn(str(f.column)) for f in _fields(model, omit))
        _columns[key] = found
    return found


def _converters_for(
    model: type[Model], omit: tuple[str, ...] = ()
) -> list[tuple[int, list[_Converter], Any]]:
    key = (model, connection.vendor, omit)
    found = _converters.get(key)
    if found is None:
        found = []
        for i, field in enumerate(_fields(model, omit)):
            col = field.get_col(model._meta.db_table)
            convs = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
            if convs:
                found.append((i, convs, col))
        _converters[key] = found
    return found


def from_row(model: type[M], values: Sequence[Any], *, omit: tuple[str, ...] = ()) -> M:
    """An instance of ``model`` from a row of :func:`columns` (with the same ``omit``), converted as the ORM
    converts it. The omitted fields are deferred: they load from the database when read, as after
    ``defer()``."""
    row = list(values)
    for i, convs, col in _converters_for(model, omit):
        for convert in convs:
            row[i] = convert(row[i], col, connection)
    names = _attnames.get((model, omit))
    if names is None:
        names = _attnames[(model, omit)] = [f.attname for f in _fields(model, omit)]
    return model.from_db(connection.alias, names, row)


def field(model: type[Model], name: str) -> Field[Any, Any]:
    """The concrete field ``name`` of ``model`` (a column, not a reverse relation)."""
    found = model._meta.get_field(name)
    if not isinstance(found, Field) or found.column is None:
        raise TypeError(f"{model.__name__}.{name} is not a column")
    return found


def prep(model: type[Model], name: str, value: Any) -> Any:
    """``value`` as a query parameter for the field ``name`` (encryption, JSON, SQLite timestamps…)."""
    return field(model, name).get_db_prep_save(value, connection)


def deferred(model: type[M], **values: Any) -> M:
    """An instance with only ``values`` loaded (the rest load on access, like ``only()``)."""
    names = [f.attname for f in model._meta.concrete_fields if f.attname in values]
    return model.from_db(connection.alias, names, [values[n] for n in names])


def _plain_types(f: Field[Any, Any], vendor: str) -> tuple[type, ...]:
    """The value types :func:`insert` may pass for ``f`` without preparing them: what
    ``get_db_prep_save`` returns unchanged (``test_sql`` checks every field of the hot paths'
    models against it). None too where the column is nullable."""
    target: Field[Any, Any] = f
    if type(f) in (related.ForeignKey, related.OneToOneField):
        target = f.target_field  # type: ignore[attr-defined]
        if type(target) in (fields.AutoField, fields.BigAutoField, fields.SmallAutoField):
            return (int, type(None)) if f.null else (int,)
    plain = _PLAIN.get(type(target)) or (
        _PLAIN_POSTGRESQL.get(type(target)) if vendor == "postgresql" else None
    )
    if not plain or target is not f:
        return ()
    return (*plain, type(None)) if f.null else plain


def _insert_statement(model: type[Model]) -> tuple[str, str, list[_Column]]:
    key = (model, connection.vendor)
    found = _inserts.get(key)
    if found is None:
        qn = connection.ops.quote_name
        meta = model._meta
        cols = [f for f in meta.concrete_fields if f is not meta.pk and not f.generated]
        names = ", ".join(qn(str(f.column)) for f in cols)
        head = f"INSERT INTO {qn(meta.db_table)} ({names}) VALUES "  # noqa: S608 - names from the model
        row = "(" + ", ".join(["%s"] * len(cols)) + ")"
        # pre_save is a plain read unless the field overrides it (auto_now, auto_now_add…)
        found = (
            head,
            row,
            [
                (f, f.attname, type(f).pre_save is Field.pre_save, _plain_types(f, connection.vendor))
                for f in cols
            ],
        )
        _inserts[key] = found
    return found


def _params(obj: Model, columns: list[_Column], conn: Any) -> list[Any]:
    """The INSERT parameters of ``obj``: each field's ``pre_save`` value prepared by
    ``get_db_prep_save``, except where that would hand the value back unchanged (:func:`_plain_types`)."""
    params = []
    for f, attname, plain_read, plain in columns:
        value = getattr(obj, attname) if plain_read else f.pre_save(obj, True)
        if type(value) in plain and (type(value) is not datetime or value.tzinfo is not None):
            params.append(value)
        else:
            params.append(f.get_db_prep_save(value, conn))
    return params


def insert(objs: Sequence[Model], *, skip_conflict: bool = False) -> int:
    """Insert new instances of one model (primary key unset: the database assigns it) in one
    statement and set their keys, as ``bulk_create`` does — related objects saved since assignment
    give their keys, ``auto_now``/``auto_now_add`` and the fields' own preparation (encryption,
    JSON, SQLite timestamps) apply — but with the statement written out once per model instead of
    compiled on every call. No signals (neither does ``bulk_create``).

    ``skip_conflict`` (one instance only): ``ON CONFLICT DO NOTHING`` — a row that would break a
    unique constraint is not written (no error, no savepoint needed) and the instance keeps no key.
    Returns how many rows were written."""
    if not objs:
        return 0
    if skip_conflict and len(objs) != 1:
        raise ValueError("skip_conflict takes one instance")
    statement, _, params = _rows(objs)
    pk = connection.ops.quote_name(str(type(objs[0])._meta.pk.column))  # type: ignore[union-attr]
    conflict = " ON CONFLICT DO NOTHING" if skip_conflict else ""
    with connection.cursor() as cursor:
        execute(cursor, f"{statement}{conflict} RETURNING {pk}", params)
        keys = cursor.fetchall()
    for obj, (key,) in zip(objs, keys, strict=not skip_conflict):
        _saved(obj, key)
    return len(keys)


def _rows(
    objs: Sequence[Model], templates: dict[str, str] | None = None
) -> tuple[str, list[_Column], list[Any]]:
    """The INSERT head, columns and parameters of new instances of one model (see :func:`insert`);
    ``templates`` maps an attname to an SQL expression holding that column's one ``%s``."""
    model = type(objs[0])
    head, row, cols = _insert_statement(model)
    if templates:
        row = "(" + ", ".join(templates.get(c[1], "%s") for c in cols) + ")"
    conn = connections[DEFAULT_DB_ALIAS]  # the connection itself: every look-up through the proxy costs
    params: list[Any] = []
    for obj in objs:
        if type(obj) is not model or obj.pk is not None:
            raise TypeError("insert() takes new instances of one model")
        obj._prepare_related_fields_for_save(operation_name="insert")  # type: ignore[attr-defined]
        params.extend(_params(obj, cols, conn))
    return f"{head}{', '.join([row] * len(objs))}", cols, params


def insert_parts(objs: Sequence[Model]) -> tuple[str, list[Any]]:
    """The INSERT of :func:`insert` (without ``RETURNING``) and its parameters, for a caller that writes the
    rows as part of a larger statement (``WITH u AS (UPDATE …) INSERT …``); their keys are not read back."""
    statement, _, params = _rows(objs)
    return statement, params


def _saved(obj: Model, key: Any) -> None:
    obj.pk = key
    obj._state.adding = False
    obj._state.db = connection.alias


def insert_all(groups: Sequence[Sequence[Model]]) -> None:
    """:func:`insert` for several models at once: on PostgreSQL one statement (each group's INSERT in a
    ``WITH`` of its own, the keys read back group by group in order), so a service that writes a case's
    checklist, reviews, history and audit entries pays one round trip and one statement for all of
    them. Rows may not refer to each other (they are written in no particular order); elsewhere, one
    :func:`insert` per group."""
    groups = [g for g in groups if g]
    if connection.vendor != "postgresql" or len(groups) < 2:
        for group in groups:
            insert(group)
        return
    ctes, keys, params = _group_ctes(groups)
    selects = [f"SELECT {n}, {key} FROM i{n}" for n, key in enumerate(keys)]  # noqa: S608 - names from the models
    with connection.cursor() as cursor:
        # UNION ALL reads each CTE in turn, and each in the order of its VALUES (as bulk_create relies on)
        execute(cursor, f"WITH {', '.join(ctes)} {' UNION ALL '.join(selects)}", params)
        _assign_keys(groups, cursor.fetchall())


def _group_ctes(
    groups: Sequence[Sequence[Model]], templates: Sequence[dict[str, str] | None] = ()
) -> tuple[list[str], list[str], list[Any]]:
    """Each group's ``iN AS (INSERT … RETURNING key)``, its key column, and the parameters. ``templates``
    (one per group, or none) replaces, for a group's rows, a column's ``%s`` by an expression around it."""
    ctes, keys, params = [], [], []
    for n, group in enumerate(groups):
        statement, _, values = _rows(group, templates[n] if templates else None)
        pk = connection.ops.quote_name(str(type(group[0])._meta.pk.column))  # type: ignore[union-attr]
        ctes.append(f"i{n} AS ({statement} RETURNING {pk})")
        keys.append(pk)
        params.extend(values)
    return ctes, keys, params


def _assign_keys(groups: Sequence[Sequence[Model]], keys: Sequence[tuple[int, Any]]) -> None:
    by_group: list[list[Any]] = [[] for _ in groups]
    for n, key in keys:
        by_group[n].append(key)
    for group, group_keys in zip(groups, by_group, strict=True):
        for obj, key in zip(group, group_keys, strict=True):
            _saved(obj, key)


def _reserve_key(model: type[Model]) -> Any:
    """The next value of ``model``'s key sequence (PostgreSQL): a key for a row not yet inserted."""
    statement = _reserve.get(model)
    if statement is None:
        meta = model._meta
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_get_serial_sequence(%s, %s)",
                [connection.ops.quote_name(meta.db_table), meta.pk.column],  # type: ignore[union-attr]
            )
            (sequence,) = cursor.fetchone()
        if sequence is None:
            raise TypeError(f"{model.__name__}'s key has no sequence")
        statement = f"SELECT nextval('{sequence}'::regclass)"  # the name comes from the catalog
        _reserve[model] = statement
    with connection.cursor() as cursor:
        execute(cursor, statement, [])
        (key,) = cursor.fetchone()
    return key


def insert_numbered(
    obj: Model,
    *,
    field_name: str,
    counter: str,
    counter_params: Sequence[Any],
    prefix: str,
    width: int,
    rows: Callable[[], Sequence[Sequence[Model]]] | None = None,
    number_in: dict[int, str] | None = None,
) -> list[Sequence[Model]]:
    """Insert the new instance ``obj`` with ``field_name`` set to ``prefix`` followed by the integer that
    ``counter`` returns (an ``INSERT … ON CONFLICT … RETURNING`` or ``UPDATE … RETURNING`` of one value),
    zero-padded to ``width`` digits. The counter's row stays locked until the transaction ends (gapless
    numbers), so on PostgreSQL the counter runs inside the very statement that writes: ``WITH n AS
    (counter) INSERT … SELECT … FROM n``, and the lock is held from that statement to the COMMIT only.

    ``rows`` builds the rows to write with ``obj`` (groups of new instances, as :func:`insert_all` takes;
    they may refer to ``obj``): on PostgreSQL they are built before the statement and written in it,
    with ``obj``'s key taken from its sequence beforehand, so nothing runs in Python while the counter
    is locked. They see ``obj`` with its key and its ``pre_save`` fields (``auto_now_add``…) but with
    ``field_name`` still empty; ``number_in`` maps the position of a group in what ``rows`` returns to a
    JSON field of its rows that gets the number under the key ``field_name`` (in the statement, and in
    memory after it). Elsewhere the counter runs first and the rows are built and written after ``obj``,
    number known. Returns the groups, keys set. If the statement fails, ``obj`` is left without a key."""
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            execute(cursor, counter, counter_params)
            (value,) = cursor.fetchone()
        setattr(obj, field_name, f"{prefix}{int(value):0{width}d}")
        insert([obj])
        groups, json_fields = _nonempty(rows() if rows else (), number_in)
        _set_number(groups, json_fields, field_name, getattr(obj, field_name))
        insert_all(groups)
        return groups
    model = type(obj)
    head, _, cols = _insert_statement(model)
    pk = model._meta.pk
    assert pk is not None
    qn = connection.ops.quote_name
    if rows is not None:
        obj.pk = _reserve_key(model)  # obj stays new (``_state.adding``) until the statement has run
        head = head.replace(" (", f" ({qn(str(pk.column))}, ", 1)
    setattr(obj, field_name, "")  # a placeholder for the parameter list; the statement computes it
    obj._prepare_related_fields_for_save(operation_name="insert")  # type: ignore[attr-defined]
    values = _params(obj, cols, connections[DEFAULT_DB_ALIAS])  # runs pre_save: auto_now_add is set now
    position = [c[1] for c in cols].index(field_name)
    placeholders = ["%s"] * len(cols)
    placeholders[position] = (
        f"%s || CASE WHEN n.v < {10**width} THEN lpad(n.v::text, {width}, '0') ELSE n.v::text END"
    )
    values[position] = prefix
    if rows is not None:
        placeholders.insert(0, "%s")
        values.insert(0, obj.pk)
    column = qn(str(field(model, field_name).column))
    insert_head = head.removesuffix("VALUES ")
    numbered = (
        f"{insert_head}SELECT {', '.join(placeholders)} FROM n"  # noqa: S608 - names from the model
        f" RETURNING {qn(str(pk.column))}, {column}"
    )
    if rows is None:
        with connection.cursor() as cursor:
            execute(cursor, f"WITH n (v) AS ({counter}) {numbered}", [*counter_params, *values])
            key, number = cursor.fetchone()
        setattr(obj, field_name, number)
        _saved(obj, key)
        return []
    groups, json_fields = _nonempty(rows(), number_in)
    set_number = f"jsonb_set(%s, '{{{field_name}}}', to_jsonb((SELECT {column} FROM a)))"  # noqa: S608 - a field name
    ctes, keys, params = _group_ctes(groups, [{f: set_number} if f else None for f in json_fields])
    selects = "".join(
        f" UNION ALL SELECT {n}, {key}, NULL FROM i{n}"  # noqa: S608 - names from the models
        for n, key in enumerate(keys)
    )
    statement = (
        f"WITH n (v) AS ({counter}), a AS ({numbered}){''.join(', ' + c for c in ctes)}"  # noqa: S608
        f" SELECT -1, NULL, {column} FROM a{selects}"  # (names from the models, the counter from our code)
    )
    try:
        with connection.cursor() as cursor:
            # UNION ALL reads each CTE in turn: the number first, then each group's keys in its VALUES' order
            execute(cursor, statement, [*counter_params, *values, *params])
            found = cursor.fetchall()
    except BaseException:
        obj.pk = None  # the reserved key was not used: obj is new, as it came
        raise
    number = found[0][2]
    setattr(obj, field_name, number)
    _saved(obj, obj.pk)
    _set_number(groups, json_fields, field_name, number)
    _assign_keys(groups, [(n, key) for n, key, _ in found[1:]])
    return groups


def _nonempty(
    built: Sequence[Sequence[Model]], number_in: dict[int, str] | None
) -> tuple[list[Sequence[Model]], list[str | None]]:
    """The groups that have rows, and for each the JSON field that gets the number (or None)."""
    pairs = [(group, (number_in or {}).get(n)) for n, group in enumerate(built) if group]
    return [g for g, _ in pairs], [f for _, f in pairs]


def _set_number(
    groups: Sequence[Sequence[Model]], json_fields: Sequence[str | None], key: str, number: str
) -> None:
    for group, json_field in zip(groups, json_fields, strict=True):
        if json_field:
            for row in group:
                getattr(row, json_field)[key] = number


def select_first(model: type[M], where: str, params: Sequence[Any], order_by: str = "") -> M | None:
    """``model.objects.filter(…).order_by(…).first()`` for a hand-written ``where`` clause (column
    names quoted by the caller), without compiling a queryset; None when nothing matches. Not prepared
    (:func:`execute`): with ``ORDER BY … LIMIT 1`` a generic plan may walk the ordering index instead of
    the look-up's (seen: an applicant look-up by ID-number hash went from under 1 ms to ~30 ms)."""
    table = connection.ops.quote_name(model._meta.db_table)
    order = order_by or connection.ops.quote_name(str(model._meta.pk.column))  # type: ignore[union-attr]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {columns(model)} FROM {table} WHERE {where} ORDER BY {order} LIMIT 1",  # noqa: S608
            list(params),
        )
        found = cursor.fetchone()
    return None if found is None else from_row(model, found)


def _prepared(sql: str, params: Any, many: bool, context: dict[str, Any]) -> Any:
    """What ``CursorWrapper._execute`` does, with psycopg told to prepare the statement on the server."""
    db = context["connection"]
    db.validate_no_broken_transaction()
    with db.wrap_database_errors:
        return context["cursor"].cursor.execute(sql, params, prepare=True)


def can_prepare() -> bool:
    """PostgreSQL with parameters bound on the server (``DB_PREPARE``, the default in production)."""
    return (
        connection.vendor == "postgresql"
        and connection.settings_dict["OPTIONS"].get("server_side_binding") is True
    )


def execute(cursor: CursorWrapper, statement: str, params: Sequence[Any]) -> None:
    """``cursor.execute(statement, params)``, and on PostgreSQL (:func:`can_prepare`) the statement is prepared
    on the server the first time a connection runs it, so PostgreSQL parses and plans it once per connection
    instead of once per request. Only for the hot paths' fixed statements whose plan does not depend on the
    values (a key, a short index walk): a prepared statement may be given a generic plan, which a search
    by prefix would not survive. Query logging, execute wrappers and error translation stay Django's."""
    if not can_prepare():
        cursor.execute(statement, params)
        return
    if isinstance(cursor, CursorDebugWrapper):
        with cursor.debug_sql(statement, params, use_last_executed_query=True):
            cursor._execute_with_wrappers(statement, params, many=False, executor=_prepared)
    else:
        cursor._execute_with_wrappers(statement, params, many=False, executor=_prepared)

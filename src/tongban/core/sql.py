"""Helpers for hand-written SQL on the hot paths (the queue's ticket machine, call next and finish; the
Bearer-token look-up of every staff API request).

Those statements run for every request; building them with the ORM cost more CPU than
PostgreSQL spent executing them (and the ORM cannot say ``UPDATE … RETURNING`` or put an UPDATE and
an INSERT in one statement). The SQL is written out in the services; these helpers keep it tied to
the models' metadata: column lists come from the fields, values are prepared by the fields, and rows
are turned into instances with the same converters the ORM applies (``from_db_value``, SQLite's
text timestamps), so what the services return is what a queryset would have returned.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from django.db import connection
from django.db.models import Field, Model

M = TypeVar("M", bound=Model)
_Converter = Callable[[Any, Any, Any], Any]
_converters: dict[tuple[type[Model], str], list[tuple[int, list[_Converter], Any]]] = {}
_columns: dict[tuple[type[Model], str, str], str] = {}


def columns(model: type[Model], alias: str = "") -> str:
    """Every concrete column of ``model`` in field order (what :func:`from_row` expects), quoted."""
    key = (model, alias, connection.vendor)
    found = _columns.get(key)
    if found is None:
        qn = connection.ops.quote_name
        prefix = f"{qn(alias)}." if alias else ""
        found = ", ".join(prefix + qn(str(f.column)) for f in model._meta.concrete_fields)
        _columns[key] = found
    return found


def _converters_for(model: type[Model]) -> list[tuple[int, list[_Converter], Any]]:
    key = (model, connection.vendor)
    found = _converters.get(key)
    if found is None:
        found = []
        for i, field in enumerate(model._meta.concrete_fields):
            col = field.get_col(model._meta.db_table)
            convs = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
            if convs:
                found.append((i, convs, col))
        _converters[key] = found
    return found


def from_row(model: type[M], values: Sequence[Any]) -> M:
    """An instance of ``model`` from a row of :func:`columns`, converted as the ORM converts it."""
    row = list(values)
    for i, convs, col in _converters_for(model):
        for convert in convs:
            row[i] = convert(row[i], col, connection)
    names = [f.attname for f in model._meta.concrete_fields]
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


_inserts: dict[tuple[type[Model], str], tuple[str, list[Field[Any, Any]], bool]] = {}


def _insert_statement(model: type[Model]) -> tuple[str, list[Field[Any, Any]], bool]:
    key = (model, connection.vendor)
    found = _inserts.get(key)
    if found is None:
        qn = connection.ops.quote_name
        pk = model._meta.pk
        auto_pk = pk is not None and pk.db_returning
        fields = [f for f in model._meta.concrete_fields if not (auto_pk and f is pk)]
        table, columns = qn(model._meta.db_table), ", ".join(qn(str(f.column)) for f in fields)
        # names from the model's metadata; every value is a parameter
        statement = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})"  # noqa: S608
        returning = auto_pk and connection.features.can_return_columns_from_insert
        if returning:
            statement += f" RETURNING {qn(str(pk.column))}"
        found = (statement, fields, auto_pk)
        _inserts[key] = found
    return found


def insert(obj: Model) -> None:
    """``obj.save(force_insert=True)`` for a plain row, as one statement built once per model: values are
    prepared by each field (``pre_save`` then ``get_db_prep_save``, as the ORM's insert does), an auto
    primary key comes back with ``RETURNING``. No signals are sent (the models this is used for have
    no receivers; see the callers)."""
    model = type(obj)
    statement, fields, auto_pk = _insert_statement(model)
    params = [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        if auto_pk:
            pk = model._meta.pk
            assert pk is not None
            value = (
                cursor.fetchone()[0]
                if connection.features.can_return_columns_from_insert
                else connection.ops.last_insert_id(cursor, model._meta.db_table, str(pk.column))
            )
            setattr(obj, pk.attname, value)
    obj._state.adding = False
    obj._state.db = connection.alias

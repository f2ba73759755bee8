"""The staff case list's statements, written out: the hot path of ``GET /api/v1/applications``.

Building the list's queryset, ``values()`` and compiling it cost the API process several times what
running the SQL does (bench/applications/cpu.py). The statements here are those the ORM builds for
:func:`tongban.applications.selectors.applications_page` — the same scope, filters, joins, order and
page, the same lookups (``connection.operators`` and ``lookup_cast``, so the same ``LIKE`` spelling and
escaping on each database) — with no compiler in between. The SELECT list comes from
:data:`~tongban.applications.selectors.LIST_COLUMNS` and the models' metadata, and values go through the
converters the ORM applies (SQLite's text timestamps), so the rows equal ``values(*LIST_COLUMNS)``.
Tests compare the rows with the queryset's for every role and filter, on SQLite and PostgreSQL.

The statements are run with the cursor's plain ``execute``: never prepared on purpose, because a
generic plan cannot use the prefix indexes the searches need.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from django.db import connection
from django.db.models import ForeignKey

from tongban.accounts.models import Role, User
from tongban.core import sql

_Converter = Callable[[Any, Any, Any], Any]
# per database vendor: (SELECT … FROM … JOIN …, converters by column index)
_selects: dict[str, tuple[str, list[tuple[int, list[_Converter], Any]]]] = {}


def _select() -> tuple[str, list[tuple[int, list[_Converter], Any]]]:
    """``SELECT <LIST_COLUMNS> FROM <cases> a JOIN <matter> … JOIN <center> … JOIN <department> …``
    and the converters of its columns, built once per database vendor from the models' metadata."""
    found = _selects.get(connection.vendor)
    if found is not None:
        return found
    from tongban.applications.models import Application
    from tongban.applications.selectors import LIST_COLUMNS

    qn = connection.ops.quote_name
    meta = Application._meta
    joins: dict[str, str] = {}
    columns: list[str] = []
    converters: list[tuple[int, list[_Converter], Any]] = []
    for i, name in enumerate(LIST_COLUMNS):
        relation, _, attr = name.rpartition("__")
        model, alias = Application, "a"
        if relation:
            fk = meta.get_field(relation)
            assert isinstance(fk, ForeignKey) and not fk.null  # an INNER JOIN, as the ORM's
            model, alias = fk.related_model, relation  # type: ignore[assignment]
            if relation not in joins:
                target = model._meta
                joins[relation] = (
                    f" JOIN {qn(target.db_table)} {qn(alias)}"
                    f" ON {qn(alias)}.{qn(str(target.pk.column))} = a.{qn(fk.column)}"  # type: ignore[union-attr]
                )
        field = sql.field(model, attr)
        col = field.get_col(alias)
        convs = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
        if convs:
            converters.append((i, convs, col))
        columns.append(f"{qn(alias)}.{qn(str(field.column))}")
    select = f"SELECT {', '.join(columns)} FROM {qn(meta.db_table)} a{''.join(joins.values())}"  # noqa: S608
    found = (select, converters)
    _selects[connection.vendor] = found
    return found


def _like(column: str, lookup: str) -> str:
    """``column LIKE %s`` as the ORM spells ``lookup`` (startswith, contains) on this database."""
    return f"{connection.ops.lookup_cast(lookup, 'CharField') % column} {connection.operators[lookup] % '%s'}"  # type: ignore[attr-defined]


def _scope(user: User) -> tuple[str, list[Any]] | None:
    """The WHERE clause of :func:`~tongban.applications.selectors.applications_visible_to` (None: no
    case at all). The two must change together; ``test_listing`` compares them for every role."""
    if not user.is_authenticated or not user.is_active:
        return None
    role = user.role
    if role in (Role.ADMIN, Role.SUPERVISOR):
        return "", []
    if role in (Role.MANAGER, Role.CLERK):
        return ("a.center_id = %s", [user.center_id]) if user.center_id else None
    if role == Role.REVIEWER:
        if not user.department_id:
            return None
        from tongban.applications.models import Review

        routed = (
            f"EXISTS(SELECT 1 FROM {Review._meta.db_table} r"  # noqa: S608 - our table
            " WHERE r.application_id = a.id AND r.department_id = %s)"
        )
        return f"(a.department_id = %s OR {routed})", [user.department_id, user.department_id]
    return "a.applicant_id = %s", [user.pk]


def _matter_ids(q: str) -> list[int]:
    """``Matter.objects.filter(name__contains=q).values_list("id")[:50]`` (ordered by code, the
    matters' default order), written out."""
    from tongban.catalog.models import Matter

    statement = (
        f"SELECT id FROM {Matter._meta.db_table} WHERE {_like('name', 'contains')}"  # noqa: S608
        " ORDER BY code LIMIT 50"
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, [f"%{connection.ops.prep_for_like_query(q)}%"])
        return [row[0] for row in cursor.fetchall()]


def page_rows(
    *,
    user: User,
    status: str | None,
    q: str | None,
    colour: str | None,
    today: date | None,
    limit: int,
    offset: int,
) -> list[dict[str, Any]]:
    """:func:`~tongban.applications.selectors.applications_page_rows`, written out: one statement (two
    for a search by name: the matching matters first, as the ORM's ``_search``)."""
    from tongban.applications.models import Application, DeadlineColour, Review
    from tongban.applications.selectors import CLOCK_RUNNING, LIST_COLUMNS

    scope = _scope(user)
    if scope is None:
        return []
    where, params = scope
    clauses = [where] if where else []
    limit, offset = int(limit), int(offset)
    if user.role == Role.REVIEWER and not (status or q or colour):
        # applications_page's merge of two ordered index scans (own matters; routed reviews)
        n = offset + limit
        clauses = [
            f"a.id IN (SELECT id FROM (SELECT id FROM {Application._meta.db_table} WHERE department_id = %s"  # noqa: S608
            " ORDER BY created_at DESC, id DESC LIMIT %s) own"
            f" UNION ALL SELECT application_id FROM (SELECT application_id FROM {Review._meta.db_table}"
            " WHERE department_id = %s AND case_created_at IS NOT NULL"
            " ORDER BY case_created_at DESC, application_id DESC LIMIT %s) routed)"
        ]
        params = [user.department_id, n, user.department_id, n]
    if status:
        clauses.append("a.status = %s")
        params.append(status)
    if q:
        q = q.strip()
        if q.isascii():
            clauses.append(_like("a.number", "startswith"))
            params.append(f"{connection.ops.prep_for_like_query(q.upper())}%")
        else:
            name = _like("a.applicant_name", "startswith")
            params.append(f"{connection.ops.prep_for_like_query(q)}%")
            matter_ids = _matter_ids(q)
            if matter_ids:
                name = f"({name} OR a.matter_id IN ({', '.join(['%s'] * len(matter_ids))}))"
                params.extend(matter_ids)
            clauses.append(name)
    if colour:
        from django.utils import timezone

        day = connection.ops.adapt_datefield_value(today or timezone.localdate())
        clauses.append(f"a.status IN ({', '.join(['%s'] * len(CLOCK_RUNNING))})")
        params.extend(s.value for s in CLOCK_RUNNING)
        if colour == DeadlineColour.RED:
            clauses.append("a.due_date < %s")
            params.append(day)
        elif colour == DeadlineColour.YELLOW:
            clauses.append("a.due_date >= %s AND a.warning_level = %s")
            params.extend([day, DeadlineColour.YELLOW.value])
    select, converters = _select()
    statement = select
    if clauses:
        statement += " WHERE " + " AND ".join(clauses)
    statement += f" ORDER BY a.created_at DESC, a.id DESC LIMIT {limit} OFFSET {offset}"
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        found = cursor.fetchall()
    return [_row(values, converters, LIST_COLUMNS) for values in found]


def _row(
    values: Sequence[Any], converters: list[tuple[int, list[_Converter], Any]], names: Sequence[str]
) -> dict[str, Any]:
    if converters:
        values = list(values)
        for i, convs, col in converters:
            for convert in convs:
                values[i] = convert(values[i], col, connection)
    return dict(zip(names, values, strict=True))

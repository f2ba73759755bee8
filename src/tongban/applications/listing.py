"""The staff case list's statements, written out: the hot path of ``GET /api/v1/applications``.

Building the list's queryset, ``values()`` and compiling it cost the API process several times what
running the SQL does (bench/applications/cpu.py). The statements here select the rows
:func:`tongban.applications.selectors.applications_page` selects — the same scope, filters, order and
page, the same lookups (``connection.operators`` and ``lookup_cast``, so the same ``LIKE`` spelling and
escaping on each database) — with no compiler in between. The columns come from
:data:`~tongban.applications.selectors.LIST_COLUMNS` and the models' metadata, and values go through the
converters the ORM applies (SQLite's text timestamps), so the rows equal ``values(*LIST_COLUMNS)``.
The matter's code and name and the center's and department's codes are not joined in: they come from
the per-process ``catalog_labels`` (three joins were most of PostgreSQL's planning and work on a page),
re-read when a page holds a case whose matter, center or department is newer than the snapshot.
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
from tongban.catalog.cache import catalog_labels, matters_named
from tongban.core import sql

_Converter = Callable[[Any, Any, Any], Any]


class _Select:
    """``SELECT … FROM <cases> a`` for :data:`~tongban.applications.selectors.LIST_COLUMNS`, built once
    per database vendor from the models' metadata: the case's own columns, and for ``matter__code``
    and the like the foreign key (``a.matter_id``), answered from ``catalog_labels`` rather than a
    join. ``converters`` are the ORM's for each own column (SQLite's text timestamps)."""

    def __init__(self) -> None:
        from tongban.applications.models import Application
        from tongban.applications.selectors import LIST_COLUMNS

        qn = connection.ops.quote_name
        columns: list[str] = []
        self.own: list[tuple[str, int]] = []  # (name, index in the row)
        self.related: list[tuple[str, str, str, int]] = []  # (name, relation, attribute, index of its key)
        self.converters: list[tuple[int, list[_Converter], Any]] = []
        keys: dict[str, int] = {}
        for name in LIST_COLUMNS:
            relation, _, attr = name.rpartition("__")
            if relation:
                fk = Application._meta.get_field(relation)
                assert isinstance(fk, ForeignKey) and not fk.null  # every case has one
                if relation not in keys:
                    keys[relation] = len(columns)
                    columns.append(f"a.{qn(fk.column)}")
                self.related.append((name, relation, attr, keys[relation]))
                continue
            field = sql.field(Application, attr)
            col = field.get_col("a")
            convs = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
            if convs:
                self.converters.append((len(columns), convs, col))
            self.own.append((name, len(columns)))
            columns.append(f"a.{qn(str(field.column))}")
        self.statement = f"SELECT {', '.join(columns)} FROM {qn(Application._meta.db_table)} a"  # noqa: S608

    def rows(self, found: Sequence[Sequence[Any]]) -> list[dict[str, Any]]:
        """The page's rows as ``values(*LIST_COLUMNS)`` gives them."""
        labels = catalog_labels()
        if any(row[key] not in labels[relation] for row in found for _, relation, _, key in self.related):
            labels = catalog_labels(refresh=True)  # a matter, center or department newer than the snapshot
        result = []
        for values in found:
            if self.converters:
                values = list(values)
                for i, convs, col in self.converters:
                    for convert in convs:
                        values[i] = convert(values[i], col, connection)
            row = {name: values[i] for name, i in self.own}
            for name, relation, attr, key in self.related:
                row[name] = labels[relation][values[key]][attr]
            result.append(row)
        return result


_selects: dict[str, _Select] = {}


def _select() -> _Select:
    found = _selects.get(connection.vendor)
    if found is None:
        found = _selects[connection.vendor] = _Select()
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
    """:func:`~tongban.applications.selectors.applications_page_rows`, written out: one statement (a
    search by name takes the matching matters from memory, where the ORM's ``_search`` asks the
    database first)."""
    from tongban.applications.models import Application, DeadlineColour, Review
    from tongban.applications.selectors import CLOCK_RUNNING

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
            matter_ids = matters_named(q)  # the ORM's look-up, from memory
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
    select = _select()
    statement = select.statement
    if clauses:
        statement += " WHERE " + " AND ".join(clauses)
    statement += f" ORDER BY a.created_at DESC, a.id DESC LIMIT {int(limit):d} OFFSET {int(offset):d}"
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return select.rows(cursor.fetchall())

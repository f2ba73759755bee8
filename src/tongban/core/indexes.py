"""Migration helpers for indexes that Django makes and no query needs.

On PostgreSQL a ``CharField`` with ``db_index=True`` (or ``unique=True``) gets two indexes: a plain
b-tree and a ``varchar_pattern_ops`` twin (``…_like``) for ``LIKE 'prefix%'``. Columns that are only
ever compared whole (blind-index hashes, audit fields) pay for the twin on every INSERT and never use
it. :func:`drop_like_twin` drops it and leaves the field as it is: should a later migration take the
field's index away, Django drops the twin with ``IF EXISTS``, so its absence is harmless.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations


def drop_like_twin(app_label: str, model_name: str, column: str) -> migrations.RunPython:
    """Drop the ``…_like`` twin of a CharField's index (PostgreSQL; other databases have none)."""

    def forward(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        table = apps.get_model(app_label, model_name)._meta.db_table
        like = schema_editor._create_index_name(table, [column], suffix="_like")
        schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(like)}")

    def backward(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        table = apps.get_model(app_label, model_name)._meta.db_table
        qn = schema_editor.quote_name
        like = schema_editor._create_index_name(table, [column], suffix="_like")
        schema_editor.execute(f"CREATE INDEX {qn(like)} ON {qn(table)} ({qn(column)} varchar_pattern_ops)")

    return migrations.RunPython(forward, backward)


def drop_key_index(
    app_label: str, model_name: str, field_name: str, field: Any
) -> migrations.SeparateDatabaseAndState:
    """Take a foreign key's own index away: ``field`` is its new definition (``db_index=False``), which goes
    into the migration state as ``AlterField`` would put it, without ``AlterField``'s database side: on
    PostgreSQL, Django's ``AlterField`` drops every non-constraint index on the column, partial unique
    indexes of ``UniqueConstraint(condition=…)`` included (seen with ``WindowSession.window``: the
    one-open-session rule went with it; SQLite rebuilds the table and keeps them). This drops the key's
    own index by its name and nothing else."""

    def index(apps: Any, schema_editor: Any) -> tuple[str, str, str]:
        model = apps.get_model(app_label, model_name)
        column = model._meta.get_field(field_name).column
        table = model._meta.db_table
        return schema_editor._create_index_name(table, [column], suffix=""), table, column

    def forward(apps: Any, schema_editor: Any) -> None:
        name, _, _ = index(apps, schema_editor)
        schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(name)}")

    def backward(apps: Any, schema_editor: Any) -> None:
        qn = schema_editor.quote_name
        name, table, column = index(apps, schema_editor)
        schema_editor.execute(f"CREATE INDEX {qn(name)} ON {qn(table)} ({qn(column)})")

    return migrations.SeparateDatabaseAndState(
        database_operations=[migrations.RunPython(forward, backward)],
        state_operations=[migrations.AlterField(model_name=model_name, name=field_name, field=field)],
    )

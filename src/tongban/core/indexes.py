"""Migration helper for the index twins that Django's ``db_index=True`` makes and no query needs.

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

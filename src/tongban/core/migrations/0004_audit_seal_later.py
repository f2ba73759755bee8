"""Audit entries are written pending and sealed later: insertion id, chain position, nullable hashes.

- ``seq`` becomes a database-assigned insertion id (BigAutoField; gaps from rolled-back
  transactions are normal). It is no longer the chain order.
- ``chain_seq`` (new, unique, NULL until sealed) is the gapless position in the hash chain.
  Existing entries were chained by ``seq``, so they get ``chain_seq = seq`` and their hashes
  stay valid (the hashed payload's ``"seq"`` is the chain position).
- ``prev_hash`` and ``hash`` are NULL until the sealer sets them.
- ``core_audit_pending``: a partial index of the unsealed entries by ``seq``, so the sealer and
  the stalled-sealing check never scan the sealed history.
- PostgreSQL: the identity sequence starts after the highest existing ``seq``, and the
  append-only trigger function now lets exactly one UPDATE through — the sealing step (a
  pending row gets chain_seq, prev_hash and hash; every other column unchanged). Any other
  UPDATE and every DELETE is refused as before.

Backwards: refused while pending entries exist (seal them first: ``manage.py audit_verify``);
otherwise ``seq`` is renumbered to the chain position, which is what the old code expects.
"""

from django.db import migrations, models

TABLE = "core_auditentry"
TRIGGER = "core_auditentry_append_only"

PG_SEALING_ONLY = r"""
CREATE OR REPLACE FUNCTION tongban_audit_append_only() RETURNS trigger AS $$
BEGIN
    -- The one UPDATE allowed is sealing: a pending row (no position, no link, no hash) gets all
    -- three, and every other column stays exactly as it was inserted.
    IF TG_OP = 'UPDATE' THEN
        IF OLD.chain_seq IS NULL AND OLD.prev_hash IS NULL AND OLD.hash IS NULL
            AND NEW.chain_seq IS NOT NULL AND NEW.prev_hash IS NOT NULL AND NEW.hash IS NOT NULL
            AND (to_jsonb(OLD) - 'chain_seq' - 'prev_hash' - 'hash')
                = (to_jsonb(NEW) - 'chain_seq' - 'prev_hash' - 'hash')
        THEN
            RETURN NEW;
        END IF;
    END IF;
    RAISE EXCEPTION 'core_auditentry is append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql
"""

# The function as migration 0003 created it: every UPDATE and DELETE refused.
PG_REFUSE_ALL = """
CREATE OR REPLACE FUNCTION tongban_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'core_auditentry is append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql
"""


def _is_pg(schema_editor):
    return schema_editor.connection.vendor == "postgresql"


def _run_as_owner(schema_editor, statements):
    """Rewrite rows the trigger protects: only the table owner (who runs migrations) can do this."""
    pg = _is_pg(schema_editor)
    with schema_editor.connection.cursor() as cursor:
        if pg:
            cursor.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER {TRIGGER}")
        for sql in statements:
            cursor.execute(sql)
        if pg:
            cursor.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER {TRIGGER}")


def position_existing_entries(apps, schema_editor):
    _run_as_owner(schema_editor, [f"UPDATE {TABLE} SET chain_seq = seq"])


def renumber_by_position(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {TABLE} WHERE chain_seq IS NULL")
        (pending,) = cursor.fetchone()
    if pending:
        raise RuntimeError(
            f"{pending} audit entries are not sealed yet; run `manage.py audit_verify` (it seals) "
            "before migrating core back past 0004"
        )
    # Two steps (through negative numbers) so no intermediate row collides on the primary key.
    _run_as_owner(
        schema_editor,
        [f"UPDATE {TABLE} SET seq = -chain_seq", f"UPDATE {TABLE} SET seq = -seq"],
    )


def start_ids_after_existing(apps, schema_editor):
    """Django adds the identity without moving its sequence: the first insert would reuse seq 1."""
    if _is_pg(schema_editor):
        schema_editor.execute(
            f"SELECT setval(pg_get_serial_sequence('{TABLE}', 'seq'), "
            f"COALESCE((SELECT MAX(seq) FROM {TABLE}), 0) + 1, false)",
            params=None,
        )
    # SQLite: the table is rebuilt with AUTOINCREMENT by copying the rows, which already moves
    # sqlite_sequence past the highest id.


def allow_sealing_update(apps, schema_editor):
    if _is_pg(schema_editor):
        schema_editor.execute(PG_SEALING_ONLY, params=None)


def refuse_every_update(apps, schema_editor):
    if _is_pg(schema_editor):
        schema_editor.execute(PG_REFUSE_ALL, params=None)


class Migration(migrations.Migration):
    dependencies = [("core", "0003_audit_head_row_and_append_only")]

    operations = [
        migrations.AddField(
            model_name="auditentry",
            name="chain_seq",
            field=models.BigIntegerField(
                blank=True, editable=False, null=True, unique=True, verbose_name="链序号"
            ),
        ),
        migrations.AlterField(
            model_name="auditentry",
            name="hash",
            field=models.CharField(blank=True, max_length=64, null=True, unique=True),
        ),
        migrations.AlterField(
            model_name="auditentry",
            name="prev_hash",
            field=models.CharField(blank=True, max_length=64, null=True),
        ),
        migrations.AlterField(
            model_name="auditentry",
            name="seq",
            field=models.BigAutoField(primary_key=True, serialize=False, verbose_name="序号"),
        ),
        migrations.RunPython(position_existing_entries, renumber_by_position),
        # after the existing rows got their position: the index starts empty
        migrations.AddIndex(
            model_name="auditentry",
            index=models.Index(
                condition=models.Q(("chain_seq__isnull", True)), fields=["seq"], name="core_audit_pending"
            ),
        ),
        migrations.RunPython(start_ids_after_existing, migrations.RunPython.noop),
        migrations.RunPython(allow_sealing_update, refuse_every_update),
    ]

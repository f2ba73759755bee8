"""Create the audit chain's tip row, and on PostgreSQL make the audit table append-only.

The trigger refuses UPDATE and DELETE on core_auditentry for every role; a
database owner must deliberately disable it (ALTER TABLE … DISABLE TRIGGER)
to purge or tamper, which is itself visible in PostgreSQL's logs.
"""

from django.db import migrations

PG_CREATE = [
    """
CREATE OR REPLACE FUNCTION tongban_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'core_auditentry is append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql
""",
    "DROP TRIGGER IF EXISTS core_auditentry_append_only ON core_auditentry",
    """
CREATE TRIGGER core_auditentry_append_only
    BEFORE UPDATE OR DELETE ON core_auditentry
    FOR EACH ROW EXECUTE FUNCTION tongban_audit_append_only()
""",
]

PG_DROP = [
    "DROP TRIGGER IF EXISTS core_auditentry_append_only ON core_auditentry",
    "DROP FUNCTION IF EXISTS tongban_audit_append_only()",
]


def forwards(apps, schema_editor):
    AuditHead = apps.get_model("core", "AuditHead")
    AuditHead.objects.using(schema_editor.connection.alias).get_or_create(id=1)
    if schema_editor.connection.vendor == "postgresql":
        for sql in PG_CREATE:
            schema_editor.execute(sql, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in PG_DROP:
            schema_editor.execute(sql, params=None)


class Migration(migrations.Migration):
    dependencies = [("core", "0002_calendar_day_source_year")]

    operations = [migrations.RunPython(forwards, backwards)]

"""Fewer indexes on the audit log, which every state change and sensitive read writes to.

- ``object_id``: its own index (and its ``LIKE`` twin) duplicated the (object_type, object_id) index,
  which every look-up of an object's entries uses.
- ``action`` and ``hash``: the ``LIKE`` twins of their indexes (PostgreSQL); both are compared whole.
"""

from django.db import migrations, models

from tongban.core.indexes import drop_like_twin


class Migration(migrations.Migration):
    dependencies = [("core", "0004_audit_seal_later")]

    operations = [
        migrations.AlterField(
            model_name="auditentry",
            name="object_id",
            field=models.CharField(blank=True, max_length=80, verbose_name="对象ID"),
        ),
        drop_like_twin("core", "auditentry", "action"),
        drop_like_twin("core", "auditentry", "hash"),
    ]

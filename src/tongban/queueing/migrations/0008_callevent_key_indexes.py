"""Every call, recall, start, no-show, transfer and finish writes a call event. Its keys' own indexes go, as the
ticket's did (docs/architecture.md, "The line's indexes"): the center's is covered by ``callevent_center_kind_at``
(center, kind, at), which leads with the same column; the window's and the actor's are only read when an admin
deletes a window or a user. The ticket's stays (a ticket's history)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from tongban.core.indexes import drop_key_index


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0001_initial"),
        ("queueing", "0007_ticket_window_index_called_only"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # by name, with the fields' new state (core.indexes.drop_key_index)
        drop_key_index(
            "queueing",
            "callevent",
            "center",
            models.ForeignKey(
                db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name="+", to="catalog.center"
            ),
        ),
        drop_key_index(
            "queueing",
            "callevent",
            "window",
            models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="catalog.window",
            ),
        ),
        drop_key_index(
            "queueing",
            "callevent",
            "actor",
            models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
    ]

"""A window session is looked up as "the open one of this window / clerk", which the partial unique
indexes answer: the keys' own indexes go (they grow by a session per clerk per working day)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from tongban.core.indexes import drop_key_index


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0001_initial"),
        ("queueing", "0005_windowsession_current_ticket"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # by name, with the fields' new state (core.indexes.drop_key_index: AlterField would drop the partial
        # unique indexes of the one-open-session rules too)
        drop_key_index(
            "queueing",
            "windowsession",
            "clerk",
            models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="window_sessions",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        drop_key_index(
            "queueing",
            "windowsession",
            "window",
            models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="sessions",
                to="catalog.window",
                verbose_name="窗口",
            ),
        ),
    ]

"""The window's index of tickets holds only tickets a window has called: a new ticket, written under its
queue's counter lock, no longer adds an entry to it. Every look-up names a window, which implies the
condition. ``CREATE INDEX`` blocks new tickets while it runs (seconds for a year): migrate after hours."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("queueing", "0006_windowsession_open_indexes_only")]

    operations = [
        migrations.RemoveIndex(model_name="ticket", name="ticket_window_state_idx"),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(
                condition=models.Q(("called_window__isnull", False)),
                fields=["called_window", "state"],
                name="ticket_window_state_idx",
            ),
        ),
    ]

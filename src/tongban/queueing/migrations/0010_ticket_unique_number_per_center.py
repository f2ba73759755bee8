"""A ticket's number is unique in its center's day, not in its queue's: a ticket transferred to another queue
keeps the number on its slip (A001 waits in the priority line as A001), and the old key ``(queue, day, seq)``
refused that transfer with a database error whenever the other queue had issued the same sequence number that
day (V001 — most days). The new key ``(center, day, number)`` says what the hall needs: no two slips of a day
alike (queue prefixes are unique per center). Builds a unique index on the ticket table and drops the old
one: new tickets wait while it is built, so migrate outside opening hours (docs/deploy.md)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("queueing", "0009_ticket_appointment_partial_unique")]

    operations = [
        migrations.RemoveConstraint(model_name="ticket", name="ticket_unique_number"),
        migrations.AddConstraint(
            model_name="ticket",
            constraint=models.UniqueConstraint(fields=("center", "day", "number"), name="ticket_unique_number"),
        ),
    ]

"""At most one ticket per appointment, as before, through a partial unique index: the old unique one held an
entry for every ticket, nearly all NULL, written at issue (under the queue's counter lock) and again at every
call and finish (the ticket's state is in other indexes, so those updates write every index anew). Rebuilds
the key's foreign key and builds the index: both read the ticket table while new tickets wait, so migrate
outside opening hours (docs/deploy.md)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("applications", "0007_review_application_index"),
        ("catalog", "0001_initial"),
        ("queueing", "0008_callevent_key_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="ticket",
            name="appointment",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="queueing.appointment",
            ),
        ),
        migrations.AddConstraint(
            model_name="ticket",
            constraint=models.UniqueConstraint(
                condition=models.Q(("appointment__isnull", False)),
                fields=("appointment",),
                name="ticket_one_per_appointment",
            ),
        ),
    ]

"""Drop the review's own index on ``application``: the unique (application, department) constraint's
index leads with that column and serves every look-up and cascade by case."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("applications", "0006_fewer_case_indexes")]

    operations = [
        migrations.AlterField(
            model_name="review",
            name="application",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="reviews",
                to="applications.application",
            ),
        ),
    ]

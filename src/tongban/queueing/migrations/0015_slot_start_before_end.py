"""A slot's start comes before its end (CHECK ``slot_start_before_end``).

The admin saved a slot whose end was before its start: such a slot has ended before anyone could come, and
booking refuses it as past. A database that holds one cannot take the constraint; rather than the
database's bare "violated by some row", the migration stops first and names the slots to correct (or
delete) in the admin before migrating again.
"""

from django.db import migrations, models
from django.db.models import F


def refuse_slots_ending_before_they_start(apps, schema_editor):  # type: ignore[no-untyped-def]
    slot_model = apps.get_model("queueing", "AppointmentSlot")
    wrong = list(
        slot_model.objects.filter(start__gte=F("end")).order_by("pk").values_list("pk", "day", "start", "end")
    )
    if wrong:
        shown = "; ".join(f"#{pk} {day} {start:%H:%M}-{end:%H:%M}" for pk, day, start, end in wrong)
        raise RuntimeError(
            f"以下预约时段的结束时间不晚于开始时间，请先在管理后台改正或删除：{shown} / "
            f"These appointment slots do not end after they start; correct or delete them in the admin first: "
            f"{shown}"
        )


class Migration(migrations.Migration):
    dependencies = [("queueing", "0014_queue_name_en")]

    operations = [
        migrations.RunPython(refuse_slots_ending_before_they_start, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="appointmentslot",
            constraint=models.CheckConstraint(
                condition=models.Q(("start__lt", models.F("end"))), name="slot_start_before_end"
            ),
        ),
    ]

from datetime import timedelta

from django.db import migrations, models
from django.db.models import Q

ROUNDS = 4  # as selectors.CLOSURE_ROUNDS


def fill_keys(apps, schema_editor):
    """Give each suspension the keys of the misses it counted: its own key, every key of the misses filed
    under it at its center up to its start (what ``person_suspensions`` reached it by until now), widened by
    the keys of the misses within the no-show window before it that share one (as it is counted now)."""
    BookingSuspension = apps.get_model("queueing", "BookingSuspension")
    NoShowRecord = apps.get_model("queueing", "NoShowRecord")
    QueueSettings = apps.get_model("queueing", "QueueSettings")
    default_days = QueueSettings._meta.get_field("noshow_window_days").default
    days = dict(QueueSettings.objects.values_list("center_id", "noshow_window_days"))
    for suspension in BookingSuspension.objects.all().iterator():
        window_start = suspension.since - timedelta(days=days.get(suspension.center_id, default_days))
        records = NoShowRecord.objects.filter(center_id=suspension.center_id, at__lte=suspension.since)
        known = {suspension.person_hash}
        for _ in range(ROUNDS):
            sharing = Q(appointment__id_number_hash__in=known) | Q(appointment__phone_hash__in=known)
            pairs = records.filter(Q(person_hash=suspension.person_hash) | Q(sharing, at__gt=window_start))
            wider = known | {
                key
                for pair in pairs.values_list("appointment__id_number_hash", "appointment__phone_hash")
                for key in pair
                if key
            }
            if wider == known:
                break
            known = wider
        suspension.keys = " ".join(sorted(known))
        suspension.save(update_fields=["keys"])


class Migration(migrations.Migration):
    dependencies = [
        ("queueing", "0018_callevent_release"),
    ]

    operations = [
        migrations.AddField(
            model_name="bookingsuspension",
            name="keys",
            field=models.TextField(blank=True, default=""),
        ),
        migrations.RunPython(fill_keys, migrations.RunPython.noop),
    ]

from django.db import migrations, models
import django.db.models.deletion


def fill(apps, schema_editor):
    """Open sessions whose window has a ticket in hand get it as their current ticket."""
    WindowSession = apps.get_model("queueing", "WindowSession")
    Ticket = apps.get_model("queueing", "Ticket")
    for session in WindowSession.objects.exclude(state="closed"):
        held = (
            Ticket.objects.filter(called_window_id=session.window_id, state__in=["called", "serving"])
            .order_by("-day", "queued_at", "id")
            .first()
        )
        if held is not None:
            WindowSession.objects.filter(pk=session.pk).update(current_ticket=held)


class Migration(migrations.Migration):
    dependencies = [("queueing", "0004_ticket_line_not_partial")]

    operations = [
        migrations.AddField(
            model_name="windowsession",
            name="current_ticket",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="queueing.ticket",
            ),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]

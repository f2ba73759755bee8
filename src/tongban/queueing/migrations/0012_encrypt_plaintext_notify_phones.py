"""Encrypt reminder phones that were stored in the clear.

On PostgreSQL, a ticket taken with ``notify_phone`` in the ticket machine's request (the API) had the phone
written as given: the one-statement insert passed its values unprepared. Those rows break every read of the
ticket (and the reminder job of their center, which reads them all), and they are personal data in the
clear. A stored value that is a bare mobile number is such a row: a Fernet token never is one.
"""

import re

from django.db import migrations

PLAIN = re.compile(r"^1[3-9][0-9]{9}$")


def encrypt_plaintext(apps, schema_editor):  # type: ignore[no-untyped-def]
    from tongban.core.crypto import encrypt_str

    connection = schema_editor.connection
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, notify_phone FROM queueing_ticket WHERE notify_phone <> ''")
        plain = [(pk, value) for pk, value in cursor.fetchall() if PLAIN.match(value)]
        for pk, value in plain:
            cursor.execute(
                "UPDATE queueing_ticket SET notify_phone = %s WHERE id = %s", [encrypt_str(value), pk]
            )


class Migration(migrations.Migration):
    dependencies = [("queueing", "0011_queuesettings_kiosk_networks")]

    operations = [migrations.RunPython(encrypt_plaintext, migrations.RunPython.noop)]

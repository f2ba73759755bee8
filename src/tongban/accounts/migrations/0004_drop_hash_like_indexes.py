"""Drop the ``LIKE`` twins of the blind-index and credit-code indexes (PostgreSQL).

phone_hash, id_number_hash and credit_code are only ever compared whole; their ``varchar_pattern_ops``
twins cost every registration three index insertions and served no query. The plain indexes stay.
"""

from django.db import migrations

from tongban.core.indexes import drop_like_twin


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_sms_code_register_purpose")]

    operations = [
        drop_like_twin("accounts", "user", "phone_hash"),
        drop_like_twin("accounts", "user", "id_number_hash"),
        drop_like_twin("accounts", "user", "credit_code"),
    ]

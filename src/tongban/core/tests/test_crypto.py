import logging
from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import FieldError
from django.core.management import call_command
from django.db import connection

from tongban.accounts.models import User
from tongban.accounts.tests.factories import ResidentFactory
from tongban.core.crypto import (
    blind_index,
    decrypt_str,
    encrypt_str,
    encrypted_fields,
    is_encrypted_with_newest_key,
    mask_id_number,
    mask_name,
    mask_phone,
)
from tongban.core.logging import MaskPIIFilter, mask_text
from tongban.core.models import AuditEntry

ID = "11010519491231002X"
PHONE = "13812345678"
OLD_KEY = Fernet.generate_key().decode()
NEW_KEY = Fernet.generate_key().decode()


def raw_column(model, pk, column):
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def test_round_trip_and_fresh_ciphertext_each_time():
    a, b = encrypt_str("张三 " + ID), encrypt_str("张三 " + ID)
    assert a != b
    assert decrypt_str(a) == decrypt_str(b) == "张三 " + ID


@pytest.mark.django_db
def test_database_column_holds_no_plaintext():
    user = ResidentFactory(phone=PHONE, id_number=ID)
    raw_phone, raw_id = raw_column(User, user.pk, "phone"), raw_column(User, user.pk, "id_number")
    assert PHONE not in raw_phone and ID not in raw_id
    assert raw_id.startswith("gAAAAA")  # Fernet token
    assert decrypt_str(raw_id) == ID
    assert User.objects.get(pk=user.pk).id_number == ID


@pytest.mark.django_db
def test_empty_value_is_stored_empty_not_encrypted():
    user = ResidentFactory(phone="", id_number="")
    assert raw_column(User, user.pk, "phone") == ""
    assert list(User.objects.filter(pk=user.pk).exclude(phone="")) == []


@pytest.mark.django_db
def test_lookups_on_ciphertext_fail_loudly():
    ResidentFactory(phone=PHONE)
    with pytest.raises(FieldError, match="blind index"):
        list(User.objects.filter(phone=PHONE))
    with pytest.raises(FieldError):
        list(User.objects.filter(id_number__startswith="1101"))
    # the supported way
    assert User.objects.filter(phone_hash=blind_index(PHONE)).count() == 1
    assert User.objects.filter(phone__isnull=False).count() == 1


def test_blind_index_equality_and_normalisation(settings):
    assert blind_index(ID) == blind_index(" 110105 19491231002x ")
    assert blind_index(ID) != blind_index("110105194912310021")
    assert len(blind_index(ID)) == 64
    before = blind_index(ID)
    settings.FIELD_HASH_KEY = "another-key"
    assert blind_index(ID) != before  # keyed: useless without the key


@pytest.mark.django_db
def test_key_rotation_old_key_decrypts_new_key_encrypts(settings):
    settings.FIELD_ENCRYPTION_KEYS = [OLD_KEY]
    user = ResidentFactory(phone=PHONE, id_number=ID)
    old_token = raw_column(User, user.pk, "id_number")
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
    assert User.objects.get(pk=user.pk).id_number == ID  # old key still decrypts
    assert is_encrypted_with_newest_key(old_token) is False
    assert is_encrypted_with_newest_key(encrypt_str("x")) is True  # new writes use the new key
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY]
    with pytest.raises(ValueError, match="TONGBAN_FIELD_KEYS"):
        User.objects.get(pk=user.pk)  # old key dropped too early


@pytest.mark.django_db
def test_rotate_field_keys_command_reencrypts_everything(settings):
    settings.FIELD_ENCRYPTION_KEYS = [OLD_KEY]
    users = [ResidentFactory(phone=f"1391234567{i}", id_number=ID) for i in range(3)]
    ResidentFactory(phone="", id_number="")
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
    out = StringIO()
    call_command("rotate_field_keys", "--batch-size", "2", stdout=out)
    assert "  accounts.user.id_number: 3 re-encrypted of 3" in out.getvalue().splitlines()
    assert "  accounts.user.phone: 3 re-encrypted of 3" in out.getvalue().splitlines()
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY]  # the old key can go now
    assert [User.objects.get(pk=u.pk).phone for u in users] == [f"1391234567{i}" for i in range(3)]
    entry = AuditEntry.objects.get(action="core.crypto.rotate")
    assert entry.data["accounts.user.phone"] == 3
    out = StringIO()
    call_command("rotate_field_keys", stdout=out)
    assert "  accounts.user.phone: 0 re-encrypted of 3" in out.getvalue().splitlines()
    assert AuditEntry.objects.filter(action="core.crypto.rotate").count() == 1


def test_encrypted_fields_registry_lists_personal_data_columns():
    labels = {f"{m._meta.label_lower}.{f.name}" for m, f in encrypted_fields()}
    assert {"accounts.user.phone", "accounts.user.id_number", "notifications.message.to"} <= labels


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (ID, "110105********002X"),
        ("110105 19491231 002x", "110105********002X"),
        ("", ""),
        (None, ""),
        ("12345678", "12****78"),
    ],
)
def test_mask_id_number(value, expected):
    assert mask_id_number(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(PHONE, "138****5678"), ("138 1234 5678", "138****5678"), ("12345", "*****"), (None, "")],
)
def test_mask_phone(value, expected):
    assert mask_phone(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [("张三明", "张*明"), ("王五", "王*"), ("欧阳娜娜", "欧**娜"), ("李", "李"), ("", "")],
)
def test_mask_name(value, expected):
    assert mask_name(value) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"resident {ID} called", "resident 110105********002X called"),
        ("old id 110105491231002 here", "old id 110105******002 here"),
        (f"phone={PHONE}", "phone=138****5678"),
        ("phone +86 138-1234-5678.", "phone +86 138****5678."),
        ("order 202611260001 and ticket A012", "order 202611260001 and ticket A012"),
        ("timestamp 1764134400123", "timestamp 1764134400123"),
        ("Tel13812345678, 手机13812345678", "Tel138****5678, 手机138****5678"),
        # a SHA-256 whose digits happen to read like a mobile number (the audit anchor's log line)
        (
            "hash=0e85af9c0a96ada74ddb7a897ca9e6c0328738bd32d19422136617ffa469ebcb",
            "hash=0e85af9c0a96ada74ddb7a897ca9e6c0328738bd32d19422136617ffa469ebcb",
        ),
    ],
)
def test_mask_text(text, expected):
    assert mask_text(text) == expected


def test_log_filter_masks_message_args_and_traceback():
    logger = logging.getLogger("tongban.test.pii")
    stream = StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(MaskPIIFilter())
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("lookup of %s by %s", ID, PHONE)
        try:
            raise ValueError(f"bad id {ID}")
        except ValueError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
    output = stream.getvalue()
    assert "lookup of 110105********002X by 138****5678" in output
    assert "ValueError: bad id 110105********002X" in output
    assert ID not in output and PHONE not in output

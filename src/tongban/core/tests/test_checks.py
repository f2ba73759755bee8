from cryptography.fernet import Fernet

from tongban.core.checks import check_field_keys

GOOD = Fernet.generate_key().decode()


def ids(settings):
    return [p.id for p in check_field_keys()]


def test_configured_keys_pass(settings):
    assert check_field_keys() == []


def test_bad_keys_are_reported(settings):
    settings.FIELD_ENCRYPTION_KEYS = [GOOD, "not-a-key", GOOD]
    settings.FIELD_HASH_KEY = "short"
    assert ids(settings) == ["tongban.core.E002", "tongban.core.W001", "tongban.core.E003"]


def test_empty_and_reused_keys(settings):
    settings.FIELD_ENCRYPTION_KEYS = []
    settings.FIELD_HASH_KEY = "x" * 40
    assert ids(settings) == ["tongban.core.E001"]
    settings.FIELD_ENCRYPTION_KEYS = [GOOD]
    settings.FIELD_HASH_KEY = GOOD
    assert ids(settings) == ["tongban.core.W002"]

"""Locks on things that have no row of their own (a phone asking for codes, a person booking), held until the
transaction ends.

Check-then-insert is a race when two requests check at the same moment: both find nothing, both insert. A
row lock needs a row; these have none yet. On PostgreSQL this takes a transaction-scoped advisory lock on
(namespace, key); on SQLite the settings make every transaction ``BEGIN IMMEDIATE``, so writers already run
one at a time and there is nothing to take.
"""

from __future__ import annotations

from django.db import connection

# One namespace per kind of thing, so that two kinds never share a lock. Keep them distinct.
PHONE = 0x5442  # "TB": SMS to one phone under a limit (sign-in codes, queue reminders)
PERSON_BOOKING = 0x5443  # appointments booked by one person (id number or phone)
ADDRESS = 0x5444  # SMS codes requested from one client address
ROLLUPS = 0x5445  # the dashboard's rollup tables, rebuilt by one run at a time (key "0")

# Two locks in one transaction are taken in this order (ADDRESS before PHONE), so two requests never wait
# for each other's second lock.


def lock_for_transaction(namespace: int, key_hex: str) -> None:
    """Wait for, then hold until the end of the current transaction, the lock on ``key_hex`` (a hex digest,
    such as a blind index) in ``namespace``. Must run inside ``transaction.atomic()``."""
    if connection.vendor != "postgresql":
        return
    key = int(key_hex[:8], 16) - 2**31  # int4; a collision only makes two people wait for each other
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [namespace, key])

"""The indexes on the tables every intake and every audited action writes to: what queries need, no more."""

from __future__ import annotations

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db


def _indexes(table: str) -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s", [table])
        return dict(cursor.fetchall())


@pytest.mark.skipif(connection.vendor != "postgresql", reason="LIKE twins exist on PostgreSQL only")
def test_whole_value_columns_have_no_like_twin_but_keep_their_index():
    expected = {
        "accounts_user": ["phone_hash", "id_number_hash", "credit_code"],
        "core_auditentry": ["action", "hash"],
    }
    for table, columns in expected.items():
        defs = _indexes(table).values()
        for column in columns:
            on_column = [d for d in defs if d.endswith(f"({column})")]
            assert on_column, f"{table}.{column} lost its index"
            assert not any(f"({column} varchar_pattern_ops)" in d for d in defs), f"{table}.{column}"
    # the username keeps its twin: Django's own field, left as Django makes it
    assert any("(username varchar_pattern_ops)" in d for d in _indexes("accounts_user").values())


@pytest.mark.skipif(connection.vendor != "postgresql", reason="plans are PostgreSQL's")
def test_lookups_by_object_and_by_case_still_use_an_index():
    """The indexes dropped as duplicates: their look-ups go through the composite ones."""
    from tongban.applications.models import Review
    from tongban.core.models import AuditEntry

    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        audit = AuditEntry.objects.filter(object_type="applications.application", object_id="7").explain()
        reviews = Review.objects.filter(application_id=7).explain()
    assert "core_audite_object__83eb8a_idx" in audit
    assert "review_unique_app_dept" in reviews


@pytest.mark.skipif(connection.vendor != "postgresql", reason="plans are PostgreSQL's")
def test_call_events_keep_only_the_indexes_their_reads_use():
    """Every call and finish writes a call event: its keys' own indexes went (queueing.0008) but the ticket's
    (a ticket's history); look-ups by center (the hall display's) go through (center, kind, at)."""
    from tongban.queueing.models import CallEvent

    columns = sorted(d[d.index("(") :] for d in _indexes("queueing_callevent").values())
    assert columns == ["(center_id, kind, at)", "(id)", "(ticket_id)"]
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        by_center = CallEvent.objects.filter(center_id=7).explain()
        history = CallEvent.objects.filter(ticket_id=7).explain()
    assert "callevent_center_kind_at" in by_center
    assert "queueing_callevent_ticket_id" in history


def test_every_declared_constraint_and_index_exists_in_the_migrated_database():
    """Django's ``AlterField`` to ``db_index=False`` drops every index on the column that is not a
    constraint, partial unique indexes of ``UniqueConstraint(condition=…)`` included: the rule goes
    silently while the model still declares it. Every name the models declare must be in the database."""
    from django.apps import apps

    missing = []
    with connection.cursor() as cursor:
        for model in apps.get_models():
            if not model._meta.managed or model._meta.proxy:
                continue
            present = connection.introspection.get_constraints(cursor, model._meta.db_table)
            for declared in [*model._meta.constraints, *model._meta.indexes]:
                if declared.name not in present:
                    missing.append(f"{model._meta.label}: {declared.name}")
    assert missing == []

import threading
from contextlib import contextmanager
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, connections, transaction
from freezegun import freeze_time

from tongban.accounts.tests.factories import AdminFactory, ClerkFactory
from tongban.core.audit import GENESIS, audit_anchor, audit_log, audit_verify, audit_verify_report
from tongban.core.models import AuditEntry, AuditHead, CalendarYear

pytestmark = pytest.mark.django_db


@contextmanager
def as_database_owner():
    """Tampering as someone with raw database access. On PostgreSQL that means bypassing the
    append-only trigger (superuser only), which is the point of the trigger."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL session_replication_role = origin")
    else:
        yield


def five_entries():
    year = CalendarYear.objects.create(year=2031)
    return [audit_log(actor=None, action="test.thing.touch", obj=year, data={"n": i}) for i in range(5)]


def test_chain_links_and_verifies():
    clerk = ClerkFactory(username="window1")
    entries = five_entries()
    audit_log(actor=clerk, action="test.thing.read", object_type="x", object_id=7, ip="10.0.0.1")
    assert [e.seq for e in AuditEntry.objects.order_by("seq")] == [1, 2, 3, 4, 5, 6]
    assert entries[0].prev_hash == GENESIS
    assert entries[1].prev_hash == entries[0].hash
    last = AuditEntry.objects.get(seq=6)
    assert (last.actor_id, last.actor_repr, last.object_id, last.ip) == (clerk.pk, "window1", "7", "10.0.0.1")
    assert entries[0].actor_repr == "system"
    assert (entries[0].object_type, entries[0].object_id) == ("core.calendaryear", "2031")
    report = audit_verify_report()
    assert report.ok
    assert (report.entries, report.last_seq, report.last_hash) == (6, 6, last.hash)
    head = AuditHead.objects.get(id=1)
    assert (head.last_seq, head.last_hash) == (6, last.hash)


def test_append_costs_three_queries(django_assert_num_queries):
    audit_log(action="test.warm.up")
    with django_assert_num_queries(3):  # lock tip, insert, move tip — no savepoint
        audit_log(action="test.thing.touch", data={"a": 1})


def test_data_survives_the_database_round_trip_exactly():
    from datetime import date
    from decimal import Decimal

    audit_log(
        action="test.thing.touch",
        data={"b": [1, 2.5, None, True], "a": {"z": "中文", "y": date(2026, 1, 4)}, "d": Decimal("1.10")},
        ip="2001:DB8:0:0::1",
    )
    entry = AuditEntry.objects.get()
    assert entry.data == {"b": [1, 2.5, None, True], "a": {"z": "中文", "y": "2026-01-04"}, "d": "1.10"}
    assert entry.ip == "2001:db8::1"
    assert audit_verify() == []


def test_bad_ip_is_dropped_not_fatal():
    entry = audit_log(action="test.thing.touch", ip="not-an-ip")
    assert entry.ip is None
    assert audit_verify() == []


def test_long_values_are_cut_before_hashing():
    audit_log(action="test.thing.touch", object_type="t" * 200, object_id="9" * 200)
    entry = AuditEntry.objects.get()
    assert (len(entry.object_type), len(entry.object_id)) == (80, 80)
    assert audit_verify() == []
    with pytest.raises(ValueError, match="1..80"):
        audit_log(action="a" * 81)


def test_rolled_back_transaction_leaves_no_gap():
    audit_log(action="test.one")
    with pytest.raises(RuntimeError), transaction.atomic():
        audit_log(action="test.two")
        raise RuntimeError
    audit_log(action="test.three")
    assert list(AuditEntry.objects.order_by("seq").values_list("seq", "action")) == [
        (1, "test.one"),
        (2, "test.three"),
    ]
    assert audit_verify() == []


def test_tamper_edit_via_update_is_detected():
    five_entries()
    with as_database_owner():
        AuditEntry.objects.filter(seq=3).update(data={"n": 99})
    problems = audit_verify()
    assert [(p.seq, p.problem) for p in problems] == [(3, "content changed after it was written")]
    assert str(problems[0]) == "#3: 记录内容在写入后被修改 / content changed after it was written"


def test_tamper_edit_and_rehash_one_row_is_detected_by_the_next_link():
    from tongban.core.audit import entry_digest

    five_entries()
    entry = AuditEntry.objects.get(seq=3)
    entry.actor_repr = "someone-else"
    with as_database_owner():
        AuditEntry.objects.filter(seq=3).update(
            actor_repr="someone-else", hash=entry_digest(entry.prev_hash, entry)
        )
    assert [(p.seq, p.problem) for p in audit_verify()] == [
        (4, "prev_hash does not match the previous entry")
    ]


def test_tamper_delete_middle_row_is_detected():
    five_entries()
    with as_database_owner():
        AuditEntry.objects.filter(seq=3).delete()
    assert [(p.seq, p.problem) for p in audit_verify()] == [
        (3, "entries 3..3 missing"),
        (4, "prev_hash does not match the previous entry"),
    ]


def test_tamper_delete_tail_is_detected():
    five_entries()
    with as_database_owner():
        AuditEntry.objects.filter(seq__gte=4).delete()
    problems = audit_verify()
    assert [(p.seq, p.problem_zh) for p in problems] == [
        (5, "链尾不符（记录头为第5条，链止于第3条）：末尾记录被删除")
    ]


def test_rewritten_chain_is_caught_by_an_anchor():
    entries = five_entries()
    anchor = audit_anchor()
    assert anchor == (5, entries[-1].hash)
    # someone rewrites the whole table consistently and resets the tip
    with as_database_owner():
        AuditEntry.objects.all().delete()
        AuditHead.objects.filter(id=1).update(last_seq=0, last_hash=GENESIS)
    for i in range(5):
        audit_log(action="test.forged", data={"n": i})
    assert audit_verify() == []  # internally consistent...
    problems = audit_verify(anchors={anchor[0]: anchor[1]})
    assert [(p.seq, p.problem) for p in problems] == [(5, "hash differs from the recorded anchor")]
    assert [p.seq for p in audit_verify(anchors={9: anchor[1]})] == [9]


def test_anchor_is_logged(caplog):
    five_entries()
    with caplog.at_level("INFO", logger="tongban.audit.anchor"):
        seq, digest = audit_anchor()
    assert caplog.messages == [f"audit anchor seq=5 hash={digest}"]


def test_audit_verify_command_exit_codes():
    five_entries()
    out = StringIO()
    call_command("audit_verify", stdout=out)
    assert out.getvalue().startswith("audit chain intact: 5 entries, tip #5 ")
    with as_database_owner():
        AuditEntry.objects.filter(seq=2).update(action="test.hidden")
    err = StringIO()
    with pytest.raises(SystemExit) as exc:
        call_command("audit_verify", stderr=err)
    assert exc.value.code == 1
    assert err.getvalue().splitlines() == [
        "audit chain BROKEN: 1 problem(s)",
        "  #2: 记录内容在写入后被修改 / content changed after it was written",
    ]


def test_audit_verify_command_with_anchor():
    entries = five_entries()
    out = StringIO()
    call_command("audit_verify", "--anchor", f"5:{entries[-1].hash}", stdout=out)
    assert "intact" in out.getvalue()
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="bad --anchor"):
        call_command("audit_verify", "--anchor", "five")


only_postgresql = pytest.mark.skipif(
    "connection.vendor != 'postgresql'",
    reason="PostgreSQL only: SQLite's shared in-memory test database has no row locks and no trigger",
)


@pytest.mark.postgres
@only_postgresql
def test_postgresql_refuses_update_and_delete():
    five_entries()
    for change in (
        lambda: AuditEntry.objects.filter(seq=2).update(action="x"),
        lambda: AuditEntry.objects.filter(seq=5).delete(),
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            change()
    assert audit_verify() == []


def test_timestamps_are_aware_and_hash_stable_under_frozen_time():
    with freeze_time("2026-10-01 08:00:00"):
        entry = audit_log(action="test.thing.touch")
    assert entry.at.isoformat() == "2026-10-01T08:00:00+00:00"
    assert audit_verify() == []


def test_admin_is_read_only_for_superusers(client):
    five_entries()
    client.force_login(AdminFactory())
    assert client.get("/admin/core/auditentry/").status_code == 200
    assert client.get("/admin/core/auditentry/add/").status_code == 403
    change = client.get("/admin/core/auditentry/3/change/")
    assert change.status_code == 200
    assert b'name="_save"' not in change.content
    assert client.post("/admin/core/auditentry/3/change/", {"action": "x"}).status_code == 403
    assert client.get("/admin/core/auditentry/3/delete/").status_code == 403
    response = client.post(
        "/admin/core/auditentry/", {"action": "delete_selected", "_selected_action": ["3"]}
    )
    assert response.status_code in (200, 302)
    assert AuditEntry.objects.count() == 5
    assert audit_verify() == []


@pytest.mark.postgres
@only_postgresql
@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_give_a_gapless_valid_chain():
    threads_n, per_thread = 8, 15
    errors: list[BaseException] = []
    barrier = threading.Barrier(threads_n)

    def worker(k: int) -> None:
        try:
            barrier.wait()
            for i in range(per_thread):
                with transaction.atomic():
                    audit_log(action="test.concurrent", object_id=f"{k}-{i}")
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(threads_n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    total = threads_n * per_thread
    assert list(AuditEntry.objects.order_by("seq").values_list("seq", flat=True)) == list(range(1, total + 1))
    assert AuditEntry.objects.values("object_id").distinct().count() == total
    assert audit_verify() == []


@pytest.mark.django_db(transaction=True)
def test_tip_row_survives_a_flush_so_appends_keep_their_query_count(django_assert_num_queries):
    call_command("flush", interactive=False, verbosity=0)
    assert AuditHead.objects.filter(id=1, last_seq=0, last_hash=GENESIS).exists()
    with transaction.atomic(), django_assert_num_queries(3):
        audit_log(action="test.after.flush")
    assert audit_verify() == []


def test_periodic_jobs(caplog):
    from tongban.core.tasks import PERIODIC, audit_anchor_task, audit_verify_task

    assert [(p.name, p.seconds) for p in PERIODIC] == [
        ("core.audit_anchor", 600),
        ("core.audit_verify", 86400),
    ]
    entries = five_entries()
    assert audit_anchor_task() == f"5:{entries[-1].hash}"
    assert audit_verify_task() == "ok"
    with as_database_owner():
        AuditEntry.objects.filter(seq=2).update(action="test.hidden")
    with caplog.at_level("ERROR", logger="tongban.audit"):
        assert audit_verify_task() == "broken: 1 problem(s)"
    assert [r.getMessage() for r in caplog.records if r.levelname == "ERROR"] == [
        "audit chain BROKEN at #2: content changed after it was written"
    ]

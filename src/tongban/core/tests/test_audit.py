import threading
from contextlib import contextmanager
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, connections, transaction
from django.utils import timezone
from freezegun import freeze_time

from tongban.accounts.tests.factories import AdminFactory, ClerkFactory
from tongban.core.audit import (
    GENESIS,
    audit_anchor,
    audit_log,
    audit_seal,
    audit_verify,
    audit_verify_report,
    entry_digest,
)
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


def five_entries(*, seal: bool = True):
    """Five entries on one calendar year, sealed (chain positions 1..5) unless ``seal=False``."""
    year = CalendarYear.objects.create(year=2031)
    entries = [audit_log(actor=None, action="test.thing.touch", obj=year, data={"n": i}) for i in range(5)]
    if seal:
        assert audit_seal() == 5
        entries = list(AuditEntry.objects.order_by("chain_seq"))
    return entries


def chain():
    """(chain position, action) of the sealed entries, in chain order."""
    return list(
        AuditEntry.objects.filter(chain_seq__isnull=False)
        .order_by("chain_seq")
        .values_list("chain_seq", "action")
    )


def test_chain_links_and_verifies():
    clerk = ClerkFactory(username="window1")
    five_entries(seal=False)
    audit_log(actor=clerk, action="test.thing.read", object_type="x", object_id=7, ip="10.0.0.1")
    assert audit_seal() == 6
    entries = list(AuditEntry.objects.order_by("chain_seq"))
    assert [e.chain_seq for e in entries] == [1, 2, 3, 4, 5, 6]
    assert [e.seq for e in entries] == sorted(e.seq for e in entries)  # chained in insertion order
    assert entries[0].prev_hash == GENESIS
    assert [e.prev_hash for e in entries[1:]] == [e.hash for e in entries[:-1]]
    assert [e.hash == entry_digest(e.prev_hash, e) for e in entries] == [True] * 6
    last = entries[-1]
    assert (last.actor_id, last.actor_repr, last.object_id, last.ip) == (clerk.pk, "window1", "7", "10.0.0.1")
    assert entries[0].actor_repr == "system"
    assert (entries[0].object_type, entries[0].object_id) == ("core.calendaryear", "2031")
    report = audit_verify_report()
    assert report.ok
    assert (report.entries, report.last_seq, report.last_hash, report.pending) == (6, 6, last.hash, 0)
    head = AuditHead.objects.get(id=1)
    assert (head.last_seq, head.last_hash) == (6, last.hash)


def test_append_is_one_insert_without_lock_or_tip(django_assert_num_queries):
    audit_log(action="test.warm.up")
    with transaction.atomic(), django_assert_num_queries(1) as captured:  # no lock, no tip, no savepoint
        entry = audit_log(action="test.thing.touch", data={"a": 1})
    (query,) = captured.captured_queries
    assert query["sql"].startswith("INSERT INTO")
    assert "FOR UPDATE" not in query["sql"] and "core_audithead" not in query["sql"]
    assert entry.seq is not None and entry.seq == AuditEntry.objects.get(action="test.thing.touch").seq
    assert AuditEntry.objects.count() == 2


def test_several_entries_are_one_insert_sealed_in_the_order_given(django_assert_num_queries):
    from tongban.core.audit import audit_entry, audit_log_many

    entries = [audit_entry(action=f"test.step.{n}", data={"n": n}) for n in ("one", "two", "three")]
    with transaction.atomic(), django_assert_num_queries(1):
        audit_log_many(entries)
    assert audit_log_many([]) == []
    audit_seal()
    chained = AuditEntry.objects.order_by("chain_seq").values_list("action", "data")
    assert list(chained) == [(f"test.step.{n}", {"n": n}) for n in ("one", "two", "three")]
    assert audit_verify() == []


def test_pending_entries_have_no_position_or_hash_and_leave_the_tip_alone():
    entries = five_entries(seal=False)
    assert [(e.chain_seq, e.prev_hash, e.hash) for e in entries] == [(None, None, None)] * 5
    assert list(AuditEntry.objects.values_list("chain_seq", "prev_hash", "hash").order_by().distinct()) == [
        (None, None, None)
    ]
    assert AuditHead.objects.filter(id=1, last_seq=0, last_hash=GENESIS).exists()
    report = audit_verify_report(seal=False)  # fresh pending entries are normal, not a problem
    assert (report.ok, report.entries, report.last_seq, report.pending) == (True, 0, 0, 5)
    assert AuditEntry.objects.filter(chain_seq__isnull=True).count() == 5  # and were left pending


def test_sealing_continues_the_chain_in_insertion_order_and_is_idempotent():
    first = [audit_log(action=f"test.first.{i}") for i in range(3)]
    assert audit_seal() == 3
    later = [audit_log(action=f"test.later.{i}") for i in range(5)]
    assert audit_seal(batch_size=2) == 5  # three batches: 2 + 2 + 1
    assert audit_seal() == 0
    assert chain() == [(i + 1, e.action) for i, e in enumerate(first + later)]
    tip = AuditEntry.objects.get(chain_seq=8)
    assert AuditHead.objects.filter(id=1, last_seq=8, last_hash=tip.hash).exists()
    assert audit_verify() == []


def test_nothing_pending_costs_one_lock_free_read(django_assert_num_queries):
    five_entries()
    with django_assert_num_queries(1) as captured:
        assert audit_seal() == 0
    assert "FOR UPDATE" not in captured.captured_queries[0]["sql"]


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


def test_rolled_back_transaction_leaves_nothing_and_no_chain_gap():
    audit_log(action="test.one")
    with pytest.raises(RuntimeError), transaction.atomic():
        audit_log(action="test.two")
        raise RuntimeError
    audit_log(action="test.three")
    assert list(AuditEntry.objects.order_by("seq").values_list("action", flat=True)) == [
        "test.one",
        "test.three",
    ]
    assert audit_seal() == 2
    assert chain() == [(1, "test.one"), (2, "test.three")]
    assert audit_verify() == []


def test_tamper_edit_via_update_is_detected():
    five_entries()
    with as_database_owner():
        AuditEntry.objects.filter(chain_seq=3).update(data={"n": 99})
    problems = audit_verify()
    assert [(p.seq, p.problem) for p in problems] == [(3, "content changed after it was written")]
    assert str(problems[0]) == "#3: 记录内容在写入后被修改 / content changed after it was written"


def test_tamper_with_the_chain_position_is_detected():
    five_entries()
    with as_database_owner():  # swap two entries' positions (and links) to reorder history
        AuditEntry.objects.filter(chain_seq=2).update(chain_seq=-2)
        AuditEntry.objects.filter(chain_seq=3).update(chain_seq=2)
        AuditEntry.objects.filter(chain_seq=-2).update(chain_seq=3)
    assert [(p.seq, p.problem) for p in audit_verify()] == [
        (2, "prev_hash does not match the previous entry"),
        (2, "content changed after it was written"),  # the position is part of the hashed content
        (3, "prev_hash does not match the previous entry"),
        (3, "content changed after it was written"),
        (4, "prev_hash does not match the previous entry"),
    ]


def test_tamper_edit_and_rehash_one_row_is_detected_by_the_next_link():
    five_entries()
    entry = AuditEntry.objects.get(chain_seq=3)
    entry.actor_repr = "someone-else"
    with as_database_owner():
        AuditEntry.objects.filter(chain_seq=3).update(
            actor_repr="someone-else", hash=entry_digest(entry.prev_hash, entry)
        )
    assert [(p.seq, p.problem) for p in audit_verify()] == [
        (4, "prev_hash does not match the previous entry")
    ]


def test_tamper_delete_middle_row_is_detected():
    five_entries()
    with as_database_owner():
        AuditEntry.objects.filter(chain_seq=3).delete()
    assert [(p.seq, p.problem) for p in audit_verify()] == [
        (3, "entries 3..3 missing"),
        (4, "prev_hash does not match the previous entry"),
    ]


def test_tamper_delete_tail_is_detected():
    five_entries()
    with as_database_owner():
        AuditEntry.objects.filter(chain_seq__gte=4).delete()
    problems = audit_verify()
    assert [(p.seq, p.problem_zh) for p in problems] == [
        (5, "链尾不符（记录头为第5条，链止于第3条）：末尾记录被删除")
    ]


def test_forged_sealed_entry_beyond_the_tip_is_detected():
    entries = five_entries()
    forged = AuditEntry(
        at=entries[-1].at, actor_repr="system", action="test.forged", chain_seq=6, prev_hash=entries[-1].hash
    )
    forged.hash = entry_digest(forged.prev_hash, forged)
    forged.save(force_insert=True)  # a plain INSERT: the trigger does not stop it, the chain must
    assert [(p.seq, p.problem) for p in audit_verify()] == [(6, "1 entries beyond the chain tip #5")]


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


def test_anchor_seals_first_and_is_logged(caplog):
    five_entries(seal=False)
    with caplog.at_level("INFO", logger="tongban.audit.anchor"):
        seq, digest = audit_anchor()
    assert not AuditEntry.objects.filter(chain_seq__isnull=True).exists()
    assert (seq, digest) == (5, AuditEntry.objects.get(chain_seq=5).hash)
    assert caplog.messages == [f"audit anchor seq=5 hash={digest}"]


def test_stalled_sealing_is_reported(settings):
    settings.AUDIT_SEAL_STALE_SECONDS = 300
    five_entries()
    with freeze_time("2026-10-01 08:00:00"):  # `at` is hashed only when sealed
        audit_log(action="test.old.one")
        audit_log(action="test.old.two")
    with freeze_time("2026-10-01 08:04:00"):
        audit_log(action="test.recent")
    with freeze_time("2026-10-01 08:06:00"):
        report = audit_verify_report(seal=False)
        fresh = audit_verify_report(seal=False)
    assert (report.entries, report.pending) == (5, 3)
    assert [str(p) for p in report.problems] == [
        "#0: 封存已停滞：2条记录自2026-10-01T16:00:00+08:00起待封存 / "
        "sealing has stalled: 2 entries pending since 2026-10-01T16:00:00+08:00"
    ]
    assert fresh.problems == report.problems  # reading does not seal
    with freeze_time("2026-10-01 08:06:00"):
        sealed = audit_verify_report()  # the default seals first: nothing stalled any more
    assert (sealed.ok, sealed.entries, sealed.pending) == (True, 8, 0)
    assert [a for _, a in chain()][-3:] == ["test.old.one", "test.old.two", "test.recent"]


def test_verify_reports_a_sealer_that_fails(monkeypatch):
    from tongban.core import audit

    five_entries()

    def broken(**kwargs):
        raise DatabaseError("permission denied for table core_auditentry")

    monkeypatch.setattr(audit, "audit_seal", broken)
    assert [(p.seq, p.problem) for p in audit.audit_verify()] == [
        (0, "sealing failed: permission denied for table core_auditentry")
    ]


def test_audit_verify_command_exit_codes():
    five_entries()
    out = StringIO()
    call_command("audit_verify", stdout=out)
    assert out.getvalue().startswith("audit chain intact: 5 entries, tip #5 ")
    with as_database_owner():
        AuditEntry.objects.filter(chain_seq=2).update(action="test.hidden")
    err = StringIO()
    with pytest.raises(SystemExit) as exc:
        call_command("audit_verify", stderr=err)
    assert exc.value.code == 1
    assert err.getvalue().splitlines() == [
        "audit chain BROKEN: 1 problem(s)",
        "  #2: 记录内容在写入后被修改 / content changed after it was written",
    ]


def test_audit_verify_command_seals_unless_told_not_to():
    five_entries(seal=False)
    out = StringIO()
    call_command("audit_verify", "--no-seal", stdout=out)
    assert out.getvalue().startswith(f"audit chain intact: 0 entries, tip #0 {GENESIS} (5 pending)")
    assert AuditEntry.objects.filter(chain_seq__isnull=True).count() == 5
    out = StringIO()
    call_command("audit_verify", stdout=out)
    assert out.getvalue().startswith("audit chain intact: 5 entries, tip #5 ")
    assert "pending" not in out.getvalue()
    assert not AuditEntry.objects.filter(chain_seq__isnull=True).exists()


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
def test_postgresql_allows_only_the_sealing_update():
    sealed = five_entries()
    audit_log(action="test.pending")
    pending = AuditEntry.objects.get(chain_seq__isnull=True)
    seal_values = {"chain_seq": 6, "prev_hash": sealed[-1].hash, "hash": "f" * 64}
    refused = {
        "change a pending entry": lambda: AuditEntry.objects.filter(pk=pending.pk).update(action="x"),
        "seal and change it": lambda: AuditEntry.objects.filter(pk=pending.pk).update(
            **seal_values, data={"n": 1}
        ),
        "seal it half": lambda: AuditEntry.objects.filter(pk=pending.pk).update(chain_seq=6),
        "renumber it": lambda: AuditEntry.objects.filter(pk=pending.pk).update(seq=pending.pk + 1000),
        "change a sealed entry": lambda: AuditEntry.objects.filter(chain_seq=2).update(action="x"),
        "re-seal a sealed entry": lambda: AuditEntry.objects.filter(chain_seq=5).update(
            chain_seq=7, prev_hash=GENESIS, hash="e" * 64
        ),
        "unseal a sealed entry": lambda: AuditEntry.objects.filter(chain_seq=5).update(
            chain_seq=None, prev_hash=None, hash=None
        ),
        "delete a sealed entry": lambda: AuditEntry.objects.filter(chain_seq=5).delete(),
        "delete a pending entry": lambda: AuditEntry.objects.filter(pk=pending.pk).delete(),
    }
    for name, change in refused.items():
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            change()
            pytest.fail(f"allowed: {name}")
    with transaction.atomic():  # the one allowed shape: exactly the three sealing columns, once
        assert AuditEntry.objects.filter(pk=pending.pk).update(**seal_values) == 1
        transaction.set_rollback(True)
    assert audit_seal() == 1
    assert audit_verify() == []


def test_timestamps_are_aware_and_hash_stable_under_frozen_time():
    with freeze_time("2026-10-01 08:00:00"):
        entry = audit_log(action="test.thing.touch")
    assert entry.at.isoformat() == "2026-10-01T08:00:00+00:00"
    assert audit_verify() == []
    assert AuditEntry.objects.get().at.isoformat() == "2026-10-01T08:00:00+00:00"


def test_admin_is_read_only_for_superusers(client):
    third = five_entries()[2].pk
    client.force_login(AdminFactory())
    listing = client.get("/admin/core/auditentry/")
    assert listing.status_code == 200
    assert "链序号" in listing.content.decode()
    assert client.get("/admin/core/auditentry/add/").status_code == 403
    change = client.get(f"/admin/core/auditentry/{third}/change/")
    assert change.status_code == 200
    assert b'name="_save"' not in change.content
    assert client.post(f"/admin/core/auditentry/{third}/change/", {"action": "x"}).status_code == 403
    assert client.get(f"/admin/core/auditentry/{third}/delete/").status_code == 403
    response = client.post(
        "/admin/core/auditentry/", {"action": "delete_selected", "_selected_action": [str(third)]}
    )
    assert response.status_code in (200, 302)
    assert AuditEntry.objects.count() == 5
    assert audit_verify() == []


def run_in_threads(n, target):
    """Start ``target(k)`` in n threads at once, each on its own connection; return the errors."""
    errors: list[BaseException] = []
    barrier = threading.Barrier(n)

    def run(k: int) -> None:
        try:
            barrier.wait(timeout=10)
            target(k)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(k,)) for k in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return errors


@pytest.mark.postgres
@only_postgresql
@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_while_sealing_give_a_gapless_valid_chain():
    writers, per_writer = 8, 15
    finished: list[int] = []
    done = threading.Event()
    sealed: list[int] = []

    def work(k: int) -> None:
        if k == writers:  # the sealer, running all the time the writers append
            while not done.is_set():
                sealed.append(audit_seal(batch_size=7))
            return
        try:
            for i in range(per_writer):
                with transaction.atomic():
                    audit_log(action="test.concurrent", object_id=f"{k}-{i}")
        finally:
            finished.append(k)
            if len(finished) == writers:
                done.set()

    errors = run_in_threads(writers + 1, work)
    assert errors == []
    total = writers * per_writer
    sealed.append(audit_seal())
    assert sum(sealed) == total
    assert list(AuditEntry.objects.order_by("chain_seq").values_list("chain_seq", flat=True)) == list(
        range(1, total + 1)
    )
    assert AuditEntry.objects.values("object_id").distinct().count() == total
    assert audit_verify() == []


@pytest.mark.postgres
@only_postgresql
@pytest.mark.django_db(transaction=True)
def test_concurrent_sealers_never_assign_a_position_twice():
    total, sealers = 300, 4
    AuditEntry.objects.bulk_create(
        AuditEntry(at=timezone.now(), action="test.bulk", object_id=str(i)) for i in range(total)
    )
    counts: list[int] = []
    errors = run_in_threads(sealers, lambda k: counts.append(audit_seal(batch_size=9)))
    assert errors == []
    assert sum(counts) == total  # each entry sealed by exactly one of them
    rows = list(AuditEntry.objects.order_by("seq").values_list("chain_seq", flat=True))
    assert rows == list(range(1, total + 1))  # one at a time, in insertion order
    assert AuditHead.objects.get(id=1).last_seq == total
    assert audit_verify() == []


@pytest.mark.postgres
@only_postgresql
@pytest.mark.django_db(transaction=True)
def test_an_entry_that_commits_late_gets_the_next_position():
    inserted, release = threading.Event(), threading.Event()

    def slow_service(k: int) -> None:
        with transaction.atomic():
            audit_log(action="test.slow")  # the lower insertion id...
            inserted.set()
            release.wait(10)  # ...still uncommitted while the others are sealed

    thread = threading.Thread(target=lambda: run_in_threads(1, slow_service))
    thread.start()
    assert inserted.wait(10)
    audit_log(action="test.fast")
    assert audit_seal() == 1  # the uncommitted entry is invisible, not waited for
    release.set()
    thread.join(10)
    assert audit_seal() == 1
    slow, fast = AuditEntry.objects.get(action="test.slow"), AuditEntry.objects.get(action="test.fast")
    assert slow.seq < fast.seq and (fast.chain_seq, slow.chain_seq) == (1, 2)
    assert audit_verify() == []


@pytest.mark.django_db(transaction=True)
def test_tip_row_survives_a_flush_so_appends_keep_their_query_count(django_assert_num_queries):
    call_command("flush", interactive=False, verbosity=0)
    assert AuditHead.objects.filter(id=1, last_seq=0, last_hash=GENESIS).exists()
    with transaction.atomic(), django_assert_num_queries(1):
        audit_log(action="test.after.flush")
    assert audit_verify() == []
    assert AuditHead.objects.get(id=1).last_seq == 1


def test_periodic_jobs(caplog):
    from tongban.core.tasks import PERIODIC, audit_anchor_task, audit_seal_task, audit_verify_task

    assert [(p.name, p.seconds) for p in PERIODIC] == [
        ("core.audit_seal", 5),
        ("core.audit_anchor", 600),
        ("core.audit_verify", 86400),
    ]
    five_entries(seal=False)
    assert audit_seal_task() == 5
    assert audit_seal_task() == 0
    assert audit_anchor_task() == f"5:{AuditEntry.objects.get(chain_seq=5).hash}"
    assert audit_verify_task() == "ok"
    with as_database_owner():
        AuditEntry.objects.filter(chain_seq=2).update(action="test.hidden")
    with caplog.at_level("ERROR", logger="tongban.audit"):
        assert audit_verify_task() == "broken: 1 problem(s)"
    assert [r.getMessage() for r in caplog.records if r.levelname == "ERROR"] == [
        "audit chain BROKEN at #2: content changed after it was written"
    ]


def test_demo_scheduler_runs_the_sealer():
    from tongban.core.periodic import collect_periodic

    jobs = {job.name: job for job in collect_periodic()}
    assert jobs["core.audit_seal"].seconds == 5
    five_entries(seal=False)
    jobs["core.audit_seal"].task()  # what rundemo's loop calls
    assert not AuditEntry.objects.filter(chain_seq__isnull=True).exists()

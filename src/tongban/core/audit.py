"""Append-only, hash-chained audit log, written pending and sealed later.

Every state change and every read of sensitive data calls :func:`audit_log`
inside the same transaction as the change. That is one plain INSERT — no lock,
no read of the chain tip — so audited writes across the platform commit in
parallel, and a rolled-back transaction leaves no trace. The entry is
*pending*: ``seq`` is only its insertion id (assigned by the database; gaps
from rollbacks are normal), and ``chain_seq``, ``prev_hash`` and ``hash`` are
NULL.

:func:`audit_seal` (the ``core.audit_seal`` job, every 5 s) is the one writer
of the chain: it locks the single ``AuditHead`` row, takes the committed
pending entries in insertion order and gives each the next gapless chain
position ``chain_seq`` and ``hash = sha256(prev_hash + canonical_json(entry))``
(the payload's ``"seq"`` is the chain position), then moves the tip. An entry
whose transaction commits late simply gets a later position. Changing,
inserting or deleting any *sealed* entry breaks the chain, which
:func:`audit_verify` (``manage.py audit_verify``; it seals first) reports;
a pending entry is protected by the trigger below but not yet by the chain,
for at most one seal interval. Entries left pending longer than
``settings.AUDIT_SEAL_STALE_SECONDS`` are reported too: the sealer has stopped.

Tamper evidence against someone who can rewrite the whole table: the tip
(chain position, hash) is written to the ``tongban.audit.anchor`` log every few
minutes (:func:`audit_anchor`, which seals first; ship that log off the
machine) and ``audit_verify --anchor SEQ:HASH`` checks the chain still
contains it. On PostgreSQL a trigger refuses DELETE and every UPDATE except
the sealing step itself (a pending row gets its position, link and hash once,
every other column unchanged) — migrations 0003 and 0004; only a database
owner who disables it can tamper.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DatabaseError, connection, transaction
from django.db.models import Count, Min, Q
from django.utils import timezone

from tongban.core import sql
from tongban.core.models import AuditEntry, AuditHead

GENESIS = "0" * 64
anchor_logger = logging.getLogger("tongban.audit.anchor")
logger = logging.getLogger("tongban.audit")

_FIELD_LIMITS = {"actor_repr": 150, "action": 80, "object_type": 80, "object_id": 80}


def _canonical(entry: AuditEntry) -> str:
    payload = {
        "seq": entry.chain_seq,  # the chain position: for entries chained before 0004 it equals the id
        "at": entry.at.isoformat(),
        "actor_id": entry.actor_id,
        "actor_repr": entry.actor_repr,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "data": entry.data,
        "ip": entry.ip,
    }
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def entry_digest(prev_hash: str, entry: AuditEntry) -> str:
    return hashlib.sha256((prev_hash + _canonical(entry)).encode("utf-8")).hexdigest()


def _normalise_ip(ip: str | None) -> str | None:
    """The IP exactly as the database will give it back (Django normalises IPv6), or None if invalid."""
    if not ip:
        return None
    try:
        ipaddress.ip_address(ip.strip())
        value = AuditEntry._meta.get_field("ip").get_prep_value(ip.strip())
    except (ValueError, DjangoValidationError):  # a malformed client address must not block the action
        return None
    return str(value) if value else None


def audit_entry(
    *,
    actor: Any = None,
    action: str,
    obj: Any = None,
    object_type: str = "",
    object_id: str | int = "",
    data: dict[str, Any] | None = None,
    ip: str | None = None,
) -> AuditEntry:
    """The entry :func:`audit_log` would write, not yet saved (for :func:`audit_log_many`)."""
    if obj is not None:
        object_type = object_type or f"{obj._meta.app_label}.{obj._meta.model_name}"
        if object_id in ("", None):
            object_id = str(obj.pk)
    actor_id = getattr(actor, "pk", None) if actor is not None else None
    actor_repr = (getattr(actor, "username", "") or str(actor)) if actor is not None else "system"
    values = {
        "actor_repr": actor_repr,
        "action": action,
        "object_type": object_type,
        "object_id": str(object_id),
    }
    if not action or len(action) > _FIELD_LIMITS["action"]:
        raise ValueError(f"audit action must be 1..80 characters: {action!r}")
    values = {k: v[: _FIELD_LIMITS[k]] for k, v in values.items()}
    # JSON round-trip: dates, decimals and the like become the strings the database will hold.
    clean_data = json.loads(json.dumps(data or {}, ensure_ascii=False, default=str))
    return AuditEntry(
        at=timezone.now(),
        actor_id=actor_id,
        data=clean_data,
        ip=_normalise_ip(ip),
        **values,
    )


def audit_log(
    *,
    actor: Any = None,
    action: str,
    obj: Any = None,
    object_type: str = "",
    object_id: str | int = "",
    data: dict[str, Any] | None = None,
    ip: str | None = None,
) -> AuditEntry:
    """Write one pending entry; joins the caller's transaction (atomic with the change it records).

    ``action`` is ``"app.entity.verb"``. ``data`` must not hold plaintext ID
    numbers or phones (mask them): the log is read by auditors, not by the
    people whose data it is. Costs exactly one INSERT: no lock, no read of the
    chain tip, no savepoint — so it may be called anywhere in a service. The
    returned entry has no chain position or hash yet (:func:`audit_seal`).
    """
    entry = audit_entry(
        actor=actor, action=action, obj=obj, object_type=object_type, object_id=object_id, data=data, ip=ip
    )
    audit_log_many([entry])
    return entry


def audit_log_many(entries: Sequence[AuditEntry]) -> list[AuditEntry]:
    """Write several entries built with :func:`audit_entry` in one INSERT, in the given order
    (insertion order is the order they are sealed in)."""
    written = list(entries)
    sql.insert(written)
    return written


SEAL_BATCH_SIZE = 1000


def _lock_head() -> AuditHead:
    head = AuditHead.objects.select_for_update().filter(id=1).first()
    if head is None:  # only after someone deleted the row: migrate and flush create it
        AuditHead.objects.get_or_create(id=1)
        head = AuditHead.objects.select_for_update().get(id=1)
    return head


def audit_seal(*, batch_size: int = SEAL_BATCH_SIZE) -> int:
    """Chain every committed pending entry, in insertion order; return how many were sealed.

    Each batch is one transaction holding the ``AuditHead`` lock, so only one
    sealer works at a time and positions are gapless: entries get
    ``chain_seq = tip + 1, + 2, …``, ``prev_hash`` and ``hash``, then the tip
    moves. An entry that commits after a later-inserted one was sealed just
    gets the next position. Idempotent and safe to run concurrently or
    inside a caller's transaction; with nothing pending it costs one
    lock-free read.
    """
    table = connection.ops.quote_name(AuditEntry._meta.db_table)
    seal_sql = (
        f"UPDATE {table} SET chain_seq = %s, prev_hash = %s, hash = %s"  # noqa: S608 - our own table name
        " WHERE seq = %s AND chain_seq IS NULL"
    )
    pending = AuditEntry.objects.filter(chain_seq__isnull=True)
    sealed = 0
    while pending.exists():
        with transaction.atomic():
            head = _lock_head()
            batch = list(pending.order_by("seq")[:batch_size])
            if not batch:  # another sealer took them while we waited for the lock
                break
            position, digest = head.last_seq, head.last_hash
            rows = []
            for entry in batch:
                position += 1
                entry.chain_seq, entry.prev_hash = position, digest
                digest = entry.hash = entry_digest(digest, entry)
                rows.append((entry.chain_seq, entry.prev_hash, entry.hash, entry.seq))
            with connection.cursor() as cursor:
                cursor.executemany(seal_sql, rows)
                if cursor.rowcount != len(rows):  # cannot happen under the head lock; never half-seal
                    raise DatabaseError(f"audit seal: {cursor.rowcount} of {len(rows)} entries updated")
            AuditHead.objects.filter(id=1).update(last_seq=position, last_hash=digest)
        sealed += len(batch)
        if len(batch) < batch_size:
            break
    return sealed


@dataclass(frozen=True)
class AuditPending:
    """Entries written but not yet sealed; ``stalled`` of them waited longer than the stale limit."""

    pending: int
    stalled: int
    oldest_stalled_at: datetime | None

    @property
    def since(self) -> str:
        return (
            timezone.localtime(self.oldest_stalled_at).isoformat(timespec="seconds")
            if self.oldest_stalled_at
            else ""
        )


def audit_pending() -> AuditPending:
    """One query: how many entries await sealing and how many have waited too long (sealer down)."""
    stale_before = timezone.now() - timedelta(seconds=settings.AUDIT_SEAL_STALE_SECONDS)
    stale = Q(at__lt=stale_before)
    row = AuditEntry.objects.filter(chain_seq__isnull=True).aggregate(
        pending=Count("seq"), stalled=Count("seq", filter=stale), oldest=Min("at", filter=stale)
    )
    return AuditPending(pending=row["pending"], stalled=row["stalled"], oldest_stalled_at=row["oldest"])


@dataclass(frozen=True)
class AuditProblem:
    seq: int  # chain position (0: not about one entry)
    problem: str
    problem_zh: str

    def __str__(self) -> str:
        return f"#{self.seq}: {self.problem_zh} / {self.problem}"


@dataclass(frozen=True)
class AuditReport:
    entries: int  # sealed entries walked
    last_seq: int  # chain position of the last one
    last_hash: str
    problems: list[AuditProblem]
    pending: int = 0  # entries not sealed yet when the walk ended

    @property
    def ok(self) -> bool:
        return not self.problems


def audit_verify_report(
    *, batch_size: int = 5000, anchors: dict[int, str] | None = None, seal: bool = True
) -> AuditReport:
    """Walk the whole chain; report every edited, inserted or missing entry and a tip that does not match.

    Seals pending entries first unless ``seal=False``. ``anchors`` maps chain
    positions to hashes recorded earlier outside the database (the anchor log);
    each must still be in the chain. Entries pending for longer than
    ``settings.AUDIT_SEAL_STALE_SECONDS`` are a problem too: the sealer is not running.
    """
    problems: list[AuditProblem] = []
    if seal:
        try:
            audit_seal()
        except DatabaseError as exc:
            logger.exception("audit sealing failed")
            problems.append(AuditProblem(0, f"sealing failed: {exc}", f"封存失败：{exc}"))
    anchors = dict(anchors or {})
    # The tip first, and only the chain up to it: a sealer running meanwhile commits new entries
    # and the tip together, so what it adds is checked by the next run, not mistaken for tampering.
    head = AuditHead.objects.filter(id=1).first()
    chain = AuditEntry.objects.filter(chain_seq__isnull=False)
    if head is not None:
        chain = chain.filter(chain_seq__lte=head.last_seq)
    prev_hash = GENESIS
    expected_seq = 1
    count = 0
    for entry in chain.order_by("chain_seq").iterator(chunk_size=batch_size):
        count += 1
        position = entry.chain_seq
        assert position is not None  # filtered above; narrows the type
        if position != expected_seq:  # chain_seq is unique and ordered: only gaps are possible
            problems.append(
                AuditProblem(
                    expected_seq,
                    f"entries {expected_seq}..{position - 1} missing",
                    f"第{expected_seq}–{position - 1}条记录缺失",
                )
            )
        if entry.prev_hash != prev_hash:
            problems.append(
                AuditProblem(
                    position, "prev_hash does not match the previous entry", "与前一条记录的链接不符"
                )
            )
        if entry_digest(entry.prev_hash or "", entry) != entry.hash:
            problems.append(
                AuditProblem(position, "content changed after it was written", "记录内容在写入后被修改")
            )
        expected_anchor = anchors.pop(position, None)
        if expected_anchor is not None and expected_anchor != entry.hash:
            problems.append(
                AuditProblem(position, "hash differs from the recorded anchor", "哈希与外部锚点记录不符")
            )
        prev_hash = entry.hash or ""
        expected_seq = position + 1
    problems.extend(
        AuditProblem(seq, "anchored entry no longer exists", "外部锚点对应的记录已不存在")
        for seq in sorted(anchors)
    )
    last_seq = expected_seq - 1
    if head is not None and (head.last_seq != last_seq or head.last_hash != prev_hash):
        problems.append(
            AuditProblem(
                head.last_seq,
                f"chain tip does not match (head says #{head.last_seq}, chain ends at #{last_seq}): "
                "entries at the end were removed",
                f"链尾不符（记录头为第{head.last_seq}条，链止于第{last_seq}条）：末尾记录被删除",
            )
        )
    elif head is None and count:
        problems.append(AuditProblem(0, "chain tip row is missing", "链尾记录头缺失"))
    if head is not None:
        # Sealed entries past the tip as it is *now* were not written by the sealer: forged.
        head_now = AuditHead.objects.filter(id=1).first()
        tip_now = head_now.last_seq if head_now is not None else head.last_seq
        beyond = AuditEntry.objects.filter(chain_seq__gt=tip_now).aggregate(
            n=Count("seq"), first=Min("chain_seq")
        )
        if beyond["n"]:
            problems.append(
                AuditProblem(
                    beyond["first"],
                    f"{beyond['n']} entries beyond the chain tip #{tip_now}",
                    f"{beyond['n']}条记录位于链尾（第{tip_now}条）之后",
                )
            )
    waiting = audit_pending()
    if waiting.stalled:
        problems.append(
            AuditProblem(
                0,
                f"sealing has stalled: {waiting.stalled} entries pending since {waiting.since}",
                f"封存已停滞：{waiting.stalled}条记录自{waiting.since}起待封存",
            )
        )
    return AuditReport(
        entries=count, last_seq=last_seq, last_hash=prev_hash, problems=problems, pending=waiting.pending
    )


def audit_verify(
    *, batch_size: int = 5000, anchors: dict[int, str] | None = None, seal: bool = True
) -> list[AuditProblem]:
    """The problems found by :func:`audit_verify_report` (empty list = chain intact)."""
    return audit_verify_report(batch_size=batch_size, anchors=anchors, seal=seal).problems


def audit_anchor(*, seal: bool = True) -> tuple[int, str]:
    """Seal, then write the tip to the ``tongban.audit.anchor`` log (ship it off the machine) and return it."""
    if seal:
        audit_seal()
    head = AuditHead.objects.filter(id=1).first()
    seq, digest = (head.last_seq, head.last_hash) if head else (0, GENESIS)
    anchor_logger.info("audit anchor seq=%s hash=%s", seq, digest)
    return seq, digest

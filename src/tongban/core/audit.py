"""Append-only, hash-chained audit log.

Every state change and every read of sensitive data calls :func:`audit_log`
inside the same transaction as the change. Entries get a gapless sequence
number and ``hash = sha256(prev_hash + canonical_json(entry))``; changing,
inserting or deleting any entry breaks the chain, which :func:`audit_verify`
(``manage.py audit_verify``) reports.

Concurrency: appending locks the single ``AuditHead`` row (``SELECT … FOR
UPDATE``) until the caller's transaction ends, so entries are numbered in
commit order with no gaps, and a rolled-back transaction leaves no trace.
Call ``audit_log`` as the **last** write of a service: the head lock is then
held only for the commit, and every service takes locks in the same order
(domain rows first, audit head last), so they cannot deadlock on it.

Tamper evidence against someone who can rewrite the whole table: the tip
(``seq``, ``hash``) is written to the ``tongban.audit.anchor`` log every few
minutes (:func:`audit_anchor`; ship that log off the machine) and
``audit_verify --anchor SEQ:HASH`` checks the chain still contains it.
On PostgreSQL a trigger also refuses UPDATE and DELETE on the table
(migration 0003); only a database owner who disables it can tamper.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import logging
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils import timezone

from tongban.core.models import AuditEntry, AuditHead

GENESIS = "0" * 64
anchor_logger = logging.getLogger("tongban.audit.anchor")

_FIELD_LIMITS = {"actor_repr": 150, "action": 80, "object_type": 80, "object_id": 80}


def _canonical(entry: AuditEntry) -> str:
    payload = {
        "seq": entry.seq,
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
    """Append one entry; joins the caller's transaction (atomic with the change it records).

    ``action`` is ``"app.entity.verb"``. ``data`` must not hold plaintext ID
    numbers or phones (mask them): the log is read by auditors, not by the
    people whose data it is. Costs 3 queries (lock tip, insert, move tip) plus
    no savepoint: it joins the caller's transaction.
    """
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
    # JSON round-trip so what we hash is exactly what the database gives back.
    clean_data = json.loads(json.dumps(data or {}, ensure_ascii=False, default=str))
    # savepoint=False: inside a service's transaction the entry is part of it; a
    # failure here must abort the whole change anyway, so a savepoint buys nothing
    # and costs two round trips under the chain's lock.
    with transaction.atomic(savepoint=False):
        head = AuditHead.objects.select_for_update().filter(id=1).first()
        if head is None:
            AuditHead.objects.get_or_create(id=1)
            head = AuditHead.objects.select_for_update().get(id=1)
        entry = AuditEntry(
            seq=head.last_seq + 1,
            at=timezone.now(),
            actor_id=actor_id,
            data=clean_data,
            ip=_normalise_ip(ip),
            prev_hash=head.last_hash,
            **values,
        )
        entry.hash = entry_digest(head.last_hash, entry)
        entry.save(force_insert=True)
        AuditHead.objects.filter(id=1).update(last_seq=entry.seq, last_hash=entry.hash)
    return entry


@dataclass(frozen=True)
class AuditProblem:
    seq: int
    problem: str
    problem_zh: str

    def __str__(self) -> str:
        return f"#{self.seq}: {self.problem_zh} / {self.problem}"


@dataclass(frozen=True)
class AuditReport:
    entries: int
    last_seq: int
    last_hash: str
    problems: list[AuditProblem]

    @property
    def ok(self) -> bool:
        return not self.problems


def audit_verify_report(*, batch_size: int = 5000, anchors: dict[int, str] | None = None) -> AuditReport:
    """Walk the whole chain; report every edited, inserted or missing entry and a tip that does not match.

    ``anchors`` maps sequence numbers to hashes recorded earlier outside the
    database (the anchor log); each must still be in the chain.
    """
    problems: list[AuditProblem] = []
    anchors = dict(anchors or {})
    prev_hash = GENESIS
    expected_seq = 1
    count = 0
    for entry in AuditEntry.objects.order_by("seq").iterator(chunk_size=batch_size):
        count += 1
        if entry.seq != expected_seq:  # seq is the ordered primary key: only gaps are possible
            problems.append(
                AuditProblem(
                    expected_seq,
                    f"entries {expected_seq}..{entry.seq - 1} missing",
                    f"第{expected_seq}–{entry.seq - 1}条记录缺失",
                )
            )
        if entry.prev_hash != prev_hash:
            problems.append(
                AuditProblem(
                    entry.seq, "prev_hash does not match the previous entry", "与前一条记录的链接不符"
                )
            )
        if entry_digest(entry.prev_hash, entry) != entry.hash:
            problems.append(
                AuditProblem(entry.seq, "content changed after it was written", "记录内容在写入后被修改")
            )
        expected_anchor = anchors.pop(entry.seq, None)
        if expected_anchor is not None and expected_anchor != entry.hash:
            problems.append(
                AuditProblem(entry.seq, "hash differs from the recorded anchor", "哈希与外部锚点记录不符")
            )
        prev_hash = entry.hash
        expected_seq = entry.seq + 1
    problems.extend(
        AuditProblem(seq, "anchored entry no longer exists", "外部锚点对应的记录已不存在")
        for seq in sorted(anchors)
    )
    last_seq = expected_seq - 1
    head = AuditHead.objects.filter(id=1).first()
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
    return AuditReport(entries=count, last_seq=last_seq, last_hash=prev_hash, problems=problems)


def audit_verify(*, batch_size: int = 5000, anchors: dict[int, str] | None = None) -> list[AuditProblem]:
    """The problems found by :func:`audit_verify_report` (empty list = chain intact)."""
    return audit_verify_report(batch_size=batch_size, anchors=anchors).problems


def audit_anchor() -> tuple[int, str]:
    """Write the current tip to the ``tongban.audit.anchor`` log (ship it off the machine) and return it."""
    head = AuditHead.objects.filter(id=1).first()
    seq, digest = (head.last_seq, head.last_hash) if head else (0, GENESIS)
    anchor_logger.info("audit anchor seq=%s hash=%s", seq, digest)
    return seq, digest

"""Append-only, hash-chained audit log.

Every state change and every read of sensitive data calls :func:`audit_log`
inside the same transaction as the change. Entries get a gapless sequence
number and ``hash = sha256(prev_hash + canonical_json(entry))``; changing or
deleting any entry breaks the chain, which :func:`audit_verify` reports.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from tongban.core.models import AuditEntry, AuditHead

GENESIS = "0" * 64


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


def _digest(prev_hash: str, entry: AuditEntry) -> str:
    return hashlib.sha256((prev_hash + _canonical(entry)).encode("utf-8")).hexdigest()


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
    """Append one entry. Call inside the service's transaction; it joins it (atomic)."""
    if obj is not None:
        object_type = object_type or f"{obj._meta.app_label}.{obj._meta.model_name}"
        object_id = object_id or str(obj.pk)
    actor_id = getattr(actor, "pk", None) if actor is not None else None
    actor_repr = getattr(actor, "username", "") or (str(actor) if actor is not None else "system")
    # JSON round-trip so what we hash is exactly what the database gives back.
    clean_data = json.loads(json.dumps(data or {}, ensure_ascii=False, default=str))
    with transaction.atomic():
        head, _ = AuditHead.objects.get_or_create(id=1)
        head = AuditHead.objects.select_for_update().get(id=1)
        entry = AuditEntry(
            seq=head.last_seq + 1,
            at=timezone.now(),
            actor_id=actor_id,
            actor_repr=actor_repr[:150],
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            data=clean_data,
            ip=ip,
            prev_hash=head.last_hash,
        )
        entry.hash = _digest(head.last_hash, entry)
        entry.save(force_insert=True)
        AuditHead.objects.filter(id=1).update(last_seq=entry.seq, last_hash=entry.hash)
    return entry


@dataclass(frozen=True)
class AuditProblem:
    seq: int
    problem: str


def audit_verify(*, batch_size: int = 5000) -> list[AuditProblem]:
    """Walk the chain; report every edited, inserted or missing entry, and a tip that does not match."""
    problems: list[AuditProblem] = []
    prev_hash = GENESIS
    expected_seq = 1
    for entry in AuditEntry.objects.order_by("seq").iterator(chunk_size=batch_size):
        if entry.seq != expected_seq:
            problems.append(AuditProblem(expected_seq, f"entries {expected_seq}..{entry.seq - 1} missing"))
        if entry.prev_hash != prev_hash:
            problems.append(AuditProblem(entry.seq, "prev_hash does not match the previous entry"))
        if _digest(entry.prev_hash, entry) != entry.hash:
            problems.append(AuditProblem(entry.seq, "content changed after it was written"))
        prev_hash = entry.hash
        expected_seq = entry.seq + 1
    head = AuditHead.objects.filter(id=1).first()
    if head is not None and (head.last_seq != expected_seq - 1 or head.last_hash != prev_hash):
        problems.append(
            AuditProblem(head.last_seq, "chain tip does not match: entries at the end were removed")
        )
    return problems

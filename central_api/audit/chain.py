"""The hash-chained audit log: append inside the caller's transaction, verify the chain.

Each row's ``hash`` is ``sha256(prev_hash + canonical JSON of its content)``; the single
``audit_head`` row holds the last seq and hash, so a truncated tail is caught too. Appends
serialise on the head row: ``SELECT ... FOR UPDATE`` on PostgreSQL; on SQLite a no-op
``UPDATE`` of the head row first takes the database write lock (as ``BEGIN IMMEDIATE``
would), so the head read after it is the latest and two writers never fork the chain.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, update
from sqlmodel import Session, col, select

from central_api.db import utc_now
from central_api.models import AuditEntry, AuditHead

__all__ = [
    "GENESIS_HASH",
    "AuditVerdict",
    "append_audit",
    "canonical_json",
    "ensure_audit_head",
    "hash_entry",
    "verify_chain",
]

GENESIS_HASH = "0" * 64


def canonical_json(value: Any) -> str:
    """Deterministic JSON: sorted keys, no spaces, ISO datetimes, non-ASCII kept."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_json_default
    )


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    return str(value)


def hash_entry(
    *,
    prev_hash: str,
    seq: int,
    at: datetime,
    actor: str,
    action: str,
    target: str,
    before: str | None,
    after: str | None,
) -> str:
    """The chain hash of one row's content following `prev_hash`."""
    content = canonical_json(
        {
            "seq": seq,
            "at": at.isoformat(),
            "actor": actor,
            "action": action,
            "target": target,
            "before": before,
            "after": after,
        }
    )
    return hashlib.sha256((prev_hash + content).encode()).hexdigest()


def ensure_audit_head(*, engine: Engine) -> None:
    """Create the chain-head row if missing (migrations do it; tests using create_all too)."""
    with Session(engine) as session:
        if session.get(AuditHead, 1) is None:
            session.add(AuditHead(id=1, seq=0, hash=GENESIS_HASH))
            session.commit()


def append_audit(
    *,
    session: Session,
    actor: str,
    action: str,
    target: str = "",
    before: Any = None,
    after: Any = None,
) -> AuditEntry:
    """Append one audit row in the caller's transaction (committed with the change itself).

    Args:
        session: The open session whose transaction also holds the audited change.
        actor: Who did it (``user:NAME``, ``gate:ID`` or ``system``).
        action: What was done, e.g. ``person.revoke``.
        target: What it was done to, e.g. ``person:abc``.
        before: The state before (JSON-able) or None.
        after: The state after (JSON-able) or None.
    """
    if session.get_bind().dialect.name == "sqlite":
        session.exec(update(AuditHead).where(col(AuditHead.id) == 1).values(seq=AuditHead.seq))
    head = session.exec(
        select(AuditHead)
        .where(AuditHead.id == 1)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    if head is None:
        head = AuditHead(id=1, seq=0, hash=GENESIS_HASH)
        session.add(head)
        session.flush()
    # Microseconds dropped: every database gives back the same instant, so the hash holds.
    at = utc_now().replace(microsecond=0)
    before_json = None if before is None else canonical_json(before)
    after_json = None if after is None else canonical_json(after)
    seq = head.seq + 1
    digest = hash_entry(
        prev_hash=head.hash,
        seq=seq,
        at=at,
        actor=actor,
        action=action,
        target=target,
        before=before_json,
        after=after_json,
    )
    entry = AuditEntry(
        seq=seq,
        at=at,
        actor=actor[:80],
        action=action[:64],
        target=target[:128],
        before=before_json,
        after=after_json,
        prev_hash=head.hash,
        hash=digest,
    )
    head.seq, head.hash = seq, digest
    session.add(entry)
    session.add(head)
    session.flush()
    return entry


@dataclass(frozen=True, slots=True)
class AuditVerdict:
    """The result of walking the chain: `broken_seq` is the first bad link, if any."""

    ok: bool
    checked: int
    broken_seq: int | None = None
    message: str = "audit chain intact"


def verify_chain(*, session: Session, batch: int = 1000) -> AuditVerdict:
    """Walk every row in storage order; report the first edited, missing or moved link."""
    prev_hash, expected_seq, checked, last_id = GENESIS_HASH, 1, 0, 0
    while True:
        rows = session.exec(
            select(AuditEntry)
            .where(col(AuditEntry.id) > last_id)
            .order_by(col(AuditEntry.id))
            .limit(batch)
        ).all()
        if not rows:
            break
        for row in rows:
            problem = _check_row(row, expected_seq=expected_seq, prev_hash=prev_hash)
            if problem:
                return AuditVerdict(False, checked, expected_seq, problem)
            prev_hash, expected_seq, checked = row.hash, expected_seq + 1, checked + 1
            last_id = row.id or last_id
    head = session.get(AuditHead, 1)
    head_seq, head_hash = (head.seq, head.hash) if head else (0, GENESIS_HASH)
    if head_seq != checked or head_hash != prev_hash:
        return AuditVerdict(
            False,
            checked,
            checked + 1,
            f"chain ends at seq {checked} but the head records seq {head_seq}: "
            "rows were removed from the end or the head was altered",
        )
    return AuditVerdict(True, checked)


def _check_row(row: AuditEntry, *, expected_seq: int, prev_hash: str) -> str | None:
    if row.seq != expected_seq:
        return f"row id {row.id} has seq {row.seq}, expected {expected_seq} (deleted or moved)"
    if row.prev_hash != prev_hash:
        return f"seq {row.seq}: prev_hash does not match the previous row (deleted or moved)"
    digest = hash_entry(
        prev_hash=row.prev_hash,
        seq=row.seq,
        at=row.at,
        actor=row.actor,
        action=row.action,
        target=row.target,
        before=row.before,
        after=row.after,
    )
    if digest != row.hash:
        return f"seq {row.seq}: content does not match its hash (edited)"
    return None

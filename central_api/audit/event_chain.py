"""Stored access events in the audit chain: one Merkle root per stored batch, and its check.

Events arrive in batches, concurrently, from many gates; a chain link per event would
serialise ingest on the audit head row for every event. Instead each stored batch appends
ONE audit entry (action ``event.batch``, in the transaction that stores the rows) whose
content is the batch's RFC 6962 Merkle root (`central_api.audit.merkle`), its count, its
event ids in leaf order and the fields its leaves hash (a column added later does not
change older batches' leaves). A row's leaf hashes a canonical JSON of every stored field
but the surrogate key (`EVENT_LEAF_FIELDS`); the row keeps its own leaf (``chain_leaf``)
so that an edit names its event.

`verify_events` then recomputes: every row covered by exactly one batch, every leaf and
root as recorded; each edited, deleted or inserted event is named. Rows stored before the
first batch (a database older than migration 0022) are reported as not covered, with the
date coverage began, and do not fail the check (docs/production.md, "Audit").
"""

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum
from typing import Any

from sqlalchemy import RowMapping, bindparam
from sqlmodel import Session, SQLModel, col, select

from central_api.audit.chain import append_audit, canonical_json
from central_api.audit.merkle import leaf_hash, merkle_root
from central_api.models import AccessEventRecord, AuditEntry

__all__ = [
    "EVENT_BATCH_ACTION",
    "EVENT_SEAL_ACTION",
    "SealRefused",
    "EVENT_LEAF_FIELDS",
    "EventVerdict",
    "event_leaf",
    "seal_event_batch",
    "seal_uncovered_events",
    "verify_events",
]

EVENT_BATCH_ACTION = "event.batch"
# The one-time seal of the rows stored before coverage began (`seal_uncovered_events`).
EVENT_SEAL_ACTION = "event.seal"
# Every stored field of an event but the surrogate key `id` and the leaf itself.
EVENT_LEAF_FIELDS = (
    "event_id",
    "site_id",
    "gate_id",
    "agent_seq",
    "occurred_at",
    "received_at",
    "lane",
    "direction",
    "decision",
    "reason",
    "reason_detail",
    "person_id",
    "credential_kind",
    "credential_ref",
    "face_score",
    "liveness_score",
    "face_model",
    "face_threshold",
    "decided_by",
    "replica_version",
    "command_id",
    "passed",
    "latency_ms",
    "latency",
    "anti_passback_violation",
)
# How many problems a verdict lists in full (the count is always exact).
_MAX_LISTED = 50


def _canonical(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {key: None if v is None else float(v) for key, v in value.items()}
    return value


def event_leaf(values: Mapping[Any, Any], fields: Sequence[str] = EVENT_LEAF_FIELDS) -> str:
    """The hex leaf hash of one event row (its stored values, as inserted or as read).

    `fields`: the fields hashed; a batch records the list it was sealed with, so a column
    added later leaves the leaves of older batches as they were.
    """
    content = {name: _canonical(values.get(name)) for name in fields}
    return leaf_hash(canonical_json(content).encode()).hex()


def seal_event_batch(
    *, session: Session, leaves: Sequence[tuple[str, str]], action: str = EVENT_BATCH_ACTION
) -> None:
    """Append the audit entry of one stored batch: ``(event_id, leaf)`` pairs, in leaf order.

    Runs in the caller's transaction, after the rows were inserted: rows and entry commit
    together or not at all.
    """
    if not leaves:
        return
    root = merkle_root([bytes.fromhex(leaf) for _, leaf in leaves])
    append_audit(
        session=session,
        actor="system",
        action=action,
        target=f"access_event:{len(leaves)}",
        after={
            "root": root.hex(),
            "count": len(leaves),
            "event_ids": [event_id for event_id, _ in leaves],
            "fields": list(EVENT_LEAF_FIELDS),
        },
    )


@dataclass(slots=True)
class EventVerdict:
    """What the events' check found; `problems` name each tampered event (first 50)."""

    checked: int = 0
    batches: int = 0
    problem_count: int = 0
    problems: list[str] = field(default_factory=list)
    not_covered: int = 0
    coverage_began: datetime | None = None
    sealed: bool = False

    @property
    def ok(self) -> bool:
        """Whether every covered event is as stored and nothing was inserted."""
        return self.problem_count == 0

    def add(self, problem: str) -> None:
        """Count one problem (listed while fewer than 50 are)."""
        self.problem_count += 1
        if len(self.problems) < _MAX_LISTED:
            self.problems.append(problem)


@dataclass(frozen=True, slots=True)
class _Batch:
    seq: int
    at: datetime
    root: str
    event_ids: tuple[str, ...]
    fields: tuple[str, ...]
    sealed: bool = False


def _batches(session: Session) -> list[_Batch]:
    rows = session.exec(
        select(AuditEntry)
        .where(col(AuditEntry.action).in_((EVENT_BATCH_ACTION, EVENT_SEAL_ACTION)))
        .order_by(col(AuditEntry.seq))
    ).all()
    batches = []
    for row in rows:
        content = json.loads(row.after or "{}")
        batches.append(
            _Batch(
                row.seq,
                row.at,
                content["root"],
                tuple(content["event_ids"]),
                tuple(content["fields"]),
                sealed=row.action == EVENT_SEAL_ACTION,
            )
        )
    return batches


def _event_rows(session: Session, batch: int = 5000) -> Iterator[RowMapping]:
    table = SQLModel.metadata.tables[AccessEventRecord.__tablename__]
    columns = [table.c.id, table.c.chain_leaf, *(table.c[name] for name in EVENT_LEAF_FIELDS)]
    # No lower bound on the first page: a row inserted with id 0 or below is read too.
    last_id: int | None = None
    while True:
        query = select(*columns).order_by(table.c.id).limit(batch)
        if last_id is not None:
            query = query.where(table.c.id > last_id)
        rows = session.connection().execute(query).mappings().all()
        if not rows:
            return
        yield from rows
        last_id = rows[-1]["id"]


def verify_events(*, session: Session) -> EventVerdict:
    """Check every stored event against the batch roots in the audit chain.

    Trust in the batch entries comes from the chain itself: run `verify_chain` first.
    """
    verdict = EventVerdict()
    batches = _batches(session)
    verdict.batches = len(batches)
    covering: dict[str, _Batch] = {}
    for found in batches:
        for event_id in found.event_ids:
            if event_id in covering:
                verdict.add(
                    f"event {event_id}: in two batches (audit seq {covering[event_id].seq} "
                    f"and {found.seq})"
                )
            covering[event_id] = found
    verdict.coverage_began = batches[0].at if batches else None
    verdict.sealed = any(found.sealed for found in batches)
    leaves, named = _check_rows(session, covering, verdict)
    for found in batches:
        _check_batch(found, leaves.get(found.seq, {}), verdict, named=found.seq in named)
    return verdict


def _check_rows(
    session: Session, covering: Mapping[str, _Batch], verdict: EventVerdict
) -> tuple[dict[int, dict[str, str]], set[int]]:
    """Recompute each row's leaf: the leaves by batch seq and event id, the batches named."""
    leaves: dict[int, dict[str, str]] = {}
    named: set[int] = set()
    first_covered_id: int | None = None
    uncovered_before: list[RowMapping] = []
    for row in _event_rows(session):
        verdict.checked += 1
        event_id, found = row["event_id"], covering.get(row["event_id"])
        if found is None:
            if first_covered_id is None and not verdict.sealed:
                uncovered_before.append(row)  # stored before coverage began, or inserted
            else:
                verdict.add(_inserted(event_id))
            continue
        first_covered_id = first_covered_id if first_covered_id is not None else row["id"]
        leaf = event_leaf(row, found.fields)
        if row["chain_leaf"] is not None and leaf != row["chain_leaf"]:
            verdict.add(f"event {event_id}: edited (its fields no longer match its leaf)")
            named.add(found.seq)
        leaves.setdefault(found.seq, {})[event_id] = leaf
    if first_covered_id is None and verdict.coverage_began is not None:
        # Batches exist but no covered row is left: every row is an insertion.
        for row in uncovered_before:
            verdict.add(_inserted(row["event_id"]))
    else:
        verdict.not_covered = len(uncovered_before)
    return leaves, named


def _inserted(event_id: str) -> str:
    return f"event {event_id}: inserted (no batch in the audit chain covers it)"


def _check_batch(
    found: _Batch, leaves: Mapping[str, str], verdict: EventVerdict, *, named: bool
) -> None:
    missing = [event_id for event_id in found.event_ids if event_id not in leaves]
    for event_id in missing:
        verdict.add(f"event {event_id}: deleted (batch at audit seq {found.seq} lists it)")
    if missing or named:
        return  # the batch's events were named already
    root = merkle_root([bytes.fromhex(leaves[event_id]) for event_id in found.event_ids])
    if root.hex() != found.root:
        verdict.add(
            f"batch at audit seq {found.seq}: its {len(found.event_ids)} events do not match "
            "the recorded Merkle root (an event edited together with its stored leaf)"
        )


class SealRefused(ValueError):
    """The events were sealed before: a second seal would cover insertions."""


def seal_uncovered_events(*, session: Session) -> int:
    """Cover the events stored before coverage began with one audit entry; the caller commits.

    Those are the rows before the first covered one, in storage order (a database
    migrated to 0022 with events in it). Once only: after the seal, `verify_events` counts
    no row as "before coverage", so an uncovered row is an insertion. Returns how many
    events it sealed (0: none to seal, and nothing is written).

    Raises:
        SealRefused: a seal is in the chain already.
    """
    batches = _batches(session)
    if any(found.sealed for found in batches):
        raise SealRefused("the events stored before coverage were sealed already")
    covered = {event_id for found in batches for event_id in found.event_ids}
    sealed: list[tuple[str, str]] = []
    for row in _event_rows(session):
        if row["event_id"] in covered:
            break  # coverage began here; an uncovered row after it is an insertion
        sealed.append((row["event_id"], event_leaf(row)))
    if not sealed:
        return 0
    table = SQLModel.metadata.tables[AccessEventRecord.__tablename__]
    session.connection().execute(
        table.update().where(table.c.event_id == bindparam("sealed_id")),
        [{"sealed_id": event_id, "chain_leaf": leaf} for event_id, leaf in sealed],
    )
    seal_event_batch(session=session, leaves=sealed, action=EVENT_SEAL_ACTION)
    return len(sealed)

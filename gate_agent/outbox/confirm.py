"""Confirming published events and alarms with the API: a broker's PUBACK is not proof.

A broker may acknowledge a message and then lose it (it crashed before saving the API's
persistent session, say). So the agent keeps every published row until the API confirms
it: a worker asks ``POST /api/v1/{events,alarms}/known`` about a batch of each kind
published a while ago, and sends the ones the API does not know again with
``POST /api/v1/{events,alarms}`` (idempotent on the id). `reconcile` is that exchange, the
same for every kind, with no state of its own: the loop hands it a `ConfirmJob` and each
kind's sender marks what its `ConfirmOutcome` names confirmed.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from gate_protocol.api_models import MAX_ALARM_BATCH, MAX_EVENT_BATCH

from gate_agent.links.api_client import ApiError, BatchResult, Upload
from gate_agent.outbox.kinds import M, OutboxKind
from gate_agent.outbox.rows import Pending

__all__ = [
    "CONFIRM_BATCH",
    "ConfirmApi",
    "ConfirmBatch",
    "ConfirmJob",
    "ConfirmOutcome",
    "ConfirmResult",
    "reconcile",
]

_log = logging.getLogger(__name__)
CONFIRM_BATCH = min(MAX_EVENT_BATCH, MAX_ALARM_BATCH)


class ConfirmApi(Protocol):
    """The API calls that confirm rows of any kind (the real one is `ApiClient`)."""

    def known(self, wire: Upload[M], ids: Sequence[str]) -> frozenset[str]:
        """Which of these ids of this gate's messages of one kind the API stores."""
        ...

    def upload(self, wire: Upload[M], messages: Sequence[M]) -> BatchResult:
        """Store a batch of one kind (idempotent on the id)."""
        ...


@dataclass(frozen=True, slots=True)
class ConfirmBatch:
    """Published, unconfirmed rows of one kind to check with the API, in outbox order."""

    kind: OutboxKind[Any]
    pending: tuple[Pending[Any], ...]


@dataclass(frozen=True, slots=True)
class ConfirmJob:
    """One round for the confirm worker: a batch of each kind that has one."""

    batches: tuple[ConfirmBatch, ...]


@dataclass(frozen=True, slots=True)
class ConfirmOutcome:
    """What the API confirmed of one kind's batch.

    Attributes:
        kind: Which rows.
        asked: Rows in the batch.
        confirmed: Outbox sequence numbers the API now stores.
        known: Of those, how many it already had.
        resent: Of those, how many it did not have and stored from the re-send.
        error: Why (part of) the batch was not confirmed, if so.
    """

    kind: OutboxKind[Any]
    asked: int
    confirmed: tuple[int, ...] = ()
    known: int = 0
    resent: int = 0
    error: str | None = None


@dataclass(frozen=True, slots=True)
class ConfirmResult:
    """The confirm worker's answer to a job: one outcome per batch."""

    outcomes: tuple[ConfirmOutcome, ...]

    @classmethod
    def failed(cls, job: ConfirmJob, error: str) -> ConfirmResult:
        """A job of which nothing was confirmed."""
        return cls(tuple(ConfirmOutcome(b.kind, len(b.pending), error=error) for b in job.batches))


def reconcile(*, api: ConfirmApi, job: ConfirmJob) -> ConfirmResult:
    """Ask the API which rows of `job` it stores and send it the others again."""
    return ConfirmResult(tuple(_reconcile(api, batch) for batch in job.batches))


def _reconcile(api: ConfirmApi, batch: ConfirmBatch) -> ConfirmOutcome:
    """One kind's exchange."""
    kind, asked = batch.kind, len(batch.pending)
    if not batch.pending:
        return ConfirmOutcome(kind, 0)
    items = [(p.seq, kind.id_of(p.message), p.message) for p in batch.pending]
    try:
        known_ids = api.known(kind.upload, [key for _, key, _ in items])
    except ApiError as exc:
        return ConfirmOutcome(kind, asked, error=str(exc))
    stored = tuple(seq for seq, key, _ in items if key in known_ids)
    unknown = [(seq, message) for seq, key, message in items if key not in known_ids]
    if not unknown:
        return ConfirmOutcome(kind, asked, confirmed=stored, known=len(stored))
    _log.warning(
        "the API lacks %d of %d %s the broker acknowledged; sending them again",
        len(unknown),
        asked,
        kind.noun,
    )
    try:
        api.upload(kind.upload, [message for _, message in unknown])
    except ApiError as exc:
        return ConfirmOutcome(kind, asked, confirmed=stored, known=len(stored), error=str(exc))
    return ConfirmOutcome(
        kind,
        asked,
        confirmed=stored + tuple(seq for seq, _ in unknown),
        known=len(stored),
        resent=len(unknown),
    )

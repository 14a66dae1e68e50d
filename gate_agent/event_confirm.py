"""Confirming published events with the API: a broker's PUBACK is not proof of storage.

A broker may acknowledge an event and then lose it (it crashed before saving the API's
persistent session, say). So the agent keeps every published event until the API confirms
it: a worker asks ``POST /api/v1/events/known`` about a batch of events published a while
ago, and sends the ones the API does not know again with ``POST /api/v1/events``
(idempotent on event_id). `reconcile_events` is that exchange, with no state of its own:
the loop hands it a `ConfirmJob` and marks what the `ConfirmResult` names confirmed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

from gate_protocol.api_models import MAX_EVENT_BATCH, EventBatchResult
from gate_protocol.messages import AccessEvent

from gate_agent.api_client import ApiError
from gate_agent.outbox import PendingEvent

__all__ = ["CONFIRM_BATCH", "ConfirmJob", "ConfirmResult", "EventApi", "reconcile_events"]

_log = logging.getLogger(__name__)
CONFIRM_BATCH = MAX_EVENT_BATCH


class EventApi(Protocol):
    """The API calls that confirm events (the real one is `ApiClient`)."""

    def known_events(self, event_ids: list[str]) -> frozenset[str]:
        """Which of these event ids of this gate the API stores."""
        ...

    def send_events(self, events: list[AccessEvent]) -> EventBatchResult:
        """Store a batch of events (idempotent on event_id)."""
        ...


@dataclass(frozen=True, slots=True)
class ConfirmJob:
    """Published, unconfirmed events to check with the API (at most `CONFIRM_BATCH`)."""

    events: tuple[PendingEvent, ...]


@dataclass(frozen=True, slots=True)
class ConfirmResult:
    """What the API confirmed of a job.

    Attributes:
        asked: Events in the job.
        confirmed: Outbox sequence numbers the API now stores.
        known: Of those, how many it already had.
        resent: Of those, how many it did not have and stored from the re-send.
        error: Why (part of) the job was not confirmed, if so.
    """

    asked: int
    confirmed: tuple[int, ...]
    known: int
    resent: int
    error: str | None = None


def reconcile_events(*, api: EventApi, job: ConfirmJob) -> ConfirmResult:
    """Ask the API which events of `job` it stores and send it the others again."""
    asked = len(job.events)
    if not job.events:
        return ConfirmResult(asked=0, confirmed=(), known=0, resent=0)
    try:
        known_ids = api.known_events([p.event.event_id for p in job.events])
    except ApiError as exc:
        return ConfirmResult(asked=asked, confirmed=(), known=0, resent=0, error=str(exc))
    known = tuple(p.seq for p in job.events if p.event.event_id in known_ids)
    unknown = [p for p in job.events if p.event.event_id not in known_ids]
    if not unknown:
        return ConfirmResult(asked=asked, confirmed=known, known=len(known), resent=0)
    _log.warning(
        "the API lacks %d of %d events the broker acknowledged; sending them again",
        len(unknown),
        asked,
    )
    try:
        api.send_events([p.event for p in unknown])
    except ApiError as exc:
        return ConfirmResult(
            asked=asked, confirmed=known, known=len(known), resent=0, error=str(exc)
        )
    return ConfirmResult(
        asked=asked,
        confirmed=known + tuple(p.seq for p in unknown),
        known=len(known),
        resent=len(unknown),
    )

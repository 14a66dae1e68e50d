"""Confirming published events and alarms with the API: a broker's PUBACK is not proof.

A broker may acknowledge a message and then lose it (it crashed before saving the API's
persistent session, say). So the agent keeps every published event and alarm until the API
confirms it: a worker asks ``POST /api/v1/events/known`` (``/alarms/known``) about a batch
published a while ago, and sends the ones the API does not know again with
``POST /api/v1/events`` (``/alarms``; idempotent on the id). `reconcile_events` is that
exchange for both kinds, with no state of its own: the loop hands it a `ConfirmJob` and
marks (events) or forgets (alarms) what the `ConfirmResult` names confirmed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from gate_protocol.api_models import MAX_EVENT_BATCH, AlarmBatchResult, EventBatchResult
from gate_protocol.messages import AccessEvent, AlarmRaised

from gate_agent.links.api_client import ApiError
from gate_agent.outbox.alarms import PendingAlarm
from gate_agent.outbox.events import PendingEvent

__all__ = [
    "CONFIRM_BATCH",
    "AlarmConfirmApi",
    "ConfirmJob",
    "ConfirmResult",
    "EventApi",
    "reconcile_events",
]

_log = logging.getLogger(__name__)
CONFIRM_BATCH = MAX_EVENT_BATCH
_M = TypeVar("_M", AccessEvent, AlarmRaised)


class EventApi(Protocol):
    """The API calls that confirm events (the real one is `ApiClient`)."""

    def known_events(self, event_ids: list[str]) -> frozenset[str]:
        """Which of these event ids of this gate the API stores."""
        ...

    def send_events(self, events: list[AccessEvent]) -> EventBatchResult:
        """Store a batch of events (idempotent on event_id)."""
        ...


class AlarmConfirmApi(Protocol):
    """The API calls that confirm alarms (the real one is `ApiClient`)."""

    def known_alarms(self, alarm_ids: list[str]) -> frozenset[str]:
        """Which of these alarm ids of this gate the API stores."""
        ...

    def send_alarms(self, alarms: list[AlarmRaised]) -> AlarmBatchResult:
        """Store a batch of alarms (idempotent on alarm_id)."""
        ...


@dataclass(frozen=True, slots=True)
class ConfirmJob:
    """Published, unconfirmed events and alarms to check with the API (a batch of each)."""

    events: tuple[PendingEvent, ...]
    alarms: tuple[PendingAlarm, ...] = ()


@dataclass(frozen=True, slots=True)
class ConfirmResult:
    """What the API confirmed of a job.

    Attributes:
        asked: Events in the job.
        confirmed: Outbox sequence numbers the API now stores.
        known: Of those, how many it already had.
        resent: Of those, how many it did not have and stored from the re-send.
        error: Why (part of) the job was not confirmed, if so.
        alarms_confirmed: Alarm sequence numbers the API now stores.
        alarms_resent: Of those, how many it stored from the re-send.
        alarm_error: Why (some of) the job's alarms were not confirmed, if so.
    """

    asked: int
    confirmed: tuple[int, ...]
    known: int
    resent: int
    error: str | None = None
    alarms_confirmed: tuple[int, ...] = ()
    alarms_resent: int = 0
    alarm_error: str | None = None


@dataclass(frozen=True, slots=True)
class _Outcome:
    confirmed: tuple[int, ...] = ()
    known: int = 0
    resent: int = 0
    error: str | None = None


def reconcile_events(
    *, api: EventApi, job: ConfirmJob, alarm_api: AlarmConfirmApi | None = None
) -> ConfirmResult:
    """Ask the API which events and alarms of `job` it stores and send it the others again.

    Alarms are checked only with an `alarm_api` (else they stay unconfirmed).
    """
    events = _reconcile(
        [(p.seq, p.event.event_id, p.event) for p in job.events],
        known=api.known_events,
        send=api.send_events,
        what="events",
    )
    alarms = (
        _reconcile(
            [(p.seq, p.alarm.alarm_id, p.alarm) for p in job.alarms],
            known=alarm_api.known_alarms,
            send=alarm_api.send_alarms,
            what="alarms",
        )
        if alarm_api is not None
        else _Outcome()
    )
    return ConfirmResult(
        asked=len(job.events),
        confirmed=events.confirmed,
        known=events.known,
        resent=events.resent,
        error=events.error,
        alarms_confirmed=alarms.confirmed,
        alarms_resent=alarms.resent,
        alarm_error=alarms.error,
    )


def _reconcile(
    items: Sequence[tuple[int, str, _M]],
    *,
    known: Callable[[list[str]], frozenset[str]],
    send: Callable[[list[_M]], object],
    what: str,
) -> _Outcome:
    """One kind's exchange: `items` are ``(seq, id, message)`` in outbox order."""
    if not items:
        return _Outcome()
    try:
        known_ids = known([key for _, key, _ in items])
    except ApiError as exc:
        return _Outcome(error=str(exc))
    stored = tuple(seq for seq, key, _ in items if key in known_ids)
    unknown = [(seq, message) for seq, key, message in items if key not in known_ids]
    if not unknown:
        return _Outcome(confirmed=stored, known=len(stored))
    _log.warning(
        "the API lacks %d of %d %s the broker acknowledged; sending them again",
        len(unknown),
        len(items),
        what,
    )
    try:
        send([message for _, message in unknown])
    except ApiError as exc:
        return _Outcome(confirmed=stored, known=len(stored), error=str(exc))
    return _Outcome(
        confirmed=stored + tuple(seq for seq, _ in unknown),
        known=len(stored),
        resent=len(unknown),
    )

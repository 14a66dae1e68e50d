"""Recording stories as events in the outbox, and what happens when it is full.

A gate that cannot record must not open: the loop asks `must_refuse` before it grants, and
`record` raises the `outbox_full` alarm (again every five minutes while full). Denials may
still be written into a reserve beyond the bound; past it, the loss is counted and logged.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from functools import partial

from gate_protocol.messages import AccessEvent, AlarmKind

from gate_agent.decision.presentation import Verdict, gate_denial
from gate_agent.decision.story import Story, build_event, finish_draft
from gate_agent.outbox.rows import DiskFull, OutboxFull
from gate_agent.outbox.store import Outbox

__all__ = ["DISK_FULL_DETAIL", "OUTBOX_FULL_DETAIL", "EventRecorder", "refusal"]

_log = logging.getLogger(__name__)
_FULL_ALARM_EVERY_S = 300.0
OUTBOX_FULL_DETAIL = "event outbox full: the gate cannot record passages, so it does not open"
DISK_FULL_DETAIL = "outbox volume full: the gate denies until space returns; recorded rows are kept"

AlarmRaiser = Callable[[AlarmKind, str], None]


def refusal(verdict: Verdict | None) -> Verdict:
    """The denial of a gate whose outbox is full (keeping who decided and whom it was about)."""
    denial = gate_denial(OUTBOX_FULL_DETAIL)
    if verdict is None:
        return denial
    return replace(
        denial,
        decided_by=verdict.decided_by,
        person_id=verdict.person_id,
        replica_version=verdict.replica_version,
    )


class EventRecorder:
    """Writes events (and drafts of openings) to the outbox.

    Args:
        outbox: The durable outbox.
        raise_alarm: Publishes an alarm (kind, detail).
        drops: The loop's drop counters (`event:outbox_full` is counted there).
    """

    def __init__(self, *, outbox: Outbox, raise_alarm: AlarmRaiser, drops: Counter[str]) -> None:
        self._outbox = outbox
        self._raise_alarm = raise_alarm
        self._drops = drops
        self._full_alarm_at: float | None = None

    @property
    def must_refuse(self) -> bool:
        """Whether the gate must deny because it could not record a passage."""
        return self._outbox.events.full or self._outbox.disk_full

    def draft(self, story: Story) -> None:
        """Keep an opening's event-to-be on disk before its command leaves.

        Raises:
            DiskFull: the volume is full (the ballast is released and the alarm raised, so
                the denial that follows has room): do not open.
        """
        assert story.command_id is not None  # noqa: S101 (only openings have drafts)
        try:
            self._outbox.save_draft(story.command_id, build_event(story, seq=0))
        except DiskFull:
            self._disk_full()
            raise

    def record(self, story: Story) -> AccessEvent | None:
        """Commit the story's event (replacing its draft); None when it could not be."""
        events = self._outbox.events
        event = None
        try:
            try:
                event = self._append(story)
            except DiskFull:
                self._disk_full()
                self._outbox.reclaim()  # the WAL grows while the disk is full: fold it in
                event = self._append(story)  # in the room the ballast and the WAL left
        except OutboxFull:
            self._drops["event:outbox_full"] += 1
            _log.error("outbox full: event of lane %d not recorded", story.presentation.lane)
        if events.full:
            self._alarm_full()
        return event

    def _append(self, story: Story) -> AccessEvent:
        events = self._outbox.events
        if story.command_id is not None:  # an opening: it happened, so it is recorded
            return self._outbox.finish_draft(story.command_id, partial(_build, story))
        reserve = 0 if story.verdict.granted else max(10, events.max_rows // 10)
        return events.append(partial(_build, story), reserve=reserve)

    def _disk_full(self) -> bool:
        """Release the ballast and raise the alarm, once per full disk; whether it was now."""
        if not self._outbox.ballast.release():
            return False
        self._raise_alarm(AlarmKind.OUTBOX_FULL, DISK_FULL_DETAIL)
        return True

    def recover_drafts(self) -> int:
        """Turn the drafts of openings a previous run left open into events."""
        drafts = self._outbox.drafts()
        for command_id, draft in drafts:
            self._outbox.finish_draft(command_id, partial(_finish, draft))
        if drafts:
            _log.warning("recorded %d openings left open by the previous run", len(drafts))
        return len(drafts)

    def _alarm_full(self) -> None:
        now = time.monotonic()
        if self._full_alarm_at is not None and now - self._full_alarm_at < _FULL_ALARM_EVERY_S:
            return
        self._full_alarm_at = now
        waiting = self._outbox.events.unconfirmed
        _log.error("event outbox is full (%d unconfirmed): the gate denies", waiting)
        self._raise_alarm(AlarmKind.OUTBOX_FULL, f"{waiting} events not confirmed by the API")


def _build(story: Story, seq: int) -> AccessEvent:
    return build_event(story, seq=seq)


def _finish(draft: AccessEvent, seq: int) -> AccessEvent:
    return finish_draft(draft, seq=seq)

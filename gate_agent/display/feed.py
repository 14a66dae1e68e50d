"""What feeds the lane screens: each verdict the loop hands out, and the face step's wait.

The rooms that decide are above this one; they are seen here through small protocols of
this room's own (`Decided`, `DecidedVerdict`). The person's first name and language come
from the replica the agent holds, so the screens work with the central API away. A QR pass
issued with a language of its own speaks that language, over the person's (issue 26.2).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from gate_protocol.reasons import ReasonCode
from gate_protocol.records import PersonRecord
from gate_protocol.replica import ReplicaIndex

from gate_agent.display.board import LaneBoard, Screen, ScreenState
from gate_agent.display.catalog import lane_language
from gate_agent.display.guidance import FaceHint, face_hint_for, face_hint_text, guidance_for

__all__ = ["Decided", "DecidedVerdict", "LaneFeed"]

_log = logging.getLogger(__name__)


class _Presentation(Protocol):
    @property
    def lane(self) -> int: ...

    @property
    def pass_id(self) -> str | None: ...


class Decided(Protocol):
    """A decided presentation, as the loop's decision watchers get it."""

    @property
    def presentation(self) -> _Presentation:
        """The presentation: its lane and pass."""
        ...


class DecidedVerdict(Protocol):
    """The verdict, as the loop's decision watchers get it."""

    @property
    def reason(self) -> ReasonCode:
        """Why."""
        ...

    @property
    def detail(self) -> str | None:
        """The operator's detail (read only for the names of trainings)."""
        ...

    @property
    def person_id(self) -> str | None:
        """Whose credential it was, when known."""
        ...

    @property
    def granted(self) -> bool:
        """Whether the gate opens."""
        ...


class LaneFeed:
    """Turns verdicts and the face step's wait into lane screens.

    Args:
        board: The lanes' screens.
        replica: The replica index the agent holds now (for a first name and language).
        zone: The site's time zone for times shown.
        clock: The wall clock (UTC, aware).
    """

    def __init__(
        self,
        board: LaneBoard,
        replica: Callable[[], ReplicaIndex | None],
        *,
        zone: ZoneInfo,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._board = board
        self._replica = replica
        self._zone = zone
        self._clock = clock

    def on_decided(self, item: Decided, verdict: DecidedVerdict, *, can_open: bool = True) -> None:
        """Show the outcome of a presentation on its lane (the loop's decision watcher).

        A grant the gate cannot act on (`can_open` False: the broker to the turnstile is
        away, the gate stays shut) is not shown as a welcome.
        """
        try:
            screen = self._screen(item, verdict)
            if screen.state is ScreenState.GRANTED and not can_open:
                shut = guidance_for(ReasonCode.GATE_OFFLINE_POLICY)
                assert shut is not None  # noqa: S101 (a denial always has guidance)
                screen = Screen(
                    state=ScreenState.DENIED,
                    message=shut.message,
                    action=shut.action,
                    language=screen.language,
                )
            self._board.show(item.presentation.lane, screen)
        except Exception:  # a screen must never stop the gate
            _log.exception("lane display: could not show an outcome")

    def looking(
        self,
        lane: int,
        person_id: str | None = None,
        pass_id: str | None = None,
        *,
        hint: FaceHint = FaceHint.LOOK,
    ) -> None:
        """The face step waits on `lane` for the holder's face (hint: what the camera needs)."""
        index = self._replica()
        language = self._language(index, self._person(index, person_id), pass_id)
        screen = Screen(state=ScreenState.LOOK, hint=face_hint_text(hint), language=language)
        self._board.show(lane, screen)

    def hint(self, lane: int, reason: str | None) -> None:
        """The face step's hint changed on `lane` (a quality reason; None: the face is good).

        Only a "look" screen changes: its language stays the holder's.
        """
        try:
            self._board.rehint(lane, face_hint_text(face_hint_for(reason)))
        except Exception:  # a screen must never stop the gate
            _log.exception("lane display: could not show a face hint")

    def _screen(self, item: Decided, verdict: DecidedVerdict) -> Screen:
        index = self._replica()
        person = self._person(index, verdict.person_id)
        language = self._language(index, person, item.presentation.pass_id)
        if verdict.granted:
            name = person.first_name if person is not None else None
            return Screen(state=ScreenState.GRANTED, name=name, language=language)
        guidance = guidance_for(
            verdict.reason,
            verdict.detail,
            opens_at=self._opens_at(index, item.presentation.pass_id),
            zone=self._zone,
        )
        if guidance is None:  # a denial with the grant's reason: nothing to add
            return Screen(state=ScreenState.DENIED, language=language)
        return Screen(
            state=ScreenState.DENIED,
            message=guidance.message,
            action=guidance.action,
            params=guidance.params,
            language=language,
        )

    @staticmethod
    def _person(index: ReplicaIndex | None, person_id: str | None) -> PersonRecord | None:
        if index is None or person_id is None:
            return None
        return index.person(person_id)

    @staticmethod
    def _language(
        index: ReplicaIndex | None, person: PersonRecord | None, pass_id: str | None
    ) -> str:
        # The pass's language, else the person's, else English (a tap on the page still wins).
        visit = index.appointment_for_pass(pass_id) if index is not None and pass_id else None
        if visit is not None and visit.language is not None:
            return visit.language
        return lane_language(person.language if person is not None else None)

    def _opens_at(self, index: ReplicaIndex | None, pass_id: str | None) -> datetime | None:
        """When the pass's appointment window opens, if that is still ahead."""
        if index is None or pass_id is None:
            return None
        appointment = index.appointment_for_pass(pass_id)
        if appointment is None or appointment.window_start <= self._clock():
            return None
        return appointment.window_start

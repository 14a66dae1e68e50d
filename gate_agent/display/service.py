"""The lane display of one agent, as `gate_agent.app` wires it: board, feed and server.

Built from the agent config whether or not the display is on, so the rooms that feed it
call it alike; with no ``display.port`` it serves nothing and its feed writes to a board
nobody reads.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol
from zoneinfo import ZoneInfo

from gate_protocol.replica import ReplicaIndex

from gate_agent.display.board import LaneBoard
from gate_agent.display.feed import Decided, DecidedVerdict, LaneFeed
from gate_agent.display.guidance import FaceHint
from gate_agent.display.server import DisplayConfigError, LaneDisplayServer, read_lane_tokens
from gate_agent.display.settings import DisplayConfig

__all__ = ["LaneDisplay"]


class _Lane(Protocol):
    @property
    def lane(self) -> int: ...


class _GateConfig(Protocol):
    @property
    def display(self) -> DisplayConfig: ...

    @property
    def lanes(self) -> tuple[_Lane, ...]: ...


class _ReplicaView(Protocol):
    @property
    def index(self) -> ReplicaIndex | None: ...


class _Loop(Protocol):
    def watch_decisions(self, watcher: Callable[[Decided, DecidedVerdict], None]) -> None: ...

    @property
    def connected(self) -> bool: ...


class LaneDisplay:
    """The lane screens of one gate agent (docs/agent.md "Lane display").

    Args:
        config: The display section.
        lanes: The lanes that have a screen.
        replica: The replica view the agent holds now.
        tokens: Each lane's token (default: from PORTGATE_LANE_TOKEN_<lane>, when served).
    """

    def __init__(
        self,
        config: DisplayConfig,
        *,
        lanes: tuple[int, ...],
        replica: Callable[[], _ReplicaView],
        tokens: dict[int, str] | None = None,
    ) -> None:
        self.board = LaneBoard(lanes, show_s=config.show_s)
        self.feed = LaneFeed(self.board, lambda: replica().index, zone=ZoneInfo(config.time_zone))
        if tokens is None:
            tokens = read_lane_tokens(lanes) if config.port is not None else {}
        self.server = LaneDisplayServer(config, self.board, tokens)

    @classmethod
    def of(cls, config: _GateConfig, replica: Callable[[], _ReplicaView]) -> LaneDisplay:
        """The display an agent config asks for (its lanes, or those the section names).

        Raises:
            DisplayConfigError: the section names a lane the gate does not have, or the
                display is served and a lane's token is not set or weak.
        """
        gate_lanes = tuple(lane.lane for lane in config.lanes)
        lanes = config.display.lanes or gate_lanes
        unknown = sorted(set(lanes) - set(gate_lanes))
        if unknown:
            raise DisplayConfigError(f"display.lanes: the gate has no lane {unknown[0]}")
        return cls(config.display, lanes=lanes, replica=replica)

    def looking(
        self,
        lane: int,
        person_id: str | None = None,
        pass_id: str | None = None,
        *,
        hint: FaceHint = FaceHint.LOOK,
    ) -> None:
        """The face step waits on `lane` for `person_id`'s face (the decision worker calls it).

        `pass_id`: the QR pass presented, whose own language the screen speaks if it has one.
        """
        self.feed.looking(lane, person_id, pass_id, hint=hint)

    def face_hint(self, lane: int, reason: str | None) -> None:
        """The face step's face-position hint on `lane` changed (the decision worker calls it).

        Args:
            lane: The lane whose face step waits.
            reason: A `biometrics.quality.QualityReason` value; None: the face is good.
        """
        self.feed.hint(lane, reason)

    @property
    def hint_callback(self) -> Callable[[int, str | None], None] | None:
        """What the face step tells hints to: `face_hint` when pages are served, else None."""
        return self.face_hint if self.server.config.port is not None else None

    def start(self, loop: _Loop) -> None:
        """Follow the loop's verdicts and serve the pages.

        Raises:
            OSError: The address cannot be bound.
        """
        # The loop opens a granted gate only while its broker link is up (gate_agent.loop).
        loop.watch_decisions(
            lambda item, verdict: self.feed.on_decided(item, verdict, can_open=loop.connected)
        )
        self.server.start()

    def stop(self) -> None:
        """Stop serving."""
        self.server.stop()

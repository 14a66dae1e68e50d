"""Open commands in flight: from OpenCommand to CommandAck to Passage, with timeouts.

Pure bookkeeping owned by the agent loop: it makes the command, remembers the story, and
hands the story back closed when the bridge answers or a timeout runs out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from gate_protocol.command_signing import CommandSigner, replica_signer
from gate_protocol.messages import AckResult, CommandAck, OpenCommand, Passage, new_id
from gate_protocol.replica import ReplicaIndex

from gate_agent.config import TurnstileConfig
from gate_agent.decision.story import Story

__all__ = ["OpenTracker", "replica_command_signer"]

# The bridge records a command before its relay moves and acks after: without the ack the
# lane may have opened (a bridge that crashed in between), so the event must not say it did not.
_UNCONFIRMED = "opening unconfirmed: no command ack from the bridge (the lane may have opened)"
_UNCONFIRMED_DUPLICATE = (
    "opening unconfirmed: the bridge had already executed this command before a restart"
)


@dataclass
class _InFlight:
    story: Story
    deadline: float
    acked: bool = False


def replica_command_signer(index: ReplicaIndex | None) -> CommandSigner | None:
    """The signer of the gate's current command key in the installed replica, if any."""
    return None if index is None else replica_signer(index.snapshot)


class OpenTracker:
    """The stories waiting for the bridge, by command id.

    Args:
        config: Pulse, command lifetime and the ack and passage timeouts.
        issued_by: The agent's node id, written into each command.
        signer: The gate's current command key from the replica (None: none yet, and the
            command goes out unsigned, which only a migrating bridge accepts).
    """

    def __init__(
        self,
        config: TurnstileConfig,
        *,
        issued_by: str,
        signer: Callable[[], CommandSigner | None] = lambda: None,
    ) -> None:
        self._config = config
        self._issued_by = issued_by
        self._signer = signer
        self._in_flight: dict[str, _InFlight] = {}

    def __len__(self) -> int:
        return len(self._in_flight)

    def command_for(self, story: Story, *, now: datetime, at: float) -> tuple[OpenCommand, Story]:
        """A fresh OpenCommand for a granted story, and the story carrying its id.

        Args:
            story: The granted story.
            now: Wall-clock time (issued_at; expires_at is `command_ttl_s` later).
            at: Monotonic time, when the ack timeout starts.
        """
        command = OpenCommand(
            command_id=new_id(),
            lane=story.presentation.lane,
            direction=story.presentation.direction,
            pulse_ms=self._config.pulse_ms,
            issued_at=now,
            expires_at=now + timedelta(seconds=self._config.command_ttl_s),
            issued_by=self._issued_by,
        )
        signer = self._signer()
        if signer is not None:
            command = signer.sign(command)
        return command, replace(story, command_id=command.command_id, decided_at=at)

    def track(self, story: Story, *, at: float) -> None:
        """Wait for the bridge's answer to the story's command."""
        assert story.command_id is not None  # noqa: S101 (set by command_for)
        self._in_flight[story.command_id] = _InFlight(story, at + self._config.ack_timeout_s)

    def on_ack(self, ack: CommandAck, *, at: float) -> Story | bool:
        """Note an ack from the bridge.

        Returns:
            The closed story when the bridge did not open; True when it opened (the story
            now waits for its Passage); False when the command is not ours or was acked.
        """
        flight = self._in_flight.get(ack.command_id)
        if flight is None or flight.acked:
            return False
        if ack.result is AckResult.OPENED:
            flight.acked = True
            flight.deadline = at + self._config.passage_timeout_s
            return True
        del self._in_flight[ack.command_id]
        if ack.result is AckResult.DUPLICATE:
            # Only a bridge that restarted between its relay pulse and its ack says this to
            # a command we still wait for: the lane did open, nobody knows who passed.
            return flight.story.closed(passed=None, detail=_UNCONFIRMED_DUPLICATE)
        return flight.story.closed(passed=False, detail=f"turnstile answered {ack.result.value}")

    def on_passage(self, passage: Passage) -> Story | None:
        """The closed story for a passage report, or None when the command is not ours."""
        flight = self._in_flight.pop(passage.command_id, None)
        if flight is None:
            return None
        return flight.story.closed(passed=passage.passed, detail=None)

    def expire(self, *, at: float) -> list[Story]:
        """Close the stories whose ack or passage did not come in time."""
        closed = []
        for command_id, flight in list(self._in_flight.items()):
            if at >= flight.deadline:
                del self._in_flight[command_id]
                detail = "no passage reported by the bridge" if flight.acked else _UNCONFIRMED
                closed.append(flight.story.closed(passed=None, detail=detail))
        return closed

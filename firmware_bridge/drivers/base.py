"""The driver interfaces and the events drivers emit.

Drivers read hardware on their own threads and only *emit* events (the bridge puts them on
its queue); every call that moves something (relay, LED) is made by the bridge's single
worker loop. A driver never raises out of its reading thread: bad input is counted in
``garbage_count`` and skipped.
"""

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from firmware_bridge.card_formats import CardRead

__all__ = [
    "CardPresented",
    "DriverError",
    "DriverEvent",
    "Emit",
    "InputEvent",
    "InputKind",
    "ReaderDriver",
    "TurnstileDriver",
]


class DriverError(RuntimeError):
    """The hardware refused or could not carry out a command."""


class InputKind(StrEnum):
    """Hardware inputs that matter to the gate's state machine."""

    DOOR_OPENED = "door_opened"
    DOOR_CLOSED = "door_closed"
    PASSAGE = "passage"
    TAMPER_ON = "tamper_on"
    TAMPER_OFF = "tamper_off"
    READER_ONLINE = "reader_online"
    READER_OFFLINE = "reader_offline"


@dataclass(frozen=True, slots=True)
class InputEvent:
    """A contact, sensor or connectivity change; `lane` is None for gate-wide inputs."""

    kind: InputKind
    lane: int | None = None
    reader_id: str | None = None


@dataclass(frozen=True, slots=True)
class CardPresented:
    """A badge was read and decoded."""

    card: CardRead
    reader_id: str
    lane: int


DriverEvent = InputEvent | CardPresented
Emit = Callable[[DriverEvent], None]


class TurnstileDriver(Protocol):
    """Lock relays and the lanes' contact inputs."""

    def start(self, emit: Emit) -> None:
        """Start reading inputs; events go to `emit` (from any thread)."""

    def set_unlocked(self, *, lane: int, unlocked: bool) -> None:
        """Release (True) or engage (False) a lane's lock; DriverError if it fails."""

    def close(self) -> None:
        """Stop reading and release the hardware."""


class ReaderDriver(Protocol):
    """Badge readers and their LED/buzzer feedback."""

    def start(self, emit: Emit) -> None:
        """Start reading cards; events go to `emit` (from any thread)."""

    def indicate(self, *, lane: int, granted: bool) -> None:
        """Show the holder the outcome: green on grant, red (and a beep) on deny."""

    def close(self) -> None:
        """Stop reading and release the hardware."""

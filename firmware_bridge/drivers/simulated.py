"""An in-process turnstile with passage sensor, door contact, tamper switch and reader.

Tests and the demo script it: ``present_card``, ``walk_through``, ``force_door``,
``set_tamper``. It also records every relay move and LED indication, so that a test can
assert exactly what the bridge did to the hardware.
"""

import threading
from dataclasses import dataclass, field

from firmware_bridge.card_formats import decode_bits, encode_wiegand
from firmware_bridge.drivers.base import (
    CardPresented,
    DriverError,
    Emit,
    InputEvent,
    InputKind,
)

__all__ = ["SimulatedTurnstile"]


@dataclass
class _LaneHardware:
    unlocked: bool = False
    door_open: bool = False
    unlock_count: int = 0
    indications: list[bool] = field(default_factory=list)


class SimulatedTurnstile:
    """Both a TurnstileDriver and a ReaderDriver, with hardware you can poke."""

    def __init__(self, *, lanes: list[int], reader_id: str = "sim-reader") -> None:
        self.reader_id = reader_id
        self._lanes = {lane: _LaneHardware() for lane in lanes}
        self._emit: Emit | None = None
        self._lock = threading.Lock()
        self.fail_relay = False
        self.garbage_count = 0

    # -- driver interface (called by the bridge's worker) --------------------------------
    def start(self, emit: Emit) -> None:
        """Remember where to send events (idempotent: one object serves both roles)."""
        self._emit = emit

    def set_unlocked(self, *, lane: int, unlocked: bool) -> None:
        """Move a lane's simulated lock."""
        if self.fail_relay:
            raise DriverError("simulated relay failure")
        with self._lock:
            hw = self._lanes[lane]
            if unlocked and not hw.unlocked:
                hw.unlock_count += 1
            hw.unlocked = unlocked

    def indicate(self, *, lane: int, granted: bool) -> None:
        """Record the LED colour shown (True green, False red)."""
        with self._lock:
            self._lanes[lane].indications.append(granted)

    def close(self) -> None:
        """Nothing to release."""
        self._emit = None

    # -- what tests look at --------------------------------------------------------------
    def is_unlocked(self, lane: int) -> bool:
        """Whether the lane's lock is released now."""
        with self._lock:
            return self._lanes[lane].unlocked

    def unlock_count(self, lane: int | None = None) -> int:
        """How many times a lane (or any lane) was released."""
        with self._lock:
            lanes = self._lanes.values() if lane is None else [self._lanes[lane]]
            return sum(hw.unlock_count for hw in lanes)

    def indications(self, lane: int) -> list[bool]:
        """Every LED indication of a lane, oldest first."""
        with self._lock:
            return list(self._lanes[lane].indications)

    # -- what tests and the demo do to the hardware --------------------------------------
    def present_card(self, *, lane: int, facility_code: int, card_number: int) -> None:
        """Hold a 26-bit Wiegand badge to the lane's reader."""
        data, bits = encode_wiegand(facility_code=facility_code, card_number=card_number)
        card = decode_bits(data, bits)
        self._send(CardPresented(card=card, reader_id=self.reader_id, lane=lane))

    def walk_through(self, *, lane: int) -> None:
        """Somebody pushes the door, the passage sensor fires, the door closes."""
        self.open_door(lane=lane)
        self._send(InputEvent(InputKind.PASSAGE, lane=lane))
        self.close_door(lane=lane)

    def open_door(self, *, lane: int) -> None:
        """The door contact opens (forced if the lock is engaged: a simulated crowbar)."""
        with self._lock:
            self._lanes[lane].door_open = True
        self._send(InputEvent(InputKind.DOOR_OPENED, lane=lane))

    def close_door(self, *, lane: int) -> None:
        """The door contact closes."""
        with self._lock:
            self._lanes[lane].door_open = False
        self._send(InputEvent(InputKind.DOOR_CLOSED, lane=lane))

    def set_tamper(self, *, active: bool) -> None:
        """Open or close the enclosure's tamper switch."""
        self._send(InputEvent(InputKind.TAMPER_ON if active else InputKind.TAMPER_OFF))

    def set_reader_online(self, *, online: bool) -> None:
        """Plug or unplug the simulated reader."""
        kind = InputKind.READER_ONLINE if online else InputKind.READER_OFFLINE
        self._send(InputEvent(kind, reader_id=self.reader_id))

    def _send(self, event: CardPresented | InputEvent) -> None:
        if self._emit is not None:
            self._emit(event)

"""A microcontroller on a serial line, speaking the protocol of docs/serial-protocol.md.

One reading thread splits the byte stream into lines, parses each with the pure
``parse_line`` and emits events; a line that does not parse is counted in
``garbage_count`` and skipped, so line noise never stops the bridge. The controller is
reported offline when no valid line (heartbeats included) arrived for
``heartbeat_timeout_s``.
"""

import logging
import threading
import time

import serial

from firmware_bridge.card_formats import CardReadError, decode_bits
from firmware_bridge.config import SerialConfig
from firmware_bridge.drivers.base import (
    CardPresented,
    DriverError,
    DriverEvent,
    Emit,
    InputEvent,
    InputKind,
)

__all__ = ["MAX_LINE_BYTES", "LineError", "SerialController", "parse_line"]

logger = logging.getLogger(__name__)
MAX_LINE_BYTES = 128
_DOOR = {"OPEN": InputKind.DOOR_OPENED, "CLOSED": InputKind.DOOR_CLOSED}
_TAMPER = {"ON": InputKind.TAMPER_ON, "OFF": InputKind.TAMPER_OFF}


class LineError(ValueError):
    """A line that is not part of the protocol."""


def _lane(text: str) -> int:
    if not text.isdigit() or int(text) > 63:
        raise LineError(f"bad lane {text!r}")
    return int(text)


def parse_line(line: str, *, reader_id: str) -> DriverEvent | None:
    """Parse one controller line; None for heartbeats and greetings.

    Raises:
        LineError: The line is not a protocol line (or its card data does not decode).
    """
    words = line.split()
    if not words:
        raise LineError("empty line")
    verb, args = words[0], words[1:]
    if verb in ("HB", "HELLO") and len(args) <= 1:
        return None
    if verb == "CARD" and len(args) == 3:
        lane = _lane(args[0])
        if not args[1].isdigit():
            raise LineError("bad bit count")
        try:
            card = decode_bits(bytes.fromhex(args[2]), int(args[1]))
        except (ValueError, CardReadError) as exc:
            raise LineError(f"bad card data: {exc}") from None
        return CardPresented(card=card, reader_id=reader_id, lane=lane)
    if verb == "DOOR" and len(args) == 2 and args[1] in _DOOR:
        return InputEvent(_DOOR[args[1]], lane=_lane(args[0]))
    if verb == "PASS" and len(args) == 1:
        return InputEvent(InputKind.PASSAGE, lane=_lane(args[0]))
    if verb == "TAMPER" and len(args) == 1 and args[0] in _TAMPER:
        return InputEvent(_TAMPER[args[0]])
    raise LineError(f"unknown line {line[:40]!r}")


class SerialController:
    """Both a TurnstileDriver and a ReaderDriver over one serial line."""

    def __init__(self, *, config: SerialConfig) -> None:
        self._config = config
        self._port: serial.Serial | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._write_lock = threading.Lock()
        self.garbage_count = 0
        self.lines_read = 0

    def start(self, emit: Emit) -> None:
        """Open the port and start the reading thread (idempotent)."""
        if self._thread is not None:
            return
        try:
            self._port = serial.Serial(self._config.port, self._config.baudrate, timeout=0.1)
        except serial.SerialException as exc:
            raise DriverError(f"cannot open {self._config.port}: {exc}") from None
        self._thread = threading.Thread(
            target=self._read_loop, args=(emit,), name="serial-reader", daemon=True
        )
        self._thread.start()

    def set_unlocked(self, *, lane: int, unlocked: bool) -> None:
        """Send ``RELAY <lane> ON|OFF``."""
        self._send(f"RELAY {lane} {'ON' if unlocked else 'OFF'}")

    def indicate(self, *, lane: int, granted: bool) -> None:
        """Send ``LED <lane> GREEN`` or ``LED <lane> RED`` plus ``BEEP <lane>``."""
        self._send(f"LED {lane} {'GREEN' if granted else 'RED'}")
        if not granted:
            self._send(f"BEEP {lane}")

    def close(self) -> None:
        """Stop the reader thread and close the port."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
            self._thread = None
        if self._port is not None:
            self._port.close()
            self._port = None

    def _send(self, line: str) -> None:
        port = self._port
        if port is None:
            raise DriverError("serial port is not open")
        try:
            with self._write_lock:
                port.write(line.encode("ascii") + b"\n")
                port.flush()
        except (serial.SerialException, OSError) as exc:
            raise DriverError(f"serial write failed: {exc}") from None

    def _read_loop(self, emit: Emit) -> None:
        buffer = b""
        last_valid = time.monotonic()
        online = True
        while not self._stop.is_set():
            port = self._port
            if port is None:
                return
            try:
                chunk = port.read(256)
            except (serial.SerialException, OSError) as exc:
                logger.warning("serial read failed: %s", exc)
                chunk = b""
                time.sleep(0.2)
            buffer += chunk
            *lines, buffer = buffer.split(b"\n")
            if len(buffer) > MAX_LINE_BYTES:
                self._garbage("overlong line")
                buffer = b""
            for raw in lines:
                event, valid = self._parse(raw)
                if valid:
                    last_valid = time.monotonic()
                    if not online:
                        online = True
                        emit(InputEvent(InputKind.READER_ONLINE, reader_id=self._config.reader_id))
                if event is not None:
                    emit(event)
            if online and time.monotonic() - last_valid > self._config.heartbeat_timeout_s:
                online = False
                emit(InputEvent(InputKind.READER_OFFLINE, reader_id=self._config.reader_id))

    def _parse(self, raw: bytes) -> tuple[DriverEvent | None, bool]:
        if len(raw) > MAX_LINE_BYTES:
            self._garbage("overlong line")
            return None, False
        try:
            line = raw.decode("ascii").strip()
            if not line:
                return None, False
            event = parse_line(line, reader_id=self._config.reader_id)
        except (UnicodeDecodeError, LineError) as exc:
            self._garbage(str(exc))
            return None, False
        self.lines_read += 1
        return event, True

    def _garbage(self, why: str) -> None:
        self.garbage_count += 1
        logger.warning("serial line ignored (%d so far): %s", self.garbage_count, why)

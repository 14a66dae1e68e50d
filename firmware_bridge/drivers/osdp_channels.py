"""Byte channels for libosdp: a serial port (RS-485 adapter) and an in-memory pair.

libosdp's stack calls ``read``, ``write`` and ``flush`` from its refresh thread; reads must
not block. The in-memory pair joins a ControlPanel to a PeripheralDevice in one process
(tests, demos) and lets a test inject line noise with ``inject``.
"""

import threading
import time
from typing import Any

import osdp
import serial

__all__ = ["MemoryChannel", "SerialChannel", "WatchedChannel", "memory_channel_pair"]


class SerialChannel(osdp.Channel):  # type: ignore[misc]
    """An OSDP channel on a serial port (non-blocking reads)."""

    def __init__(self, *, port: str, baudrate: int) -> None:
        super().__init__()
        self._serial = serial.Serial(port, baudrate, timeout=0)

    def read(self, max_bytes: int) -> bytes:
        """Whatever bytes are waiting, at most `max_bytes`."""
        return bytes(self._serial.read(max_bytes))

    def write(self, buf: bytes) -> int:
        """Send `buf`; return how many bytes went out."""
        return int(self._serial.write(buf) or 0)

    def flush(self) -> None:
        """Drop unread input (libosdp calls it to resynchronise)."""
        self._serial.reset_input_buffer()

    def close(self) -> None:
        """Close the port."""
        self._serial.close()


class _Pipe:
    def __init__(self) -> None:
        self.buffer = bytearray()
        self.lock = threading.Lock()


class MemoryChannel(osdp.Channel):  # type: ignore[misc]
    """One end of an in-memory, full-duplex byte pipe."""

    def __init__(self, rx: _Pipe, tx: _Pipe) -> None:
        super().__init__()
        self._rx = rx
        self._tx = tx

    def read(self, max_bytes: int) -> bytes:
        """Take up to `max_bytes` received bytes."""
        with self._rx.lock:
            data = bytes(self._rx.buffer[:max_bytes])
            del self._rx.buffer[:max_bytes]
        return data

    def write(self, buf: bytes) -> int:
        """Deliver `buf` to the other end."""
        with self._tx.lock:
            self._tx.buffer.extend(buf)
        return len(buf)

    def flush(self) -> None:
        """Drop unread input."""
        with self._rx.lock:
            self._rx.buffer.clear()

    def inject(self, noise: bytes) -> None:
        """Put bytes on the wire towards the other end (line noise, a rogue device)."""
        self.write(noise)


class WatchedChannel(osdp.Channel):  # type: ignore[misc]
    """Another channel, with the times bytes last came in and went out.

    libosdp polls every reader many times a second, so a bus on which the panel keeps
    talking and nothing answers is dead (cut cable, reader pulled) long before libosdp's
    own 8 s offline timeout says so.
    """

    def __init__(self, inner: Any) -> None:
        super().__init__()
        self._inner = inner
        self.last_rx = time.monotonic()
        self.last_tx = 0.0

    def read(self, max_bytes: int) -> bytes:
        """Read from the wrapped channel, noting when bytes arrive."""
        data = bytes(self._inner.read(max_bytes))
        if data:
            self.last_rx = time.monotonic()
        return data

    def write(self, buf: bytes) -> int:
        """Write to the wrapped channel, noting when."""
        self.last_tx = time.monotonic()
        return int(self._inner.write(buf))

    def flush(self) -> None:
        """Flush the wrapped channel."""
        self._inner.flush()

    def silent_for(self, now: float) -> float:
        """How long the panel has been talking into silence (0 when it gets answers)."""
        if self.last_tx <= self.last_rx:
            return 0.0
        return now - self.last_rx


def memory_channel_pair() -> tuple[MemoryChannel, MemoryChannel]:
    """Two connected channel ends: (control panel side, peripheral side)."""
    a, b = _Pipe(), _Pipe()
    return MemoryChannel(rx=a, tx=b), MemoryChannel(rx=b, tx=a)

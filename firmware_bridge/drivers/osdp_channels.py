"""Byte channels for libosdp: a serial port (RS-485 adapter), in-memory pair and bus.

libosdp's stack calls ``read``, ``write`` and ``flush`` from its refresh thread; reads must
not block. The in-memory pair joins a ControlPanel to a PeripheralDevice in one process
(tests, demos) and lets a test inject line noise with ``inject``; the in-memory bus joins one
ControlPanel to several PeripheralDevices (multi-drop) and lets a test unplug one.
"""

import threading
import time
from typing import Any

import osdp
import serial

from firmware_bridge.drivers.osdp_frames import LinkWatch

__all__ = [
    "BusEnd",
    "MemoryBus",
    "MemoryChannel",
    "SerialChannel",
    "WatchedChannel",
    "memory_channel_pair",
]


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
    """Another channel, watched frame by frame (see osdp_frames.LinkWatch).

    libosdp polls every reader many times a second, so a reader that leaves the panel's
    frames unanswered is gone (cut cable, reader pulled) long before libosdp's own 8 s
    says so, on a bus of its own or shared with other readers.
    """

    def __init__(self, inner: Any, *, clock: Any = time.monotonic) -> None:
        super().__init__()
        self._inner = inner
        self._clock = clock
        self.link = LinkWatch()

    def read(self, max_bytes: int) -> bytes:
        """Read from the wrapped channel, noting which readers answered."""
        data = bytes(self._inner.read(max_bytes))
        if data:
            self.link.received(data, now=self._clock())
        return data

    def write(self, buf: bytes) -> int:
        """Write to the wrapped channel, noting which readers were addressed."""
        self.link.sent(bytes(buf), now=self._clock())
        return int(self._inner.write(buf))

    def flush(self) -> None:
        """Flush the wrapped channel."""
        self._inner.flush()


class MemoryBus:
    """An in-memory multi-drop (RS-485 like) bus between one panel and several readers.

    The panel's frames reach every reader; a reader's replies reach the panel and, with
    `crosstalk`, the other readers too, as on a real bus. libosdp 3.2.9's PeripheralDevice
    now and then misses a command addressed to it when it hears other readers' replies
    (measured: about one per 10-20 s per reader with two readers, two or three in a row
    with three), so tests of the panel turn crosstalk off. An end can be unplugged (cut
    cable) or made to miss the next frames sent to it (line noise).
    """

    def __init__(self, *, crosstalk: bool = True) -> None:
        self._lock = threading.Lock()
        self._crosstalk = crosstalk
        self._panel: BusEnd | None = None
        self._ends: list[BusEnd] = []

    def end(self) -> "BusEnd":
        """A new end plugged into the bus; the first one is the panel's."""
        end = BusEnd(self)
        with self._lock:
            self._ends.append(end)
            self._panel = self._panel or end
        return end

    def deliver(self, sender: "BusEnd", data: bytes) -> None:
        """Put `data` on the wire from `sender`."""
        with self._lock:
            if not sender.plugged:
                return
            for end in self._ends:
                heard = sender is self._panel or end is self._panel or self._crosstalk
                if end is not sender and end.plugged and heard:
                    end.receive(data)


class BusEnd(osdp.Channel):  # type: ignore[misc]
    """One device's connection to a MemoryBus."""

    def __init__(self, bus: MemoryBus) -> None:
        super().__init__()
        self._bus = bus
        self._rx = _Pipe()
        self._to_miss = 0
        self.plugged = True

    def receive(self, data: bytes) -> None:
        """One frame (one write by another end) arriving from the wire."""
        with self._rx.lock:
            if self._to_miss > 0:
                self._to_miss -= 1
                return
            self._rx.buffer.extend(data)

    def miss_frames(self, count: int) -> None:
        """Lose the next `count` frames sent to this end."""
        with self._rx.lock:
            self._to_miss = count

    def read(self, max_bytes: int) -> bytes:
        """Take up to `max_bytes` received bytes."""
        with self._rx.lock:
            data = bytes(self._rx.buffer[:max_bytes])
            del self._rx.buffer[:max_bytes]
        return data

    def write(self, buf: bytes) -> int:
        """Send `buf` on the bus."""
        self._bus.deliver(self, bytes(buf))
        return len(buf)

    def flush(self) -> None:
        """Drop unread input."""
        with self._rx.lock:
            self._rx.buffer.clear()

    def unplug(self) -> None:
        """Cut this end's cable; what it had not read yet is lost."""
        self.plugged = False
        self.flush()

    def plug(self) -> None:
        """Reconnect this end."""
        self.flush()
        self.plugged = True


def memory_channel_pair() -> tuple[MemoryChannel, MemoryChannel]:
    """Two connected channel ends: (control panel side, peripheral side)."""
    a, b = _Pipe(), _Pipe()
    return MemoryChannel(rx=a, tx=b), MemoryChannel(rx=b, tx=a)

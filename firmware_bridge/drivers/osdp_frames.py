"""OSDP frames on the wire: which reader the panel addressed, which one answered, and when.

libosdp (3.2.9) reports a reader offline only after 8 unanswered resends, 200 ms reply
timeout plus 800 ms retry wait each (``OSDP_CMD_MAX_RETRIES``, ``OSDP_RESP_TOUT_MS`` and
``OSDP_CMD_RETRY_WAIT_MS`` in its ``src/osdp_config.h``): about 8 s, fixed at build time.
On a multi-drop bus the other readers keep answering, so a silent bus does not give the dead
one away. The frame headers do: every OSDP frame starts with SOM (0x53), the reader's
address (bit 7 set on replies), a length and a control byte, and ends in a CRC-16 or a
checksum, all in clear even under secure channel. ``LinkWatch`` scans both directions of a
channel and keeps, per address, how many frames in a row the reader has left unanswered and
when the panel last sent it one.
"""

import binascii
import threading
from collections.abc import Iterator

__all__ = ["FrameScanner", "LinkWatch", "frame_bytes"]

_SOM = 0x53
_REPLY_BIT = 0x80
_HEADER_LEN = 5  # SOM, address, length LSB, length MSB, control
_CONTROL_CRC = 0x04
_CONTROL_RESERVED = 0xF0
_CRC_SEED = 0x1D0F  # libosdp osdp_compute_crc16(): CRC-16/CCITT (poly 0x1021) from 0x1D0F
_MAX_FRAME_LEN = 1024  # libosdp's packet buffer is 256; anything longer is noise


def frame_bytes(*, address: int, body: bytes, reply: bool, crc: bool = True) -> bytes:
    """One well-formed OSDP frame (for tests and the benchmark; libosdp builds the real ones).

    Raises:
        ValueError: address outside 0..127.
    """
    if not 0 <= address <= 0x7F:
        raise ValueError(f"OSDP address {address} outside 0..127")
    check_len = 2 if crc else 1
    length = _HEADER_LEN + len(body) + check_len
    head = bytes(
        [
            _SOM,
            address | (_REPLY_BIT if reply else 0),
            length & 0xFF,
            length >> 8,
            _CONTROL_CRC if crc else 0,
        ]
    )
    frame = head + body
    if crc:
        return frame + binascii.crc_hqx(frame, _CRC_SEED).to_bytes(2, "little")
    return frame + bytes([-sum(frame) & 0xFF])


class FrameScanner:
    """Finds complete, intact OSDP frames of one direction in a byte stream fed piecewise.

    A candidate frame counts only when its header is plausible and its CRC-16 or checksum
    matches, so line noise (or a rogue device) cannot fake an answer; on a mismatch the
    scan resumes one byte further on.
    """

    def __init__(self, *, replies: bool) -> None:
        self._replies = replies
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[int]:
        """Add received bytes; return the addresses (0..127) of the frames now complete."""
        self._buffer.extend(data)
        return list(self._scan())

    def _scan(self) -> Iterator[int]:
        buf = self._buffer
        start = 0
        # The first incomplete candidate after the last intact frame: the rest of it may
        # still be on its way. A later intact frame proves it was noise (frames of one
        # direction never overlap), so a fake header cannot stall the scan.
        keep: int | None = None
        while (start := buf.find(_SOM, start)) >= 0:
            length = self._plausible_length(start)
            if length is None:
                start += 1
            elif length == 0 or start + length > len(buf):
                keep = start if keep is None else keep
                start += 1
            elif self._intact(bytes(buf[start : start + length])):
                yield buf[start + 1] & 0x7F
                start += length
                keep = None
            else:
                start += 1
        del buf[: len(buf) if keep is None else keep]

    def _plausible_length(self, start: int) -> int | None:
        """The declared length of a frame at `start`; 0 when the header is not all here yet."""
        buf = self._buffer
        if start + _HEADER_LEN > len(buf):
            return 0
        address, control = buf[start + 1], buf[start + 4]
        if bool(address & _REPLY_BIT) != self._replies or control & _CONTROL_RESERVED:
            return None
        length = buf[start + 2] | buf[start + 3] << 8
        check_len = 2 if control & _CONTROL_CRC else 1
        if not _HEADER_LEN + 1 + check_len <= length <= _MAX_FRAME_LEN:
            return None
        return length

    @staticmethod
    def _intact(frame: bytes) -> bool:
        if frame[4] & _CONTROL_CRC:
            return binascii.crc_hqx(frame[:-2], _CRC_SEED) == int.from_bytes(frame[-2:], "little")
        return -sum(frame[:-1]) & 0xFF == frame[-1]


class LinkWatch:
    """Per reader address: when the panel last addressed it and since when it owes a reply.

    ``sent`` and ``received`` are called from libosdp's refresh thread (through the
    channel); the queries from the panel's monitor thread.
    """

    def __init__(self) -> None:
        self._commands = FrameScanner(replies=False)
        self._replies = FrameScanner(replies=True)
        self._lock = threading.Lock()
        self._unanswered_since: dict[int, float] = {}
        self._unanswered_frames: dict[int, int] = {}
        self._last_command: dict[int, float] = {}
        self._last_reply: dict[int, float] = {}

    def sent(self, data: bytes, *, now: float) -> None:
        """Bytes the panel put on the bus at `now`."""
        with self._lock:
            for address in self._commands.feed(data):
                self._last_command[address] = now
                self._unanswered_since.setdefault(address, now)
                self._unanswered_frames[address] = self._unanswered_frames.get(address, 0) + 1

    def received(self, data: bytes, *, now: float) -> None:
        """Bytes the panel read from the bus at `now`."""
        with self._lock:
            for address in self._replies.feed(data):
                self._last_reply[address] = now
                self._unanswered_since.pop(address, None)
                self._unanswered_frames.pop(address, None)

    def unanswered_for(self, address: int, *, now: float) -> float:
        """How long the panel has been addressing `address` without a reply (0: answered)."""
        with self._lock:
            since = self._unanswered_since.get(address)
        return 0.0 if since is None else max(0.0, now - since)

    def unanswered_frames(self, address: int) -> int:
        """How many frames in a row the panel has sent `address` since its last reply."""
        with self._lock:
            return self._unanswered_frames.get(address, 0)

    def last_command(self, address: int) -> float | None:
        """When the panel last sent `address` a frame (None: never)."""
        with self._lock:
            return self._last_command.get(address)

    def last_reply(self, address: int) -> float | None:
        """When `address` last answered (None: never)."""
        with self._lock:
            return self._last_reply.get(address)

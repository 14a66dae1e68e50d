"""A full disk under the outbox: the error it raises, and the ballast that leaves room to say so.

When the volume under the outbox fills up, SQLite refuses the next write with SQLITE_FULL
and rolls the transaction back: nothing is written half, every committed row stays. The
outbox turns that refusal into `DiskFull` (an `OutboxFull`: the gate cannot record, so it
does not open). To still record the denials and the alarm that tell of it, the outbox keeps a
*ballast* file of reserved blocks next to the database; the first refusal releases it and the
write is tried again in the space it leaves. While the ballast is released the disk counts as
full; every few seconds the outbox tries to reserve the ballast again, and when that
succeeds the space has returned and the gate grants again (docs/agent.md, "Full disk").
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from pathlib import Path

from gate_agent.outbox.rows import DiskFull, is_disk_full

__all__ = ["BALLAST_BYTES", "Ballast", "DiskFull", "is_disk_full"]

_log = logging.getLogger(__name__)
BALLAST_BYTES = 1 << 20  # about 1,000 denials and alarms with their WAL pages
_RETRY_S = 2.0


class Ballast:
    """Reserved blocks next to the outbox, given up when the disk is full.

    Args:
        path: The ballast file.
        size: Bytes to reserve.
        clock: Monotonic seconds (tests drive it).
    """

    def __init__(
        self, path: Path, *, size: int = BALLAST_BYTES, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._path = path
        self._size = size
        self._clock = clock
        self._retry_at = 0.0
        self.released = not self._reserve()

    def release(self) -> bool:
        """Give the blocks back to the volume; whether there were any to give."""
        if self.released:
            return False
        self._path.unlink(missing_ok=True)
        self.released = True
        self._retry_at = self._clock() + _RETRY_S
        _log.error("outbox volume full: ballast of %d bytes released", self._size)
        return True

    def space_returned(self) -> bool:
        """While released: try (every few seconds) to reserve again; whether that worked."""
        if not self.released:
            return True
        now = self._clock()
        if now < self._retry_at:
            return False
        self._retry_at = now + _RETRY_S
        if self._reserve():
            self.released = False
            _log.warning("outbox volume has room again: ballast reserved, the gate grants")
            return True
        return False

    def _reserve(self) -> bool:
        try:
            fd = os.open(self._path, os.O_WRONLY | os.O_CREAT, 0o600)
            try:
                os.posix_fallocate(fd, 0, self._size)
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as exc:
            self._path.unlink(missing_ok=True)
            if not is_disk_full(exc):  # not ENOSPC: a volume we cannot use is a bigger problem
                _log.error("outbox ballast %s not reserved: %s", self._path, exc.strerror)
            return False
        return True

"""A small filesystem of its own (tmpfs) for full-disk tests, and filling it to the last byte.

Mounting needs root (CAP_SYS_ADMIN); where it is not allowed `small_volume` raises
`VolumeUnavailable` and the caller skips. Used by the outbox's full-disk tests.
"""

from __future__ import annotations

import errno
import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["VolumeUnavailable", "fill", "small_volume"]

_CHUNK = 64 * 1024


class VolumeUnavailable(RuntimeError):
    """No small filesystem can be mounted here (not root, or no tmpfs)."""


@contextmanager
def small_volume(path: Path, *, size_bytes: int) -> Iterator[Path]:
    """Mount a tmpfs of `size_bytes` at `path` (created) for the block; unmount after.

    Raises:
        VolumeUnavailable: mounting is not allowed here.
    """
    path.mkdir(parents=True, exist_ok=True)
    mount = ["mount", "-t", "tmpfs", "-o", f"size={size_bytes}", "tmpfs", str(path)]
    try:
        done = subprocess.run(mount, capture_output=True, text=True, check=False)  # noqa: S603
    except FileNotFoundError as exc:
        raise VolumeUnavailable("no mount command") from exc
    if done.returncode != 0:
        raise VolumeUnavailable(done.stderr.strip() or "mount refused")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True, check=False)  # noqa: S603, S607


def fill(volume: Path, name: str = "filler") -> Path:
    """Write a file into `volume` until the volume has no byte left; return it."""
    filler = volume / name
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        size = _CHUNK
        while size:
            try:
                os.write(fd, b"\0" * size)
            except OSError as exc:
                if exc.errno != errno.ENOSPC:
                    raise
                size //= 2  # the last, smaller pieces fill it to the byte
        os.fsync(fd)
    finally:
        os.close(fd)
    return filler

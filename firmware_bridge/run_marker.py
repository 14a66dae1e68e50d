"""The crash marker: a file that exists while a bridge runs and is removed on a clean stop.

Finding it at start-up means the previous run crashed (or the host lost power).
"""

import os
from pathlib import Path

__all__ = ["clear_running", "mark_running"]

_MARKER = "running"


def mark_running(state_dir: Path) -> bool:
    """Create the marker (fsync'd); return True if it was already there (unclean stop)."""
    state_dir.mkdir(parents=True, exist_ok=True)
    marker = state_dir / _MARKER
    crashed = marker.exists()
    fd = os.open(marker, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, str(os.getpid()).encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    return crashed


def clear_running(state_dir: Path) -> None:
    """Remove the marker after a clean stop."""
    (state_dir / _MARKER).unlink(missing_ok=True)

"""systemd's service notifications for `portgate agent` and `portgate bridge` (Type=notify).

READY=1 once the service has started, WATCHDOG=1 every half `WatchdogSec` while the
service's main loop is alive, STOPPING=1 on the way out (configs/systemd/). The protocol is
one datagram per message to the Unix socket systemd names in ``NOTIFY_SOCKET``, so a few
lines here instead of a dependency. Outside systemd (no ``NOTIFY_SOCKET``) nothing is sent.

Alive means the loop's heartbeat file (the config's ``heartbeat_path``, touched by the
agent's and the bridge's own loops) is younger than `WatchdogSec`: a loop that hangs stops
the pings, and systemd kills and restarts the service. Without a heartbeat file the pings
only say that the process runs.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Mapping
from pathlib import Path

__all__ = ["ServiceNotifier", "notify", "watchdog_seconds"]

_log = logging.getLogger(__name__)


def notify(message: str, environ: Mapping[str, str] | None = None) -> bool:
    """Send one notification (``READY=1``, ``WATCHDOG=1``...) to systemd.

    Returns False when no ``NOTIFY_SOCKET`` is set (not started by systemd) or the socket
    cannot be reached; a failed notification is logged, never raised: the gate must not stop
    because its supervisor went away.
    """
    address = (os.environ if environ is None else environ).get("NOTIFY_SOCKET", "")
    if not address:
        return False
    if address.startswith("@"):  # an abstract socket: systemd writes its NUL as '@'
        address = "\0" + address[1:]
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.sendto(message.encode("ascii"), address)
    except OSError as exc:
        _log.warning("systemd notification %s not sent: %s", message, exc.strerror)
        return False
    return True


def watchdog_seconds(environ: Mapping[str, str] | None = None) -> float | None:
    """The unit's `WatchdogSec` in seconds when this process is the one watched, else None."""
    env = os.environ if environ is None else environ
    usec = env.get("WATCHDOG_USEC", "")
    pid = env.get("WATCHDOG_PID", "")
    if not usec.isdigit() or int(usec) == 0:
        return None
    if pid and (not pid.isdigit() or int(pid) != os.getpid()):
        return None
    return int(usec) / 1_000_000


class ServiceNotifier:
    """READY at start, WATCHDOG from a thread while the heartbeat is fresh, STOPPING at the end."""

    def __init__(self, *, heartbeat: Path | None, environ: Mapping[str, str] | None = None):
        self._heartbeat = heartbeat
        self._environ = dict(os.environ if environ is None else environ)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def ready(self, status: str) -> None:
        """Tell systemd the service runs (with a status line) and start the watchdog pings."""
        notify(f"READY=1\nSTATUS={status}", self._environ)
        interval = watchdog_seconds(self._environ)
        if interval is None or "NOTIFY_SOCKET" not in self._environ:
            return
        self._thread = threading.Thread(
            target=self._ping, args=(interval,), name="sd-watchdog", daemon=True
        )
        self._thread.start()

    def stopping(self) -> None:
        """Stop the pings and tell systemd the service is on its way out."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        notify("STOPPING=1", self._environ)

    def _ping(self, watchdog_s: float) -> None:
        # Twice per period, as sd_watchdog_enabled(3) advises, so one late wake-up is no kill.
        while not self._stop.wait(watchdog_s / 2):
            if self.alive(watchdog_s):
                notify("WATCHDOG=1", self._environ)
            else:
                _log.error("heartbeat %s is stale: no watchdog ping to systemd", self._heartbeat)

    def alive(self, watchdog_s: float) -> bool:
        """Whether the loop touched its heartbeat within the watchdog period."""
        if self._heartbeat is None:
            return True
        try:
            age = time.time() - self._heartbeat.stat().st_mtime
        except OSError:
            return False
        return age < watchdog_s

"""The child side of testkit/faults/crash_bridge.py: a real bridge whose relay logs and freezes.

Imports the bridge alone (no API, no fleet), so that the child starts quickly on a loaded
machine.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from pathlib import Path

from firmware_bridge.assembly import build_bus
from firmware_bridge.config import BridgeConfig
from firmware_bridge.drivers.simulated import SimulatedTurnstile
from firmware_bridge.service import Bridge

__all__ = ["RelayRecorder", "main", "relay_releases"]


class RelayRecorder(SimulatedTurnstile):
    """A simulated turnstile that logs each relay release to a file and may freeze after one."""

    def __init__(self, *, lanes: list[int], log: Path, freeze: bool) -> None:
        super().__init__(lanes=lanes)
        self._log = log
        self._freeze = freeze

    def set_unlocked(self, *, lane: int, unlocked: bool) -> None:
        """Move the lock; a release is on disk before this returns."""
        super().set_unlocked(lane=lane, unlocked=unlocked)
        if not unlocked:
            return
        with self._log.open("a", encoding="utf-8") as out:
            out.write(f"{os.getpid()} {lane}\n")
            out.flush()
            os.fsync(out.fileno())
        if self._freeze:
            threading.Event().wait()  # pulsed, never acked: the test kills us here


def relay_releases(log: Path) -> list[tuple[int, int]]:
    """Every release written so far: (child pid, lane)."""
    if not log.exists():
        return []
    pairs = (line.split() for line in log.read_text(encoding="utf-8").splitlines() if line)
    return [(int(pid), int(lane)) for pid, lane in pairs]


def main(argv: list[str]) -> None:
    """Child entry: ``CONFIG_JSON RELAY_LOG freeze|run``; runs until killed or SIGTERM."""
    config = BridgeConfig.model_validate_json(Path(argv[0]).read_text(encoding="utf-8"))
    lanes = [lane.lane for lane in config.lanes]
    driver = RelayRecorder(lanes=lanes, log=Path(argv[1]), freeze=argv[2] == "freeze")
    bridge = Bridge(config=config, turnstile=driver, reader=driver, bus=build_bus(config))
    bridge.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    stop.wait()
    bridge.stop()
    sys.exit(0)

"""When an OSDP reader is online, from what libosdp and the wire say (pure decision logic).

A reader is online when libosdp has it online (secure channel up where enforced) and it
has not left the panel's frames unanswered for longer than ``offline_after_s``. The wire
check reports a dead reader in about that time; libosdp alone takes 8 s (see
osdp_frames). libosdp 3.2.9 then waits 300 s (``OSDP_ONLINE_RETRY_WAIT_MAX_MS``) before it
tries an offline reader again, so a reader libosdp holds offline and no longer addresses is
revived: disabled and re-enabled, which restarts libosdp's ID/capabilities/secure channel
handshake at once. That is how a reader that comes back is seen within seconds.
"""

import enum
from dataclasses import dataclass

__all__ = ["ReaderLiveness", "ReaderSignals", "Revive"]


class Revive(enum.Enum):
    """What to do to libosdp's state machine for a reader."""

    NOTHING = "nothing"
    DISABLE = "disable"
    ENABLE = "enable"


@dataclass(frozen=True)
class ReaderSignals:
    """One look at a reader.

    Attributes:
        libosdp_online: libosdp's online bit for the reader.
        enabled: libosdp's state machine for the reader is not disabled.
        unanswered_s: how long the panel has addressed it without a reply (0: answered).
        idle_s: how long since the panel last addressed it (None: never).
    """

    libosdp_online: bool
    enabled: bool
    unanswered_s: float
    idle_s: float | None


class ReaderLiveness:
    """Online/offline per reader, reported on change; revival of readers libosdp parked."""

    def __init__(
        self,
        *,
        reader_ids: list[str],
        offline_after_s: float,
        startup_grace_s: float,
        revive_idle_s: float,
        started: float,
    ) -> None:
        self._offline_after_s = offline_after_s
        self._startup_grace_s = startup_grace_s
        self._revive_idle_s = revive_idle_s
        self._started = started
        # None: not seen online yet. A reader that never comes up is reported after the grace.
        self._online: dict[str, bool | None] = dict.fromkeys(reader_ids)

    def observe(self, reader_id: str, signals: ReaderSignals, *, now: float) -> bool | None:
        """Update from `signals`; return the new state when it is to be reported, else None."""
        answered = signals.unanswered_s <= self._offline_after_s
        now_online = signals.libosdp_online and answered
        was = self._online[reader_id]
        if was == now_online:
            return None
        if was is None and not now_online and now - self._started < self._startup_grace_s:
            return None
        self._online[reader_id] = now_online
        if was is None and now_online:
            return None  # coming up at start-up is not news
        return now_online

    def revive(self, signals: ReaderSignals, *, now: float) -> Revive:
        """Whether libosdp must be nudged to try the reader again."""
        if not signals.enabled:
            return Revive.ENABLE
        if signals.libosdp_online:
            return Revive.NOTHING
        idle = now - self._started if signals.idle_s is None else signals.idle_s
        return Revive.DISABLE if idle > self._revive_idle_s else Revive.NOTHING

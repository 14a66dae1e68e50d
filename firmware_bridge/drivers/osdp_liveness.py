"""When an OSDP reader is online, from what libosdp and the wire say (pure decision logic).

A reader is online when libosdp has it online (secure channel up where enforced) and it
answers the panel's frames. It is silent when it has left two frames in a row unanswered, the
second for longer than ``reply_timeout_s``, or three and more: libosdp resends an unanswered
frame 1 s after it (200 ms reply timeout + 800 ms retry wait), so a single lost frame is
forgiven, however late the resend goes out, and a dead reader is found about
1 s + ``reply_timeout_s`` after it stopped answering; libosdp alone takes 8 s (see
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
        unanswered_frames: frames in a row the panel sent it since its last reply.
        idle_s: how long since the panel last sent it a frame (None: never).
    """

    libosdp_online: bool
    enabled: bool
    unanswered_frames: int
    idle_s: float | None


class ReaderLiveness:
    """Online/offline per reader, reported on change; revival of readers libosdp parked."""

    def __init__(
        self,
        *,
        reader_ids: list[str],
        reply_timeout_s: float,
        startup_grace_s: float,
        revive_idle_s: float,
        started: float,
    ) -> None:
        self._reply_timeout_s = reply_timeout_s
        self._startup_grace_s = startup_grace_s
        self._revive_idle_s = revive_idle_s
        self._started = started
        # None: not seen online yet. A reader that never comes up is reported after the grace.
        self._online: dict[str, bool | None] = dict.fromkeys(reader_ids)

    def is_silent(self, signals: ReaderSignals) -> bool:
        """Whether the reader has stopped answering the panel's frames."""
        frames, idle = signals.unanswered_frames, signals.idle_s
        late = idle is not None and idle > self._reply_timeout_s
        return frames >= 3 or (frames == 2 and late)

    def is_online(self, signals: ReaderSignals) -> bool:
        """Whether libosdp has the reader online and it answers."""
        return signals.libosdp_online and not self.is_silent(signals)

    def observe(self, reader_id: str, signals: ReaderSignals, *, now: float) -> bool | None:
        """Update from `signals`; return the new state when it is to be reported, else None."""
        now_online = self.is_online(signals)
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

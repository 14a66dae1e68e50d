"""The agent's wall clock, checked against the central API's (docs/agent.md, "Clock skew").

Every API answer carries the API's time (the HTTP ``Date`` header, whole seconds). The
offset between it and this host's clock is measured on each answer. Within
``api.max_clock_skew_s`` the host's clock is used as it is (keeping it right is NTP's job;
pass checks allow their own minute). Beyond it the host's clock is wrong: the agent decides
and records on the API's time (host time + the measured offset: pass validity, schedules,
replica age, event and command times) and raises a ``fault`` alarm "clock skew" once per
episode (`take_alarm`, called from the loop). Before the first answer (an agent that starts
offline) and after the API goes away the last measured offset stands.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

__all__ = ["SkewClock", "system_now"]

_log = logging.getLogger(__name__)
_HALF_SECOND = timedelta(seconds=0.5)  # Date is truncated to whole seconds


def system_now() -> datetime:
    """This host's wall clock (UTC, aware): the one place the agent reads it."""
    return datetime.now(UTC)


class SkewClock:
    """The wall clock the agent decides on (call it), corrected when the host's is off.

    Args:
        max_skew_s: Offsets up to this many seconds are tolerated (host time used).
        local: The host's clock (default `system_now`).
    """

    def __init__(self, *, max_skew_s: float, local: Callable[[], datetime] | None = None) -> None:
        self._max = timedelta(seconds=max_skew_s)
        self._local = local
        self._lock = threading.Lock()
        self._offset = timedelta(0)
        self._skewed = False
        self._alarm: str | None = None

    def local(self) -> datetime:
        """The host's own clock, uncorrected."""
        return self._local() if self._local is not None else system_now()

    def __call__(self) -> datetime:
        """Now: the host's time, or the API's when the host's is beyond the bound."""
        with self._lock:
            offset = self._offset if self._skewed else timedelta(0)
        return self.local() + offset

    @property
    def offset_s(self) -> float:
        """The last measured offset (API time minus host time), in seconds."""
        with self._lock:
            return self._offset.total_seconds()

    def observe_header(self, date_header: str | None) -> None:
        """An API answer's ``Date`` header (ignored when missing or malformed)."""
        if not date_header:
            return
        try:
            server = parsedate_to_datetime(date_header)
        except (TypeError, ValueError):
            return
        if server.tzinfo is None:
            return
        self.observe(server=server + _HALF_SECOND, local=self.local())

    def observe(self, *, server: datetime, local: datetime) -> None:
        """The API's time `server` seen when the host's clock read `local`."""
        offset = server - local
        skewed = abs(offset) > self._max
        with self._lock:
            changed = skewed != self._skewed
            self._offset, self._skewed = offset, skewed
            if changed and skewed:
                self._alarm = _describe(offset)
        if changed and skewed:
            _log.error("%s", _describe(offset))
        elif changed:
            _log.warning("clock skew gone: %.1f s off the API's clock", offset.total_seconds())

    def take_alarm(self) -> str | None:
        """The alarm detail to raise, once per episode of skew beyond the bound."""
        with self._lock:
            alarm, self._alarm = self._alarm, None
        return alarm


def _describe(offset: timedelta) -> str:
    seconds = offset.total_seconds()
    way = "behind" if seconds > 0 else "ahead of"
    return (
        f"clock skew: this gate's clock is {abs(seconds):.0f} s {way} the API's; "
        "deciding and recording on the API's time"
    )

"""Rate limits on the public report routes, counted per hashed client address (`limits`).

One client address may send `REPORTS_PER_WINDOW` reports within `WINDOW_MINUTES` to one
site (a report refused for its input is not counted), and ask `FOLLOW_UPS_PER_WINDOW`
follow-ups (reads and messages, a wrong code included) in the same time, which makes
guessing a code hopeless on top of its 80 bits. The counters live in the
login throttle's table (`central_api.security.throttle_storage`), so every worker of one
API counts together; the key is a keyed hash of the address (`codes.address_key`) that
expires with its window and is never written into a report, its thread or the audit.
"""

import math
import time

from limits import RateLimitItemPerMinute
from limits.strategies import MovingWindowRateLimiter
from sqlalchemy import Engine

from central_api.security.throttle_storage import SqlThrottleStorage

__all__ = [
    "FOLLOW_UPS_PER_WINDOW",
    "REPORTS_PER_WINDOW",
    "WINDOW_MINUTES",
    "RateLimited",
    "ReportLimits",
]

REPORTS_PER_WINDOW = 5
FOLLOW_UPS_PER_WINDOW = 30
WINDOW_MINUTES = 10


class RateLimited(Exception):
    """Too many requests from this address: try again after `retry_after_s` seconds."""

    def __init__(self, *, what: str, retry_after_s: int) -> None:
        super().__init__(
            f"too many {what} from this network in {WINDOW_MINUTES} minutes: "
            f"try again in {retry_after_s} s"
        )
        self.retry_after_s = retry_after_s


class ReportLimits:
    """The report and follow-up limits of one API, counted in its database."""

    def __init__(
        self,
        engine: Engine,
        *,
        reports: int = REPORTS_PER_WINDOW,
        follow_ups: int = FOLLOW_UPS_PER_WINDOW,
    ) -> None:
        """Count in `engine`'s throttle table; limits per `WINDOW_MINUTES` window."""
        self._limiter = MovingWindowRateLimiter(SqlThrottleStorage(engine))
        self._reports = RateLimitItemPerMinute(reports, WINDOW_MINUTES)
        self._follow_ups = RateLimitItemPerMinute(follow_ups, WINDOW_MINUTES)

    def may_report(self, *, site_id: str, address_key: str) -> None:
        """Raise RateLimited if this address may not report to `site_id` now (counts nothing)."""
        key = f"{site_id}:{address_key}"
        if not self._limiter.test(self._reports, "staff-report", key):
            raise self._refused(self._reports, "staff-report", key, "reports")

    def reported(self, *, site_id: str, address_key: str) -> None:
        """Count one stored report: a refused one (bad input) costs the reporter nothing."""
        self._limiter.hit(self._reports, "staff-report", f"{site_id}:{address_key}")

    def follow_up(self, *, address_key: str) -> None:
        """Count one follow-up request, or raise RateLimited: a wrong code counts too."""
        self._hit(self._follow_ups, "staff-report-follow-up", address_key, "follow-ups")

    def _hit(self, item: RateLimitItemPerMinute, scope: str, key: str, what: str) -> None:
        if not self._limiter.hit(item, scope, key):
            raise self._refused(item, scope, key, what)

    def _refused(
        self, item: RateLimitItemPerMinute, scope: str, key: str, what: str
    ) -> RateLimited:
        reset = self._limiter.get_window_stats(item, scope, key).reset_time
        return RateLimited(what=what, retry_after_s=max(1, math.ceil(reset - time.time())))

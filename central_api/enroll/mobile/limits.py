"""The rate limit on wrong phone links, counted per hashed client address (`limits`).

One client address may try `WRONG_PER_WINDOW` wrong links (unknown pass or wrong secret)
within `WINDOW_MINUTES`; after that every link call from it is refused until the window
moves on, which makes guessing a 256-bit secret or walking pass ids pointless. A right
link costs nothing, so a phone polling its status never counts. The counters live in the
login throttle's table (`central_api.security.throttle_storage`), so every worker of one
API counts together; the key is a keyed hash of the address, never stored elsewhere.
"""

import hashlib
import hmac
import math
import time

from limits import RateLimitItemPerMinute
from limits.strategies import MovingWindowRateLimiter
from sqlalchemy import Engine

from central_api.security.throttle_storage import SqlThrottleStorage

__all__ = ["WINDOW_MINUTES", "WRONG_PER_WINDOW", "LinkLimits", "TooManyWrongLinks"]

WRONG_PER_WINDOW = 20
WINDOW_MINUTES = 10
_SCOPE = "mobile-pass-wrong"


class TooManyWrongLinks(Exception):
    """Too many wrong links from this address: try again after `retry_after_s` seconds."""

    def __init__(self, retry_after_s: int) -> None:
        """Refused for `retry_after_s` more seconds."""
        super().__init__(
            f"too many wrong pass links from this network in {WINDOW_MINUTES} minutes: "
            f"try again in {retry_after_s} s"
        )
        self.retry_after_s = retry_after_s


class LinkLimits:
    """The wrong-link limit of one API, counted in its database."""

    def __init__(self, engine: Engine, *, key: bytes, wrong: int = WRONG_PER_WINDOW) -> None:
        """Count in `engine`'s throttle table; addresses hashed under `key`."""
        self._limiter = MovingWindowRateLimiter(SqlThrottleStorage(engine))
        self._item = RateLimitItemPerMinute(wrong, WINDOW_MINUTES)
        self._key = key

    def _address(self, address: str) -> str:
        return hmac.new(self._key, b"address:" + address.encode(), hashlib.sha256).hexdigest()[:32]

    def check(self, address: str) -> None:
        """Raise TooManyWrongLinks if `address` used up its wrong tries (counts nothing)."""
        key = self._address(address)
        if not self._limiter.test(self._item, _SCOPE, key):
            reset = self._limiter.get_window_stats(self._item, _SCOPE, key).reset_time
            raise TooManyWrongLinks(max(1, math.ceil(reset - time.time())))

    def wrong(self, address: str) -> None:
        """Count one wrong link from `address`."""
        self._limiter.hit(self._item, _SCOPE, self._address(address))

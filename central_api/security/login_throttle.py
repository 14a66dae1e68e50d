"""Login throttling: failed logins counted per account and per client address (`limits`).

After `ACCOUNT_FAILURES` failures on one account within `ACCOUNT_WINDOW`, every attempt on
that account, right password or wrong, is refused until the oldest failure leaves the
moving window; a success clears the account's count, so the failures must be consecutive.
One client address may fail `ADDRESS_FAILURES` times within `ADDRESS_WINDOW`, whichever
accounts it tries; other addresses are not affected. Both are time-bounded, so nobody can
lock an account, or everybody, for longer than a window.

The counters live in the storage the throttle is built with: the API gives it the
database's (`central_api.security.throttle_storage`), so every worker process of one API
counts the same failures and N workers allow no more attempts than one.
"""

import math
import time
from dataclasses import dataclass

from limits import RateLimitItem, RateLimitItemPerMinute
from limits.storage import Storage
from limits.strategies import MovingWindowRateLimiter

__all__ = ["LoginRefused", "LoginThrottle", "ThrottleNotice"]

ACCOUNT_FAILURES = 30
ACCOUNT_WINDOW_MINUTES = 15
ADDRESS_FAILURES = 100
ADDRESS_WINDOW_MINUTES = 5


class LoginRefused(Exception):
    """Too many failed logins: try again after `retry_after_s` seconds."""

    def __init__(self, *, retry_after_s: int, scope: str) -> None:
        super().__init__(f"too many failed logins for this {scope}: retry in {retry_after_s} s")
        self.retry_after_s = retry_after_s
        self.scope = scope


@dataclass(frozen=True, slots=True)
class ThrottleNotice:
    """A limit that a failure has just reached: worth one audit row (not one per failure)."""

    scope: str  # "account" or "address"
    failures: int
    retry_after_s: int


class LoginThrottle:
    """Per-account and per-address counters of failed logins, in `storage`."""

    def __init__(
        self,
        storage: Storage,
        *,
        account_failures: int = ACCOUNT_FAILURES,
        account_window_minutes: int = ACCOUNT_WINDOW_MINUTES,
        address_failures: int = ADDRESS_FAILURES,
        address_window_minutes: int = ADDRESS_WINDOW_MINUTES,
    ) -> None:
        """Count in `storage`; limits as counts per window, the defaults the production ones."""
        self._limiter = MovingWindowRateLimiter(storage)
        self._account = RateLimitItemPerMinute(account_failures, account_window_minutes)
        self._address = RateLimitItemPerMinute(address_failures, address_window_minutes)

    def check(self, *, username: str, address: str) -> None:
        """Raise `LoginRefused` if the account or the address may not try now."""
        for scope, item, key in self._limits(username, address):
            if not self._limiter.test(item, scope, key):
                raise LoginRefused(retry_after_s=self._retry_after(item, scope, key), scope=scope)

    def failed(self, *, username: str, address: str) -> list[ThrottleNotice]:
        """Count one failure; the limits it has just used up (at most once per window each)."""
        notices = []
        for scope, item, key in self._limits(username, address):
            counted = self._limiter.hit(item, scope, key)
            if counted and not self._limiter.test(item, scope, key):
                retry = self._retry_after(item, scope, key)
                notices.append(ThrottleNotice(scope, item.amount, retry))
        return notices

    def failures(self, *, username: str) -> int:
        """The account's failures still in its window (0 after a success)."""
        stats = self._limiter.get_window_stats(self._account, "account", username)
        return self._account.amount - stats.remaining

    def succeeded(self, *, username: str) -> None:
        """A right password: the account's failures are no longer consecutive."""
        self._limiter.clear(self._account, "account", username)

    def _limits(self, username: str, address: str) -> list[tuple[str, RateLimitItem, str]]:
        return [("account", self._account, username), ("address", self._address, address)]

    def _retry_after(self, item: RateLimitItem, scope: str, key: str) -> int:
        reset = self._limiter.get_window_stats(item, scope, key).reset_time
        return max(1, math.ceil(reset - time.time()))

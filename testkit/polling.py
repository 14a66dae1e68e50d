"""Waiting for something another thread or process does: poll until it holds or time runs out."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

__all__ = ["wait_until"]

T = TypeVar("T")


def wait_until(predicate: Callable[[], T], timeout: float = 10.0, *, interval: float = 0.05) -> T:
    """Call `predicate` every `interval` seconds until it returns a true value.

    Args:
        predicate: What to wait for; its value is returned, so a test can wait for a thing
            and use it (``row = wait_until(lambda: find(...))``).
        timeout: Seconds to wait at most.
        interval: Seconds between two calls.

    Returns:
        The first true value, or the value of one last call once `timeout` has passed
        (false: the caller's ``assert`` fails with what was seen last).

    Raises:
        ValueError: `timeout` is negative or `interval` is not positive.
    """
    if timeout < 0 or interval <= 0:
        raise ValueError(
            f"wait_until needs timeout >= 0 and interval > 0, got {timeout}, {interval}"
        )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return predicate()

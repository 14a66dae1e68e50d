"""How long the cyclic garbage collector stops a server process, as a metric and a log line.

A full collection walks every tracked object while holding the GIL: every request of the
worker waits meanwhile. The decision cache keeps its generations out of the collector's
sight (`gc.freeze`), but what else a worker keeps alive is the operator's to watch: a tail
latency that no query explains is often a collection. `watch_gc` times each collection
(`portgate_gc_pause_seconds` by generation) and logs those over `slow_s`.
"""

import gc
import logging
import threading
import time
from collections.abc import Callable

from central_api.metrics import GC_PAUSE_SECONDS

__all__ = ["freeze_after", "stop_watching_gc", "watch_gc"]

logger = logging.getLogger(__name__)

_started: list[float] = []
_slow_s: list[float] = [0.05]


def _on_gc(phase: str, info: dict[str, int]) -> None:
    if phase == "start":
        _started[:] = [time.perf_counter()]
        return
    if not _started:
        return
    took = time.perf_counter() - _started[0]
    generation = info.get("generation", -1)
    GC_PAUSE_SECONDS.labels(generation=str(generation)).observe(took)
    if took >= _slow_s[0]:
        logger.warning(
            "garbage collection of generation %d stopped this worker for %.0f ms "
            "(%d collected, %d uncollectable)",
            generation,
            took * 1000,
            info.get("collected", 0),
            info.get("uncollectable", 0),
        )


def watch_gc(*, slow_s: float = 0.05) -> None:
    """Time every collection of this process from now on; log those of `slow_s` or more."""
    _slow_s[0] = slow_s
    if _on_gc not in gc.callbacks:
        gc.callbacks.append(_on_gc)


def stop_watching_gc() -> None:
    """Stop timing collections (a test process that started a server app)."""
    if _on_gc in gc.callbacks:
        gc.callbacks.remove(_on_gc)


def freeze_after(done: Callable[[], object], *, name: str) -> threading.Thread:
    """On a daemon thread: once `done()` returns, collect once, then freeze what survives.

    For a server's start-up work that leaves many long-lived objects behind (the replica
    records its warm-up builds): left in the collector's sight, every full collection
    walked them while holding the GIL, and at 100,000 identities those stalled a worker's
    decisions for 0.3-0.7 s now and then (bench_port_scale). Frozen objects are still
    freed by their reference counts when replaced.
    """

    def run() -> None:
        done()
        gc.collect()  # what is garbage now is not frozen with the rest
        gc.freeze()

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    return thread

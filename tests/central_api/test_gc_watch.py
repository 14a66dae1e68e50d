"""A server worker times its garbage collections and names the slow ones."""

import gc
import logging
import threading

import pytest
from prometheus_client import REGISTRY

from central_api.gc_watch import freeze_after, stop_watching_gc, watch_gc


def collections_timed() -> float:
    value = REGISTRY.get_sample_value("portgate_gc_pause_seconds_count", {"generation": "2"})
    return value or 0.0


def test_every_full_collection_is_timed_and_a_slow_one_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    before = collections_timed()
    watch_gc(slow_s=0.0)  # every collection counts as slow here
    watch_gc(slow_s=0.0)  # installed once: one observation per collection
    try:
        with caplog.at_level(logging.WARNING, logger="central_api.gc_watch"):
            gc.collect()
        assert collections_timed() == before + 1
        assert any(
            "garbage collection of generation 2 stopped this worker" in r.getMessage()
            for r in caplog.records
        )
        caplog.clear()
        watch_gc(slow_s=10.0)
        with caplog.at_level(logging.WARNING, logger="central_api.gc_watch"):
            gc.collect()
        assert collections_timed() == before + 2
        assert not caplog.records  # timed, not slow
    finally:
        stop_watching_gc()
    gc.collect()
    assert collections_timed() == before + 2  # no longer timed


def test_what_start_up_work_leaves_is_frozen_once_it_is_done() -> None:
    finished = threading.Event()
    gc.unfreeze()
    try:
        thread = freeze_after(finished.wait, name="test-freeze-after")
        kept = [{"record": n} for n in range(1000)]  # what the work builds, meanwhile
        assert gc.get_freeze_count() == 0  # not before the work is done
        finished.set()
        thread.join(10)
        assert not thread.is_alive()
        assert gc.get_freeze_count() >= len(kept)
    finally:
        gc.unfreeze()

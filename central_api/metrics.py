"""Prometheus metrics of the central API (module-level: one set per process).

With several worker processes (`portgate api --workers N`) the parent sets
``PROMETHEUS_MULTIPROC_DIR`` before any worker starts: every worker then writes its
samples to files there and `/metrics`, whichever worker answers, adds up all workers
(prometheus_client's multiprocess mode; the queue-depth gauge sums the live workers).
"""

import os

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

__all__ = [
    "ALARMS_TOTAL",
    "DECISIONS_TOTAL",
    "DECISION_SECONDS",
    "EVENTS_TOTAL",
    "GC_PAUSE_SECONDS",
    "INGEST_DEAD_LETTERS_TOTAL",
    "INGEST_QUEUE",
    "INGEST_REJECTED_TOTAL",
    "MULTIPROC_ENV",
    "exposition",
]

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

EVENTS_TOTAL = Counter(
    "portgate_events_total", "Access events stored, by decision and gate.", ["decision", "gate"]
)
DECISIONS_TOTAL = Counter(
    "portgate_decisions_total", "Central decisions answered, by decision.", ["decision"]
)
DECISION_SECONDS = Histogram(
    "portgate_decision_seconds",
    "Time to answer POST /api/v1/decisions.",
    buckets=(0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0),
)
INGEST_REJECTED_TOTAL = Counter(
    "portgate_ingest_rejected_total", "Ingested messages refused, by reason.", ["reason"]
)
INGEST_DEAD_LETTERS_TOTAL = Counter(
    "portgate_ingest_dead_letters_total",
    "MQTT messages kept as dead letters (refused or not storable), by reason.",
    ["reason"],
)
GC_PAUSE_SECONDS = Histogram(
    "portgate_gc_pause_seconds",
    "Time a worker was stopped by the cyclic garbage collector, by generation.",
    ["generation"],
    buckets=(0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0),
)
ALARMS_TOTAL = Counter("portgate_alarms_total", "Alarms stored, by kind.", ["kind"])
INGEST_QUEUE = Gauge(
    "portgate_ingest_queue_depth",
    "MQTT messages waiting to be stored.",
    multiprocess_mode="livesum",
)


def exposition() -> bytes:
    """The Prometheus text of this process, or of all workers in multiprocess mode."""
    if os.environ.get(MULTIPROC_ENV):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry)
    return generate_latest()

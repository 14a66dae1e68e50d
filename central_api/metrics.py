"""Prometheus metrics of the central API (module-level: one set per process).

With several worker processes (`portgate api --workers N`) the parent sets
``PROMETHEUS_MULTIPROC_DIR`` before any worker starts: every worker then writes its
samples to files there and `/metrics`, whichever worker answers, adds up all workers
(prometheus_client's multiprocess mode; the queue-depth gauge sums the live workers).
"""

import os
from collections.abc import Iterator, Sequence

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

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
    "STILLS_TOTAL",
    "UnacknowledgedAlarms",
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
STILLS_TOTAL = Counter(
    "portgate_alarm_stills_total",
    "Camera stills received: stored, dropped (site keeps none) or refused, by outcome.",
    ["outcome"],
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


class UnacknowledgedAlarms(Collector):
    """Alarms no operator has acknowledged yet, per site: how many, and the oldest's age.

    Read from the database at each scrape (the same for every worker), so it is built by
    the `/metrics` route with the figures of its query.

    Args:
        open_alarms: (site, count, age of the oldest in seconds) per site with one open.
    """

    def __init__(self, open_alarms: Sequence[tuple[str, int, float]]) -> None:
        self._open = open_alarms

    def collect(self) -> Iterator[Metric]:
        """The two gauges, one sample per site with an open alarm."""
        count = GaugeMetricFamily(
            "portgate_alarms_unacknowledged", "Alarms not acknowledged yet.", labels=["site"]
        )
        oldest = GaugeMetricFamily(
            "portgate_alarm_oldest_unacknowledged_seconds",
            "Age of the oldest alarm not acknowledged yet (since it was raised).",
            labels=["site"],
        )
        for site, number, age_s in self._open:
            count.add_metric([site], float(number))
            oldest.add_metric([site], max(age_s, 0.0))
        yield count
        yield oldest


def exposition(extra: Collector | None = None) -> bytes:
    """The Prometheus text of this process, or of all workers in multiprocess mode.

    Args:
        extra: Figures read for this scrape only (not kept in any registry).
    """
    if os.environ.get(MULTIPROC_ENV):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        text = generate_latest(registry)
    else:
        text = generate_latest()
    return text + generate_latest(extra) if extra is not None else text

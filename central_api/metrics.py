"""Prometheus metrics of the central API (module-level: one set per process)."""

from prometheus_client import Counter, Gauge, Histogram

__all__ = [
    "ALARMS_TOTAL",
    "DECISIONS_TOTAL",
    "DECISION_SECONDS",
    "EVENTS_TOTAL",
    "INGEST_QUEUE",
    "INGEST_REJECTED_TOTAL",
]

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
ALARMS_TOTAL = Counter("portgate_alarms_total", "Alarms stored, by kind.", ["kind"])
INGEST_QUEUE = Gauge("portgate_ingest_queue_depth", "MQTT messages waiting to be stored.")

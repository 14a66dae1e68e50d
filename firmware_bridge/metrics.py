"""The bridge's Prometheus metrics and their /metrics endpoint (docs/production.md, monitoring).

A registry of its own per bridge. Every figure is read when Prometheus scrapes, from what the
worker loop already counts (card reads, openings, reconnects, each reader's last known
status, dropped inputs); nothing is counted on an MQTT callback or a driver's thread.
"""

import logging
import threading
from collections.abc import Iterator, Mapping
from typing import Protocol
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from firmware_bridge.config import MetricsConfig

__all__ = ["BridgeFigures", "BridgeMetrics"]

logger = logging.getLogger(__name__)


class BridgeFigures(Protocol):
    """What the bridge's worker counts (written by the worker only, read on scrape)."""

    card_reads: int
    actuations: int
    mqtt_connects: int

    @property
    def readers(self) -> Mapping[str, bool]:
        """Each reader's last known status (True: online)."""
        ...

    @property
    def drops(self) -> Mapping[str, int]:
        """Dropped inputs, by reason."""
        ...


class BridgeMetrics(Collector):
    """One bridge's metrics, served on the configured port (nothing when none is set).

    Args:
        config: Where to listen (port 0: any free port, see `port`).
        figures: The bridge's counts.
        labels: The bridge's site and gate (labels of portgate_bridge_info).
    """

    def __init__(
        self, config: MetricsConfig, figures: BridgeFigures, labels: Mapping[str, str]
    ) -> None:
        self._config, self._figures, self._labels = config, figures, dict(labels)
        self.registry = CollectorRegistry()
        self.registry.register(self)
        self._server: WSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int | None:
        """The port it listens on while started."""
        return self._server.server_port if self._server is not None else None

    def start(self) -> None:
        """Listen, if the config names a port.

        Raises:
            OSError: The address cannot be bound (in use, not local).
        """
        config = self._config
        if config.port is None or self._server is not None:
            return
        self._server, self._thread = start_http_server(
            config.port, addr=config.host, registry=self.registry
        )
        logger.info("metrics on http://%s:%d/metrics", config.host, self.port)

    def stop(self) -> None:
        """Stop listening."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=2.0)
        self._server = self._thread = None

    def collect(self) -> Iterator[Metric]:
        """The figures, read now."""
        figures = self._figures
        info = GaugeMetricFamily(
            "portgate_bridge_info", "The bridge's site and gate.", labels=list(self._labels)
        )
        info.add_metric(list(self._labels.values()), 1.0)
        yield info
        yield CounterMetricFamily(
            "portgate_bridge_card_reads", "Cards read by the gate's readers.", figures.card_reads
        )
        yield CounterMetricFamily(
            "portgate_bridge_opens", "Lanes unlocked for an OpenCommand.", figures.actuations
        )
        yield CounterMetricFamily(
            "portgate_bridge_mqtt_reconnects",
            "Times the MQTT link came up again after the first connection.",
            max(figures.mqtt_connects - 1, 0),
        )
        readers = GaugeMetricFamily(
            "portgate_bridge_reader_up",
            "1 while a reader is online (last heard: a card or its status), 0 offline.",
            labels=["reader"],
        )
        for reader, online in sorted(dict(figures.readers).items()):
            readers.add_metric([reader], 1.0 if online else 0.0)
        yield readers
        drops = CounterMetricFamily(
            "portgate_bridge_dropped", "Inputs dropped, by reason.", labels=["reason"]
        )
        for reason, count in sorted(dict(figures.drops).items()):
            drops.add_metric([reason], count)
        yield drops

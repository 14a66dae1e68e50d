"""The agent's /metrics HTTP endpoint (prometheus_client's own server, in a daemon thread)."""

from __future__ import annotations

import logging
import threading
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, start_http_server

from gate_agent.camera.frame_pump import FramePump
from gate_agent.config import AgentConfig, MetricsConfig
from gate_agent.loop.agent import GateAgent
from gate_agent.monitor.metrics import AgentMetrics, OutboxFile

__all__ = ["MetricsEndpoint", "watch_agent"]

_log = logging.getLogger(__name__)


class MetricsEndpoint:
    """Serves a registry on the configured address and port; nothing when no port is set.

    Args:
        config: Where to listen (port 0: any free port, see `port`).
        registry: What to serve.
    """

    def __init__(self, config: MetricsConfig, registry: CollectorRegistry) -> None:
        self._config = config
        self.registry = registry
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
        _log.info("metrics on http://%s:%d/metrics", config.host, self.port)

    def stop(self) -> None:
        """Stop listening."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=2.0)
        self._server = self._thread = None


def watch_agent(config: AgentConfig, agent: GateAgent, pump: FramePump | None) -> MetricsEndpoint:
    """The agent's metrics, counting the loop's decisions, behind its (unstarted) endpoint."""
    metrics = AgentMetrics(
        site=config.site,
        gate=config.gate,
        state=agent.state,
        outbox=OutboxFile(config.outbox.path),
        frames=pump.counters if pump is not None else None,
    )
    agent.watch_decisions(metrics.on_decided)
    return MetricsEndpoint(config.metrics, metrics.registry)

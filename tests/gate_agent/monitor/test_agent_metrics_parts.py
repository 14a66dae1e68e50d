"""The agent's metrics parts: the decision path, the outbox backlog, the endpoint's config."""

import socket
from datetime import UTC, datetime
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from gate_agent.config import ConfigError, MetricsConfig, load_config
from gate_agent.decision.presentation import Verdict
from gate_agent.monitor.endpoint import MetricsEndpoint
from gate_agent.monitor.metrics import OutboxFile, decision_path
from gate_agent.outbox.store import Outbox
from gate_protocol.messages import AlarmKind, AlarmRaised, DecidedBy, Decision
from gate_protocol.reasons import ReasonCode
from testkit.agent.doubles import make_event


@pytest.mark.parametrize(
    ("decided_by", "connected", "path"),
    [
        (DecidedBy.CENTRAL, True, "central"),
        (DecidedBy.REPLICA, True, "replica"),
        (DecidedBy.REPLICA, False, "offline"),
    ],
)
def test_decision_path(decided_by: DecidedBy, connected: bool, path: str) -> None:
    verdict = Verdict(Decision.GRANTED, ReasonCode.GRANTED, decided_by)
    assert decision_path(verdict, connected=connected) == path


def test_outbox_backlog_counts_unconfirmed_rows_and_dates_the_oldest(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "o.db", max_unsent=100)
    reader = OutboxFile(tmp_path / "o.db")
    assert reader.backlog("events") == (0, None)
    for _ in range(3):
        outbox.events.append(make_event)
    at = datetime(2026, 2, 3, 4, 5, tzinfo=UTC)
    outbox.alarms.append(AlarmRaised(alarm_id="a1", alarm=AlarmKind.TAMPER, at=at))
    assert reader.backlog("events") == (3, datetime(2026, 1, 1, tzinfo=UTC))
    assert reader.backlog("alarms") == (1, at)
    outbox.events.mark_confirmed([1, 2, 3])
    assert reader.backlog("events") == (0, None)
    outbox.close()


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "agent.yaml"
    path.write_text(text)
    return path


def test_metrics_are_off_by_default_and_a_bad_port_is_refused(tmp_path: Path) -> None:
    assert load_config(write(tmp_path, "site: t1\ngate: g1\n")).metrics.port is None
    config = load_config(write(tmp_path, "site: t1\ngate: g1\nmetrics: {port: 9464}\n"))
    assert (config.metrics.host, config.metrics.port) == ("127.0.0.1", 9464)
    with pytest.raises(ConfigError, match="metrics.port"):
        load_config(write(tmp_path, "site: t1\ngate: g1\nmetrics: {port: 70000}\n"))
    with pytest.raises(ConfigError, match="metrics.path"):
        load_config(write(tmp_path, "site: t1\ngate: g1\nmetrics: {path: /m}\n"))


def test_a_port_in_use_is_an_error_at_start() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        endpoint = MetricsEndpoint(MetricsConfig(port=port), CollectorRegistry())
        with pytest.raises(OSError):
            endpoint.start()
        assert endpoint.port is None

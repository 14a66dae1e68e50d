"""The shipped Prometheus rules, scrape config and Grafana dashboard (configs/monitoring/).

promtool (Debian package `prometheus`, in the Makefile's DEB_PACKAGES) checks the rules and
runs their unit tests (prometheus-rules.test.yml: input series -> the alerts that fire);
every metric the rules and the dashboard name must exist in the registries of the API, the
agent and the bridge.
"""

import json
import re
import shutil
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml
from prometheus_client import REGISTRY
from prometheus_client.core import Metric

from central_api.metrics import UnacknowledgedAlarms
from firmware_bridge.config import MetricsConfig
from firmware_bridge.metrics import BridgeMetrics
from gate_agent.camera.frame_pump import PumpCounters
from gate_agent.decision.decider import ReplicaView
from gate_agent.loop.state import LoopState
from gate_agent.monitor.metrics import AgentMetrics, OutboxFile
from gate_agent.outbox.store import Outbox
from gate_protocol.replica import ReplicaIndex
from testkit.agent.doubles import make_snapshot

HERE = Path(__file__).resolve().parent
CONFIGS = HERE.parents[1] / "configs" / "monitoring"
RULES = CONFIGS / "prometheus-rules.yml"
METRIC = re.compile(r"\bportgate_[a-z0-9_]+\b")


def promtool(*args: str | Path, cwd: Path = HERE) -> subprocess.CompletedProcess[str]:
    tool = shutil.which("promtool")
    assert tool, "promtool missing: apt-get install prometheus (make deps)"
    return subprocess.run(  # noqa: S603 (our own arguments)
        [tool, *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=60, check=False
    )


def test_promtool_checks_the_rules() -> None:
    done = promtool("check", "rules", RULES)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS: 9 rules found" in done.stdout


def test_promtool_unit_tests_fire_the_alerts() -> None:
    done = promtool("test", "rules", "prometheus-rules.test.yml")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout


def test_promtool_refuses_a_broken_rule(tmp_path: Path) -> None:
    broken = RULES.read_text().replace(
        "portgate_agent_mqtt_connected == 0", "portgate_agent_mqtt_connected =="
    )
    (tmp_path / "rules.yml").write_text(broken)
    done = promtool("check", "rules", tmp_path / "rules.yml")
    assert done.returncode != 0 and "PortGateAgentOffline" in done.stdout + done.stderr


def test_the_scrape_config_is_valid_and_loads_the_rules() -> None:
    done = promtool("check", "config", "--syntax-only", CONFIGS / "prometheus.yml")
    assert done.returncode == 0, done.stdout + done.stderr
    config = yaml.safe_load((CONFIGS / "prometheus.yml").read_text())
    assert config["rule_files"] == [RULES.name]
    jobs = {job["job_name"] for job in config["scrape_configs"]}
    assert jobs == {"portgate-api", "portgate-agent", "portgate-bridge"}


@dataclass
class Figures:
    card_reads: int = 0
    actuations: int = 0
    mqtt_connects: int = 0
    readers: dict[str, bool] = field(default_factory=dict)
    drops: dict[str, int] = field(default_factory=dict)


def sample_names(families: Iterable[Metric]) -> set[str]:
    suffixes = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum")}
    return {
        family.name + suffix for family in families for suffix in suffixes.get(family.type, ("",))
    }


@pytest.fixture
def known_metrics(tmp_path: Path) -> set[str]:
    Outbox(tmp_path / "o.db", max_unsent=10).close()
    view = ReplicaView(index=ReplicaIndex(make_snapshot()), last_sync_at=None)
    agent = AgentMetrics(
        site="s1",
        gate="g1",
        state=LoopState(replica=view),
        outbox=OutboxFile(tmp_path / "o.db"),
        frames=PumpCounters(),
    )
    bridge = BridgeMetrics(MetricsConfig(), Figures(), {"site": "s1", "gate": "g1"})
    alarms = UnacknowledgedAlarms([("s1", 1, 60.0)])
    names = set()
    for registry in (agent.registry, bridge.registry, REGISTRY, alarms):
        names |= sample_names(registry.collect())
    return names


def test_rules_and_dashboard_name_only_metrics_that_exist(known_metrics: set[str]) -> None:
    rules = yaml.safe_load(RULES.read_text())
    exprs = [rule["expr"] for group in rules["groups"] for rule in group["rules"]]
    dashboard = json.loads((CONFIGS / "grafana-dashboard.json").read_text())
    panels = dashboard["panels"]
    assert dashboard["uid"] == "portgate-gates" and panels
    exprs += [target["expr"] for panel in panels for target in panel["targets"]]
    used = {name for expr in exprs for name in METRIC.findall(expr)}
    assert used and used <= known_metrics, sorted(used - known_metrics)
    # Every metric the issue asks for is on the dashboard.
    wanted = {
        "portgate_agent_frames_total",
        "portgate_agent_face_step_seconds_bucket",
        "portgate_agent_decisions_total",
        "portgate_agent_outbox_depth",
        "portgate_agent_outbox_oldest_age_seconds",
        "portgate_agent_replica_age_seconds",
        "portgate_agent_mqtt_reconnects_total",
        "portgate_bridge_reader_up",
        "portgate_bridge_card_reads_total",
        "portgate_bridge_opens_total",
        "portgate_bridge_mqtt_reconnects_total",
        "portgate_alarm_oldest_unacknowledged_seconds",
    }
    on_dashboard = {
        name for panel in panels for t in panel["targets"] for name in METRIC.findall(t["expr"])
    }
    assert wanted <= on_dashboard, sorted(wanted - on_dashboard)

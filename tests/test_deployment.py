"""docker/compose.yaml is validated offline with Debian's docker-compose (no engine here)."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).parents[1]
COMPOSE = ROOT / "docker" / "compose.yaml"
SECRETS = {
    "POSTGRES_PASSWORD": "pg-test",
    "PORTGATE_SECRET_KEY": "s" * 48,
    "PORTGATE_TEMPLATE_KEY": "k" * 44,
    "PORTGATE_PASS_SIGNING_KEY": "K01=" + "p" * 44,
    "PORTGATE_PASS_PUBLIC_KEYS": "K01=" + "q" * 44,
    "PORTGATE_METRICS_TOKEN": "m" * 32,
    "PORTGATE_REPLICA_KEY": "r" * 44,
    "PORTGATE_MQTT_API_PASSWORD": "api-pass",
    "PORTGATE_MQTT_AGENT_PASSWORD": "agent-pass",
    "PORTGATE_MQTT_BRIDGE_PASSWORD": "bridge-pass",
    "PORTGATE_MQTT_PASSWORD_HEALTHCHECK": "hc-pass",
}


def compose_config(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("docker-compose")
    assert exe, "docker-compose missing: `make test` installs Debian's docker-compose"
    return subprocess.run(
        [exe, "-f", str(COMPOSE), "config"],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", **env},
        timeout=60,
        check=False,
    )


def test_compose_file_is_valid_and_has_the_whole_site() -> None:
    result = compose_config(SECRETS)
    assert result.returncode == 0, result.stderr
    config = yaml.safe_load(result.stdout)
    assert set(config["services"]) == {
        *("mosquitto", "postgres", "migrate", "bootstrap", "api", "agent", "bridge")
    }
    for name in ("api", "agent", "bridge"):
        assert config["services"][name]["build"]["target"] == name
    assert "postgresql+psycopg://" in config["services"]["api"]["environment"]["DATABASE_URL"]


@pytest.mark.parametrize("missing", sorted(SECRETS))
def test_compose_refuses_to_start_without_each_secret(missing: str) -> None:
    env = {k: v for k, v in SECRETS.items() if k != missing}
    result = compose_config(env)
    assert result.returncode != 0
    assert missing in result.stderr


def test_images_run_as_non_root_with_healthchecks() -> None:
    dockerfile = (ROOT / "docker" / "Dockerfile").read_text()
    stages = dockerfile.split("\nFROM ")
    for target in ("api", "agent", "bridge"):
        stage = next(s for s in stages if s.split("\n", 1)[0].endswith(f"AS {target}"))
        assert "USER portgate" in stage, target
        assert "HEALTHCHECK" in stage, target


def test_compose_edge_configs_validate_and_beat_where_the_healthcheck_looks() -> None:
    from firmware_bridge.config import load_bridge_config
    from gate_agent.config import load_config

    agent = load_config(ROOT / "configs" / "docker" / "agent.yaml")
    bridge = load_bridge_config(ROOT / "configs" / "docker" / "bridge.yaml")
    heartbeat = Path("/var/lib/portgate/heartbeat")
    assert agent.heartbeat_path == heartbeat
    assert bridge.heartbeat_path == heartbeat
    assert (agent.site, agent.gate) == (bridge.site, bridge.gate)
    assert agent.replica_key_env == "PORTGATE_REPLICA_KEY"  # templates sealed on disk
    assert "--heartbeat /var/lib/portgate/heartbeat" in (ROOT / "docker" / "Dockerfile").read_text()


def test_the_stacks_bridge_requires_signed_commands_with_keys_only_its_agent_writes() -> None:
    from firmware_bridge.config import load_bridge_config
    from gate_agent.config import load_config

    agent = load_config(ROOT / "configs" / "docker" / "agent.yaml")
    bridge = load_bridge_config(ROOT / "configs" / "docker" / "bridge.yaml")
    assert bridge.require_signed_commands and not bridge.command_keys
    assert bridge.command_keys_file is not None
    assert bridge.command_keys_file == agent.bridge_command_keys_path
    services = yaml.safe_load(compose_config(SECRETS).stdout)["services"]
    folder = str(bridge.command_keys_file.parent)

    def mounts(service: str) -> list[list[str]]:
        # docker-compose v1 prints the short syntax: SOURCE:TARGET[:MODE]
        volumes = [str(v).split(":") for v in services[service].get("volumes", [])]
        return [v for v in volumes if v[1] == folder]

    (agent_mount,), (bridge_mount,) = mounts("agent"), mounts("bridge")
    assert agent_mount[0] == bridge_mount[0], "one volume, shared"
    assert agent_mount[2:] in ([], ["rw"]), "the agent writes the keys"
    assert bridge_mount[2:] == ["ro"], "the bridge cannot write its own keys"
    assert all(not mounts(name) for name in ("mosquitto", "postgres", "api"))


def test_services_start_in_order_each_waiting_for_the_one_before() -> None:
    result = compose_config(SECRETS)
    assert result.returncode == 0, result.stderr
    services = yaml.safe_load(result.stdout)["services"]

    def waits_for(name: str) -> dict[str, str]:
        return {k: v["condition"] for k, v in services[name].get("depends_on", {}).items()}

    assert waits_for("mosquitto") == {"postgres": "service_healthy"}
    assert waits_for("migrate") == {"postgres": "service_healthy"}
    assert services["migrate"]["entrypoint"] == ["portgate", "db", "upgrade"]
    assert waits_for("bootstrap") == {"migrate": "service_completed_successfully"}
    assert waits_for("api")["migrate"] == "service_completed_successfully"
    assert waits_for("api")["bootstrap"] == "service_completed_successfully"
    assert waits_for("agent")["api"] == "service_healthy"
    assert waits_for("bridge")["agent"] == "service_healthy"
    for name in ("postgres", "mosquitto"):
        assert services[name]["healthcheck"]["test"], name
    for name in ("migrate", "bootstrap"):
        assert services[name]["restart"] == "no", name


def test_env_example_names_every_variable_compose_requires() -> None:
    example = (ROOT / "docker" / ".env.example").read_text()
    names = {line.split("=", 1)[0] for line in example.splitlines() if "=" in line}
    names = {n for n in names if not n.startswith("#")}
    assert set(SECRETS) <= names, set(SECRETS) - names
    required = set(re.findall(r"\$\{(\w+):\?", COMPOSE.read_text()))
    assert required <= names, required - names

"""The API's gate table is the one source: `portgate gates site-config` and `gates check`.

The site config is made from the table; site config, agent and bridge files that differ
from it are named, one line per difference, and the check exits 1 (both databases).
"""

from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import Engine
from typer.testing import CliRunner, Result

from portgate.cli import app as cli
from testkit.api.world import World


@pytest.fixture
def db_env(engine: Engine, world: World, monkeypatch: pytest.MonkeyPatch) -> Engine:
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    return engine


def gates(*args: str) -> Result:
    return CliRunner().invoke(cli, ["gates", *args])


def _yaml(tmp_path: Path, name: str, value: dict[str, Any]) -> str:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(value))
    return str(path)


def _agent(site: str, gate: str, lanes: list[tuple[int, str]]) -> dict[str, Any]:
    return {
        "site": site,
        "gate": gate,
        "lanes": [{"lane": lane, "direction": way} for lane, way in lanes],
    }


def _bridge(site: str, gate: str, lanes: list[tuple[int, str]]) -> dict[str, Any]:
    return {
        **_agent(site, gate, lanes),
        "hardware": {"driver": "simulated", "reader_id": "r1"},
        "require_signed_commands": False,
    }


def test_the_site_config_made_from_the_api_agrees_with_it(
    db_env: Engine, world: World, tmp_path: Path
) -> None:
    made = gates("site-config", world.site)
    assert made.exit_code == 0, made.output
    # The YAML is the command's stdout (what `> site.yaml` keeps): a log line another thread
    # writes to stderr meanwhile is not part of it.
    section = yaml.safe_load(made.stdout)
    assert section == {
        "site": world.site,
        "gates": [{"id": world.gate, "name": world.gate}, {"id": world.gate2, "name": world.gate2}],
    }
    site_config = tmp_path / "site.yaml"
    site_config.write_text(made.stdout)
    agent = _yaml(
        tmp_path, "agent.yaml", _agent(world.site, world.gate, [(0, "entry"), (1, "exit")])
    )
    bridge = _yaml(tmp_path, "bridge.yaml", _bridge(world.site, world.gate2, [(0, "entry")]))
    checked = gates(
        "check", "--site-config", str(site_config), "--agent", agent, "--bridge", bridge
    )
    assert checked.exit_code == 0, checked.output
    assert "3 file(s) agree with the API's gates" in checked.output


def test_every_difference_is_named(db_env: Engine, world: World, tmp_path: Path) -> None:
    site_config = _yaml(
        tmp_path,
        "site.yaml",
        {"site": world.site, "gates": [{"id": world.gate}, {"id": "ghost-9"}]},
    )
    lane_out = _yaml(
        tmp_path, "a1.yaml", _agent(world.site, world.gate, [(0, "entry"), (5, "exit")])
    )
    wrong_site = _yaml(tmp_path, "a2.yaml", _agent(world.site, world.other_gate, [(0, "entry")]))
    unknown = _yaml(tmp_path, "b1.yaml", _bridge(world.site, "nowhere-1", [(0, "entry")]))
    checked = gates(
        "check",
        "--site-config",
        site_config,
        "--agent",
        lane_out,
        "--agent",
        wrong_site,
        "--bridge",
        unknown,
    )
    assert checked.exit_code == 1
    lines = checked.output.strip().splitlines()
    assert lines[:-1] == [
        f"{site_config}: gate 'ghost-9' is not a gate of site '{world.site}' in the API",
        f"{site_config}: the API's gate '{world.gate2}' is missing (it gets no broker accounts)",
        f"{lane_out}: lane 5 does not exist: gate '{world.gate}' has lanes 0 to 1 in the API",
        f"{wrong_site}: gate '{world.other_gate}' is at site '{world.other_site}' in the API, "
        f"not '{world.site}'",
        f"{unknown}: gate 'nowhere-1' is not in the API (portgate gates list)",
    ]
    assert lines[-1] == "gates check: 5 difference(s) with the API's gates"


def test_bad_input_is_one_line(db_env: Engine, world: World, tmp_path: Path) -> None:
    assert gates("check").exit_code == 2
    broken = tmp_path / "agent.yaml"
    broken.write_text("site: rtm\ngate: north-1\nno_such_key: 1\n")
    result = gates("check", "--agent", str(broken))
    assert result.exit_code == 2 and result.output.startswith("gates check: ")
    assert result.output.count("\n") == 1
    missing = gates("site-config", "nowhere")
    assert missing.exit_code == 2 and "no site 'nowhere'" in missing.output


def test_a_lane_against_the_gates_direction_is_named() -> None:
    from portgate.commands.gate_sources.differences import GateFacts, LaneClaim, gate_differences

    facts = {"in-1": GateFacts("in-1", "rtm", 2, "entry")}
    claims = [LaneClaim(0, "entry"), LaneClaim(1, "exit")]
    assert gate_differences("a.yaml", site="rtm", gate="in-1", lanes=claims, gates=facts) == [
        "a.yaml: lane 1 is exit, gate 'in-1' is entry only in the API"
    ]

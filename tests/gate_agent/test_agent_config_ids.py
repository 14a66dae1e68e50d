"""The agent config's site, gate and node ids follow the one id rule (gate_protocol.ids)."""

from pathlib import Path

import pytest

from gate_agent.config import ConfigError, load_config


def load(tmp_path: Path, **ids: str) -> object:
    values = {"site": "t1", "gate": "g1", "node_id": "agent"} | ids
    path = tmp_path / "agent.yaml"
    path.write_text("".join(f"{key}: '{value}'\n" for key, value in values.items()))
    return load_config(path)


@pytest.mark.parametrize("value", ["rtm:t1", "gate-1.a_b", "x" * 64])
@pytest.mark.parametrize("field", ["site", "gate", "node_id"])
def test_ids_by_the_rule_are_accepted(tmp_path: Path, field: str, value: str) -> None:
    assert getattr(load(tmp_path, **{field: value}), field) == value


# 'gäte' and 'g@1' were one topic level each, so the agent took them before, but no API,
# replica or open command carries them: the agent now refuses them at start.
@pytest.mark.parametrize("value", ["", "x" * 65, "g/1", "g+1", "$g", "g 1", "gäte", "g@1"])
@pytest.mark.parametrize("field", ["site", "gate", "node_id"])
def test_ids_outside_the_rule_are_refused_naming_the_field(
    tmp_path: Path, field: str, value: str
) -> None:
    with pytest.raises(ConfigError, match=field):
        load(tmp_path, **{field: value})

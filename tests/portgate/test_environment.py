"""A misspelled setting stops every `portgate` command with one line, and the list is complete."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from portgate.environment import UnknownSettingError, check_environment, is_known

ROOT = Path(__file__).resolve().parents[2]
SOURCES = (
    "central_api",
    "gate_agent",
    "firmware_bridge",
    "gate_protocol",
    "biometrics",
    "enrollment",
    "portgate",
    "testkit",
    "bench",
    "tests",
    "configs",
    "deploy",
    "docs",
)
_NAME = re.compile(r"\bPORTGATE_[A-Z0-9_]*[A-Z0-9]\b")


def _run(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PORTGATE_")}
    clean.pop("DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-c", "from portgate.cli import main; main()", "protocol", "--help"],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_misspelled_database_url_stops_the_command_with_one_line() -> None:
    result = _run({"DATABSE_URL": "postgresql://db/portgate"})
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "portgate: DATABSE_URL is not a PortGate setting (did you mean DATABASE_URL?)"
    )
    assert result.stdout == ""


def test_known_settings_pass_and_the_command_runs() -> None:
    result = _run({"DATABASE_URL": "sqlite:///x.db", "PORTGATE_MQTT_PASSWORD_AGENT_G7": "s"})
    assert result.returncode == 0, result.stderr
    assert "Usage" in result.stdout


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        (
            {"PORTGATE_REPLCA_KEY": "x"},
            "PORTGATE_REPLCA_KEY is not a PortGate setting (did you mean PORTGATE_REPLICA_KEY?)",
        ),
        ({"PORTGATE_NOTHING_LIKE_IT": "x"}, "PORTGATE_NOTHING_LIKE_IT is not a PortGate setting"),
        ({"MQTT_ULR": "x"}, "MQTT_ULR is not a PortGate setting (did you mean MQTT_URL?)"),
        (
            {"PORTGATE_MQTT_PASSWORD_": "x"},
            "PORTGATE_MQTT_PASSWORD_ is not a PortGate setting"
            " (did you mean PORTGATE_MQTT_PASSWORD?)",
        ),
    ],
)
def test_each_kind_of_typo_is_named(environ: dict[str, str], message: str) -> None:
    with pytest.raises(UnknownSettingError) as raised:
        check_environment(environ)
    assert str(raised.value) == message


def test_other_programs_variables_are_left_alone() -> None:
    check_environment({"PATH": "/bin", "MQTT_USER": "x", "HOME": "/root", "DATABASE": "x"})


def test_every_portgate_name_in_the_source_is_known() -> None:
    names: set[str] = set()
    for folder in SOURCES:
        for path in (ROOT / folder).rglob("*"):
            if path.suffix in {".py", ".md", ".yml", ".yaml", ".env", ".service", ".example"}:
                names.update(_NAME.findall(path.read_text(errors="ignore")))
    examples = {"PORTGATE_REPLCA_KEY", "PORTGATE_NOTHING_LIKE_IT"}  # this file's typos
    unknown = sorted(n for n in names - examples if not is_known(n))
    assert not unknown, f"add these to portgate/environment.py: {unknown}"

"""The CLI imports a command's module only when that command runs (portgate/lazy_commands.py)."""

import json
import os
import subprocess
import sys

import pytest
import typer
from typer.testing import CliRunner

from portgate.cli import app
from portgate.lazy_commands import COMMANDS, load_command

# What a bridge install does not have (issue 23.6): the face stack and OpenCV, and with them
# the API's and the agent's packages.
HEAVY = ("cv2", "dlib", "face_recognition", "numpy", "central_api", "biometrics", "gate_agent")


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_each_listed_help_line_is_the_command_s_own(name: str) -> None:
    command = load_command(name)
    assert command.name == name
    assert command.get_short_help_str(limit=300) == COMMANDS[name].help


def test_the_command_list_names_every_command_in_order() -> None:
    group = typer.main.get_group(app)
    assert group.list_commands(typer.Context(group)) == list(COMMANDS)


def test_portgate_bridge_help_imports_no_face_stack_no_opencv_no_api() -> None:
    script = (
        "import json, sys\n"
        "sys.argv = ['portgate', 'bridge', '--help']\n"
        "from portgate.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        f"print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r}))))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=240, check=False
    )
    assert "Run a firmware bridge" in result.stdout, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []


def test_portgate_help_lists_every_command_without_importing_one() -> None:
    script = (
        "import json, sys\n"
        "sys.argv = ['portgate', '--help']\n"
        "from portgate.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "loaded = [m for m in sys.modules if m.startswith('portgate.commands.')]\n"
        f"heavy = {{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r})\n"
        "print(json.dumps(sorted(loaded) + sorted(heavy)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
        env={**os.environ, "COLUMNS": "200"},
    )
    *shown, imported = result.stdout.strip().splitlines()
    assert json.loads(imported) == [], result.stderr
    listed = "\n".join(shown)
    for name, entry in COMMANDS.items():
        assert f" {name} " in listed and entry.help in listed, name


def test_an_unknown_command_is_a_usage_error_naming_it() -> None:
    result = CliRunner().invoke(app, ["bridges"])
    assert result.exit_code == 2
    assert "No such command 'bridges'" in result.output


def test_community_still_gets_the_stix_commands() -> None:
    result = CliRunner().invoke(app, ["community", "--help"])
    assert result.exit_code == 0
    assert "export" in result.output and "import" in result.output

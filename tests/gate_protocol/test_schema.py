import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from gate_protocol.schema import build_message_schema, load_schema_snapshot
from portgate.cli import app

SNAPSHOT = Path(__file__).parents[2] / "gate_protocol" / "message_schema.json"


def test_wire_schema_matches_the_committed_snapshot() -> None:
    # A failure here means the wire changed: review the change, then regenerate with
    # `.venv/bin/portgate protocol schema > gate_protocol/message_schema.json`.
    assert build_message_schema() == load_schema_snapshot()


def test_protocol_schema_command_prints_the_snapshot() -> None:
    result = CliRunner().invoke(app, ["protocol", "schema"])
    assert result.exit_code == 0
    assert json.loads(result.stdout) == json.loads(SNAPSHOT.read_text())


def test_every_kind_has_a_topic_and_a_schema() -> None:
    schema = build_message_schema()
    mapping = schema["discriminator"]["mapping"]
    assert set(mapping) == set(schema["x-topics"])
    for kind, topic in schema["x-topics"].items():
        assert topic.startswith("portgate/v1/{site}/"), kind


def test_console_script_lists_every_command_group() -> None:
    exe = Path(sys.executable).parent / "portgate"
    out = subprocess.run([str(exe), "--help"], capture_output=True, text=True, check=True).stdout
    for command in (
        "demo", "api", "agent", "bridge", "scan", "db", "users", "gates", "broker",
        "enroll", "faces", "audit", "protocol", "bench",
    ):  # fmt: skip
        assert f" {command} " in out, command

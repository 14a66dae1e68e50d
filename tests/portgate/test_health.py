import os
import time
from pathlib import Path

from typer.testing import CliRunner

from portgate.cli import app


def test_fresh_heartbeat_is_healthy(tmp_path: Path) -> None:
    beat = tmp_path / "heartbeat"
    beat.touch()
    result = CliRunner().invoke(app, ["health", "--heartbeat", str(beat)])
    assert result.exit_code == 0
    assert "healthy" in result.stdout


def test_stale_or_missing_heartbeat_is_unhealthy(tmp_path: Path) -> None:
    beat = tmp_path / "heartbeat"
    beat.touch()
    old = time.time() - 120
    os.utime(beat, (old, old))
    stale = CliRunner().invoke(app, ["health", "--heartbeat", str(beat), "--max-age", "30"])
    assert stale.exit_code == 1
    missing = CliRunner().invoke(app, ["health", "--heartbeat", str(tmp_path / "nope")])
    assert missing.exit_code == 1

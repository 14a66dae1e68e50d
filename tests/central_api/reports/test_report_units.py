"""The shipped systemd units: the timers' calendars parse (UTC), the service's command runs."""

import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from portgate.cli import app as cli
from testkit.api.reports import seed_report_world
from testkit.api.world import World

UNITS = Path(__file__).parents[3] / "configs" / "systemd"


def _setting(text: str, key: str) -> str:
    joined = text.replace("\\\n", " ")
    match = re.search(rf"^{key}=(.*)$", joined, flags=re.MULTILINE)
    assert match is not None, key
    return match.group(1).strip()


@pytest.mark.parametrize("every", ["daily", "weekly", "monthly"])
def test_each_timer_fires_in_utc_and_starts_its_period(every: str) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed (Debian package systemd)")
    text = (UNITS / f"portgate-reports-{every}.timer").read_text()
    assert _setting(text, "Unit") == f"portgate-reports@{every}.service"
    calendar = _setting(text, "OnCalendar")
    checked = subprocess.run(  # noqa: S603 (a fixed tool, the unit's own value)
        [analyze, "calendar", calendar], capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0, checked.stderr
    assert "Normalized form:" in checked.stdout and calendar.endswith("UTC")


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_the_services_command_writes_the_period_just_ended(
    engine: Engine, world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_report_world(engine, world)
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    command = shlex.split(_setting((UNITS / "portgate-reports@.service").read_text(), "ExecStart"))
    assert Path(command[0]).name == "portgate"
    args = [arg.replace("%i", "monthly") for arg in command[1:]]
    folder = tmp_path / "reports"
    folder.mkdir()
    args[args.index("--folder") + 1] = str(folder)
    # One report keeps the test short; the unit's own options are all used as written.
    result = CliRunner().invoke(
        cli, [*args, "--report", "companies", "--at", "2026-12-01T00:45:00Z"]
    )
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in folder.iterdir()) == [
        "companies_all_2026-11.pdf",
        "companies_all_2026-11.xlsx",
    ]

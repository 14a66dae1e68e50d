"""`portgate agent` through the real CLI (typer's CliRunner): bad configs fail clearly."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from portgate.cli import app


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["agent", *args])
    return result.exit_code, result.output


def test_invalid_config_exits_1_with_the_reason(tmp_path: Path) -> None:
    path = tmp_path / "agent.yaml"
    path.write_text("site: t1\ngate: g1\nunknown_key: 1\n")
    code, output = run("--config", str(path))
    assert code == 1 and "unknown_key" in output


def test_missing_secret_exits_1_naming_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PG_TEST_NO_SUCH_KEY", raising=False)
    path = tmp_path / "agent.yaml"
    path.write_text("site: t1\ngate: g1\napi: {gate_key_env: PG_TEST_NO_SUCH_KEY}\n")
    code, output = run("--config", str(path))
    assert code == 1 and "PG_TEST_NO_SUCH_KEY is not set" in output


def test_missing_config_file_is_refused(tmp_path: Path) -> None:
    code, _ = run("--config", str(tmp_path / "none.yaml"))
    assert code == 2

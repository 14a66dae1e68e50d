"""`portgate --log-format json --log-level ...`: JSON lines that parse, hold no secret."""

import json
import logging
import logging.config
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from portgate.logsetup import LogFormat, configure_logging, uvicorn_log_config

_SECRET = "s3cret-never-in-a-log-line-0123456789abcdef"


def _portgate(*args: str, database: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{database}",
        "PORTGATE_SECRET_KEY": _SECRET,
        "PORTGATE_METRICS_TOKEN": _SECRET,
    }
    return subprocess.run(
        [sys.executable, "-c", "from portgate.cli import main; main()", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_json_log_lines_parse_and_hold_no_secret(tmp_path: Path) -> None:
    result = _portgate("--log-format", "json", "db", "upgrade", database=tmp_path / "a.db")
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines, "the migration logs its steps"
    for line in lines:
        record = json.loads(line)
        assert {"time", "level", "logger", "message"} <= record.keys()
        assert _SECRET not in line
    assert any("Running upgrade" in json.loads(line)["message"] for line in lines)


def test_warning_level_hides_info(tmp_path: Path) -> None:
    quiet = _portgate("--log-level", "warning", "db", "upgrade", database=tmp_path / "c.db")
    assert quiet.returncode == 0, quiet.stderr
    assert (tmp_path / "c.db").exists()
    assert "Running upgrade" not in quiet.stderr


def test_an_unknown_level_is_refused_and_nothing_runs(tmp_path: Path) -> None:
    database = tmp_path / "d.db"
    result = _portgate("--log-level", "loud", "db", "upgrade", database=database)
    assert result.returncode == 2
    assert "unknown log level 'loud'" in result.stderr
    assert not database.exists()


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.names: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.names.append(record.name)


def _httpx_lines_at(level: str) -> list[str]:
    configure_logging(LogFormat.TEXT, level)
    collect = _Collect()
    logging.getLogger().addHandler(collect)
    transport = httpx.MockTransport(lambda request: httpx.Response(204))
    with httpx.Client(transport=transport) as client:
        client.get("http://api.example/api/v1/health")
    return [name for name in collect.names if name.startswith(("httpx", "httpcore"))]


def test_httpx_request_lines_are_held_back_at_info() -> None:
    try:
        assert _httpx_lines_at("info") == []
        assert "httpx" in _httpx_lines_at("debug")  # asked for, they are there
    finally:
        configure_logging()
        logging.getLogger("httpx").setLevel(logging.NOTSET)
        logging.getLogger("httpcore").setLevel(logging.NOTSET)


def test_uvicorn_workers_get_the_json_config(capsys: pytest.CaptureFixture[str]) -> None:
    # uvicorn applies this dict in each API worker process (`portgate api --workers N`).
    try:
        configure_logging(LogFormat.JSON, "warning")
        logging.config.dictConfig(uvicorn_log_config())
        logging.getLogger("uvicorn.error").warning("worker %s started", 1)
        logging.getLogger("uvicorn.error").info("not at warning")
        lines = [line for line in capsys.readouterr().err.splitlines() if line]
        assert [json.loads(line)["message"] for line in lines] == ["worker 1 started"]
        assert json.loads(lines[0])["logger"] == "uvicorn.error"
        assert logging.getLogger("httpx").level == logging.WARNING
    finally:
        configure_logging()
    assert uvicorn_log_config()["formatters"]["default"]["()"].startswith("uvicorn.")

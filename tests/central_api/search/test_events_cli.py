"""`portgate events search|export` on the database at DATABASE_URL (SQLite and PostgreSQL)."""

import csv
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner, Result

from gate_protocol.messages import Decision
from gate_protocol.reasons import ReasonCode
from portgate.cli import app as cli
from testkit.api.dashboard import add_person
from testkit.api.event_rows import count_events, event_row, insert_rows
from testkit.api.world import World

T0 = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


@pytest.fixture
def db_env(engine: Engine, world: World, monkeypatch: pytest.MonkeyPatch) -> Engine:
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    ana = add_person(engine, world.site, "Ana Costa", "Quay Movers")
    denied: dict[str, object] = {"decision": Decision.DENIED, "reason": ReasonCode.FACE_MISMATCH}
    specs: list[tuple[str, dict[str, object]]] = [
        (world.gate, {"person_id": ana}),
        (world.gate, {"person_id": ana, **denied}),
        (world.gate2, denied),
        (world.gate, denied),
    ]
    insert_rows(
        engine,
        [
            event_row(n, site=world.site, gate=gate, at=T0 + timedelta(minutes=n), **fields)
            for n, (gate, fields) in enumerate(specs)
        ],
    )
    return engine


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, ["events", *args])


def test_search_prints_a_page_and_the_next_cursor(db_env: Engine, world: World) -> None:
    first = run("search", "--reason", "face_mismatch", "--gate", world.gate, "--limit", "1")
    assert first.exit_code == 0, first.output
    lines = first.stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith("2026-11-22T08:03:00+00:00")
    assert "more: --cursor " in first.stderr
    cursor = first.stderr.split("--cursor ")[1].strip()
    second = run("search", "--reason", "face_mismatch", "--gate", world.gate, "--cursor", cursor)
    assert second.exit_code == 0
    assert second.stdout.splitlines() == [
        f"2026-11-22T08:01:00+00:00  {world.site}/{world.gate}  denied  face_mismatch  "
        "Ana Costa  Quay Movers"
    ]
    assert "more:" not in second.stderr


def test_export_writes_every_matching_row(db_env: Engine, world: World, tmp_path: Path) -> None:
    out = tmp_path / "denied.csv"
    answer = run("export", "--decision", "denied", "--output", str(out))
    assert answer.exit_code == 0, answer.output
    table = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert [row[0] for row in table] == [
        "event_id",
        *(f"bulk-{world.site}-{n}" for n in (1, 2, 3)),
    ]
    to_stdout = run("export", "--person", "costa")
    assert to_stdout.exit_code == 0
    assert len(to_stdout.stdout.splitlines()) == 1 + 2


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["search", "--reason", "door_ajar"], "unknown reason 'door_ajar'"),
        (["search", "--from", "2026-11-23T00:00:00Z", "--to", "2026-11-22T00:00:00Z"], "after"),
        (["search", "--cursor", "garbage"], "malformed cursor"),
        (["search", "--limit", "10000"], "page size 10000 is out of range"),
        (["export", "--from", "2026-11-22T08:00:00"], "must carry a time zone"),
        (["export", "--output", "/no/such/dir/x.csv"], "no such folder"),
    ],
)
def test_bad_input_is_one_error_line(
    db_env: Engine, tmp_path: Path, args: list[str], says: str
) -> None:
    answer = run(*args)
    assert answer.exit_code == 1
    assert answer.stderr.startswith(f"events {args[0]}: ") and says in answer.stderr
    assert answer.stdout == ""
    assert count_events(db_env) == 4

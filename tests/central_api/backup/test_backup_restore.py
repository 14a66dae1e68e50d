"""`portgate backup` / `portgate restore` against real SQLite files and a real PostgreSQL.

A populated database is backed up while writes go on and restored into a fresh one, which
then decides as the original did, opens the same face template and passes `portgate audit
verify`. A truncated or altered file, the wrong key and a non-empty target are refused with
one line and a non-zero exit, and leave the target as it was.
"""

import base64
import secrets
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select
from typer.testing import CliRunner

from central_api.backup.archive import open_backup
from central_api.backup.inventory import read_inventory
from central_api.config import Settings
from central_api.db import make_engine
from central_api.decisions.in_session import decide_in_session
from central_api.models import FaceTemplate
from central_api.security.vault import decrypt_template
from gate_protocol.api_models import DecisionQuery
from portgate.cli import app as cli
from testkit.api.decisions import FACE_OK, enroll, query
from testkit.backup_world import KeepWriting, fingerprint, populate
from testkit.postgres import PG_BIN

runner = CliRunner()


def _url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def _target(request: pytest.FixtureRequest, engine: Engine, tmp_path: Path, name: str) -> str:
    if engine.dialect.name == "sqlite":
        return f"sqlite:///{tmp_path / f'{name}.db'}"
    server = request.getfixturevalue("postgres_server")
    return str(server.create_database(f"backup_{name}"))


def _env(monkeypatch: pytest.MonkeyPatch, settings: Settings, url: str) -> None:
    assert settings.template_key is not None
    monkeypatch.setenv("PORTGATE_TEMPLATE_KEY", settings.template_key.get_secret_value())
    monkeypatch.setenv("DATABASE_URL", url)


def _backup(path: Path) -> None:
    made = runner.invoke(cli, ["backup", "--output", str(path), "--pg-bin", str(PG_BIN)])
    assert made.exit_code == 0, made.output
    assert "backup written" in made.output


def _restore(path: Path, url: str, *extra: str) -> tuple[int, str]:
    args = ["restore", str(path), "--database-url", url, "--pg-bin", str(PG_BIN), *extra]
    done = runner.invoke(cli, args)
    return done.exit_code, done.output


def _decisions(url: str, settings: Settings, badges: list[str], gate: str) -> list[object]:
    engine = make_engine(url)
    outcomes: list[object] = []
    try:
        for badge in badges:
            with Session(engine) as session:
                answer = decide_in_session(
                    session=session,
                    settings=settings,
                    gate_id=gate,
                    request=DecisionQuery.model_validate(query(badge, face=FACE_OK)),
                )
            outcomes.append((answer.decision, answer.reason, answer.person_id))
    finally:
        engine.dispose()
    return outcomes


def test_a_backup_taken_while_writes_go_on_restores_into_a_database_that_decides_the_same(
    request: pytest.FixtureRequest,
    engine: Engine,
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seeded = populate(engine, settings)
    source = _url(engine)
    _env(monkeypatch, settings, source)
    backup = tmp_path / "site.pgbackup"
    with KeepWriting(engine, seeded.world) as writer:
        _backup(backup)
    assert writer.written > 0  # the API's writes went on around the backup

    target = _target(request, engine, tmp_path, "fresh")
    code, output = _restore(backup, target)
    assert code == 0, output
    assert "row counts match, audit chain and events verify" in output

    badges = [seeded.granted, seeded.suspended, "FFFF"]
    before = _decisions(source, settings, badges, seeded.world.gate)
    after = _decisions(target, settings, badges, seeded.world.gate)
    assert after == before
    assert [outcome[:2] for outcome in after] == [  # type: ignore[index]
        ("granted", "granted"),
        ("denied", "person_suspended"),
        ("denied", "unknown_credential"),
    ]
    restored = make_engine(target)
    with Session(restored) as session:
        row = session.exec(select(FaceTemplate)).one()
    restored.dispose()
    opened = decrypt_template(
        key=settings.template_key_bytes(),
        person_id=row.person_id,
        nonce=row.nonce,
        ciphertext=row.ciphertext,
    )
    assert opened == seeded.template

    monkeypatch.setenv("DATABASE_URL", target)
    verified = runner.invoke(cli, ["audit", "verify"])
    assert verified.exit_code == 0, verified.output
    assert "audit chain intact" in verified.output
    assert "events intact: 20 events" in verified.output


def _damaged(backup: Path, tmp_path: Path) -> dict[str, Path]:
    data = backup.read_bytes()
    truncated = tmp_path / "truncated.pgbackup"
    truncated.write_bytes(data[: len(data) * 2 // 3])
    payload_flip = bytearray(data)
    payload_flip[len(data) // 2] ^= 0x01
    manifest_flip = bytearray(data)
    at = data.index(b'"audit_head_seq"') + 3
    manifest_flip[at] ^= 0x01
    damaged = {"truncated": truncated}
    for name, content in (("payload", payload_flip), ("manifest", manifest_flip)):
        damaged[name] = tmp_path / f"{name}-flipped.pgbackup"
        damaged[name].write_bytes(bytes(content))
    return damaged


def test_a_bad_file_the_wrong_key_or_a_non_empty_target_change_nothing(
    request: pytest.FixtureRequest,
    engine: Engine,
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seeded = populate(engine, settings)
    _env(monkeypatch, settings, _url(engine))
    backup = tmp_path / "site.pgbackup"
    _backup(backup)
    empty = _target(request, engine, tmp_path, "empty")
    used = _target(request, engine, tmp_path, "used")
    assert _restore(backup, used)[0] == 0
    untouched = {url: fingerprint(url) for url in (empty, used)}

    for name, path in _damaged(backup, tmp_path).items():
        for url in (empty, used):
            code, output = _restore(path, url, "--force")
            assert code == 1, (name, output)
            assert "restore refused:" in output and "Traceback" not in output
            expected = "manifest" if name == "manifest" else "truncated"
            assert expected in output, (name, output)
    code, output = _restore(backup, used)
    assert (code, "is not empty" in output) == (1, True), output
    nowhere = (
        f"sqlite:///{tmp_path / 'missing' / 'x.db'}"
        if engine.dialect.name == "sqlite"
        else used.rsplit("/", 1)[0] + "/backup_no_such_database"
    )
    code, output = _restore(backup, nowhere)
    assert code == 1 and ("no such directory" in output or "cannot reach" in output), output
    assert "Traceback" not in output and "\n" not in output.strip()
    monkeypatch.setenv("PORTGATE_TEMPLATE_KEY", base64.b64encode(secrets.token_bytes(32)).decode())
    for url in (empty, used):
        code, output = _restore(backup, url, "--force")
        assert code == 1 and "not the key this backup was made with" in output, output
    assert {url: fingerprint(url) for url in (empty, used)} == untouched

    assert list(tmp_path.glob(".*restore-*")) == []  # no staged file left behind

    # --force with the right key replaces a target that was written to since (a live
    # SQLite write-ahead log included) with exactly the backup.
    written = make_engine(used)
    enroll(written, seeded.world, badge="D1")
    _env(monkeypatch, settings, _url(engine))
    code, output = _restore(backup, used, "--force")
    written.dispose()
    assert code == 0, output
    restored = make_engine(used)
    with restored.connect() as connection:
        counts = read_inventory(connection).row_counts
    restored.dispose()
    assert counts == open_backup(backup).manifest.row_counts

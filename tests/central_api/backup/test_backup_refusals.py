"""What `portgate backup` / `portgate restore` refuse up front, on SQLite (no server needed)."""

import base64
import io
import secrets
import shutil
import tarfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from central_api.backup.manifest import seal_manifest
from central_api.config import Settings
from central_api.db import make_engine
from portgate.cli import app as cli
from testkit.backup_world import populate

runner = CliRunner()


@pytest.fixture
def source(tmp_path: Path, sqlite_template: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    path = tmp_path / "source.db"
    shutil.copy(sqlite_template, path)
    settings = Settings(PORTGATE_DEV_MODE=True, DATABASE_URL=f"sqlite:///{path}")
    engine = make_engine(settings.database_url)
    populate(engine, settings)
    engine.dispose()
    assert settings.template_key is not None
    monkeypatch.setenv("PORTGATE_TEMPLATE_KEY", settings.template_key.get_secret_value())
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    return settings


def _other_key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


def test_a_backup_under_a_key_that_does_not_open_the_templates_is_refused(
    source: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PORTGATE_TEMPLATE_KEY", _other_key())
    output = tmp_path / "never.pgbackup"
    made = runner.invoke(cli, ["backup", "--output", str(output)])
    assert made.exit_code == 1
    assert "does not open the stored face templates" in made.output
    assert not output.exists() and list(tmp_path.glob(".*")) == []


def test_a_backup_never_overwrites_a_file_and_needs_the_key(
    source: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    output = tmp_path / "kept.txt"
    output.write_text("yesterday's backup")
    made = runner.invoke(cli, ["backup", "--output", str(output)])
    assert made.exit_code == 1 and "exists" in made.output
    assert output.read_text() == "yesterday's backup"
    monkeypatch.delenv("PORTGATE_TEMPLATE_KEY")
    unset = runner.invoke(cli, ["backup", "--output", str(tmp_path / "new.pgbackup")])
    assert unset.exit_code == 1 and "PORTGATE_TEMPLATE_KEY is not set" in unset.output


def _reseal(backup: Path, tmp_path: Path, old: bytes, new: bytes, key: bytes | None) -> Path:
    # The manifest edited and its SHA-256 fixed; the HMAC too only by someone with `key`.
    with tarfile.open(backup) as tar:
        members = tar.getmembers()
        parts = [tar.extractfile(member).read() for member in members]  # type: ignore[union-attr]
    manifest = parts[0].replace(old, new)
    forged = seal_manifest(key or secrets.token_bytes(32), manifest)
    edited = tmp_path / f"edited-{secrets.token_hex(4)}.pgbackup"
    with tarfile.open(edited, "w") as tar:
        contents = (manifest, forged.model_dump_json().encode(), parts[2])
        for member, data in zip(members, contents, strict=True):
            member.size = len(data)
            tar.addfile(member, io.BytesIO(data))
    return edited


def test_restore_refuses_another_kind_an_edited_manifest_and_what_is_no_backup(
    source: Settings, tmp_path: Path
) -> None:
    backup = tmp_path / "site.pgbackup"
    assert runner.invoke(cli, ["backup", "--output", str(backup)]).exit_code == 0
    assert backup.stat().st_mode & 0o777 == 0o600  # it holds every person's data
    key = source.template_key_bytes()
    target = tmp_path / "target.db"
    cases = {
        (backup, "postgresql+psycopg://postgres@127.0.0.1:1/none"): "into a sqlite database only",
        (
            _reseal(backup, tmp_path, b'"audit_head_seq": ', b'"audit_head_seq": 1', None),
            f"sqlite:///{target}",
        ): "was altered (its seal",
        (
            _reseal(backup, tmp_path, b'"alembic_revision": "', b'"alembic_revision": "9', key),
            f"sqlite:///{target}",
        ): "which this PortGate does not know",
    }
    for (path, url), message in cases.items():
        done = runner.invoke(cli, ["restore", str(path), "--database-url", url])
        assert done.exit_code == 1 and message in done.output, done.output
    junk = tmp_path / "junk.pgbackup"
    junk.write_bytes(secrets.token_bytes(4096))
    done = runner.invoke(cli, ["restore", str(junk), "--database-url", f"sqlite:///{target}"])
    assert done.exit_code == 1 and "is not a complete PortGate backup" in done.output
    missing = runner.invoke(cli, ["restore", str(tmp_path / "no"), "--database-url", "sqlite://"])
    assert missing.exit_code == 1 and "no such backup file" in missing.output
    assert not target.exists()
